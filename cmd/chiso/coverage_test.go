package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/meetings/meetingssim"
	"chiso/adapters/register/registergen"
	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/sync"
	"chiso/sync/config"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// commune is a two-year commune fixture built with the generators the demo
// uses (edXML archive, outgoing register, meeting calendars) and loaded
// through the connectors (edxml-dir, register-file, meetings-file) into a
// real warehouse.
type commune struct {
	archive       string    // the archive folder (shared by the cases: generated once)
	until         time.Time // the sync day: nothing dated after it exists yet
	registerUntil time.Time // the outgoing register's export stops after this day (zero: until)
	emptyMonth    string    // YYYY-MM: the calendars hold no meeting of that month
	calendarLast  time.Time // zero: the calendar syncs with the rest; else it last succeeded then (with the calendars as they were)
}

const fixtureSeed = 1

// fixtureScale keeps the fixture's archive small (a quarter of the demo's).
var fixtureScale = edxmlgen.WithScale(0.25)

// writeFixtureArchive writes the commune's QLVB archive of 2025 and 2026
// up to until into dir.
func writeFixtureArchive(t *testing.T, dir string, until time.Time) {
	t.Helper()
	for _, year := range []int{2025, 2026} {
		var docs []edxmlgen.DocSpec
		for _, d := range edxmlgen.Corpus(fixtureSeed, demoUnit, year, fixtureScale) {
			if !d.IssuedOn.After(until) {
				docs = append(docs, d)
			}
		}
		if _, err := edxmlgen.WriteArchive(dir, docs, edxmlgen.WriteOptions{MaxAttachment: 256}); err != nil {
			t.Fatal(err)
		}
	}
}

func buildCommune(t *testing.T, c commune) (*warehouse.Store, *config.Config) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if c.registerUntil.IsZero() {
		c.registerUntil = c.until
	}
	for _, year := range []int{2025, 2026} {
		var register []edxmlgen.DocSpec
		for _, d := range registergen.Select(edxmlgen.Corpus(fixtureSeed, demoUnit, year, fixtureScale), demoUnit, registergen.Out) {
			if !d.IssuedOn.After(c.registerUntil) {
				register = append(register, d)
			}
		}
		if err := registergen.WriteFile(filepath.Join(dir, "so-di", fmt.Sprintf("so-di-%d.xlsx", year)), demoUnit, year, registergen.Out, register, registergen.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	calUntil := c.until
	if !c.calendarLast.IsZero() {
		calUntil = c.calendarLast
	}
	writeCalendars(t, filepath.Join(dir, "cal"), calUntil, c.emptyMonth)

	abs := func(p string) string {
		a, err := filepath.Abs(filepath.Join("../../configs", p))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	cfgPath := filepath.Join(dir, "chiso.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(`timezone: Asia/Ho_Chi_Minh
warehouse: {data_dir: ./var}
org: {self: %q, directory: %s}
targets: %s
connectors:
  - {name: qlvb-archive, type: edxml-dir, path: %s, unit: %q}
  - {name: so-van-ban-di, type: register-file, path: so-di, direction: out, unit: %q}
  - {name: lich-hop, type: meetings-file, path: cal, unit: %q}
`, demoUnit, abs("org-directory.example.yaml"), abs("targets-2026.yaml"), c.archive, demoUnit, demoUnit, demoUnit)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	st := warehousetest.New(t)
	if err := prepareWarehouse(ctx, st, cfg); err != nil {
		t.Fatal(err)
	}
	runner := sync.NewRunner(sync.NewMetrics(), slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	syncAt := c.until.AddDate(0, 0, 1).Add(8 * time.Hour)
	for _, job := range cfg.Jobs {
		at := syncAt
		if job.Name == "lich-hop" && !c.calendarLast.IsZero() {
			at = c.calendarLast.AddDate(0, 0, 1).Add(8 * time.Hour)
		}
		st.Now = func() time.Time { return at }
		if _, err := runner.Run(ctx, st, job, sync.RunOptions{}); err != nil {
			t.Fatalf("sync %s: %v", job.Name, err)
		}
	}
	st.Now = nil
	return st, cfg
}

// writeCalendars writes the generated calendars of the commune and its
// units as meetings-file CSV files, without the meetings after until or
// in emptyMonth.
func writeCalendars(t *testing.T, dir string, until time.Time, emptyMonth string) {
	t.Helper()
	gen := filepath.Join(t.TempDir(), "gen")
	paths, err := meetingssim.WriteFiles(gen, meetingssim.Options{Seed: fixtureSeed})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	last := until.Format("2006-01-02") + " 23:59"
	for _, p := range paths {
		if filepath.Ext(p) != ".csv" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		sc := bufio.NewScanner(bytes.NewReader(b))
		for first := true; sc.Scan(); first = false {
			line := sc.Text()
			if !first {
				f := strings.Split(line, ",")
				start := ""
				for _, x := range f {
					if len(x) == 16 && x[4] == '-' && x[10] == ' ' {
						start = x // bat_dau: the first date-time field
						break
					}
				}
				if start == "" || start > last || (emptyMonth != "" && strings.HasPrefix(start, emptyMonth)) {
					continue
				}
			}
			out.WriteString(line + "\n")
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func vnDay(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, vntime.Location)
	if err != nil {
		panic(err)
	}
	return t
}

type rowWant struct {
	assessment string   // Đánh giá
	complete   bool     // data_complete (documents the expectation; no gapSources means complete)
	gapSources []string // the sources the gaps name, in order
	gapMonths  []string // the months the gaps name, YYYY-MM
	note       string   // parts of Ghi chú, separated by |
}

// TestCoverageGuard: on a two-year commune, a register export that stops
// in March, an empty calendar month and a calendar that has not succeeded
// since April each make their indicators "Chưa đủ số liệu", naming the
// source and months; confirming the months gives the assessment back; a
// steady history is complete.
func TestCoverageGuard(t *testing.T) {
	if testing.Short() {
		t.Skip("two-year fixture through the connectors")
	}
	ctx := context.Background()
	until := vnDay("2026-07-14")
	now := time.Date(2026, 7, 15, 10, 0, 0, 0, vntime.Location)
	archive := filepath.Join(t.TempDir(), "qlvb")
	writeFixtureArchive(t, archive, until)
	type confirm struct{ connector, month string }
	type step struct {
		confirm []confirm // confirmed before the report
		want    map[string]rowWant
	}
	april := []string{"2026-04", "2026-05", "2026-06"}
	cases := []struct {
		name    string
		commune commune
		steps   []step
	}{
		{name: "steady two-year history", commune: commune{until: until},
			steps: []step{{want: map[string]rowWant{
				"doc_reduction":        {assessment: "Đạt", complete: true},
				"meeting_reduction":    {complete: true},
				"meeting_online_share": {complete: true},
				"documents_issued":     {complete: true},
			}}}},
		{name: "register export stops in March", commune: commune{until: until, registerUntil: vnDay("2026-03-31")},
			steps: []step{
				{want: map[string]rowWant{
					"doc_reduction":             {assessment: "Chưa đủ số liệu", gapSources: []string{"so-van-ban-di"}, gapMonths: april, note: "chưa đủ số liệu: so-van-ban-di (000.25.31.H99) tháng 04/2026 (0/"},
					"documents_issued":          {gapSources: []string{"so-van-ban-di"}, gapMonths: april},
					"electronic_exchange_share": {assessment: "Chưa đủ số liệu", gapSources: []string{"so-van-ban-di"}, gapMonths: april},
					"meeting_reduction":         {complete: true},
				}},
				{confirm: []confirm{{"so-van-ban-di", "2026-04"}, {"so-van-ban-di", "2026-05"}},
					want: map[string]rowWant{
						"doc_reduction": {assessment: "Chưa đủ số liệu", gapSources: []string{"so-van-ban-di"}, gapMonths: []string{"2026-06"}},
					}},
				{confirm: []confirm{{"so-van-ban-di", "2026-06"}},
					want: map[string]rowWant{
						"doc_reduction":    {assessment: "Đạt", complete: true, note: "đã xác nhận đủ số liệu: so-van-ban-di (000.25.31.H99) tháng 04/2026 (0/|xác nhận bởi tester: đã kiểm tra với văn thư), 05/2026"},
						"documents_issued": {complete: true},
					}},
			}},
		{name: "empty calendar month", commune: commune{until: until, emptyMonth: "2026-05"},
			steps: []step{
				{want: map[string]rowWant{
					"meeting_reduction":    {assessment: "Chưa đủ số liệu", gapSources: []string{"lich-hop"}, gapMonths: []string{"2026-05"}, note: "lich-hop (000.25.31.H99) tháng 05/2026 (0/"},
					"meeting_online_share": {assessment: "Chưa đủ số liệu", gapSources: []string{"lich-hop"}, gapMonths: []string{"2026-05"}},
					"meetings_held":        {gapSources: []string{"lich-hop"}, gapMonths: []string{"2026-05"}},
					"doc_reduction":        {assessment: "Đạt", complete: true},
				}},
				{confirm: []confirm{{"lich-hop", "2026-05"}},
					want: map[string]rowWant{
						"meeting_reduction":    {complete: true, note: "đã xác nhận đủ số liệu: lich-hop (000.25.31.H99) tháng 05/2026"},
						"meeting_online_share": {complete: true},
					}},
			}},
		{name: "calendar not succeeded since April", commune: commune{until: until, calendarLast: vnDay("2026-04-10")},
			steps: []step{{want: map[string]rowWant{
				"meeting_reduction":    {assessment: "Chưa đủ số liệu", gapSources: []string{"lich-hop"}, gapMonths: april, note: "không có lần đồng bộ thành công sau cuối tháng"},
				"meeting_online_share": {assessment: "Chưa đủ số liệu", gapSources: []string{"lich-hop"}, gapMonths: april},
				"meetings_held":        {gapSources: []string{"lich-hop"}, gapMonths: april},
				"doc_reduction":        {assessment: "Đạt", complete: true},
			}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.commune.archive = archive
			st, cfg := buildCommune(t, c.commune)
			for i, s := range c.steps {
				for _, cf := range s.confirm {
					m, _ := time.Parse("2006-01", cf.month)
					if err := st.ConfirmCoverage(ctx, cf.connector, m, "đã kiểm tra với văn thư", "tester"); err != nil {
						t.Fatal(err)
					}
				}
				r, err := report.Build(ctx, st, report.Options{Period: "2026-H1", Unit: cfg.Org.Self, Now: now})
				if err != nil {
					t.Fatal(err)
				}
				checkRows(t, fmt.Sprintf("step %d", i+1), r, s.want, c.name == "steady two-year history")
			}
		})
	}
}

// checkRows compares the report's rows with want; all: every row must be
// complete.
func checkRows(t *testing.T, step string, r *report.Report, want map[string]rowWant, all bool) {
	t.Helper()
	rows := map[string]report.Row{}
	note := len(report.Headers) - 1
	for i, h := range report.Headers {
		if h == "Ghi chú" {
			note = i
		}
	}
	for _, row := range r.Rows {
		rows[row.Indicator] = row
		if !row.DataComplete && report.Assessment(row.KPIRow) == "Đạt" {
			t.Errorf("%s: %s: Đạt with gaps %+v", step, row.Indicator, row.Gaps)
		}
		if !row.DataComplete && row.Status == report.StatusMet {
			t.Errorf("%s: %s: early warning Đạt with gaps %+v", step, row.Indicator, row.Gaps)
		}
		if all && !row.DataComplete {
			t.Errorf("%s: %s incomplete: %+v", step, row.Indicator, row.Gaps)
		}
	}
	for id, w := range want {
		row, ok := rows[id]
		if !ok {
			t.Errorf("%s: %s: no row", step, id)
			continue
		}
		if w.assessment != "" && report.Assessment(row.KPIRow) != w.assessment {
			t.Errorf("%s: %s: assessment %q, want %q (value %v, gaps %+v)", step, id, report.Assessment(row.KPIRow), w.assessment, ptrVal(row.Value), row.Gaps)
		}
		if wantComplete := w.gapSources == nil; row.DataComplete != wantComplete {
			t.Errorf("%s: %s: data_complete %v, want %v (gaps %+v)", step, id, row.DataComplete, wantComplete, row.Gaps)
		}
		if w.gapSources != nil {
			if got := gapSet(row.Gaps, func(g report.Gap) string { return g.Source }); got != strings.Join(w.gapSources, " ") {
				t.Errorf("%s: %s: gap sources %q, want %q", step, id, got, strings.Join(w.gapSources, " "))
			}
			if got := gapSet(row.Gaps, func(g report.Gap) string { return g.Month }); got != strings.Join(w.gapMonths, " ") {
				t.Errorf("%s: %s: gap months %q, want %q (%+v)", step, id, got, strings.Join(w.gapMonths, " "), row.Gaps)
			}
			if row.Met != nil {
				t.Errorf("%s: %s: met %v with gaps", step, id, *row.Met)
			}
		}
		for _, part := range strings.Split(w.note, "|") {
			if cell := row.Cells(1, ",")[note]; !strings.Contains(cell, part) {
				t.Errorf("%s: %s: Ghi chú %q lacks %q", step, id, cell, part)
			}
		}
	}
}

func gapSet(gaps []report.Gap, f func(report.Gap) string) string {
	seen := map[string]bool{}
	var out []string
	for _, g := range gaps {
		if k := f(g); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return strings.Join(out, " ")
}

func ptrVal(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
