// Package registergen writes document-register exports (sổ đăng ký văn bản
// đi / đến, and the secret registers) for the documents of a generated
// commune corpus (adapters/edxml/edxmlgen), so that the registers, the QLVB
// archive and the axis of the demo describe the same documents: every
// document of a unit is in its register, electronic or paper; secret ones
// only in the secret register.
//
// Files follow the layouts of Nghị định 30/2020 (title lines, the header,
// the column-numbering row), as .xlsx (date-typed cells, written with the
// streaming writer) or .csv (UTF-8 with BOM, ";", dd/MM/yyyy text dates).
package registergen

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"chiso/adapters/edxml/edxmlgen"
)

// Kind is one of the four registers a unit keeps.
type Kind struct {
	Direction string // "out" | "in"
	Secret    bool   // the secret register
}

// The registers.
var (
	Out       = Kind{"out", false}
	In        = Kind{"in", false}
	SecretOut = Kind{"out", true}
	SecretIn  = Kind{"in", true}
)

// Folder is the folder name of a register kind: so-di, so-den, so-mat-di, so-mat-den.
func (k Kind) Folder() string {
	name := map[string]string{"out": "di", "in": "den"}[k.Direction]
	if k.Secret {
		return "so-mat-" + name
	}
	return "so-" + name
}

// Options tune the files.
type Options struct {
	// Format is "xlsx" (default) or "csv".
	Format string
	// Names maps an agency code to the name the register writes for it
	// (e.g. the org directory's names); codes not listed use the corpus name.
	Names map[string]string
	// Quirks mixes in what real exports carry: d/M/yyyy and yyyy-MM-dd
	// dates, codes instead of names, a stray typo (an impossible date) and
	// a name the org directory does not know. Deterministic for a seed.
	Quirks bool
	Seed   int64
}

// File is one written register file.
type File struct {
	Path string
	Unit string
	Kind Kind
	Year int
	Rows int
}

// Select returns the documents of corpus that unit's register of kind
// lists, in register order (issue order for out, arrival order for in).
func Select(corpus []edxmlgen.DocSpec, unit string, k Kind) []edxmlgen.DocSpec {
	var out []edxmlgen.DocSpec
	for _, d := range corpus {
		if d.Unit == unit && d.Direction == k.Direction && d.Secret == k.Secret {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if k.Direction == "in" {
			if !out[i].ReceivedOn.Equal(out[j].ReceivedOn) {
				return out[i].ReceivedOn.Before(out[j].ReceivedOn)
			}
			return out[i].ArrivalNumber < out[j].ArrivalNumber
		}
		return out[i].IssuedAt.Before(out[j].IssuedAt)
	})
	return out
}

// Write writes the four registers of unit for the corpus of one year into
// dir/<folder>/so-<...>-<year>.<format> and returns the files written
// (registers with no document are skipped).
func Write(dir, unit string, year int, corpus []edxmlgen.DocSpec, opts Options) ([]File, error) {
	var files []File
	for _, k := range []Kind{Out, In, SecretOut, SecretIn} {
		docs := Select(corpus, unit, k)
		if len(docs) == 0 {
			continue
		}
		ext := opts.Format
		if ext == "" {
			ext = "xlsx"
		}
		path := filepath.Join(dir, k.Folder(), fmt.Sprintf("%s-%s-%d.%s", k.Folder(), strings.ReplaceAll(unit, ".", ""), year, ext))
		if err := WriteFile(path, unit, year, k, docs, opts); err != nil {
			return files, err
		}
		files = append(files, File{Path: path, Unit: unit, Kind: k, Year: year, Rows: len(docs)})
	}
	return files, nil
}

// Connector is a register-file connector the demo config needs for the
// files Write produced: one per unit and register kind (a folder holding
// every year's file).
type Connector struct {
	Name           string
	Path           string // folder
	Direction      string
	Unit           string
	SecretRegister bool
}

// Connectors groups files into one connector per unit and kind.
func Connectors(files []File) []Connector {
	seen := map[string]bool{}
	var out []Connector
	for _, f := range files {
		key := f.Unit + "|" + f.Kind.Folder()
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Connector{
			Name:           f.Kind.Folder() + "-" + strings.ReplaceAll(strings.ToLower(f.Unit), ".", "-"),
			Path:           filepath.Dir(f.Path),
			Direction:      f.Kind.Direction,
			Unit:           f.Unit,
			SecretRegister: f.Kind.Secret,
		})
	}
	return out
}

// WriteDemo writes the demo commune's registers for 2025 and 2026 under
// dir: outgoing and incoming registers as .xlsx, the 2025 incoming register
// as the .csv variant, and the secret registers as .csv. It returns the
// connectors to configure.
func WriteDemo(dir string, seed int64, unit string, opts Options, corpusOpts ...edxmlgen.Option) ([]Connector, []File, error) {
	var files []File
	for _, year := range []int{2025, 2026} {
		corpus := edxmlgen.Corpus(seed, unit, year, corpusOpts...)
		for _, k := range []Kind{Out, In, SecretOut, SecretIn} {
			docs := Select(corpus, unit, k)
			if len(docs) == 0 {
				continue
			}
			o := opts
			o.Seed = seed + int64(year)
			o.Format = "xlsx"
			if k.Secret || (k == In && year == 2025) {
				o.Format = "csv"
			}
			path := filepath.Join(dir, k.Folder(), fmt.Sprintf("%s-%d.%s", k.Folder(), year, o.Format))
			if err := WriteFile(path, unit, year, k, docs, o); err != nil {
				return nil, files, err
			}
			files = append(files, File{Path: path, Unit: unit, Kind: k, Year: year, Rows: len(docs)})
		}
	}
	return Connectors(files), files, nil
}

// columns of each register kind (Nghị định 30/2020, Phụ lục IV, plus the
// medium column QLVB exports add).
func columns(k Kind) []string {
	switch {
	case k == Out:
		return []string{"STT", "Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản",
			"Người ký", "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản", "Văn bản điện tử", "Ghi chú"}
	case k == In:
		return []string{"Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng", "Tên loại và trích yếu nội dung",
			"Đơn vị hoặc người nhận", "Ký nhận", "Hình thức", "Ghi chú"}
	case k == SecretOut:
		return []string{"STT", "Số, ký hiệu", "Ngày tháng", "Độ mật", "Trích yếu", "Người ký", "Nơi nhận"}
	default:
		return []string{"Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng", "Độ mật", "Trích yếu"}
	}
}

func title(k Kind, year int) string {
	t := map[string]string{"out": "SỔ ĐĂNG KÝ VĂN BẢN ĐI", "in": "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"}[k.Direction]
	if k.Secret {
		t = strings.Replace(t, "VĂN BẢN", "VĂN BẢN MẬT", 1)
	}
	return fmt.Sprintf("%s NĂM %d", t, year)
}

// cell is one value of a row: a date (typed cell in xlsx) or text.
type cell struct {
	text string
	date time.Time
}

// rows renders the documents as register rows.
func rows(k Kind, docs []edxmlgen.DocSpec, opts Options) [][]cell {
	r := rand.New(rand.NewPCG(uint64(opts.Seed), uint64(len(docs))))
	name := func(o edxmlgen.Org) string {
		if opts.Quirks && r.Float64() < 0.03 {
			return o.Code // some clerks paste the code
		}
		if n, ok := opts.Names[o.Code]; ok {
			return n
		}
		return o.Name
	}
	date := func(t time.Time) cell {
		if opts.Quirks && r.Float64() < 0.05 {
			return cell{text: t.Format("2/1/2006")}
		}
		if opts.Quirks && r.Float64() < 0.03 {
			return cell{text: t.Format("2006-01-02")}
		}
		return cell{date: t}
	}
	typo := -1
	unknown := -1
	if opts.Quirks && len(docs) > 20 {
		typo = 7 + r.IntN(len(docs)-10)
		// The unknown name goes on a paper document: an electronic one is
		// also in the archive under its issuer's code, and an unresolved
		// issuer would split it in two.
		var paper []int
		for i, d := range docs {
			if d.Medium != "electronic" && i != typo {
				paper = append(paper, i)
			}
		}
		if len(paper) > 0 {
			unknown = paper[r.IntN(len(paper))]
		}
	}
	var out [][]cell
	for i, d := range docs {
		subject := d.Subject
		if d.Type.ID != "cong_van" && !d.Secret {
			subject = d.Type.Name + " " + lowerFirst(d.Subject)
		}
		medium := map[bool]string{true: "Điện tử", false: "Giấy"}[d.Medium == "electronic"]
		issued := date(d.IssuedOn)
		if i == typo {
			// A typo the register keeps: 31 of a 30-day month (or 30/02).
			m := d.IssuedOn.Month()
			day := 31
			if m == time.February {
				day = 30
			} else if m == 1 || m == 3 || m == 5 || m == 7 || m == 8 || m == 10 || m == 12 {
				m = 4
			}
			issued = cell{text: fmt.Sprintf("%02d/%02d/%d", day, m, d.IssuedOn.Year())}
		}
		var recips []string
		for _, o := range d.Recipients {
			recips = append(recips, name(o))
		}
		if i == unknown && k.Direction == "out" {
			recips = append(recips, "Hội Cựu chiến binh xã")
		}
		signer := strings.TrimSpace(d.Signer.Position + " " + d.Signer.FullName)
		switch {
		case k == Out:
			e := ""
			if d.Medium == "electronic" {
				e = "x"
			}
			out = append(out, []cell{{text: strconv.Itoa(i + 1)}, {text: d.Code()}, issued, {text: subject}, {text: signer},
				{text: strings.Join(recips, ";\n") + ";\nLưu: VT."}, {text: "VP"}, {text: strconv.Itoa(2 + len(d.Recipients))}, {text: e}, {}})
		case k == In:
			issuer := name(edxmlgen.Org{Code: d.IssuerCode, Name: d.IssuerName})
			if i == unknown {
				issuer = "Hội Nông dân tỉnh"
			}
			out = append(out, []cell{date(d.ReceivedOn), {text: strconv.Itoa(d.ArrivalNumber)}, {text: issuer}, {text: d.Code()}, issued,
				{text: subject}, {text: name(d.Recipients[0])}, {text: "Văn thư"}, {text: medium}, {}})
		case k == SecretOut:
			out = append(out, []cell{{text: strconv.Itoa(i + 1)}, {text: d.Code()}, issued, {text: d.SecretLevel}, {text: "Văn bản mật"},
				{text: signer}, {text: strings.Join(recips, "; ")}})
		default:
			issuer := name(edxmlgen.Org{Code: d.IssuerCode, Name: d.IssuerName})
			out = append(out, []cell{date(d.ReceivedOn), {text: strconv.Itoa(d.ArrivalNumber)}, {text: issuer}, {text: d.Code()}, issued,
				{text: d.SecretLevel}, {text: "Văn bản mật"}})
		}
	}
	return out
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	rs := []rune(s)
	// Keep proper nouns and abbreviations ("UBND", "Đề án 06") as written.
	if len(rs) > 1 && strings.ToUpper(string(rs[1])) == string(rs[1]) {
		return s
	}
	return strings.ToLower(string(rs[0])) + string(rs[1:])
}

// WriteFile writes one register file (format from the path's extension).
func WriteFile(path, unit string, year int, k Kind, docs []edxmlgen.DocSpec, opts Options) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("registergen: %w", err)
	}
	cols := columns(k)
	body := rows(k, docs, opts)
	head := [][]string{{"UBND XÃ YÊN ĐỊNH"}, {title(k, year)}, {}}
	numbering := make([]string, len(cols))
	for i := range numbering {
		numbering[i] = fmt.Sprintf("(%d)", i+1)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return writeCSV(path, head, cols, numbering, body)
	case ".xlsx":
		return writeXLSX(path, k, head, cols, numbering, body)
	}
	return fmt.Errorf("registergen: %s: want .xlsx or .csv", path)
}

func writeCSV(path string, head [][]string, cols, numbering []string, body [][]cell) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("registergen: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("registergen: %s: %w", path, cerr)
		}
	}()
	bw := bufio.NewWriter(f)
	bw.WriteString("\ufeff")
	w := csv.NewWriter(bw)
	w.Comma = ';'
	w.UseCRLF = true // what Excel writes
	pad := func(r []string) []string { return append(r, make([]string, len(cols)-len(r))...) }
	for _, h := range head {
		_ = w.Write(pad(h))
	}
	_ = w.Write(cols)
	_ = w.Write(numbering)
	rec := make([]string, len(cols))
	for _, r := range body {
		for i, c := range r {
			rec[i] = c.text
			if !c.date.IsZero() {
				rec[i] = c.date.Format("02/01/2006")
			}
		}
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("registergen: %s: %w", path, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("registergen: %s: %w", path, err)
	}
	return bw.Flush()
}

func writeXLSX(path string, k Kind, head [][]string, cols, numbering []string, body [][]cell) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := map[string]string{"out": "Sổ đi", "in": "Sổ đến"}[k.Direction]
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("registergen: %w", err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("dd/mm/yyyy")})
	if err != nil {
		return fmt.Errorf("registergen: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("registergen: %w", err)
	}
	line := 0
	put := func(vals []any) error {
		line++
		c, _ := excelize.CoordinatesToCellName(1, line)
		return sw.SetRow(c, vals)
	}
	strs := func(s []string) []any {
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
		}
		return out
	}
	for _, h := range head {
		if err := put(strs(h)); err != nil {
			return fmt.Errorf("registergen: %w", err)
		}
	}
	if err := put(strs(cols)); err != nil {
		return fmt.Errorf("registergen: %w", err)
	}
	if err := put(strs(numbering)); err != nil {
		return fmt.Errorf("registergen: %w", err)
	}
	vals := make([]any, len(cols))
	for _, r := range body {
		for i, c := range r {
			if !c.date.IsZero() {
				// A date-typed cell: the wall-clock date, not shifted by zone.
				d := time.Date(c.date.Year(), c.date.Month(), c.date.Day(), 0, 0, 0, 0, time.UTC)
				vals[i] = excelize.Cell{StyleID: dateStyle, Value: d}
			} else {
				vals[i] = c.text
			}
		}
		if err := put(vals); err != nil {
			return fmt.Errorf("registergen: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("registergen: %w", err)
	}
	if err := f.SaveAs(path); err != nil {
		return fmt.Errorf("registergen: %s: %w", path, err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
