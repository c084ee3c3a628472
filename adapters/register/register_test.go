package register

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenRow is what a golden file holds per data row or bad row.
type goldenRow struct {
	Line          int      `json:"line"`
	Error         string   `json:"error,omitempty"`
	Code          string   `json:"code,omitempty"`
	Number        string   `json:"number,omitempty"`
	Notation      string   `json:"notation,omitempty"`
	IssuedOn      string   `json:"issued_on,omitempty"`
	ReceivedOn    string   `json:"received_on,omitempty"`
	ArrivalNumber string   `json:"arrival_number,omitempty"`
	Issuer        string   `json:"issuer,omitempty"`
	TypeSubject   string   `json:"type_and_subject,omitempty"`
	DocType       string   `json:"doc_type,omitempty"`
	Recipients    []string `json:"recipients,omitempty"`
	Signer        string   `json:"signer,omitempty"`
	Secrecy       string   `json:"secrecy,omitempty"`
	Secret        bool     `json:"secret,omitempty"`
	Medium        string   `json:"medium,omitempty"`
	Notes         string   `json:"notes,omitempty"`
}

func day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02")
}

func toGolden(r Row) goldenRow {
	return goldenRow{Line: r.Line, Code: r.Code, Number: r.Number, Notation: r.Notation,
		IssuedOn: day(r.IssuedOn), ReceivedOn: day(r.ReceivedOn), ArrivalNumber: r.ArrivalNumber,
		Issuer: r.Issuer, TypeSubject: r.TypeSubject, DocType: r.DocType, Recipients: r.Recipients,
		Signer: r.Signer, Secrecy: r.Secrecy, Secret: r.Secret, Medium: r.Medium, Notes: r.Notes}
}

// readAll reads a file into golden lines: the header line, then one line
// per row or bad row; a file-level error is the only line.
func readAll(t *testing.T, path string, opt Options) string {
	t.Helper()
	var lines []string
	h, err := Read(context.Background(), path, opt, func(r Row, bad *RowError) error {
		g := toGolden(r)
		if bad != nil {
			if len(bad.Raw) == 0 && bad.Field != "csv" {
				t.Errorf("%s: bad row %d has no raw bytes", path, bad.Line)
			}
			g = goldenRow{Line: bad.Line, Error: strings.ReplaceAll(bad.Error(), filepath.Dir(path)+"/", "")}
		}
		b, _ := json.Marshal(g)
		lines = append(lines, string(b))
		return nil
	})
	if err != nil {
		return "error: " + strings.ReplaceAll(err.Error(), filepath.Dir(path)+"/", "") + "\n"
	}
	cols, _ := json.Marshal(h.Columns)
	return "header line " + itoa(h.Line) + ": " + string(cols) + "\n" + strings.Join(lines, "\n") + "\n"
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestGoldenCSV reads every testdata/rows/*.csv (with its optional
// .opts.json) and compares with the .golden file beside it.
func TestGoldenCSV(t *testing.T) {
	files, _ := filepath.Glob("testdata/rows/*.csv")
	if len(files) == 0 {
		t.Fatal("no golden cases")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".csv")
		t.Run(name, func(t *testing.T) {
			var opt Options
			if b, err := os.ReadFile(strings.TrimSuffix(f, ".csv") + ".opts.json"); err == nil {
				if err := json.Unmarshal(b, &opt); err != nil {
					t.Fatal(err)
				}
			}
			got := readAll(t, f, opt)
			golden := strings.TrimSuffix(f, ".csv") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", f, golden, got, want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	cases := []struct {
		in     string
		year   int
		d1904  bool
		want   string
		errHas string
	}{
		{"20/11/2025", 0, false, "2025-11-20", ""},
		{"3/2/2026", 0, false, "2026-02-03", ""},
		{"2025-11-20", 0, false, "2025-11-20", ""},
		{"2025/11/20", 0, false, "2025-11-20", ""},
		{"20.11.2025", 0, false, "2025-11-20", ""},
		{"20-11-2025", 0, false, "2025-11-20", ""},
		{"20/11/2025 14:30", 0, false, "2025-11-20", ""},
		{"2025-11-20T00:00:00Z", 0, false, "2025-11-20", ""},
		{"45981", 0, false, "2025-11-20", ""},
		{"45981.75", 0, false, "2025-11-20", ""},
		{"44519", 0, true, "2025-11-20", ""},
		{"59", 0, false, "1900-02-28", ""},
		{"61", 0, false, "1900-03-01", ""},
		{"ngày 20 tháng 11 năm 2025", 0, false, "2025-11-20", ""},
		{"Ngày 5 tháng 1 năm 2026", 0, false, "2026-01-05", ""},
		{"20/11", 2026, false, "2026-11-20", ""},
		{"20/11", 0, false, "", "has no year"},
		{"29/02/2025", 0, false, "", "impossible date"},
		{"29/02/2024", 0, false, "2024-02-29", ""},
		{"13/13/2025", 0, false, "", "impossible date"},
		{"0", 0, false, "", "out of range"},
		{"hôm qua", 0, false, "", "unparsable date"},
		{"11/20/2025", 0, false, "", "impossible date"},
	}
	for _, c := range cases {
		got, err := ParseDate(c.in, c.year, c.d1904)
		if c.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("ParseDate(%q) = %v, %v; want error containing %q", c.in, got, err, c.errHas)
			}
			continue
		}
		if err != nil || day(got) != c.want {
			t.Errorf("ParseDate(%q, %d, %v) = %s, %v; want %s", c.in, c.year, c.d1904, day(got), err, c.want)
			continue
		}
		if _, off := got.Zone(); off != 7*3600 {
			t.Errorf("ParseDate(%q) zone offset %d, want +07:00", c.in, off)
		}
	}
}

func TestSplitCode(t *testing.T) {
	cases := []struct{ in, number, notation, errHas string }{
		{"125/BC-UBND", "125", "BC-UBND", ""},
		{"20/2020/QĐ-TTg", "20", "2020/QĐ-TTg", ""},
		{" 126 / UBND-VP ", "126", "UBND-VP", ""},
		{"7816/VPCP-TTĐT", "7816", "VPCP-TTĐT", ""},
		{"125", "125", "", ""},
		{"125a/BC-UBND", "125a", "BC-UBND", ""},
		{"/BC-UBND", "", "", "no number"},
		{"", "", "", "empty"},
		{"7 BC/UBND", "", "", "contains spaces"},
	}
	for _, c := range cases {
		n, no, err := SplitCode(c.in)
		if c.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("SplitCode(%q) err = %v, want %q", c.in, err, c.errHas)
			}
			continue
		}
		if err != nil || n != c.number || no != c.notation {
			t.Errorf("SplitCode(%q) = %q, %q, %v; want %q, %q", c.in, n, no, err, c.number, c.notation)
		}
	}
}

func TestSplitRecipients(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"UBND tỉnh Bắc Ninh; Sở Nội vụ", []string{"UBND tỉnh Bắc Ninh", "Sở Nội vụ"}},
		{"- UBND tỉnh;\n- Sở Nội vụ;\n- Lưu: VT, VP.", []string{"UBND tỉnh", "Sở Nội vụ"}},
		{"Như trên;\r\nCác phòng", []string{"Các phòng"}},
		{"000.00.00.H99", []string{"000.00.00.H99"}},
		{"", nil},
	}
	for _, c := range cases {
		got := SplitRecipients(c.in)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("SplitRecipients(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestUnsupportedFile(t *testing.T) {
	_, err := Read(context.Background(), "testdata/x.ods", Options{}, func(Row, *RowError) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "unsupported file type") {
		t.Fatalf("err = %v", err)
	}
	if Supported("~$so-di.xlsx") || !Supported("so-di.XLSX") || Supported("a.txt") {
		t.Error("Supported is wrong")
	}
}

func TestVisitErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := Read(context.Background(), "testdata/rows/in_comma.csv", Options{}, func(Row, *RowError) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v after %d rows, want stop after 1", err, n)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Read(ctx, "testdata/rows/in_comma.csv", Options{}, func(Row, *RowError) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
