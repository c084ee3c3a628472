package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/meetings/meetingssim"
	"chiso/adapters/vntime"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"

	"github.com/lib/pq"
)

// The communes of the shared-warehouse tests: three communes of province
// H99 whose generated directories do not overlap but for the province's
// agencies (higher), which all three list.
var testCommunes = []string{"000.25.31.H99", "000.25.32.H99", "000.25.33.H99"}

// communeConfig is a commune's chiso.yaml: the archive connector of the
// same name in every commune, run once a year (so `chiso run` catches its
// tick up at start and no other tick falls during the test). %[1]s is the
// environment variable holding the warehouse DSN, %[2]s the listen
// address, %[3]s org.self; extra connectors follow.
const communeConfig = `warehouse: {dsn: "${%[1]s}"}
http: {listen: %[2]q}
org: {self: %[3]q, directory: org.yaml}
targets: targets-2026.yaml
connectors:
  - {name: qlvb-archive, type: edxml-dir, schedule: "30 3 1 1 *", path: qlvb}
  - {name: ho-so, type: dvc-dir, schedule: "30 3 1 1 *", path: hoso}
  - {name: lich-hop, type: meetings-file, schedule: "30 3 1 1 *", path: "lich/%[3]s.csv"}
%[4]s`

// writeCommune writes the folder of commune: its org directory (the
// generator's, plus extra lines), the targets, its archive (two years of
// generated packages; a bad file when bad) and two configs, one on the
// shared warehouse and one on a warehouse of its own.
func writeCommune(t *testing.T, dir, commune string, seed int64, bad bool, extraUnits, extraConnectors string) (sharedCfg, ownCfg string) {
	t.Helper()
	var org strings.Builder
	org.WriteString("units:\n")
	for _, o := range edxmlgen.Directory(commune) {
		parent := ""
		if o.Relation == edxmlgen.RelInternal {
			parent = fmt.Sprintf(", parent: %q", commune)
		}
		fmt.Fprintf(&org, "  - {code: %q, name: %q, relation: %s%s}\n", o.Code, o.Name, o.Relation, parent)
	}
	org.WriteString(extraUnits)
	targets, err := os.ReadFile("../../configs/targets-2026.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string][]byte{"org.yaml": []byte(org.String()), "targets-2026.yaml": targets})
	for _, year := range []int{2025, 2026} {
		if _, err := edxmlgen.WriteArchive(filepath.Join(dir, "qlvb"), edxmlgen.Corpus(seed, commune, year, edxmlgen.WithScale(0.04)),
			edxmlgen.WriteOptions{MaxAttachment: 1 << 10}); err != nil {
			t.Fatal(err)
		}
	}
	// The dossiers of the portal's export and the meetings file of the
	// commune's calendar.
	g := dvcsim.Generate(seed, commune, 2026, 24)
	recs := make([][]byte, 0, g.Len())
	for i := 0; i < g.Len(); i++ {
		recs = append(recs, g.Record(i))
	}
	writeFiles(t, filepath.Join(dir, "hoso"), map[string][]byte{"2026.json": append(append([]byte("["), bytes.Join(recs, []byte(","))...), ']')})
	var units []string
	for _, o := range edxmlgen.Directory(commune) {
		if o.Relation == edxmlgen.RelInternal {
			units = append(units, o.Code)
		}
	}
	if _, err := meetingssim.WriteFiles(filepath.Join(dir, "lich"), meetingssim.Options{Seed: uint64(seed), Self: commune, Units: units}); err != nil {
		t.Fatal(err)
	}
	if bad {
		writeFiles(t, filepath.Join(dir, "qlvb", "2026"), map[string][]byte{"hong.edxml": []byte("<edXMLEnvelope>not a package")})
	}
	n := strings.ReplaceAll(commune, ".", "_")
	for _, c := range []struct{ file, env string }{{"shared.yaml", "CHISO_SHARED_DSN"}, {"own.yaml", "CHISO_OWN_DSN_" + n}} {
		body := fmt.Sprintf(communeConfig, c.env, "127.0.0.1:"+freePort(t), commune, extraConnectors)
		if err := os.WriteFile(filepath.Join(dir, c.file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "shared.yaml"), filepath.Join(dir, "own.yaml")
}

// TestCommunesShareOneWarehouse is issue 17's first Done-when line: three
// commune daemons (`chiso run`, each with its own config, the same
// connector name qlvb-archive over each commune's own generated archive)
// write at the same time into one PostgreSQL. Their checkpoints, runs,
// locks and rejects stay apart (each equal to what the commune gets from
// a warehouse of its own), each commune's `report --format csv` is byte
// for byte the one of its own warehouse, and a connector of commune 3
// pointed at a unit of commune 1 has its facts rejected, the reason naming
// the unit and the commune, and changes nothing of commune 1.
func TestCommunesShareOneWarehouse(t *testing.T) {
	if testing.Short() {
		t.Skip("three daemons on a real warehouse")
	}
	ctx := context.Background()
	root := t.TempDir()
	for _, d := range []string{root, filepath.Dir(root)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sharedDSN := warehousetest.NewDatabase(t)
	t.Setenv("CHISO_SHARED_DSN", sharedDSN)
	type commune struct {
		code, dir, shared, own, ownDSN string
	}
	var cs []commune
	for i, code := range testCommunes {
		dir := filepath.Join(root, fmt.Sprintf("xa%d", i+1))
		shared, own := writeCommune(t, dir, code, int64(40+i), i == 1, "", "")
		ownDSN := warehousetest.NewDatabase(t)
		t.Setenv("CHISO_OWN_DSN_"+strings.ReplaceAll(code, ".", "_"), ownDSN)
		cs = append(cs, commune{code, dir, shared, own, ownDSN})
	}
	st, err := warehouse.Open(ctx, sharedDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// Three daemons at once on the shared warehouse.
	dctx, stop := context.WithCancel(ctx)
	done := make(chan int, len(cs))
	logs := make([]*syncBuffer, len(cs))
	for i, c := range cs {
		logs[i] = &syncBuffer{}
		go func(cfg string, out *syncBuffer) {
			done <- dispatch(dctx, []string{"-c", cfg, "run"}, &syncBuffer{}, out)
		}(c.shared, logs[i])
	}
	all := &syncBuffer{}
	waitFor(t, "the first run of each connector in each of the three communes", all, func() bool {
		var n int
		err := st.DB.Get(&n, `SELECT count(DISTINCT (commune, connector)) FROM sync_runs WHERE finished_at IS NOT NULL`)
		return err == nil && n == 9
	})
	stop()
	for i := range cs {
		if code := <-done; code != 0 {
			t.Errorf("a chiso run exited %d", code)
		}
		_ = i
	}
	if t.Failed() {
		for i := range logs {
			t.Logf("daemon %d:\n%s", i+1, tail(logs[i].String(), 3000))
		}
		t.FailNow()
	}

	// Each commune alone in a warehouse of its own.
	for _, c := range cs {
		var out, errb bytes.Buffer
		if code := dispatch(ctx, []string{"-c", c.own, "sync"}, &out, &errb); code != 0 {
			t.Fatalf("own sync of %s: exit %d\n%s\n%s", c.code, code, out.String(), tail(errb.String(), 3000))
		}
	}

	// Checkpoints, runs and rejects of each commune equal those of its own
	// warehouse, and no row of them has another commune's name.
	for _, c := range cs {
		own, err := warehouse.Open(ctx, c.ownDSN)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct{ what, sql string }{
			{"checkpoints", `SELECT connector || ' ' || stream || '=' || checkpoint FROM sync_state WHERE commune = $1 AND stream <> 'schedule:tick' ORDER BY 1`},
			{"runs", `SELECT connector || ' ' || status || ' fetched=' || fetched || ' upserted=' || upserted || ' rejected=' || rejected FROM sync_runs WHERE commune = $1 ORDER BY 1`},
			{"rejects", `SELECT connector || ' ' || source_key || ': ' || reason FROM rejects WHERE commune = $1 ORDER BY 1`},
			{"own org units", `SELECT code || ' ' || relation || ' ' || COALESCE(parent_code, '-') FROM org_units WHERE written_by = $1 AND relation IN ('self', 'internal') ORDER BY 1`},
		} {
			var got, want []string
			if err := st.DB.Select(&got, q.sql, c.code); err != nil {
				t.Fatal(err)
			}
			if err := own.DB.Select(&want, q.sql, c.code); err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 && q.what != "rejects" {
				t.Errorf("%s: no %s in its own warehouse: the test proves nothing", c.code, q.what)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: %s in the shared warehouse differ from its own warehouse's:\n got %q\nwant %q", c.code, q.what, got, want)
			}
		}
		var n int
		if err := own.DB.Get(&n, `SELECT count(*) FROM sync_runs WHERE commune <> $1`, c.code); err != nil || n != 0 {
			t.Errorf("%s: own warehouse has %d runs of another commune (%v)", c.code, n, err)
		}
		// The rejects of commune 2's bad file are commune 2's only.
		var rej int
		if err := st.DB.Get(&rej, `SELECT count(*) FROM rejects WHERE commune = $1 AND source_key LIKE '%hong.edxml%'`, c.code); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[c.code == cs[1].code]; rej != want {
			t.Errorf("%s: %d rejects of commune 2's bad file, want %d", c.code, rej, want)
		}
		own.Close()
	}
	var runs int
	if err := st.DB.Get(&runs, `SELECT count(*) FROM sync_runs WHERE connector = 'qlvb-archive'`); err != nil || runs != 3 {
		t.Errorf("%d runs of qlvb-archive in the shared warehouse, want 3 (one per commune): %v", runs, err)
	}
	for _, tbl := range []string{"documents", "dossiers", "meetings"} {
		var n int
		if err := st.DB.Get(&n, `SELECT count(DISTINCT c.root) FROM `+tbl+` f JOIN kpi_unit_closure c ON c.member = f.unit_code AND c.root = ANY($1)`, pq.Array(testCommunes)); err != nil || n != 3 {
			t.Errorf("%s of %d communes in the shared warehouse, want 3 (%v)", tbl, n, err)
		}
	}

	// Locks: one per (commune, connector).
	locks := make([]*warehouse.ConnectorLock, 0, len(cs))
	for _, c := range cs {
		s, err := warehouse.Open(ctx, sharedDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.SetCommune(c.code, []string{c.code})
		l, err := s.TryConnectorLock(ctx, "qlvb-archive")
		if err != nil || l == nil {
			t.Fatalf("%s: lock of qlvb-archive not taken while other communes hold theirs (%v)", c.code, err)
		}
		locks = append(locks, l)
	}
	again, err := warehouse.Open(ctx, sharedDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	again.SetCommune(cs[0].code, []string{cs[0].code})
	if l, err := again.TryConnectorLock(ctx, "qlvb-archive"); err != nil || l != nil {
		t.Errorf("a second daemon of %s took qlvb-archive's lock while the first held it (%v)", cs[0].code, err)
	}
	for _, l := range locks {
		if err := l.Release(); err != nil {
			t.Error(err)
		}
	}

	// Reports: byte-identical CSV per commune.
	reports := func() [][2]string {
		var out [][2]string
		for _, c := range cs {
			out = append(out, [2]string{communeReport(t, c.shared), communeReport(t, c.own)})
		}
		return out
	}
	fixRunTimes(t, sharedDSN)
	for _, c := range cs {
		fixRunTimes(t, c.ownDSN)
	}
	before := reports()
	for i, c := range cs {
		if before[i][0] != before[i][1] {
			t.Errorf("%s: report csv from the shared warehouse differs from its own warehouse's:\n--- shared\n%s\n--- own\n%s", c.code, before[i][0], before[i][1])
		}
		if !strings.Contains(before[i][0], c.code) {
			t.Errorf("%s: report does not name the commune:\n%s", c.code, before[i][0])
		}
	}

	checkTreeReader(t, st, sharedDSN, cs[0].shared, cs[0].code, []string{cs[1].code, cs[2].code})

	// Commune 3's directory claims a unit of commune 1 and a connector is
	// pointed at it: its facts are rejected, commune 1 is unchanged.
	claimed := "001.25.31.H99"
	c3 := cs[2]
	dir3b := filepath.Join(root, "xa3-nham")
	bad3, _ := writeCommune(t, dir3b, c3.code, 42, false,
		fmt.Sprintf("  - {code: %q, name: \"Văn phòng (nhầm)\", parent: %q, relation: internal}\n", claimed, c3.code),
		"  - {name: qlvb-xa-ben, type: edxml-dir, schedule: \"30 3 1 1 *\", path: ben, unit: \""+claimed+"\"}\n")
	if _, err := edxmlgen.WriteArchive(filepath.Join(dir3b, "ben"), edxmlgen.Corpus(40, cs[0].code, 2026, edxmlgen.WithScale(0.05)),
		edxmlgen.WriteOptions{MaxAttachment: 1 << 10}); err != nil {
		t.Fatal(err)
	}
	var docs1 int
	if err := st.DB.Get(&docs1, `SELECT count(*) FROM documents WHERE unit_code IN (SELECT kpi_unit_members($1))`, cs[0].code); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := dispatch(ctx, []string{"-c", bad3, "sync", "--connector", "qlvb-xa-ben"}, &out, &errb)
	t.Logf("sync qlvb-xa-ben: exit %d\n%s\n%s", code, out.String(), tail(errb.String(), 2000))
	var reasons []string
	if err := st.DB.Select(&reasons, `SELECT DISTINCT reason FROM rejects WHERE commune = $1 AND connector = 'qlvb-xa-ben'`, c3.code); err != nil {
		t.Fatal(err)
	}
	if len(reasons) == 0 {
		t.Errorf("no reject of qlvb-xa-ben, pointed at %s of commune %s", claimed, cs[0].code)
	}
	for _, r := range reasons {
		if !strings.Contains(r, c3.code) || !strings.Contains(r, "unit ") {
			t.Errorf("reject reason %q does not name the unit and the commune %s", r, c3.code)
		}
	}
	var docsAfter, byBad int
	if err := st.DB.Get(&docsAfter, `SELECT count(*) FROM documents WHERE unit_code IN (SELECT kpi_unit_members($1))`, cs[0].code); err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Get(&byBad, `SELECT count(*) FROM document_sightings WHERE source LIKE '%qlvb-xa-ben%'`); err != nil {
		t.Fatal(err)
	}
	if docsAfter != docs1 || byBad != 0 {
		t.Errorf("commune 3's stray connector changed commune 1's documents: %d → %d, %d sightings of it", docs1, docsAfter, byBad)
	}
	var owner string
	if err := st.DB.Get(&owner, `SELECT written_by || ' ' || COALESCE(parent_code, '') FROM org_units WHERE code = $1`, claimed); err != nil {
		t.Fatal(err)
	}
	if owner != cs[0].code+" "+cs[0].code {
		t.Errorf("org unit %s is now %q; want it still commune 1's (%s, under it)", claimed, owner, cs[0].code)
	}
	fixRunTimes(t, sharedDSN)
	if after := communeReport(t, cs[0].shared); after != before[0][0] {
		t.Errorf("commune 1's report changed after commune 3's stray connector:\n%s\n--- before\n%s", after, before[0][0])
	}
}

// communeReport is `chiso report --period bcnam-2026 --format csv` with
// cfg; the title's "Thời điểm lập" is the minute it runs in, so a report
// is compared only with one made in the same minute (reportsSameMinute).
func communeReport(t *testing.T, cfg string) string {
	t.Helper()
	for {
		m := time.Now().Truncate(time.Minute)
		var out, errb bytes.Buffer
		if code := dispatch(context.Background(), []string{"-c", cfg, "report", "--period", "bcnam-2026", "--format", "csv"}, &out, &errb); code != 0 {
			t.Fatalf("report %s: exit %d: %s", cfg, code, errb.String())
		}
		if time.Now().Truncate(time.Minute).Equal(m) {
			// Normalise only the minute the report was made in.
			return strings.Replace(out.String(), m.In(vntime.Location).Format("15:04 02/01/2006"), "HH:MM", 1)
		}
	}
}

// fixRunTimes sets every run of the warehouse at dsn to one instant: the
// reports name each source's last successful sync to the minute, and the
// shared and own warehouses synced at different times.
func fixRunTimes(t *testing.T, dsn string) {
	t.Helper()
	s, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB.Exec(`UPDATE sync_runs SET started_at = '2026-11-30 08:00+07', finished_at = '2026-11-30 08:05+07'`); err != nil {
		t.Fatal(err)
	}
}

// sharedRelations are the tables and views of the warehouse that hold no
// row of a commune: reference data every commune reads alike, and the
// bookkeeping of migrations. A relation that is neither here nor has a
// column naming a unit or a commune fails the row-level security test, so
// a new table or view cannot be forgotten: classify it here or give it a
// unit_code (and so a policy).
var sharedRelations = map[string]string{
	"goose_db_version":   "migration bookkeeping",
	"kpi_sql_applied":    "checksums of the kpi files applied",
	"kpi_indicators":     "the indicators (labels, units)",
	"kpi_meeting_caps":   "duration caps of meeting kinds (Quy chế)",
	"kpi_report_periods": "the named report periods the communes agree on (written_by is who defined one)",
	"procedures":         "the procedure catalogue (thủ tục hành chính), public",
	"coverage_settings":  "the coverage judgement's threshold and significance (one row)",
}

// unitColumns are the columns that say which unit or commune a row of a
// table or view is about.
var unitColumns = []string{"unit_code", "commune", "root", "member", "child", "parent", "reporter"}

// checkTreeReader is issue 17's row-level security line: `chiso reader
// grant --unit A` makes a role that gets no row of the other communes from
// any table or view of the catalogue (enumerated, so a new one is covered
// or fails here), every row of its own, and from the kpi functions
// nothing of another commune; chiso_reader still sees every commune.
func checkTreeReader(t *testing.T, st *warehouse.Store, sharedDSN, cfgA, a string, others []string) {
	t.Helper()
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := dispatch(ctx, []string{"-c", cfgA, "reader", "grant", "--unit", a}, &out, &errb); code != 0 {
		t.Fatalf("reader grant: exit %d: %s", code, errb.String())
	}
	pw := strings.TrimSpace(out.String())
	role := warehouse.UnitReaderRole(a)
	pc, err := pq.NewConfig(sharedDSN)
	if err != nil {
		t.Fatal(err)
	}
	c := warehousetest.Cluster(t)
	rd, err := warehouse.Open(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", c.SockDir, c.Port, role, pw, pc.Database))
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	defer rd.Close()
	all, err := warehouse.Open(ctx, warehousetest.ReaderDSN(t, sharedDSN))
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()

	members := func(codes ...string) []string {
		var out []string
		for _, code := range codes {
			var m []string
			if err := st.DB.Select(&m, `SELECT kpi_unit_members($1)`, code); err != nil {
				t.Fatal(err)
			}
			out = append(out, m...)
		}
		return out
	}
	aUnits, bUnits := members(a), members(others...)
	var rels []struct {
		Name string         `db:"relname"`
		Kind string         `db:"relkind"`
		RLS  bool           `db:"relrowsecurity"`
		Cols pq.StringArray `db:"cols"`
	}
	if err := st.DB.Select(&rels, `
		SELECT c.relname, c.relkind::text AS relkind, c.relrowsecurity, array_agg(a.attname::text ORDER BY a.attnum) AS cols
		FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
		GROUP BY c.oid ORDER BY c.relname`); err != nil {
		t.Fatal(err)
	}
	if len(rels) < 20 {
		t.Fatalf("only %d relations in the catalogue", len(rels))
	}
	// docsOf is the predicate "doc_key is a document of units $1 and of no unit of $2".
	const docsOnlyOf = `(doc_key IN (SELECT doc_key FROM documents WHERE unit_code = ANY($1)) AND doc_key NOT IN (SELECT doc_key FROM documents WHERE unit_code = ANY($2)))`
	checked := 0
	for _, r := range rels {
		var pred string
		switch r.Name {
		case "org_units":
			pred = `(relation IN ('self', 'internal') AND code = ANY($1))`
		case "document_statuses":
			pred = `((reporter = ANY($1) AND doc_key NOT IN (SELECT doc_key FROM documents WHERE unit_code = ANY($2))) OR ` + docsOnlyOf + `)`
		case "document_revocations":
			pred = docsOnlyOf
		case "snapshot_rows":
			pred = `snapshot_id IN (SELECT id FROM snapshots WHERE unit_code = ANY($1))`
		default:
			var ors []string
			for _, col := range r.Cols {
				for _, u := range unitColumns {
					if col == u {
						ors = append(ors, pq.QuoteIdentifier(col)+`::text = ANY($1)`)
					}
				}
			}
			pred = strings.Join(ors, " OR ")
		}
		if pred == "" {
			if _, ok := sharedRelations[r.Name]; !ok {
				t.Errorf("relation %s (%s) has no column naming a unit or a commune and is not listed as shared: classify it (columns %v)", r.Name, r.Kind, r.Cols)
			}
			continue
		}
		if (r.Kind == "r" || r.Kind == "p") && !r.RLS {
			t.Errorf("table %s has rows of communes but no row-level security", r.Name)
		}
		q := `SELECT count(*) FROM ` + pq.QuoteIdentifier(r.Name) + ` WHERE ` + pred
		count := func(s *warehouse.Store, mine, theirs []string) int {
			var n int
			args := []any{pq.Array(mine)}
			if strings.Contains(q, "$2") {
				args = append(args, pq.Array(theirs))
			}
			if err := s.DB.Get(&n, q, args...); err != nil {
				t.Fatalf("%s: %v", r.Name, err)
			}
			return n
		}
		theirsOwner, theirsReader, theirsAll := count(st, bUnits, aUnits), count(rd, bUnits, aUnits), count(all, bUnits, aUnits)
		mineOwner, mineReader := count(st, aUnits, bUnits), count(rd, aUnits, bUnits)
		t.Logf("%-32s other communes' rows: %6d (%s sees %d, chiso_reader %d); own rows %6d (sees %d)", r.Name, theirsOwner, role, theirsReader, theirsAll, mineOwner, mineReader)
		if theirsReader != 0 {
			t.Errorf("%s: %s sees %d rows of the other communes", r.Name, role, theirsReader)
		}
		if theirsAll != theirsOwner {
			t.Errorf("%s: chiso_reader sees %d of the %d rows of the other communes, want all", r.Name, theirsAll, theirsOwner)
		}
		if mineReader != mineOwner {
			t.Errorf("%s: %s sees %d of its own %d rows", r.Name, role, mineReader, mineOwner)
		}
		if theirsOwner > 0 {
			checked++
		}
	}
	if checked < 12 {
		t.Errorf("only %d relations held rows of the other communes: the test proves little", checked)
	}
	// Functions: none runs with its owner's rights but the one returning a
	// reader's unit codes; the kpi of another commune computed by A's
	// reader counts nothing.
	var definers []string
	if err := st.DB.Select(&definers, `SELECT proname::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND prosecdef ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(definers, ",") != "chiso_reader_units" {
		t.Errorf("SECURITY DEFINER functions %v; want only chiso_reader_units", definers)
	}
	from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, b := range others {
		rows, err := rd.KPIBetween(ctx, from, to, b)
		if err != nil {
			t.Fatal(err)
		}
		allRows, err := all.KPIBetween(ctx, from, to, b)
		if err != nil {
			t.Fatal(err)
		}
		var counted int64
		for _, r := range allRows {
			counted += r.Numerator
		}
		if counted == 0 {
			t.Errorf("kpi of %s counts nothing even for chiso_reader: the test proves nothing", b)
		}
		for _, r := range rows {
			if r.Numerator != 0 || (r.Denominator != nil && *r.Denominator != 0) || r.Missing != 0 {
				t.Errorf("%s computes kpi of %s %s: %d/%v (missing %d)", role, b, r.Indicator, r.Numerator, r.Denominator, r.Missing)
			}
		}
	}
}
