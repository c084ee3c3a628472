// Package procedures reads the procedure catalogue file (dvc.md §4): CSV with
// the header ma_tthc,ten,muc_do,co_ket_qua,so_ngay, or YAML with the same keys.
package procedures

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"chiso/warehouse/facts"
)

// Source marks catalogue entries read from the file (they win over the portal's).
const Source = "file"

type entry struct {
	MaTTHC   string `yaml:"ma_tthc"`
	Ten      string `yaml:"ten"`
	MucDo    string `yaml:"muc_do"`
	CoKetQua string `yaml:"co_ket_qua"`
	SoNgay   string `yaml:"so_ngay"`
}

// Error is a problem with the catalogue file, at a line (1-based; 0 when
// the file cannot be read at all) and, when known, a column/key.
type Error struct {
	Path  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	where := e.Path
	if e.Line > 0 {
		where = fmt.Sprintf("%s: row %d", e.Path, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("procedures: %s: %s: %s", where, e.Field, e.Msg)
	}
	return fmt.Sprintf("procedures: %s: %s", where, e.Msg)
}

// ReadFile parses a catalogue file by its extension (.yaml/.yml, else
// CSV). Startup and check-config both read it here; a problem is an *Error
// naming the line (and the column or key) it is on.
func ReadFile(path string) ([]facts.Procedure, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	var entries []entry
	var lines []int
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		entries, lines, err = readYAML(b)
	default:
		entries, lines, err = readCSV(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Path = path
			return nil, e
		}
		return nil, &Error{Path: path, Line: 1, Msg: err.Error()}
	}
	out := make([]facts.Procedure, 0, len(entries))
	seen := map[string]int{}
	for i, e := range entries {
		p, err := toProcedure(e)
		if err != nil {
			fe := err.(*Error)
			fe.Path, fe.Line = path, lines[i]
			return nil, fe
		}
		if first, dup := seen[p.MaTTHC]; dup {
			return nil, &Error{Path: path, Line: lines[i], Field: "ma_tthc", Msg: fmt.Sprintf("%s already on row %d", p.MaTTHC, first)}
		}
		seen[p.MaTTHC] = lines[i]
		out = append(out, p)
	}
	return out, nil
}

// yamlLine finds the line in a yaml error: "yaml: line 3: …" or
// "yaml: unmarshal errors:\n  line 3: …".
var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// readYAML reads a list of entries, each with the line it starts on.
func readYAML(b []byte) ([]entry, []int, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, nil, yamlError(err)
	}
	if len(root.Content) == 0 {
		return nil, nil, nil
	}
	list := root.Content[0]
	if list.Kind != yaml.SequenceNode {
		return nil, nil, &Error{Line: list.Line, Msg: "want a list of procedures (- {ma_tthc: …, muc_do: …})"}
	}
	entries := make([]entry, len(list.Content))
	lines := make([]int, len(list.Content))
	for i, n := range list.Content {
		lines[i] = n.Line
		if err := n.Decode(&entries[i]); err != nil {
			e := yamlError(err)
			if e.Line == 0 {
				e.Line = n.Line
			}
			return nil, nil, e
		}
	}
	return entries, lines, nil
}

// yamlError turns a yaml error into an *Error with its line.
func yamlError(err error) *Error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &Error{Line: n, Msg: m[2]}
	}
	return &Error{Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
}

func readCSV(b []byte) ([]entry, []int, error) {
	r := csv.NewReader(bytes.NewReader(b))
	if bytes.Count(bytes.SplitN(b, []byte("\n"), 2)[0], []byte(";")) > 0 {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, csvError(err, "header")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"ma_tthc", "muc_do"} {
		if _, ok := col[need]; !ok {
			return nil, nil, &Error{Line: 1, Field: need, Msg: "column missing from the header (want ma_tthc,ten,muc_do,co_ket_qua,so_ngay)"}
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []entry
	var lines []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, csvError(err, "")
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		out = append(out, entry{MaTTHC: get(rec, "ma_tthc"), Ten: get(rec, "ten"), MucDo: get(rec, "muc_do"), CoKetQua: get(rec, "co_ket_qua"), SoNgay: get(rec, "so_ngay")})
		lines = append(lines, line)
	}
	return out, lines, nil
}

// csvError keeps the line of a CSV syntax error.
func csvError(err error, field string) *Error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Line: pe.StartLine, Field: field, Msg: pe.Err.Error()}
	}
	if err == io.EOF {
		return &Error{Line: 1, Field: field, Msg: "empty file"}
	}
	return &Error{Line: 1, Field: field, Msg: err.Error()}
}

// toProcedure checks one entry; a problem is an *Error naming the field
// (the caller sets path and line).
func toProcedure(e entry) (facts.Procedure, error) {
	p := facts.Procedure{MaTTHC: strings.TrimSpace(e.MaTTHC), Name: strings.TrimSpace(e.Ten), RequiresResult: true, Source: Source}
	if p.MaTTHC == "" {
		return p, &Error{Field: "ma_tthc", Msg: "empty"}
	}
	switch strings.ToLower(strings.TrimSpace(e.MucDo)) {
	case "toan_trinh", "toàn trình", "toan trinh":
		p.Level = "toan_trinh"
	case "mot_phan", "một phần", "mot phan":
		p.Level = "mot_phan"
	case "khong", "không", "none", "":
		p.Level = "none"
	default:
		return p, &Error{Field: "muc_do", Msg: fmt.Sprintf("%q is not toan_trinh, mot_phan or khong", e.MucDo)}
	}
	switch strings.TrimSpace(e.CoKetQua) {
	case "", "1":
	case "0":
		p.RequiresResult = false
	default:
		return p, &Error{Field: "co_ket_qua", Msg: fmt.Sprintf("%q is not 1 or 0", e.CoKetQua)}
	}
	if s := strings.TrimSpace(e.SoNgay); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, &Error{Field: "so_ngay", Msg: fmt.Sprintf("%q is not a number of working days", s)}
		}
		p.MaxDays = &n
	}
	return p, nil
}
