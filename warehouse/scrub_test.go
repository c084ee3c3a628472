package warehouse_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pressly/goose/v3"

	"chiso/adapters/dvc"
	"chiso/mapping/dossiers"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// TestScrubMatchesKeepRecord writes what versions before the dossier
// allow-list stored (every mapping case record whole in sightings and in
// rejects, a whole broken file, a push body, a step with an officer's
// name), migrates, and checks that what is left is exactly what
// dossiers.KeepRecord keeps today, that rejects kept the hash of their
// original bytes, and that other connectors' rejects are untouched.
func TestScrubMatchesKeepRecord(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	p, err := goose.NewProvider(goose.DialectPostgres, st.DB.DB, warehouse.Migrations(), goose.WithAllowOutofOrder(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 90); err != nil {
		t.Fatal(err)
	}
	var records [][]byte
	files, _ := filepath.Glob("../mapping/dossiers/testdata/cases/*.json")
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		dvc.DecodePayload(fh, func(i int, raw json.RawMessage) error {
			if kept, bad := dossiers.KeepRecord(raw); kept != nil && bad == nil {
				records = append(records, append([]byte(nil), raw...))
			}
			return nil
		})
		fh.Close()
	}
	if len(records) < 20 {
		t.Fatalf("only %d case records", len(records))
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := st.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO sync_runs (id, connector, status) VALUES (1, 'dvc-tinh', 'ok')`)
	for i, raw := range records {
		ma := "M" + string(rune('A'+i%26)) + hex.EncodeToString([]byte{byte(i)})
		exec(`INSERT INTO dossiers (unit_code, ma_ho_so, source, first_seen_run, last_seen_run) VALUES ('U', $1, 'dvc-tinh', 1, 1)`, ma)
		exec(`INSERT INTO dossier_sightings (source, source_key, unit_code, ma_ho_so, raw, run_id) VALUES ('dvc-tinh', 'k', 'U', $1, $2, 1)`, ma, string(raw))
		exec(`INSERT INTO rejects (connector, source_key, reason, raw, run_id) VALUES ('dvc-tinh', $1, 'r', $2, 1)`, "MaHoSo:"+ma, raw)
	}
	step := []byte(`{"MaHoSo":"X","NguoiXuLy":"Trần Văn Nam","ChucDanh":"Công chức","ThoiDiemXuLy":"20250601080000","TrangThai":"2"}`)
	broken := []byte(`[{"MaHoSo":"B","ChuHoSo":"Lê Thị Rác"},{"MaHoSo":`)
	body := []byte(`{"data":[{"MaHoSo":"C","ChuHoSo":"Lê Thị Rác"}]}`)
	register := []byte("so-di.xlsx row 3: Trích yếu giữ nguyên")
	exec(`INSERT INTO rejects (connector, source_key, reason, raw) VALUES ('dvc-push', 'push:steps:item#0', 'r', $1),
		('dvc-tinh', 'broken.json', 'r', $2), ('dvc-push', 'push:DongBoHoSoMC:abcd', 'r', $3), ('so-di', 'so-di.xlsx#3', 'r', $4)`,
		step, broken, body, register)

	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	for i, raw := range records {
		ma := "M" + string(rune('A'+i%26)) + hex.EncodeToString([]byte{byte(i)})
		want, _ := dossiers.KeepRecord(raw)
		var same bool
		if err := st.DB.GetContext(ctx, &same, `SELECT raw = $2::jsonb FROM dossier_sightings WHERE ma_ho_so = $1`, ma, string(want)); err != nil || !same {
			var got string
			st.DB.GetContext(ctx, &got, `SELECT raw::text FROM dossier_sightings WHERE ma_ho_so = $1`, ma)
			t.Errorf("sighting %d scrubbed to\n%s\nwant\n%s (%v)", i, got, want, err)
		}
		if err := st.DB.GetContext(ctx, &same, `SELECT convert_from(raw, 'UTF8')::jsonb = $2::jsonb AND raw_sha256 = $3 FROM rejects WHERE source_key = $1`,
			"MaHoSo:"+ma, string(want), sum(raw)); err != nil || !same {
			t.Errorf("reject %d not scrubbed to the kept record with the original's hash (%v)", i, err)
		}
	}
	for _, c := range []struct {
		key  string
		raw  *string
		hash string
	}{
		{"push:steps:item#0", ptr(`{"MaHoSo": "X", "TrangThai": "2", "ChucDanh": "Công chức", "ThoiDiemXuLy": "20250601080000"}`), sum(step)},
		{"broken.json", nil, sum(broken)},
		{"push:DongBoHoSoMC:abcd", nil, sum(body)},
		{"so-di.xlsx#3", ptr(string(register)), ""},
	} {
		var raw []byte
		var hash *string
		if err := st.DB.QueryRowContext(ctx, `SELECT raw, raw_sha256 FROM rejects WHERE source_key = $1`, c.key).Scan(&raw, &hash); err != nil {
			t.Fatal(err)
		}
		switch {
		case c.raw == nil && raw != nil, c.raw != nil && !sameJSONOrBytes(raw, []byte(*c.raw)):
			t.Errorf("%s: raw %q", c.key, raw)
		case c.hash != "" && (hash == nil || *hash != c.hash), c.hash == "" && hash != nil:
			t.Errorf("%s: hash %v, want %q", c.key, hash, c.hash)
		}
	}
	var left int
	if err := st.DB.GetContext(ctx, &left, `SELECT count(*) FROM pg_proc WHERE proname LIKE 'chiso_scrub%'`); err != nil || left != 0 {
		t.Errorf("%d scrub functions left (%v)", left, err)
	}
}

func ptr(s string) *string { return &s }

// sameJSONOrBytes compares two JSON texts as values, other bytes as bytes.
func sameJSONOrBytes(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}
