package register

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"chiso/warehouse/warehousetest"
)

// secretNeedles are the texts of secret documents in secretCSV: none may
// reach the warehouse or the logs.
var secretNeedles = []string{
	"XYZZY-ALPHA", "Phạm Văn Bíẩn", "Zulu-Kilo", // the bad row: subject, signer, recipient
	"QUEBEC-77", "Nguyễn Thị Kín", "OMEGA-9", // a good row
	"TANGO-NUL", "Hồ Sơ Lỗi", // a row with a NUL byte in its subject
	"MIKE-ORDINARY-SECRET", // a row marked Mật in an ordinary register, with a bad date
}

const secretCSV = "Số, ký hiệu văn bản;Ngày tháng văn bản;Tên loại và trích yếu nội dung;Người ký;Nơi nhận;Độ mật\n" +
	"1/UBND-QS;31/02/2026;Kế hoạch tác chiến XYZZY-ALPHA;Đại tá Phạm Văn Bíẩn;Ban chỉ huy Zulu-Kilo;Mật\n" +
	"2/UBND-QS;03/03/2026;Báo cáo QUEBEC-77;Nguyễn Thị Kín;\"Sở Nội vụ; Đơn vị OMEGA-9\";Tối mật\n" +
	"3/UBND-QS;04/03/2026;Tờ trình TANGO-NUL\x00;Hồ Sơ Lỗi;Sở Nội vụ;Mật\n"

const ordinaryCSV = "Số, ký hiệu văn bản;Ngày tháng văn bản;Tên loại và trích yếu nội dung;Người ký;Nơi nhận;Độ mật\n" +
	"7/UBND-VP;hôm qua;Công văn MIKE-ORDINARY-SECRET;Lê Văn Thường;Sở Nội vụ;Mật\n" +
	"8/UBND-VP;05/03/2026;Công văn thường;Lê Văn Thường;Sở Nội vụ;\n"

// TestSecretRegisterKeepsCountsAndKeys (issue 13): a secret register with a
// bad row, a good row and a row with a NUL byte, and a secret row of an
// ordinary register with a bad date: after the sync, a dump of the whole
// warehouse and the logs (debug level) hold no subject, signer or recipient
// of a secret document; every bad row is a reject with its location, the
// column at fault, the hash of its cells and no bytes.
func TestSecretRegisterKeepsCountsAndKeys(t *testing.T) {
	st := warehousetest.New(t)
	base := t.TempDir()
	write(t, filepath.Join(base, "mat.csv"), secretCSV)
	write(t, filepath.Join(base, "thuong.csv"), ordinaryCSV)

	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(old)
	runSync(t, st, newConn(t, "so-mat", base, &Connector{Path: "mat.csv", Direction: "out", SecretRegister: true}))
	runSync(t, st, newConn(t, "so-di", base, &Connector{Path: "thuong.csv", Direction: "out"}))
	slog.SetDefault(old)

	warehousetest.AssertAbsent(t, "warehouse dump", warehousetest.DumpData(t, st), secretNeedles...)
	warehousetest.AssertAbsent(t, "logs", logs.String(), secretNeedles...)

	type rej struct {
		Connector, SourceKey, Location, Field, Reason string
		HasRaw, HasHash                               bool
	}
	var got []rej
	if err := st.DB.Select(&got, `SELECT connector, source_key AS sourcekey, coalesce(location, '') AS location, coalesce(field, '') AS field, reason,
		raw IS NOT NULL AS hasraw, raw_sha256 IS NOT NULL AS hashash FROM rejects ORDER BY connector, source_key`); err != nil {
		t.Fatal(err)
	}
	want := []rej{
		{"so-di", "thuong.csv#2", "thuong.csv: row 2, column Ngày tháng văn bản", "issued_on",
			`register: thuong.csv: row 2: column "Ngày tháng văn bản" (issued_on): unparsable date [not quoted: secret document] (want dd/MM/yyyy, yyyy-MM-dd or an Excel date)`, false, true},
		{"so-mat", "mat.csv#2", "mat.csv: row 2, column Ngày tháng văn bản", "issued_on",
			`register: mat.csv: row 2: column "Ngày tháng văn bản" (issued_on): impossible date [not quoted: secret document]`, false, true},
		{"so-mat", "mat.csv#4", "mat.csv: row 4, column Tên loại và trích yếu nội dung", "type_and_subject",
			`register: mat.csv: row 4: column "Tên loại và trích yếu nội dung" (type_and_subject): NUL byte in the text`, false, true},
	}
	if len(got) != len(want) {
		t.Fatalf("rejects %+v, want %d", got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("reject %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	// The good rows are counted documents with their keys.
	d := docs(t, st, "out")
	if s := d["secret:2/UBND-QS"]; !s.Secret || s.Subject != nil || len(d) != 2 {
		t.Errorf("documents %+v", d)
	}
	var rejected int
	if err := st.DB.Get(&rejected, `SELECT sum(rejected) FROM sync_runs`); err != nil || rejected != 3 {
		t.Errorf("runs count %d rejects, %v; want 3", rejected, err)
	}
	if !strings.Contains(logs.String(), "rejected=2") {
		t.Errorf("logs do not count the secret register's rejects:\n%s", logs.String())
	}
}
