package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/meetings/meetingssim"
	"chiso/adapters/register/registergen"
	"chiso/adapters/vntime"
	"chiso/report"
	chisosync "chiso/sync"
	"chiso/sync/config"
	"chiso/sync/connector"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

const installSelf = "000.25.31.H99"

// installSources are the commune's sources as they stand at any instant of
// 2025–2026: the QLVB archive, the outgoing and incoming registers, the
// meeting calendar and the portal's dossier export.
type installSources struct {
	corpus   []edxmlgen.DocSpec
	sentAt   map[string]time.Time // archive file (docId) → when its package was written
	calendar *meetingssim.Calendar
	dossiers []*dvcsim.Generated
}

func newInstallSources() installSources {
	s := installSources{sentAt: map[string]time.Time{}}
	for _, y := range []int{2025, 2026} {
		s.corpus = append(s.corpus, edxmlgen.Corpus(33, installSelf, y, edxmlgen.WithScale(0.02))...)
		s.dossiers = append(s.dossiers, dvcsim.Generate(33, installSelf, y, 300))
	}
	n := 0
	for i, d := range s.corpus {
		if d.Direction == "in" && d.Medium == "electronic" && !d.Secret {
			// Every third incoming package carries the trace of its arrival.
			if n++; n%3 == 0 {
				s.corpus[i].ArrivedAt = d.IssuedAt.Add(2 * time.Hour)
			}
		}
		s.sentAt[d.DocID] = d.IssuedAt
		if d.Revoked {
			s.sentAt[d.RevokeDocID] = d.RevokedAt
		}
		for _, st := range d.Statuses {
			s.sentAt[st.DocID] = st.At
		}
	}
	s.calendar = meetingssim.Generate(meetingssim.Options{Seed: 33, Years: []int{2025, 2026}})[0]
	return s
}

// write lays the sources out under dir as they stand at `at`: the archive
// files of the packages sent by then (new files only: the archive is never
// rewritten; each file's mtime is mtime, or the time it was written when
// mtime is zero), the registers' rows dated by then, the calendar's
// meetings scheduled by then (up to 60 days ahead) and the dossier export
// of every month over by then.
func (s installSources) write(t *testing.T, dir string, at, mtime time.Time) {
	t.Helper()
	stage := filepath.Join(dir, "stage")
	if _, err := os.Stat(stage); os.IsNotExist(err) {
		if _, err := edxmlgen.WriteArchive(stage, s.corpus, edxmlgen.WriteOptions{MaxAttachment: 64}); err != nil {
			t.Fatal(err)
		}
	}
	archive := filepath.Join(dir, "archive")
	err := filepath.Walk(stage, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		sent, ok := s.sentAt[strings.TrimSuffix(info.Name(), ".edxml")]
		if !ok {
			return fmt.Errorf("archive file %s of no package", p)
		}
		rel, _ := filepath.Rel(stage, p)
		dst := filepath.Join(archive, rel)
		if sent.After(at) {
			return nil
		}
		if _, err := os.Stat(dst); err == nil {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		m := mtime
		if m.IsZero() {
			m = at
		}
		return os.Chtimes(dst, m, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []registergen.Kind{registergen.Out, registergen.In} {
		for _, year := range []int{2025, 2026} {
			var rows []edxmlgen.DocSpec
			for _, d := range registergen.Select(s.corpus, installSelf, k) {
				on := d.IssuedOn
				if k.Direction == "in" {
					on = d.ReceivedOn
				}
				if on.Year() == year && !on.After(at) {
					rows = append(rows, d)
				}
			}
			if len(rows) == 0 {
				continue
			}
			path := filepath.Join(dir, k.Folder(), fmt.Sprintf("%d.csv", year))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := registergen.WriteFile(path, installSelf, year, k, rows, registergen.Options{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	cal := *s.calendar
	cal.Singles = nil
	day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, vntime.Location)
	for _, m := range s.calendar.Singles {
		if m.Start.Before(day.AddDate(0, 0, 61)) {
			cal.Singles = append(cal.Singles, m)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "lich.ics"), cal.ICS(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "dossiers"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, g := range s.dossiers {
		byMonth := map[string][]json.RawMessage{}
		for i := range g.Len() {
			u := g.Updated(i).In(vntime.Location)
			end := time.Date(u.Year(), u.Month()+1, 1, 0, 0, 0, 0, vntime.Location)
			if end.After(at) {
				continue
			}
			k := u.Format("2006-01")
			byMonth[k] = append(byMonth[k], g.Record(i))
		}
		for k, recs := range byMonth {
			path := filepath.Join(dir, "dossiers", k+".json")
			if _, err := os.Stat(path); err == nil {
				continue
			}
			b, err := json.Marshal(recs)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

const installConfig = `org:
  self: "000.25.31.H99"
  directory: org-directory.example.yaml
targets: targets-2026.yaml
connectors:
  - {name: qlvb-archive, type: edxml-dir, path: archive}
  - {name: so-di, type: register-file, path: so-di, direction: out}
  - {name: so-den, type: register-file, path: so-den, direction: in}
  - {name: lich-hop, type: ical, path: lich.ics}
  - {name: ho-so, type: dvc-dir, path: dossiers}
`

// installation is one chiso install: its folder, config and warehouse,
// and the clock its runs read.
type installation struct {
	dir string
	cfg *config.Config
	st  *warehouse.Store
	now time.Time
}

func newInstallation(t *testing.T, s installSources, first, mtime time.Time) *installation {
	t.Helper()
	in := &installation{dir: t.TempDir(), now: first}
	for _, f := range []string{"org-directory.example.yaml", "targets-2026.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../configs", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in.dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(in.dir, "chiso.yaml"), []byte(installConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	s.write(t, in.dir, first, mtime)
	cfg, err := config.Load(filepath.Join(in.dir, "chiso.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	in.cfg = cfg
	clock := func() time.Time { return in.now }
	for i := range cfg.Jobs {
		cfg.Jobs[i].Env.Now = clock
		if es, ok := cfg.Jobs[i].Conn.(connector.EnvSetter); ok {
			es.SetEnv(cfg.Jobs[i].Env)
		}
	}
	st, err := warehouse.Open(context.Background(), warehousetest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.Now = clock
	if err := prepareWarehouse(context.Background(), st, cfg); err != nil {
		t.Fatal(err)
	}
	in.st = st
	return in
}

// syncAll runs every connector once at the installation's clock, as a
// daemon tick would.
func (in *installation) syncAll(t *testing.T, r *chisosync.Runner) {
	t.Helper()
	for i := range in.cfg.Jobs {
		job := in.cfg.Jobs[i]
		res, err := r.Run(context.Background(), in.st, job, chisosync.RunOptions{Tick: in.now})
		if err != nil || res.Status != "ok" {
			t.Fatalf("%s at %s: %s %v", job.Name, in.now.Format(time.RFC3339), res.Status, err)
		}
	}
}

func (in *installation) report(t *testing.T, period string, at time.Time) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.Run(context.Background(), in.st, report.Options{Period: period, Unit: installSelf, Format: "csv", Now: at}, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The install-day principle (issue 12): the same sources synced "today"
// from a copied archive (every file's mtime the time of the copy) and
// synced by an installation made a year earlier and kept up by the
// daemon's runs every month give byte-identical reports for every past
// period.
func TestInstallDayDoesNotChangeReports(t *testing.T) {
	if testing.Short() {
		t.Skip("a year of syncs")
	}
	s := newInstallSources()
	today := time.Date(2026, 12, 1, 8, 0, 0, 0, vntime.Location)
	copyTime := time.Date(2026, 11, 30, 22, 15, 0, 0, vntime.Location)
	runner := chisosync.NewRunner(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))

	fresh := newInstallation(t, s, today, copyTime)
	fresh.syncAll(t, runner)

	early := newInstallation(t, s, today.AddDate(-1, 0, 0), time.Time{})
	for at := early.now; !at.After(today); at = at.AddDate(0, 1, 0) {
		early.now = at
		s.write(t, early.dir, at, time.Time{})
		early.syncAll(t, runner)
	}

	for _, period := range []string{"2025", "2025-H1", "bcnam-2026"} {
		a, b := fresh.report(t, period, today.Add(time.Hour)), early.report(t, period, today.Add(time.Hour))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the report of an install of today differs from a year-old install's:\n%s", period, lineDiff(string(a), string(b)))
		}
		for _, want := range []string{"Tỷ lệ văn bản trao đổi với cấp trên", "Giảm số cuộc họp", "Tỷ lệ hồ sơ TTHC xử lý trực tuyến toàn trình"} {
			if !strings.Contains(string(a), want) {
				t.Errorf("%s: report lacks %q", period, want)
			}
		}
	}
	// The sources hold something of every kind for the periods compared.
	for _, q := range []string{
		`SELECT count(*) FROM documents WHERE direction = 'in' AND event_on BETWEEN '2025-01-01' AND '2025-06-30'`,
		`SELECT count(*) FROM documents WHERE received_by = 'trace'`,
		`SELECT count(*) FROM meetings WHERE starts_at >= '2025-01-01' AND starts_at < '2025-07-01'`,
		`SELECT count(*) FROM dossiers WHERE received_at >= '2025-01-01' AND received_at < '2025-07-01'`,
	} {
		var n int
		if err := fresh.st.DB.Get(&n, q); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("no rows: %s", q)
		}
	}
}

// lineDiff shows the lines of a that b lacks and the other way round.
func lineDiff(a, b string) string {
	inB := map[string]bool{}
	for _, l := range strings.Split(b, "\n") {
		inB[l] = true
	}
	inA := map[string]bool{}
	var out []string
	for _, l := range strings.Split(a, "\n") {
		inA[l] = true
		if !inB[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !inA[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
