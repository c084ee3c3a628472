// Package procedures reads the procedure catalogue file (dvc.md §4): CSV with
// the header ma_tthc,ten,muc_do,co_ket_qua,so_ngay, or YAML with the same keys.
package procedures

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"chiso/warehouse"
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

// ReadFile parses a catalogue file by its extension (.yaml/.yml, else CSV).
func ReadFile(path string) ([]warehouse.Procedure, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("procedures: %w", err)
	}
	var entries []entry
	var lines []int
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		if err := yaml.Unmarshal(b, &entries); err != nil {
			return nil, fmt.Errorf("procedures: %s: %w", path, err)
		}
		for i := range entries {
			lines = append(lines, i+1)
		}
	default:
		entries, lines, err = readCSV(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
		if err != nil {
			return nil, fmt.Errorf("procedures: %s: %w", path, err)
		}
	}
	out := make([]warehouse.Procedure, 0, len(entries))
	seen := map[string]int{}
	for i, e := range entries {
		p, err := toProcedure(e)
		if err != nil {
			return nil, fmt.Errorf("procedures: %s: row %d: %w", path, lines[i], err)
		}
		if first, dup := seen[p.MaTTHC]; dup {
			return nil, fmt.Errorf("procedures: %s: row %d: ma_tthc: %s already on row %d", path, lines[i], p.MaTTHC, first)
		}
		seen[p.MaTTHC] = lines[i]
		out = append(out, p)
	}
	return out, nil
}

func readCSV(b []byte) ([]entry, []int, error) {
	r := csv.NewReader(bytes.NewReader(b))
	if bytes.Count(bytes.SplitN(b, []byte("\n"), 2)[0], []byte(";")) > 0 {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"ma_tthc", "muc_do"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("header: column %s missing (want ma_tthc,ten,muc_do,co_ket_qua,so_ngay)", need)
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
			return nil, nil, err
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

func toProcedure(e entry) (warehouse.Procedure, error) {
	p := warehouse.Procedure{MaTTHC: strings.TrimSpace(e.MaTTHC), Name: strings.TrimSpace(e.Ten), RequiresResult: true, Source: Source}
	if p.MaTTHC == "" {
		return p, fmt.Errorf("ma_tthc: empty")
	}
	switch strings.ToLower(strings.TrimSpace(e.MucDo)) {
	case "toan_trinh", "toàn trình", "toan trinh":
		p.Level = "toan_trinh"
	case "mot_phan", "một phần", "mot phan":
		p.Level = "mot_phan"
	case "khong", "không", "none", "":
		p.Level = "none"
	default:
		return p, fmt.Errorf("muc_do: %q is not toan_trinh, mot_phan or khong", e.MucDo)
	}
	switch strings.TrimSpace(e.CoKetQua) {
	case "", "1":
	case "0":
		p.RequiresResult = false
	default:
		return p, fmt.Errorf("co_ket_qua: %q is not 1 or 0", e.CoKetQua)
	}
	if s := strings.TrimSpace(e.SoNgay); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, fmt.Errorf("so_ngay: %q is not a number of working days", s)
		}
		p.MaxDays = &n
	}
	return p, nil
}
