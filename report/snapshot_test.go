package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

const selfUnit = "000.25.31.H99"

func freeze(t *testing.T, st *warehouse.Store, at time.Time) *warehouse.Snapshot {
	t.Helper()
	snap, err := report.Freeze(context.Background(), st, report.FreezeOptions{
		Options: report.Options{Period: "2026-H1", Unit: selfUnit, Now: at},
		Note:    "báo cáo 6 tháng", By: "can-bo-test", ConfigSHA256: strings.Repeat("ab", 32)})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// renderAll renders snapshot id in every format.
func renderAll(t *testing.T, st *warehouse.Store, id string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range report.Formats {
		var b bytes.Buffer
		if err := report.RunSnapshot(context.Background(), st, id, f, &b); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = b.Bytes()
	}
	return out
}

// lateFacts changes the facts after a freeze, each through a sync run of
// its own connector: a late register row (an outgoing paper document of
// March), a dossier finished since, and a cancelled meeting.
func lateFacts(t *testing.T, st *warehouse.Store) {
	t.Helper()
	ctx := context.Background()
	write := func(connector string, f func(r *warehouse.Run) error) {
		run, err := st.StartRun(ctx, connector)
		if err != nil {
			t.Fatal(err)
		}
		if err := f(run); err != nil {
			t.Fatal(err)
		}
		if err := run.Finish(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	day := func(s string) *time.Time { x := d(s); return &x }
	at := func(s string) *time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", s, vntime.Location)
		if err != nil {
			t.Fatal(err)
		}
		return &x
	}
	write("so-van-ban-di", func(r *warehouse.Run) error {
		return r.UpsertDocument(ctx, facts.Document{UnitCode: selfUnit, Direction: "out", DocKey: "late-register-row",
			CodeNumber: "41", CodeNotation: "BC-UBND", Family: "hanh_chinh", DocType: "bao_cao", Medium: "paper",
			IssuedOn: day("2026-03-15"), EventOn: day("2026-03-15"), CounterpartRelation: "higher", Series: "regular"},
			facts.Sighting{Source: "so-van-ban-di", SourceKey: "so-di-2026.xlsx#Sheet1!42", Medium: "paper"})
	})
	online, ten := "online", 10
	write("dvc", func(r *warehouse.Run) error {
		return r.UpsertDossier(ctx, facts.Dossier{UnitCode: "001.25.31.H99", MaHoSo: "s4", MaTTHC: "1.001", Channel: &online,
			Status: &ten, ReceivedAt: at("2026-03-02 09:00"), DueAt: at("2026-03-09 17:00"), FinishedAt: at("2026-03-06 10:00"),
			InputDigitized: true, ResultElectronic: true, Source: "dvc"}, nil,
			facts.DossierSighting{Source: "dvc", SourceKey: "s4"})
	})
	write("cal", func(r *warehouse.Run) error {
		m := facts.Meeting{UnitCode: selfUnit, Source: "cal", UID: "m1", Title: "Giao ban", Kind: "giao-ban", Scope: "toan-xa",
			OrganizedBySelf: true, StartsAt: *at("2026-01-15 08:00"), EndsAt: *at("2026-01-15 11:00"), Sessions: 1, Online: true,
			MaterialsSentAt: at("2026-01-13 08:00"), TotalMinutes: 180, Cancelled: true}
		mins := 150
		m.DiscussionMinutes = &mins
		return r.UpsertMeeting(ctx, m)
	})
}

var changedKeys = []string{"cal:m1", "late-register-row", "s4"}

func diffKeys(d *report.Diff) []string {
	seen := map[string]bool{}
	for _, ind := range d.Indicators {
		for _, c := range ind.Changes {
			seen[c.Key] = true
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A snapshot keeps the figures it froze, byte for byte in every format,
// while the live report moves; the diff names exactly the records that
// changed and the runs that changed them; the chain verifies until a row is
// tampered with.
func TestSnapshotFreezeDiffVerify(t *testing.T) {
	ctx := context.Background()
	st := fixture(t)
	first := freeze(t, st, now)
	if len(first.ID) != 64 || first.PrevID != nil || first.Seq != 1 || len(first.Rows) == 0 || len(first.Records) == 0 {
		t.Fatalf("snapshot %s: prev %v seq %d, %d rows, %d records", first.ID, first.PrevID, first.Seq, len(first.Rows), len(first.Records))
	}
	before := renderAll(t, st, first.ID)
	if !bytes.Contains(before["table"], []byte("Số liệu chốt ngày 26/11/2026, mã "+first.ID)) {
		t.Errorf("table title block without the snapshot line:\n%s", before["table"])
	}
	// The snapshot renders what the live report printed at freeze time,
	// with the one line that names the snapshot added: no field is lost.
	for _, f := range []string{"table", "csv", "md", "json"} {
		var live bytes.Buffer
		if err := report.Run(ctx, st, report.Options{Period: "2026-H1", Unit: selfUnit, Format: f, Now: now}, &live); err != nil {
			t.Fatal(err)
		}
		if got, want := withoutSnapshotLine(t, f, before[f]), withoutSnapshotLine(t, f, live.Bytes()); got != want {
			t.Errorf("%s: the snapshot renders\n%s\nlive printed\n%s", f, got, want)
		}
	}
	liveBefore, err := report.Build(ctx, st, report.Options{Period: "2026-H1", Unit: selfUnit, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	lateFacts(t, st)

	after := renderAll(t, st, first.ID)
	for _, f := range report.Formats {
		if !bytes.Equal(before[f], after[f]) {
			t.Errorf("%s of the snapshot changed after the facts did", f)
		}
	}
	liveAfter, err := report.Build(ctx, st, report.Options{Period: "2026-H1", Unit: selfUnit, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for i, row := range liveAfter.Rows {
		old := liveBefore.Rows[i]
		if row.Numerator != old.Numerator || fmtPtr(row.Denominator) != fmtPtr(old.Denominator) {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("the live report did not change: the test changes nothing")
	}
	var frozenJSON struct {
		Indicators []struct {
			ID        string `json:"id"`
			Numerator int64  `json:"numerator"`
		} `json:"indicators"`
		Snapshot struct{ ID string } `json:"snapshot"`
	}
	if err := json.Unmarshal(after["json"], &frozenJSON); err != nil {
		t.Fatal(err)
	}
	for i, ind := range frozenJSON.Indicators {
		if ind.Numerator != liveBefore.Rows[i].Numerator {
			t.Errorf("%s: snapshot numerator %d, frozen live %d", ind.ID, ind.Numerator, liveBefore.Rows[i].Numerator)
		}
	}
	if frozenJSON.Snapshot.ID != first.ID {
		t.Errorf("json snapshot id %q", frozenJSON.Snapshot.ID)
	}

	diff, err := report.BuildDiff(ctx, st, report.DiffOptions{ID: first.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := diffKeys(diff); !slices.Equal(got, changedKeys) {
		t.Errorf("diff against live names %q, want %q", got, changedKeys)
	}
	connectors := map[string]string{"cal:m1": "cal", "late-register-row": "so-van-ban-di", "s4": "dvc"}
	for _, ind := range diff.Indicators {
		for _, c := range ind.Changes {
			if len(c.Runs) == 0 || c.Runs[0].Connector != connectors[c.Key] {
				t.Errorf("%s %s: runs %+v, want a run of %s", ind.Indicator, c.Key, c.Runs, connectors[c.Key])
			}
			if c.Key == "cal:m1" && (len(c.Left) == 0 || len(c.Entered) != 0) {
				t.Errorf("%s: the cancelled meeting: entered %v left %v", ind.Indicator, c.Entered, c.Left)
			}
		}
	}
	var text bytes.Buffer
	if err := diff.WriteTable(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"late-register-row", "so-van-ban-di lần chạy #", "cal:m1", "ra khỏi tử số", "vào tử số"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("diff table lacks %q:\n%s", want, text.String())
		}
	}

	second := freeze(t, st, now.Add(time.Hour))
	if second.PrevID == nil || *second.PrevID != first.ID || second.Seq != 2 {
		t.Fatalf("second snapshot: prev %v seq %d, want %s 2", second.PrevID, second.Seq, first.ID)
	}
	d2, err := report.BuildDiff(ctx, st, report.DiffOptions{ID: first.ID, Against: second.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := diffKeys(d2); !slices.Equal(got, changedKeys) {
		t.Errorf("diff between the snapshots names %q, want %q", got, changedKeys)
	}
	if d3, err := report.BuildDiff(ctx, st, report.DiffOptions{ID: second.ID}); err != nil || len(diffKeys(d3)) != 0 {
		t.Errorf("the second snapshot against live: %q %v, want no change", diffKeys(d3), err)
	}

	for _, id := range []string{first.ID, second.ID} {
		if res, ok, err := report.Verify(ctx, st, id); err != nil || !ok {
			t.Fatalf("verify %s: %+v %v", id, res, err)
		}
	}
	// The export hashes to the id (anyone can recompute it).
	var exp bytes.Buffer
	if err := report.ExportSnapshot(ctx, st, second.ID, &exp); err != nil {
		t.Fatal(err)
	}
	var e report.Export
	if err := json.Unmarshal(exp.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if h, err := e.Hash(); err != nil || h != second.ID {
		t.Errorf("export hashes to %s (%v), want %s", h, err, second.ID)
	}

	tamper(t, st, first.ID)
	if res, ok, err := report.Verify(ctx, st, first.ID); err != nil || ok || len(res) != 1 || len(res[0].Problems) == 0 {
		t.Errorf("verify of the tampered snapshot: %+v ok=%v %v", res, ok, err)
	}
	if res, ok, err := report.Verify(ctx, st, second.ID); err != nil || ok || len(res) != 2 || len(res[1].Problems) != 0 {
		t.Errorf("verify of the chain after a tampered first link: %+v ok=%v %v", res, ok, err)
	}
}

func fmtPtr(p *int64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// tamper alters a frozen row as only a superuser can: with the triggers
// off for the session.
func tamper(t *testing.T, st *warehouse.Store, id string) {
	t.Helper()
	ctx := context.Background()
	conn, err := st.DB.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		`SET session_replication_role = replica`,
		`UPDATE snapshot_rows SET row = jsonb_set(row, '{row,Numerator}', to_jsonb((row->'row'->>'Numerator')::int + 1)) WHERE snapshot_id = '` + id + `' AND ord = 1`,
		`RESET session_replication_role`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// Nobody changes or removes a snapshot: not the owner role chiso connects
// as (a trigger), not chiso_reader (no privilege).
func TestSnapshotImmutable(t *testing.T) {
	ctx := context.Background()
	dsn := warehousetest.NewDatabase(t)
	st, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, f := range []string{"../warehouse/testdata/kpi/org.sql", "../warehouse/testdata/kpi/rollup-2026h1/facts.sql"} {
		mustExecFile(t, st.DB, f)
	}
	snap := freeze(t, st, now)
	reader, err := sqlx.Open("postgres", warehousetest.ReaderDSN(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var n int
	if err := reader.Get(&n, `SELECT count(*) FROM snapshot_records WHERE snapshot_id = $1`, snap.ID); err != nil || n != len(snap.Records) {
		t.Fatalf("reader reads %d records (%v), want %d", n, err, len(snap.Records))
	}
	for _, c := range []struct {
		who  string
		db   *sqlx.DB
		q    string
		want string
	}{
		{"owner", st.DB, `UPDATE snapshots SET note = 'sửa' WHERE id = $1`, "snapshots are immutable: UPDATE on snapshots refused"},
		{"owner", st.DB, `DELETE FROM snapshots WHERE id = $1`, "snapshots are immutable: DELETE on snapshots refused"},
		{"owner", st.DB, `UPDATE snapshot_rows SET row = '{}' WHERE snapshot_id = $1`, "immutable: UPDATE on snapshot_rows"},
		{"owner", st.DB, `DELETE FROM snapshot_records WHERE snapshot_id = $1`, "immutable: DELETE on snapshot_records"},
		{"owner", st.DB, `TRUNCATE snapshot_records, snapshot_rows, snapshots -- $1`, "immutable: TRUNCATE"},
		{"reader", reader, `UPDATE snapshots SET note = 'sửa' WHERE id = $1`, "permission denied"},
		{"reader", reader, `DELETE FROM snapshot_rows WHERE snapshot_id = $1`, "permission denied"},
		{"reader", reader, `DELETE FROM snapshots WHERE id = $1`, "permission denied"},
	} {
		var err error
		if strings.Contains(c.q, "$1") && !strings.HasPrefix(c.q, "TRUNCATE") {
			_, err = c.db.ExecContext(ctx, c.q, snap.ID)
		} else {
			_, err = c.db.ExecContext(ctx, strings.TrimSuffix(c.q, " -- $1"))
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %s: got %v, want %q", c.who, c.q, err, c.want)
		}
	}
	if res, ok, err := report.Verify(ctx, st, snap.ID); err != nil || !ok {
		t.Errorf("verify after the refused changes: %+v %v", res, err)
	}
}

func mustExecFile(t *testing.T, db *sqlx.DB, f string) {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(b)); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
}

// withoutSnapshotLine drops the "Số liệu chốt ngày" line (the "snapshot"
// member of JSON) from a rendering.
func withoutSnapshotLine(t *testing.T, format string, b []byte) string {
	t.Helper()
	if format == "json" {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "snapshot")
		out, _ := json.Marshal(m)
		return string(out)
	}
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, "Số liệu chốt ngày ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
