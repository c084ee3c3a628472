package ical

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/meetings/meetingssim"
	"chiso/adapters/vntime"
	"chiso/mapping/orgdir"
	"chiso/sync/connector"
	"chiso/sync/secret"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

func testEnv() connector.Env {
	org := orgdir.New([]orgdir.Unit{
		{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Parent: "000.00.00.H99", Relation: "self"},
		{Code: "001.25.31.H99", Name: "Văn phòng HĐND và UBND xã", Parent: "000.25.31.H99", Relation: "internal"},
		{Code: "000.00.00.H99", Name: "UBND tỉnh Bắc Ninh", Relation: "higher"},
	})
	return connector.Env{Name: "lich-hop", BaseDir: "testdata", Self: "000.25.31.H99", Org: org, Location: vntime.Location}
}

// syncOnce runs one sync the way the runner does and returns the run id.
func syncOnce(t *testing.T, st *warehouse.Store, c *Connector) (int64, error) {
	t.Helper()
	ctx := context.Background()
	run, err := st.StartRun(ctx, "lich-hop")
	if err != nil {
		t.Fatal(err)
	}
	return run.RunID(), run.Finish(ctx, c.Sync(ctx, run))
}

type row struct {
	UID        string    `db:"uid"`
	StartsAt   time.Time `db:"starts_at"`
	Title      string    `db:"title"`
	Cancelled  bool      `db:"cancelled"`
	FirstSeen  int64     `db:"first_seen_run"`
	DeletedRun *int64    `db:"deleted_run"`
	Kind       *string   `db:"kind"`
	Online     bool      `db:"online"`
}

func meetings(t *testing.T, st *warehouse.Store) map[string]row {
	t.Helper()
	var rows []row
	if err := st.DB.Select(&rows, `SELECT uid, starts_at, title, cancelled, first_seen_run, deleted_run, kind, online FROM meetings WHERE source = 'lich-hop'`); err != nil {
		t.Fatal(err)
	}
	out := map[string]row{}
	for _, r := range rows {
		out[r.UID] = r
	}
	return out
}

func newFileConnector(t *testing.T, path string, future time.Duration) *Connector {
	t.Helper()
	c := New()
	c.Path = path
	c.Window.Future = connector.Span(future)
	c.now = func() time.Time { return time.Date(2025, 4, 15, 10, 0, 0, 0, vntime.Location) }
	if err := c.Validate(testEnv()); err != nil {
		t.Fatal(err)
	}
	return c
}

// A meeting moved or cancelled after a sync is updated, not duplicated; a
// meeting gone from the feed (within the window) is marked deleted with the
// run that noticed it, and restored when it comes back; an event that cannot
// be read goes to rejects and its earlier meeting is left alone.
func TestSyncAcrossFeedVersions(t *testing.T) {
	st := warehousetest.New(t)
	day := 24 * time.Hour
	run1, err := syncOnce(t, st, newFileConnector(t, "v1.ics", 120*day))
	if err != nil {
		t.Fatal(err)
	}
	m1 := meetings(t, st)
	if len(m1) != 9 {
		t.Fatalf("after v1: %d meetings, want 9: %v", len(m1), keys(m1))
	}
	if _, ok := m1["w@x#20250414T003000Z"]; !ok {
		t.Fatalf("weekly occurrence key missing: %v", keys(m1))
	}

	run2, err := syncOnce(t, st, newFileConnector(t, "v2.ics", 30*day))
	if err != nil {
		t.Fatal(err)
	}
	m2 := meetings(t, st)
	if len(m2) != 10 {
		t.Fatalf("after v2: %d meetings, want 10 (9 + e@x, nothing duplicated): %v", len(m2), keys(m2))
	}
	a := m2["a@x"]
	if got := a.StartsAt.In(vntime.Location).Format("15:04"); got != "14:00" || a.FirstSeen != run1 || a.DeletedRun != nil {
		t.Errorf("a@x moved: starts %s first_seen %d deleted %v; want 14:00, %d, nil", got, a.FirstSeen, a.DeletedRun, run1)
	}
	if !m2["b@x"].Cancelled || !m2["w@x#20250421T003000Z"].Cancelled {
		t.Errorf("b@x and the 21 April giao-ban should be cancelled: %+v %+v", m2["b@x"], m2["w@x#20250421T003000Z"])
	}
	for _, uid := range []string{"c@x", "w@x#20250428T003000Z"} {
		if d := m2[uid].DeletedRun; d == nil || *d != run2 {
			t.Errorf("%s: deleted_run %v, want %d", uid, d, run2)
		}
	}
	for _, uid := range []string{"a@x", "b@x", "d@x", "far@x", "e@x", "w@x#20250407T003000Z"} {
		if d := m2[uid].DeletedRun; d != nil {
			t.Errorf("%s: marked deleted by run %d; want it kept (present, rejected, or outside the window)", uid, *d)
		}
	}
	var rejects []struct {
		Key    string `db:"source_key"`
		Reason string `db:"reason"`
		Raw    []byte `db:"raw"`
		Run    int64  `db:"run_id"`
	}
	if err := st.DB.Select(&rejects, `SELECT source_key, reason, raw, run_id FROM rejects WHERE connector = 'lich-hop' ORDER BY source_key`); err != nil {
		t.Fatal(err)
	}
	if len(rejects) != 2 {
		t.Fatalf("rejects: %+v, want 2", rejects)
	}
	if r := rejects[0]; !strings.HasSuffix(r.Key, "v2.ics#d@x") || !strings.Contains(r.Reason, "v2.ics: line") ||
		!strings.Contains(r.Reason, `DTSTART: "22/04/2025 08:00" is not a date-time`) || !strings.HasPrefix(string(r.Raw), "BEGIN:VEVENT") || r.Run != run2 {
		t.Errorf("reject of d@x: %+v", r)
	}
	if r := rejects[1]; !strings.Contains(r.Key, "v2.ics#line30#") || !strings.Contains(r.Reason, "UID: missing") {
		t.Errorf("reject of the event without UID: key %s reason %s", r.Key, r.Reason)
	}
	var status string
	var rejected int
	st.DB.QueryRow(`SELECT status, rejected FROM sync_runs WHERE id = $1`, run2).Scan(&status, &rejected)
	if status != "partial" || rejected != 2 {
		t.Errorf("run %d: status %s rejected %d, want partial 2", run2, status, rejected)
	}

	run3, err := syncOnce(t, st, newFileConnector(t, "v1.ics", 120*day))
	if err != nil {
		t.Fatal(err)
	}
	m3 := meetings(t, st)
	for _, uid := range []string{"c@x", "w@x#20250428T003000Z"} {
		if m3[uid].DeletedRun != nil {
			t.Errorf("%s back in the feed: still marked deleted by %d", uid, *m3[uid].DeletedRun)
		}
	}
	if d := m3["e@x"].DeletedRun; d == nil || *d != run3 {
		t.Errorf("e@x gone again: deleted_run %v, want %d", d, run3)
	}
	if m3["b@x"].Cancelled {
		t.Error("b@x un-cancelled in v1: still cancelled")
	}
}

func keys(m map[string]row) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A malformed feed fails the run with a clear error and leaves the earlier
// facts and the checkpoint untouched.
func TestSyncMalformedFeedKeepsFacts(t *testing.T) {
	st := warehousetest.New(t)
	if _, err := syncOnce(t, st, newFileConnector(t, "v1.ics", 120*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	before := meetings(t, st)
	var cp1 string
	st.DB.Get(&cp1, `SELECT checkpoint FROM sync_state WHERE connector = 'lich-hop'`)

	run, err := syncOnce(t, st, newFileConnector(t, "truncated.ics", 120*24*time.Hour))
	if err == nil || !strings.Contains(err.Error(), "truncated.ics: ical: the feed ends before END:VEVENT (BEGIN:VEVENT at line 4 is not closed") {
		t.Fatalf("error %v: want the file and the unclosed VEVENT named", err)
	}
	after := meetings(t, st)
	if len(after) != len(before) {
		t.Fatalf("meetings %d → %d", len(before), len(after))
	}
	for uid, r := range after {
		if r.DeletedRun != nil || !r.StartsAt.Equal(before[uid].StartsAt) {
			t.Errorf("%s changed by a failed run: %+v", uid, r)
		}
	}
	var cp2, status, msg string
	st.DB.Get(&cp2, `SELECT checkpoint FROM sync_state WHERE connector = 'lich-hop'`)
	st.DB.QueryRow(`SELECT status, error FROM sync_runs WHERE id = $1`, run).Scan(&status, &msg)
	if cp2 != cp1 || status != "failed" || !strings.Contains(msg, "truncated.ics") {
		t.Errorf("checkpoint moved %v, run status %s error %q", cp2 != cp1, status, msg)
	}
}

// Over real HTTP against meetingssim: the first run loads the window, a
// second run the same day gets a 304 and writes nothing but the run record,
// the next day's first run reads the feed in full, a changed feed is applied.
func TestSyncETagAgainstSimulator(t *testing.T) {
	st := warehousetest.New(t)
	sim := meetingssim.New(meetingssim.Options{Seed: 5, Username: "vp", Password: "pw"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, vntime.Location)
	c := New()
	c.URL = srv.URL + "/ical/000.25.31.H99.ics"
	c.Username, c.Password = secret.New("vp"), secret.New("pw")
	c.now = func() time.Time { return now }
	if err := c.Validate(testEnv()); err != nil {
		t.Fatal(err)
	}
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}

	if _, err := syncOnce(t, st, c); err != nil {
		t.Fatal(err)
	}
	// The first sync reads the feed's whole history: the rows are exactly
	// the generated occurrences starting before the window's end.
	read, _ := c.ranges(true)
	to := read.to
	want := 0
	for _, cal := range meetingssim.Generate(meetingssim.Options{Seed: 5}) {
		if cal.Unit != "000.25.31.H99" {
			continue
		}
		for _, m := range cal.Occurrences {
			if m.Start.Before(to) {
				want++
			}
		}
	}
	var n int
	var lastUpdate time.Time
	st.DB.QueryRow(`SELECT count(*), max(updated_at) FROM meetings`).Scan(&n, &lastUpdate)
	if n != want || n == 0 {
		t.Fatalf("meetings %d, want %d (generated before %s)", n, want, to.Format("2006-01-02"))
	}

	run2, err := syncOnce(t, st, c)
	if err != nil {
		t.Fatal(err)
	}
	if sim.Hits(http.StatusNotModified) != 1 {
		t.Fatalf("second run: %d answers 304, want 1", sim.Hits(http.StatusNotModified))
	}
	var fetched, upserted int
	var status string
	st.DB.QueryRow(`SELECT status, fetched, upserted FROM sync_runs WHERE id = $1`, run2).Scan(&status, &fetched, &upserted)
	var n2 int
	var lastUpdate2 time.Time
	st.DB.QueryRow(`SELECT count(*), max(updated_at) FROM meetings`).Scan(&n2, &lastUpdate2)
	if status != "ok" || fetched != 0 || upserted != 0 || n2 != n || !lastUpdate2.Equal(lastUpdate) {
		t.Errorf("304 run: status %s fetched %d upserted %d, meetings %d→%d, updated %v", status, fetched, upserted, n, n2, !lastUpdate2.Equal(lastUpdate))
	}

	now = now.Add(24 * time.Hour) // next day: read in full, the window moved
	ok200 := sim.Hits(http.StatusOK)
	if _, err := syncOnce(t, st, c); err != nil {
		t.Fatal(err)
	}
	if sim.Hits(http.StatusOK) != ok200+1 {
		t.Errorf("first run of a new day did not read the feed in full")
	}

	// The office cancels a meeting and deletes another: applied on the next run.
	cal := meetingssim.Generate(meetingssim.Options{Seed: 5})[0]
	var single meetingssim.Meeting
	for _, m := range cal.Singles {
		if m.Start.After(now) && !m.Cancelled && !m.Attend {
			single = m
			break
		}
	}
	if single.UID == "" {
		t.Fatal("no future single meeting in the generated calendar")
	}
	for i := range cal.Singles {
		if cal.Singles[i].UID == single.UID {
			cal.Singles = append(cal.Singles[:i], cal.Singles[i+1:]...)
			break
		}
	}
	sim.SetFeed("000.25.31.H99", cal.ICS())
	run4, err := syncOnce(t, st, c)
	if err != nil {
		t.Fatal(err)
	}
	var deleted int64
	if err := st.DB.Get(&deleted, `SELECT deleted_run FROM meetings WHERE uid = $1`, single.UID); err != nil || deleted != run4 {
		t.Errorf("%s removed from the feed: deleted_run %d (%v), want %d", single.UID, deleted, err, run4)
	}
}

func TestValidate(t *testing.T) {
	t.Setenv("ICAL_PW", "pw")
	pw, _ := secret.Resolve("${ICAL_PW}")
	cases := []struct {
		name string
		edit func(*Connector)
		want string // "" = valid
	}{
		{"url", func(c *Connector) { c.URL = "https://lich.example.vn/a.ics" }, ""},
		{"webcal", func(c *Connector) { c.URL = "webcal://lich.example.vn/a.ics" }, ""},
		{"path", func(c *Connector) { c.Path = "v1.ics" }, ""},
		{"neither", func(c *Connector) {}, "url: set url"},
		{"both", func(c *Connector) { c.URL, c.Path = "https://x/a.ics", "v1.ics" }, "path: set either url or path"},
		{"bad scheme", func(c *Connector) { c.URL = "ftp://x/a.ics" }, "url: \"ftp://x/a.ics\": the scheme must be http or https"},
		{"password without user", func(c *Connector) { c.URL = "https://x/a.ics"; c.Password = pw }, "username: required with password"},
		{"auth on a file", func(c *Connector) { c.Path = "v1.ics"; c.Username, c.Password = secret.New("u"), pw }, "username: username/password apply to url only"},
		{"foreign unit", func(c *Connector) { c.Path = "v1.ics"; c.Unit = "000.00.00.H99" }, "unit: \"000.00.00.H99\" is not 000.25.31.H99"},
		{"internal unit", func(c *Connector) { c.Path = "v1.ics"; c.Unit = "001.25.31.H99" }, ""},
		{"empty window", func(c *Connector) { c.Path = "v1.ics"; c.Window = Window{} }, "window: past and future cannot both be 0"},
		{"bad tls", func(c *Connector) { c.URL = "https://x/a.ics"; c.TLS.CAFile = "/nonexistent/ca.pem" }, "tls: tls.ca_file"},
	}
	for _, tc := range cases {
		c := New()
		tc.edit(c)
		err := c.Validate(testEnv())
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
		var fe *connector.FieldError
		if err != nil && !errors.As(err, &fe) {
			t.Errorf("%s: %T is not a *connector.FieldError", tc.name, err)
		}
	}
}

func TestParseSpan(t *testing.T) {
	for in, want := range map[string]time.Duration{"400d": 400 * 24 * time.Hour, "8w": 56 * 24 * time.Hour, "36h": 36 * time.Hour, "0d": 0} {
		if got, err := connector.ParseSpan(in); err != nil || got != want {
			t.Errorf("%s: got %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-3d", "abc", "1.5d"} {
		if _, err := connector.ParseSpan(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

// meetingsHeld is the meetings_held indicator of the commune for [from, to].
func meetingsHeld(t *testing.T, st *warehouse.Store, from, to time.Time) int64 {
	t.Helper()
	rows, err := st.KPIBetween(context.Background(), from, to, "000.25.31.H99")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Indicator == "meetings_held" {
			return r.Numerator
		}
	}
	t.Fatal("no meetings_held row")
	return 0
}

// The calendar's past does not depend on the day chiso is installed: a feed
// holding 2025 and 2026, first synced on 2 December 2026 and kept up the
// next day, keeps every 2025 occurrence (the baseline of 2026's meeting
// reduction), with or without the config's baseline (Env.Baseline).
func TestSyncKeepsBaselineYear(t *testing.T) {
	ctx := context.Background()
	truth := map[int]int{}
	held := map[string]int64{} // meetings_held of the commune's own calendar, by half-year
	for _, cal := range meetingssim.Generate(meetingssim.Options{Seed: 5}) {
		if cal.Unit != "000.25.31.H99" {
			continue
		}
		for _, m := range cal.Occurrences {
			truth[m.Start.In(vntime.Location).Year()]++
		}
	}
	if truth[2025] == 0 || truth[2026] == 0 {
		t.Fatalf("generated calendar lacks a year: %v", truth)
	}
	for _, tc := range []struct {
		name     string
		baseline time.Time
	}{
		{"config baseline 2025-01-01", time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location)},
		{"no config: 1 January of last year", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := warehousetest.New(t)
			env := testEnv()
			self := "000.25.31.H99"
			if err := st.SyncOrgUnits(ctx, []warehouse.OrgUnit{
				{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Relation: "self"},
				{Code: "001.25.31.H99", Name: "Văn phòng", ParentCode: &self, Relation: "internal"},
			}); err != nil {
				t.Fatal(err)
			}
			env.Baseline = tc.baseline
			sim := meetingssim.New(meetingssim.Options{Seed: 5})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			now := time.Date(2026, 12, 2, 9, 0, 0, 0, vntime.Location)
			c := New() // default window: past 400d, which alone would start on 28 Oct 2025
			c.URL = srv.URL + "/ical/000.25.31.H99.ics"
			c.now = func() time.Time { return now }
			if err := c.Validate(env); err != nil {
				t.Fatal(err)
			}
			for day := 0; day < 2; day++ { // the first sync, then the daemon's next day
				if _, err := syncOnce(t, st, c); err != nil {
					t.Fatal(err)
				}
				var perYear []struct {
					Year int `db:"year"`
					N    int `db:"n"`
				}
				if err := st.DB.Select(&perYear, `SELECT extract(year FROM starts_at AT TIME ZONE '`+vntime.Name+`')::int AS year, count(*) AS n
					FROM meetings WHERE source = 'lich-hop' AND deleted_run IS NULL GROUP BY 1 ORDER BY 1`); err != nil {
					t.Fatal(err)
				}
				got := map[int]int{}
				for _, r := range perYear {
					got[r.Year] = r.N
				}
				if got[2025] != truth[2025] || got[2026] != truth[2026] || len(got) != len(truth) {
					t.Errorf("%s: meetings per year %v, the feed holds %v", now.Format("2006-01-02"), got, truth)
				}
				now = now.Add(24 * time.Hour)
			}
			h1 := meetingsHeld(t, st, time.Date(2026, 1, 1, 0, 0, 0, 0, vntime.Location), time.Date(2026, 6, 30, 0, 0, 0, 0, vntime.Location))
			base := meetingsHeld(t, st, time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location), time.Date(2025, 6, 30, 0, 0, 0, 0, vntime.Location))
			if base == 0 || h1 == 0 {
				t.Errorf("meetings held 2026-H1 %d, baseline 2025-H1 %d: want both > 0", h1, base)
			}
			held[tc.name] = base
			t.Logf("meetings_held 2026-H1 %d, baseline 2025-H1 %d, meeting reduction %.2f %%", h1, base, 100*float64(base-h1)/float64(base))
		})
	}
	if len(held) == 2 && held["config baseline 2025-01-01"] != held["no config: 1 January of last year"] {
		t.Errorf("the baseline depends on the config: %v", held)
	}
}

// A url with user:password@ never puts the password into sync_runs.error,
// the connector's errors or the logs, whether the feed loads, is refused
// (401), missing (404), unreachable or not a valid URL.
func TestURLCredentialsRedacted(t *testing.T) {
	const pw = "Pw-9f3k!x"
	var logs strings.Builder
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(old)

	st := warehousetest.New(t)
	sim := meetingssim.New(meetingssim.Options{Seed: 5, Username: "vp", Password: pw})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	cases := []struct {
		name, url string
		fails     bool
	}{
		{"loads", "http://vp:" + pw + "@" + host + "/ical/000.25.31.H99.ics", false},
		{"401", "http://vp:" + pw + "x@" + host + "/ical/000.25.31.H99.ics", true},
		{"404", "http://vp:" + pw + "@" + host + "/ical/999.99.99.H99.ics", true},
		{"unreachable", strings.Replace(closedURL, "http://", "http://vp:"+pw+"@", 1) + "/a.ics", true},
	}
	for _, tc := range cases {
		c := New()
		c.URL = tc.url
		c.Retry.Max = 1
		c.now = func() time.Time { return time.Date(2026, 11, 26, 9, 0, 0, 0, vntime.Location) }
		if err := c.Validate(testEnv()); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := c.Check(context.Background()); (err != nil) != tc.fails || (err != nil && strings.Contains(err.Error(), pw)) {
			t.Errorf("%s: Check: %v (want failure %v, and no password)", tc.name, err, tc.fails)
		}
		run, err := syncOnce(t, st, c)
		if (err != nil) != tc.fails {
			t.Errorf("%s: sync error %v, want failure %v", tc.name, err, tc.fails)
		}
		var status string
		var msg *string
		if err := st.DB.QueryRow(`SELECT status, error FROM sync_runs WHERE id = $1`, run).Scan(&status, &msg); err != nil {
			t.Fatal(err)
		}
		if tc.fails && (msg == nil || !strings.Contains(*msg, "vp:[redacted]@")) {
			t.Errorf("%s: sync_runs.error %v: want the URL named with the password redacted", tc.name, msg)
		}
		if msg != nil && strings.Contains(*msg, pw) {
			t.Errorf("%s: sync_runs.error holds the password: %s", tc.name, *msg)
		}
	}
	// Not even a URL net/url accepts (a space in the password).
	c := New()
	c.URL = "https://vp:" + pw + " x@lich.example.vn/a.ics"
	if err := c.Validate(testEnv()); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("unparsable URL: %v (want an error without the password)", err)
	}
	if strings.Contains(logs.String(), pw) {
		t.Errorf("the logs hold the password:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "vp:[redacted]@") {
		t.Errorf("the logs never name the feed:\n%s", logs.String())
	}
}

// fileConnector syncs a feed file given by an absolute path, at now.
func fileConnector(t *testing.T, path string, now time.Time) *Connector {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	c := New()
	c.Path = abs
	c.now = func() time.Time { return now }
	if err := c.Validate(testEnv()); err != nil {
		t.Fatal(err)
	}
	return c
}

type rejectRow struct {
	Key      string  `db:"source_key"`
	Reason   string  `db:"reason"`
	Location *string `db:"location"`
	Field    *string `db:"field"`
	Hash     *string `db:"raw_sha256"`
}

func rejectsOf(t *testing.T, st *warehouse.Store) []rejectRow {
	t.Helper()
	var out []rejectRow
	if err := st.DB.Select(&out, `SELECT source_key, reason, location, field, raw_sha256 FROM rejects WHERE connector = 'lich-hop' ORDER BY source_key`); err != nil {
		t.Fatal(err)
	}
	return out
}

// Real producers' shapes through the real warehouse: an ISO-8859-1 export
// is stored as UTF-8 text (before: the run failed with pq: invalid byte
// sequence); an Outlook feed with one malformed DTSTART line keeps its other
// events and rejects that one VEVENT with its line and field (before: the
// whole feed failed); a NUL in a SUMMARY rejects that VEVENT naming it;
// hostile series cost a reject each, never the rows.
func TestSyncRealProducerShapes(t *testing.T) {
	golden := "../../../adapters/meetings/testdata/ical/"
	hostile := func(kind string, n int) string {
		p := filepath.Join(t.TempDir(), kind+".ics")
		if err := os.WriteFile(p, meetingssim.HostileFeed(kind, n), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name     string
		path     string
		now      time.Time
		meetings int
		rejects  int
		title    string // a stored title
		field    string // the field of the first reject
		location string // its location's suffix
		fail     string // the run fails with this
	}{
		{"latin1", golden + "latin1-export/feed.ics", time.Date(2017, 7, 1, 9, 0, 0, 0, vntime.Location), 3, 0, "graue Restmülltonne", "", "", ""},
		{"outlook bad DTSTART", golden + "outlook-bad-dtstart-line/feed.ics", time.Date(2020, 9, 1, 9, 0, 0, 0, vntime.Location), 1, 1, "test", "DTSTART", "feed.ics line 51", ""},
		{"NUL in SUMMARY", golden + "nul-in-summary/feed.ics", time.Date(2021, 12, 1, 9, 0, 0, 0, vntime.Location), 1, 1, "Google says this is 9PM to 10PM on 12/22/2021", "SUMMARY", "feed.ics line 19", ""},
		{"hourly ×30", hostile(meetingssim.HostileHourly, 30), time.Date(2026, 12, 2, 9, 0, 0, 0, vntime.Location), 1, 30, "Giao ban", "RRULE", "hourly.ics line 15", ""},
		{"minutely ×60", hostile(meetingssim.HostileMinutely, 60), time.Date(2026, 12, 2, 9, 0, 0, 0, vntime.Location), 1, 60, "Giao ban", "RRULE", "minutely.ics line 15", ""},
		{"25 daily series of 1000", hostile(meetingssim.HostileManySeries, 25), time.Date(2026, 12, 2, 9, 0, 0, 0, vntime.Location), 0, 0, "", "", "", "more than 20000 occurrences"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := warehousetest.New(t)
			run, err := syncOnce(t, st, fileConnector(t, tc.path, tc.now))
			if tc.fail != "" {
				if err == nil || !strings.Contains(err.Error(), tc.fail) {
					t.Fatalf("sync: %v, want %q", err, tc.fail)
				}
			} else if err != nil {
				t.Fatalf("sync: %v", err)
			}
			m := meetings(t, st)
			rj := rejectsOf(t, st)
			if len(m) != tc.meetings || len(rj) != tc.rejects {
				t.Fatalf("%d meetings, %d rejects; want %d, %d", len(m), len(rj), tc.meetings, tc.rejects)
			}
			if tc.title != "" {
				found := false
				for _, r := range m {
					found = found || r.Title == tc.title
				}
				if !found {
					t.Errorf("no meeting titled %q: %v", tc.title, m)
				}
			}
			if tc.field != "" {
				r := rj[0]
				if r.Field == nil || *r.Field != tc.field || r.Location == nil || !strings.HasSuffix(*r.Location, tc.location) || r.Hash == nil {
					t.Errorf("reject %+v: want field %s, location …%s and a hash", r, tc.field, tc.location)
				}
			}
			var rejected int
			if err := st.DB.QueryRow(`SELECT rejected FROM sync_runs WHERE id = $1`, run).Scan(&rejected); err != nil || rejected != tc.rejects {
				t.Errorf("run counts %d rejects (%v), want %d", rejected, err, tc.rejects)
			}
			// Reading the same feed again converges on the same rows.
			if tc.fail == "" {
				if _, err := syncOnce(t, st, fileConnector(t, tc.path, tc.now.Add(24*time.Hour))); err != nil {
					t.Fatal(err)
				}
				if m2, rj2 := meetings(t, st), rejectsOf(t, st); len(m2) != len(m) || len(rj2) != len(rj) {
					t.Errorf("second read: %d meetings, %d rejects; want %d, %d", len(m2), len(rj2), len(m), len(rj))
				}
			}
		})
	}
}

// What a sync reads and reconciles: from the baseline year (or further
// back with a longer window.past), the whole history on a first sync and
// a backfill, which reconciles only its own days.
func TestRanges(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, vntime.Location) }
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, vntime.Location)
	cases := []struct {
		name               string
		past               time.Duration
		baseline           time.Time
		first              bool
		backfill           *connector.Window
		readFrom, readTo   time.Time
		reconFrom, reconTo time.Time
	}{
		{"baseline year", 400 * 24 * time.Hour, d(2025, 1, 1), false, nil, d(2025, 1, 1), d(2027, 2, 1), d(2025, 1, 1), d(2027, 2, 1)},
		{"nd09 baseline", 400 * 24 * time.Hour, d(2024, 1, 1), false, nil, d(2024, 1, 1), d(2027, 2, 1), d(2024, 1, 1), d(2027, 2, 1)},
		{"no config: last year", 400 * 24 * time.Hour, time.Time{}, false, nil, d(2025, 1, 1), d(2027, 2, 1), d(2025, 1, 1), d(2027, 2, 1)},
		{"past reads more", 1000 * 24 * time.Hour, d(2025, 1, 1), false, nil, d(2024, 3, 7), d(2027, 2, 1), d(2024, 3, 7), d(2027, 2, 1)},
		{"first sync", 400 * 24 * time.Hour, d(2025, 1, 1), true, nil, time.Time{}, d(2027, 2, 1), time.Time{}, d(2027, 2, 1)},
		{"backfill", 400 * 24 * time.Hour, d(2025, 1, 1), false, &connector.Window{From: d(2025, 3, 1), To: d(2025, 3, 31)}, time.Time{}, d(2027, 2, 1), d(2025, 3, 1), d(2025, 4, 1)},
	}
	for _, tc := range cases {
		c := New()
		c.Path = "v1.ics"
		c.Window.Past = connector.Span(tc.past)
		c.now = func() time.Time { return now }
		env := testEnv()
		env.Baseline = tc.baseline
		if err := c.Validate(env); err != nil {
			t.Fatal(err)
		}
		env.Window = tc.backfill
		c.SetEnv(env)
		c.now = func() time.Time { return now }
		read, recon := c.ranges(tc.first)
		if !read.from.Equal(tc.readFrom) || !read.to.Equal(tc.readTo) || !recon.from.Equal(tc.reconFrom) || !recon.to.Equal(tc.reconTo) {
			t.Errorf("%s: read %s..%s reconcile %s..%s; want %s..%s and %s..%s", tc.name,
				day(read.from), day(read.to), day(recon.from), day(recon.to), day(tc.readFrom), day(tc.readTo), day(tc.reconFrom), day(tc.reconTo))
		}
	}
}
