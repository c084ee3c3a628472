package warehouse_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// oldStepsKPISQL is the kpi SQL of the versions before migration 00175,
// rebuilt from today's: steps keyed and ordered by (time, action).
func oldStepsKPISQL(t *testing.T) []warehouse.KPISQLFile {
	t.Helper()
	back := []struct {
		file, now, then string
		n               int
	}{
		{"25_classes.sql", "lead(st.at) OVER (ORDER BY st.at) AS nx", "lead(st.at) OVER (ORDER BY st.at, st.action) AS nx", 1},
		{"40_summaries.sql", "SELECT st.unit_code, st.ma_ho_so, st.at, st.status", "SELECT st.unit_code, st.ma_ho_so, st.at, st.action, st.status", 1},
		{"40_summaries.sql", "SELECT unit_code, ma_ho_so, at, status FROM", "SELECT unit_code, ma_ho_so, at, action, status FROM", 2},
		{"40_summaries.sql", "ORDER BY at) AS nx", "ORDER BY at, action) AS nx", 2},
	}
	files := warehouse.KPISQLFiles()
	for _, b := range back {
		found := false
		for i := range files {
			if files[i].Name != b.file {
				continue
			}
			found = true
			if n := strings.Count(files[i].Text, b.now); n != b.n {
				t.Fatalf("%s: %q found %d times, want %d: rebuild the old kpi SQL anew", b.file, b.now, n, b.n)
			}
			files[i].Text = strings.ReplaceAll(files[i].Text, b.now, b.then)
		}
		if !found {
			t.Fatalf("no kpi SQL file %s", b.file)
		}
	}
	return files
}

// stepTextNeedles is a made-up applicant that the officers' step texts
// name: none of it may be left after migration 00175.
var stepTextNeedles = []string{"Phạm Văn Khế", "079123456789", "0987654321"}

// TestStepsWithoutTextMigration builds a warehouse as the versions before
// migration 00175 wrote it, with the kpi SQL of then: steps keyed by
// (time, action) with the officers' texts naming an applicant, several
// steps sharing a time in every order of their texts, and the texts in the
// sightings' and the rejects' raw records. After the migration no text is
// left anywhere (the whole dump), the per-day summaries are exactly those
// of before without a rebuild (the migration's DELETE ran the triggers of
// then), and after the new kpi SQL (which rebuilds them) every indicator
// number is unchanged. The data can tell: keeping the first step of a time
// instead of the last would change the numbers.
func TestStepsWithoutTextMigration(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	kpiExec(t, st, "testdata/kpi/org.sql")
	p, err := goose.NewProvider(goose.DialectPostgres, st.DB.DB, warehouse.Migrations(), goose.WithAllowOutofOrder(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 174); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyKPISQLFiles(ctx, oldStepsKPISQL(t)); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := st.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	text := ` — đã gọi ông Phạm Văn Khế, CCCD 079123456789, SĐT 0987654321`
	// No due date, 5 working days from Monday 2 March (9 March) plus the
	// supplement pauses; finished between 9 and 15 March.
	exec(`INSERT INTO procedures (ma_tthc, name, level, requires_result, max_days) VALUES ('1.001', 'Toàn trình', 'toan_trinh', true, 5)`)
	exec(`INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, channel, status, received_at, finished_at)
		SELECT '000.25.31.H99', 'T' || i, '1.001', 'online', 10, '2026-03-02 09:00+07', '2026-03-09 09:00+07'::timestamptz + (i % 7) * interval '1 day'
		FROM generate_series(1, 120) i`)
	exec(`INSERT INTO dossier_steps (unit_code, ma_ho_so, at, status, actor, action)
		SELECT '000.25.31.H99', 'T' || i, g.at, g.status, 'Công chức - Một cửa', g.action || $1
		FROM generate_series(1, 120) i CROSS JOIN LATERAL (VALUES
		  ('2026-03-03 09:00+07'::timestamptz, 5::smallint, (ARRAY['a', 'c', 'e'])[1 + i % 3]),
		  ('2026-03-03 09:00+07', CASE WHEN i % 4 = 0 THEN NULL ELSE 2 END, (ARRAY['b', 'd'])[1 + i % 2]),
		  ('2026-03-06 09:00+07', (ARRAY[2, 5, 4])[1 + i / 3 % 3]::smallint, 'b'),
		  ('2026-03-06 09:00+07', 5, CASE WHEN i % 5 = 0 THEN NULL ELSE (ARRAY['a', 'c'])[1 + i / 9 % 2] END),
		  ('2026-03-08 09:00+07', 2, 'x')) AS g(at, status, action)
		WHERE g.action IS NOT NULL`, text)
	exec(`INSERT INTO sync_runs (id, connector, status) VALUES (1, 'dvc-tinh', 'ok')`)
	exec(`INSERT INTO dossier_sightings (source, source_key, unit_code, ma_ho_so, raw, run_id)
		SELECT 'dvc-tinh', 'k', '000.25.31.H99', 'T' || i, jsonb_build_object('MaHoSo', 'T' || i, 'TrangThaiHoSo', '10',
		  'QuaTrinhXuLy', jsonb_build_array(
		    jsonb_build_object('ThoiDiemXuLy', '20260303090000', 'TrangThai', '5', 'ChucDanh', 'Công chức', 'NoiDungXuLy', 'Yêu cầu bổ sung' || $1),
		    NULL, jsonb_build_object('TrangThai', '2'))), 1
		FROM generate_series(1, 120) i`, text)
	record := `{"MaHoSo":"T1","NgayTiepNhan":"2026-13-45","QuaTrinhXuLy":[{"ThoiDiemXuLy":"20260303090000","TrangThai":"5","NoiDungXuLy":"Gọi` + text + `"}]}`
	step := `{"MaHoSo":"T2","ThoiDiemXuLy":"20260303090000","TrangThai":"2","NoiDungXuLy":"Tiếp nhận` + text + `"}`
	register := "so-di.xlsx row 3: NoiDungXuLy is a column name here"
	notUTF8 := "\xff\xfe NoiDungXuLy"
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	exec(`INSERT INTO rejects (connector, source_key, reason, raw, raw_sha256, run_id) VALUES
		('dvc-tinh', 'MaHoSo:T1:sha256:1', 'MaHoSo T1: NgayTiepNhan: bad date', $1, $2, 1),
		('dvc-push', 'push:steps:T2', 'MaHoSo T2: ThoiDiemXuLy: bad date', $3, $4, NULL),
		('so-di', 'so-di.xlsx#3', 'r', $5, NULL, NULL),
		('dvc-export', 'x.json', 'r', $6, NULL, NULL)`, []byte(record), sum(record), []byte(step), sum(step), []byte(register), []byte(notUTF8))

	summaries := func() string {
		t.Helper()
		var s string
		if err := st.DB.GetContext(ctx, &s, `SELECT coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '') FROM kpi_day_dossiers x`); err != nil {
			t.Fatal(err)
		}
		return s
	}
	kpi := func() string {
		t.Helper()
		var rows []warehouse.KPIRow
		if err := st.DB.SelectContext(ctx, &rows, `SELECT * FROM kpi_eval(ARRAY['y', 'm'], ARRAY['2026-01-01', '2026-03-01']::date[],
			ARRAY['2026-12-31', '2026-03-31']::date[], NULL) ORDER BY period, unit_code, indicator`); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range rows {
			fmt.Fprintf(&b, "%s %s %s %s\n", r.Period, r.UnitCode, r.Indicator, kpiGot(r))
		}
		return b.String()
	}
	sumsBefore, kpiBefore := summaries(), kpi()
	if sumsBefore == "" || !strings.Contains(kpiBefore, "000.25.31.H99") {
		t.Fatal("no summaries before the migration: the test proves nothing")
	}
	// The data can tell: keeping the first step of each time would change
	// the numbers.
	tx, err := st.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM dossier_steps s USING (SELECT unit_code, ma_ho_so, at, action,
		row_number() OVER (PARTITION BY unit_code, ma_ho_so, at ORDER BY action) AS rn FROM dossier_steps) d
		WHERE d.rn > 1 AND (s.unit_code, s.ma_ho_so, s.at, s.action) = (d.unit_code, d.ma_ho_so, d.at, d.action)`); err != nil {
		t.Fatal(err)
	}
	var wrong string
	if err := tx.GetContext(ctx, &wrong, `SELECT coalesce(string_agg(x::text, E'\n' ORDER BY x::text), '') FROM kpi_day_dossiers x`); err != nil {
		t.Fatal(err)
	}
	tx.Rollback() //nolint:errcheck
	if wrong == sumsBefore {
		t.Fatal("keeping the first step of a time changes nothing: the data cannot tell a wrong migration")
	}

	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := summaries(); got != sumsBefore {
		t.Errorf("the migration changed the per-day summaries:\n%s\nwant\n%s", got, sumsBefore)
	}
	if err := st.Migrate(ctx); err != nil { // today's kpi SQL, rebuilding the summaries
		t.Fatal(err)
	}
	if got := kpi(); got != kpiBefore {
		t.Errorf("the indicators changed:\n%s\nwant\n%s", got, kpiBefore)
	}
	if got := summaries(); got != sumsBefore {
		t.Errorf("the rebuilt per-day summaries differ from before:\n%s\nwant\n%s", got, sumsBefore)
	}
	var diff []string
	if err := st.DB.SelectContext(ctx, &diff, kpiSummaryDiff); err != nil {
		t.Fatal(err)
	}
	for _, d := range diff {
		t.Error(d)
	}

	var n int
	if err := st.DB.GetContext(ctx, &n, `SELECT count(*) FROM dossier_steps`); err != nil || n != 120*3 {
		t.Errorf("%d steps left, want 360: one per dossier and time (%v)", n, err)
	}
	if err := st.DB.GetContext(ctx, &n, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'dossier_steps' AND column_name = 'action'`); err != nil || n != 0 {
		t.Errorf("dossier_steps.action still there (%v)", err)
	}
	var same bool
	if err := st.DB.GetContext(ctx, &same, `SELECT bool_and(raw = jsonb_build_object('MaHoSo', ma_ho_so, 'TrangThaiHoSo', '10', 'QuaTrinhXuLy',
		jsonb_build_array(jsonb_build_object('ThoiDiemXuLy', '20260303090000', 'TrangThai', '5', 'ChucDanh', 'Công chức'), NULL,
		jsonb_build_object('TrangThai', '2')))) FROM dossier_sightings`); err != nil || !same {
		t.Errorf("sightings not stripped to their other members (%v)", err)
	}
	for _, c := range []struct{ key, raw, hash string }{
		{"MaHoSo:T1:sha256:1", `{"MaHoSo":"T1","NgayTiepNhan":"2026-13-45","QuaTrinhXuLy":[{"ThoiDiemXuLy":"20260303090000","TrangThai":"5"}]}`, sum(record)},
		{"push:steps:T2", `{"MaHoSo":"T2","ThoiDiemXuLy":"20260303090000","TrangThai":"2"}`, sum(step)},
		{"so-di.xlsx#3", register, ""},
		{"x.json", notUTF8, ""},
	} {
		var raw []byte
		var hash *string
		if err := st.DB.QueryRowContext(ctx, `SELECT raw, raw_sha256 FROM rejects WHERE source_key = $1`, c.key).Scan(&raw, &hash); err != nil {
			t.Fatal(err)
		}
		if !sameJSONOrBytes(raw, []byte(c.raw)) || (c.hash != "") != (hash != nil) || hash != nil && *hash != c.hash {
			t.Errorf("reject %s: raw %q hash %v", c.key, raw, hash)
		}
	}
	if err := st.DB.GetContext(ctx, &n, `SELECT count(*) FROM pg_proc WHERE proname LIKE 'chiso_strip%'`); err != nil || n != 0 {
		t.Errorf("%d migration functions left (%v)", n, err)
	}
	warehousetest.AssertAbsent(t, "warehouse dump", warehousetest.DumpData(t, st), stepTextNeedles...)
}
