package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

var update = flag.Bool("update", false, "rewrite golden files")

func d(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParsePeriod(t *testing.T) {
	custom := []report.NamedPeriod{{ID: "bc6t", Label: "6 tháng", From: "01-01", To: "06-15"}, {ID: "nd09-6t", From: "-12-15", To: "06-14"}, {ID: "cross", From: "12-01", To: "02-29"}}
	for _, c := range []struct {
		in       string
		named    []report.NamedPeriod
		from, to string
		err      string
	}{
		{in: "2026", from: "2026-01-01", to: "2026-12-31"},
		{in: "2026-H1", from: "2026-01-01", to: "2026-06-30"},
		{in: "2026-H2", from: "2026-07-01", to: "2026-12-31"},
		{in: "2026-Q1", from: "2026-01-01", to: "2026-03-31"},
		{in: "2026-Q4", from: "2026-10-01", to: "2026-12-31"},
		{in: "2024-02", from: "2024-02-01", to: "2024-02-29"},
		{in: "2026-05", from: "2026-05-01", to: "2026-05-31"},
		{in: "2026-01-01..2026-05-31", from: "2026-01-01", to: "2026-05-31"},
		{in: "bc6t-2026", from: "2026-01-01", to: "2026-05-31"},
		{in: "bcnam-2026", from: "2026-01-01", to: "2026-11-30"},
		{in: "nd09-6t-2026", from: "2025-12-15", to: "2026-06-14"},
		{in: "nd09-nam-2026", from: "2025-12-15", to: "2026-12-14"},
		{in: "bc6t-2026", named: custom, from: "2026-01-01", to: "2026-06-15"},
		{in: "nd09-6t-2026", named: custom, from: "2025-12-15", to: "2026-06-14"},
		{in: "cross-2026", named: custom, from: "2025-12-01", to: "2026-02-28"},
		{in: "cross-2028", named: custom, from: "2027-12-01", to: "2028-02-29"},
		{in: "2026-13", err: "month 13 does not exist"},
		{in: "2026-05-31..2026-01-01", err: "ends before it starts"},
		{in: "2026-02-30..2026-03-01", err: "not a valid date range"},
		{in: "bcnam-2026", named: custom, err: `unknown period "bcnam-2026"`},
		{in: "H1-2026", err: `unknown period "H1-2026"`},
	} {
		p, err := report.ParsePeriod(c.in, c.named)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: got %v, want error %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || p.From.Format("2006-01-02") != c.from || p.To.Format("2006-01-02") != c.to {
			t.Errorf("%s: got %v..%v %v, want %s..%s", c.in, p.From, p.To, err, c.from, c.to)
		}
	}
}

func TestBaseline(t *testing.T) {
	for _, c := range []struct{ in, from, to string }{
		{"2024-02", "2023-02-01", "2023-02-28"},
		{"2024-02-29..2024-02-29", "2023-02-28", "2023-02-28"},
		{"2025-02", "2024-02-01", "2024-02-29"},
		{"nd09-6t-2026", "2024-12-15", "2025-06-14"},
		{"2026-H1", "2025-01-01", "2025-06-30"},
	} {
		p, err := report.ParsePeriod(c.in, nil)
		if err != nil {
			t.Fatal(err)
		}
		f, to := p.Baseline()
		if f.Format("2006-01-02") != c.from || to.Format("2006-01-02") != c.to {
			t.Errorf("%s: baseline %v..%v, want %s..%s", c.in, f, to, c.from, c.to)
		}
	}
}

func TestEstimateSpan(t *testing.T) {
	for _, c := range []struct {
		in, today, end string
		elapsed, full  int
		ok             bool
	}{
		{"bc6t-2026", "2026-11-26", "2026-06-30", 151, 181, true},
		{"bcnam-2026", "2026-12-02", "2026-12-31", 334, 365, true},
		{"2026-H1", "2026-11-26", "2026-06-30", 0, 0, false},
		{"2026", "2026-11-26", "2026-12-31", 329, 365, true},
		{"nd09-6t-2026", "2026-11-26", "2026-06-14", 0, 0, false},
		{"2026-05", "2026-05-01", "2026-05-31", 0, 0, false},
	} {
		p, _ := report.ParsePeriod(c.in, nil)
		end, el, full, ok := p.EstimateSpan(d(c.today))
		if ok != c.ok || (ok && (end.Format("2006-01-02") != c.end || el != c.elapsed || full != c.full)) {
			t.Errorf("%s on %s: got %v %d/%d %v, want %s %d/%d %v", c.in, c.today, end, el, full, ok, c.end, c.elapsed, c.full, c.ok)
		}
	}
}

func fixture(t *testing.T) *warehouse.Store {
	t.Helper()
	st := warehousetest.New(t)
	for _, f := range []string{"../warehouse/testdata/kpi/org.sql", "../warehouse/testdata/kpi/rollup-2026h1/facts.sql"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if _, err := st.DB.Exec(`INSERT INTO sync_runs (connector, started_at, finished_at, status) VALUES
		('qlvb-archive', '2026-07-01 08:00+07', '2026-07-01 08:05+07', 'ok'),
		('dvc', '2026-07-01 09:00+07', '2026-07-01 09:01+07', 'failed')`); err != nil {
		t.Fatal(err)
	}
	return st
}

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, vntime.Location)

// TestReportGolden renders every format of two periods and compares them
// with testdata/ (go test ./report -update rewrites them).
func TestReportGolden(t *testing.T) {
	ctx := context.Background()
	st := fixture(t)
	for _, c := range []struct{ period, format, file string }{
		{"2026-H1", "json", "2026-H1.json"},
		{"bc6t-2026", "json", "bc6t-2026.json"},
		{"2026-H1", "table", "2026-H1.txt"},
		{"2026-H1", "csv", "2026-H1.csv"},
		{"2026-H1", "md", "2026-H1.md"},
	} {
		var buf bytes.Buffer
		if err := report.Run(ctx, st, report.Options{Period: c.period, Unit: "000.25.31.H99", Format: c.format, Now: now}, &buf); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", c.file)
		if *update {
			os.WriteFile(golden, buf.Bytes(), 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s %s differs from %s:\n%s", c.period, c.format, golden, buf.String())
		}
	}
}

// TestReportJSONContract checks the contracts.md §5 shape and the numbers
// that matter: baseline span and value, estimate of bc6t.
func TestReportJSONContract(t *testing.T) {
	st := fixture(t)
	var buf bytes.Buffer
	if err := report.Run(context.Background(), st, report.Options{Period: "bc6t-2026", Unit: "000.25.31.H99", Format: "json", Now: now}, &buf); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Period     struct{ ID, From, To string }
		Unit       struct{ Code, Name string }
		Indicators []map[string]any
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Period.ID != "bc6t-2026" || out.Period.From != "2026-01-01" || out.Period.To != "2026-05-31" || out.Unit.Name != "UBND xã Yên Định" {
		t.Errorf("header: %+v %+v", out.Period, out.Unit)
	}
	if len(out.Indicators) != 18 || out.Indicators[0]["id"] != "doc_reduction" || out.Indicators[9]["id"] != "commune_wide_conferences" {
		t.Fatalf("indicators: %d, first %v", len(out.Indicators), out.Indicators[0]["id"])
	}
	keys := []string{"id", "label", "numerator", "denominator", "missing", "value", "unit", "op", "target", "met", "baseline", "estimate"}
	for _, k := range keys {
		if _, ok := out.Indicators[0][k]; !ok {
			t.Errorf("indicator has no %q", k)
		}
	}
	byID := map[string]map[string]any{}
	for _, i := range out.Indicators {
		byID[i["id"].(string)] = i
	}
	// documents issued 1 Jan – 31 May: d1..d7 = 7; estimate to 30 June by
	// last year's profile: 2025 had 4 to 31 May (p1..p4) and 4 + 6 = 10 to
	// 30 June, so 7 × 10 / 4.
	di := byID["documents_issued"]
	if di["value"] != 7.0 || di["estimate"] != 7.0*10/4 {
		t.Errorf("documents_issued: value %v estimate %v", di["value"], di["estimate"])
	}
	b := byID["doc_reduction"]["baseline"].(map[string]any)
	if b["from"] != "2025-01-01" || b["to"] != "2025-05-31" {
		t.Errorf("baseline span %v", b)
	}
	// A share: numerator and denominator each carried. Online 3 of 4 to
	// 31 May; 2025 had no online meeting, so the numerator goes linear
	// (3 × 181 / 151); meetings 2025: 4 to 31 May (b1..b4), 5 to 30 June
	// (b5), so 4 × 5 / 4 = 5.
	want := math.Round(100*(3*181.0/151)/5*100) / 100
	if e := byID["meeting_online_share"]; e["value"] != 75.0 || e["estimate"] != want {
		t.Errorf("meeting_online_share: value %v estimate %v, want %v", e["value"], e["estimate"], want)
	}
	for _, k := range []string{"projection", "status", "needed"} {
		if _, ok := byID["doc_reduction"][k]; !ok {
			t.Errorf("indicator has no %q", k)
		}
	}
}

func TestReportErrors(t *testing.T) {
	st := fixture(t)
	for _, c := range []struct {
		opts report.Options
		want string
	}{
		{report.Options{Period: "2026-H3", Unit: "000.25.31.H99"}, `unknown period "2026-H3"`},
		{report.Options{Period: "2026", Unit: "999.99.99.H99"}, `unknown unit "999.99.99.H99"`},
		{report.Options{Period: "2026", Unit: "000.25.31.H99", Format: "pdf"}, `unknown format "pdf"`},
	} {
		err := report.Run(context.Background(), st, c.opts, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.opts, err, c.want)
		}
	}
}

func TestExplainPages(t *testing.T) {
	st := fixture(t)
	var buf bytes.Buffer
	err := report.Explain(context.Background(), st, report.ExplainOptions{Indicator: "dossier_on_time_share", Period: "2026-H1", Unit: "000.25.31.H99", Format: "json", PageSize: 4, Page: 2}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Page, Pages int
		Total       int64
		Records     []warehouse.ExplainRecord
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	// 9 dossiers received: 4 on time, 3 late, s5 no deadline, s9 refused.
	if out.Total != 9 || out.Pages != 3 || out.Page != 2 || len(out.Records) != 4 {
		t.Fatalf("page: %+v", out)
	}
	if out.Records[0].Role != "denominator" || out.Records[0].Key != "s2" {
		t.Errorf("first record of page 2: %s %s", out.Records[0].Role, out.Records[0].Key)
	}
	buf.Reset()
	if err := report.Explain(context.Background(), st, report.ExplainOptions{Indicator: "dossier_on_time_share", Period: "2026-H1", Unit: "000.25.31.H99"}, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "[thiếu số liệu] không có hạn trả") || !strings.Contains(buf.String(), "hồ sơ bị từ chối hoặc rút") {
		t.Errorf("table:\n%s", buf.String())
	}
	if err := report.Explain(context.Background(), st, report.ExplainOptions{Indicator: "nope", Period: "2026", Unit: "000.25.31.H99"}, &buf); err == nil {
		t.Error("unknown indicator accepted")
	}
}

// TestReportXLSX writes the workbook, reads it back, and when LibreOffice
// is installed converts it to PDF (CHISO_KEEP_PDF=DIR keeps the PDF and a
// PNG of its first page to look at).
func TestReportXLSX(t *testing.T) {
	st := fixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "bao-cao.xlsx")
	err := report.WriteFile(path, func(w io.Writer) error {
		return report.Run(context.Background(), st, report.Options{Period: "bc6t-2026", Unit: "000.25.31.H99", Format: "xlsx", Now: now}, w)
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, "|") != "Chỉ tiêu|Văn bản theo loại|Theo đơn vị" {
		t.Errorf("sheets %v", got)
	}
	rows, _ := f.GetRows("Chỉ tiêu")
	var found bool
	for _, r := range rows {
		if len(r) > 9 && r[1] == "Tỷ lệ cuộc họp trực tuyến, không giấy" {
			found = true
			if r[5] != "75.00%" || r[8] != "3 / 4" || r[9] != "Đạt" {
				t.Errorf("meeting_online_share row: %q", r)
			}
		}
	}
	if !found {
		t.Error("no meeting_online_share row")
	}
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("LibreOffice not installed: PDF conversion not checked")
	}
	out := os.Getenv("CHISO_KEEP_PDF")
	if out == "" {
		out = dir
	}
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "lo"), "--convert-to", "pdf", "--outdir", out, path)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, b)
	}
	pdf := filepath.Join(out, "bao-cao.pdf")
	if fi, err := os.Stat(pdf); err != nil || fi.Size() < 1000 {
		t.Fatalf("no PDF: %v", err)
	}
	if pp, err := exec.LookPath("pdftoppm"); err == nil && os.Getenv("CHISO_KEEP_PDF") != "" {
		exec.Command(pp, "-png", "-r", "70", pdf, filepath.Join(out, "bao-cao")).Run()
	}
}
