package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"chiso/adapters/dvc/dvcsim"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// privacyUnit is the commune of the privacy test.
const privacyUnit = "000.25.31.H99"

// privacyPerson is the personal data one dossier carries: every value is
// distinctive, so that finding it anywhere in the warehouse or the logs
// means it leaked.
type privacyPerson struct {
	name, id, dinhDanh, maDoiTuong, phone, email, address, summary string
}

func privacyPersonOf(tag string) privacyPerson {
	return privacyPerson{
		name:       "Trần Thị Gấc " + tag,
		id:         "0794" + tag + "4321",
		dinhDanh:   "DDCHS-" + tag + "-77120",
		maDoiTuong: "MDT-" + tag + "-ZQ",
		phone:      "0987" + tag + "303",
		email:      "gac." + tag + "@rieng.example.vn",
		address:    "Số 12 hẻm Sầu Riêng " + tag,
		summary:    "Chứng thực giấy tờ cho ông Lò Văn Mận " + tag,
	}
}

func (p privacyPerson) needles() []string {
	return []string{p.name, p.id, p.dinhDanh, p.maDoiTuong, p.phone, p.email, p.address, p.summary}
}

// privacyDossier renders a dossier of the portal's export carrying p; over
// replaces members (raw JSON values; "" removes the member).
func privacyDossier(ma string, p privacyPerson, over map[string]string) []byte {
	str := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	m := map[string]string{
		"MaTTHC": `"1.001193"`, "TenTTHC": `"Đăng ký khai sinh"`, "KenhThucHien": `"2"`,
		"ChuHoSo": str(p.name), "SoGiayToChuHoSo": str(p.id), "DinhDanhCHS": str(p.dinhDanh), "MaDoiTuong": str(p.maDoiTuong),
		"LoaiDoiTuong": `"1"`, "SoDienThoai": str(p.phone), "Email": str(p.email), "DiaChi": str(p.address),
		"TrichYeuHoSo": str(p.summary), "NgayNopHoSo": `"20250601081500"`, "NgayTiepNhan": `"20250601093000"`,
		"NgayHenTra": `"20250605170000"`, "NgayKetThucXuLy": `"20250603101500"`, "NgayTra": `"20250603143000"`,
		"NgayCapNhat": `"20250603143000"`, "TrangThaiHoSo": `"10"`, "HinhThuc": `"0"`, "HoSoCoThanhPhanSoHoa": `"1"`,
		"TaiLieuNop": `[{"TepDinhKemId":"1","IsDeleted":"0","DuocSoHoa":"1","DuocTaiSuDung":"0","DuocLayTuKhoDMQG":"0"}]`,
	}
	if ma != "" {
		m["MaHoSo"] = str(ma)
	}
	for k, v := range over {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(str(k) + ":" + m[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// privacyBad are the bad dossiers every way in receives: a NUL, a lone
// surrogate, an unreadable date and two records without MaHoSo.
var privacyBad = []map[string]string{
	{"TenTTHC": `"Khai sinh\u0000"`},
	{"TaiLieuNop": `[{"DuocSoHoa":"0"},{"DuocSoHoa":"1\ud800"}]`},
	{"NgayTiepNhan": `"2025-13-45 10:00"`},
	{"MaHoSo": "", "NgayTiepNhan": `"20250601093001"`},
	{"MaHoSo": "", "NgayTiepNhan": `"20250601093002"`},
}

// privacyRecords returns n good and the bad dossiers of one way in (path
// names it), and the personal data they carry.
func privacyRecords(path string, good int) (goods, bads [][]byte, mas, needles []string) {
	for i := range good {
		p := privacyPersonOf(fmt.Sprintf("%sok%d", path, i))
		ma := fmt.Sprintf("%s-%s-OK-%d", privacyUnit, path, i)
		goods = append(goods, privacyDossier(ma, p, nil))
		mas = append(mas, ma)
		needles = append(needles, p.needles()...)
	}
	for i, over := range privacyBad {
		p := privacyPersonOf(fmt.Sprintf("%sbad%d", path, i))
		bads = append(bads, privacyDossier(fmt.Sprintf("%s-%s-BAD-%d", privacyUnit, path, i), p, over))
		needles = append(needles, p.needles()...)
	}
	return
}

// The secret register: subject, signer and recipient of every row are
// distinctive; row 2 has an impossible date, row 4 a NUL in its subject.
var privacySecretNeedles = []string{
	"Phương án VICTOR-SIERRA-41", "Thượng tá Hoàng Văn Kín", "Đồn biên phòng ROMEO-8",
	"Báo cáo LIMA-ECHO-52", "Bà Quách Thị Giấu", "Ban chỉ huy FOXTROT-3",
	"Tờ trình DELTA-NUL-63", "Ông Vi Văn Ẩn",
}

const privacySecretCSV = "Số, ký hiệu văn bản;Ngày tháng văn bản;Tên loại và trích yếu nội dung;Người ký;Nơi nhận;Độ mật\n" +
	"11/UBND-QS;30/02/2026;Phương án VICTOR-SIERRA-41;Thượng tá Hoàng Văn Kín;Đồn biên phòng ROMEO-8;Mật\n" +
	"12/UBND-QS;03/03/2026;Báo cáo LIMA-ECHO-52;Bà Quách Thị Giấu;Ban chỉ huy FOXTROT-3;Tối mật\n" +
	"13/UBND-QS;04/03/2026;Tờ trình DELTA-NUL-63\x00;Ông Vi Văn Ẩn;Sở Nội vụ;Mật\n"

// privacyConfig is the test's chiso.yaml. Every connector runs once a
// year (03:30 on 1 January): `chiso run` catches its last tick up at once,
// and no other tick falls during the test.
const privacyConfig = `warehouse: {dsn: "${CHISO_PRIVACY_DSN}"}
http: {listen: %q, push_token: "${CHISO_PRIVACY_PUSH_TOKEN}"}
org: {self: %q, directory: org-directory.example.yaml}
targets: targets-2026.yaml
connectors:
  - name: cong-dvc
    type: dvc
    schedule: "30 3 1 1 *"
    endpoint: %s
    username: "${CHISO_PRIVACY_DVC_USER}"
    password: "${CHISO_PRIVACY_DVC_PASSWORD}"
    madonvi: %[2]q
    unit: %[2]q
    page_size: 1
    start: "2025-05-01"
    request_timeout: 5s
    retry: {max: 3, backoff: 1ms}
  - {name: ho-so-xuat, type: dvc-dir, schedule: "30 3 1 1 *", path: dossiers, unit: %[2]q}
  - {name: so-mat-di, type: register-file, schedule: "30 3 1 1 *", path: so-mat-di, direction: out, unit: %[2]q, secret_register: true}
`

// TestNothingPersonalThroughChisoRun is issue 13's first Done-when line
// through the product's own wiring: one config, `chiso run` (its
// scheduler's catch-up runs every connector once through the daemon's
// runner, its HTTP server mounts the push receiver), debug logs. In: bad
// and good dossiers with distinctive personal data pulled from the
// simulated portal over HTTP (one page cut short on the way), pushed to
// the receiver with the push token, and read from a dvc-dir folder (a
// good file, a file of bad records, a truncated file, a garbage file); a
// secret register with a good row and two bad ones. Out: the whole
// warehouse (pg_dump --data-only, bytea decoded) and the logs hold none of
// the personal data nor any secret subject, signer or recipient, and every
// bad record is one reject row of its connector with a reason, a location
// and the hash of its original bytes, counted by the runs.
func TestNothingPersonalThroughChisoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon on a real warehouse")
	}
	dir := t.TempDir()
	copyConfigs(t, dir, nil)
	var needles []string

	// The portal: good and bad dossiers; the second list page is cut short once.
	pullGood, pullBad, pullMas, n := privacyRecords("pull", 3)
	needles = append(needles, n...)
	fx := t.TempDir()
	all := append(append([][]byte{}, pullGood...), pullBad...)
	if err := os.WriteFile(filepath.Join(fx, "records.json"), append(append([]byte("["), bytes.Join(all, []byte(","))...), ']'), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := dvcsim.LoadDir(fx)
	if err != nil {
		t.Fatal(err)
	}
	sim := dvcsim.New(dvcsim.Options{Data: data, Username: "cong-dvc", Password: "pw-of-the-portal",
		Faults: []dvcsim.Fault{{Kind: dvcsim.FaultTruncate, Page: 2, Times: 1}}, Logger: slog.New(slog.DiscardHandler)})
	portal := httptest.NewServer(sim)
	defer portal.Close()

	// The export folder: bad records, good records, a cut file, garbage.
	dirGood, dirBad, dirMas, n := privacyRecords("dir", 3)
	needles = append(needles, n...)
	cut := privacyPersonOf("dircut")
	needles = append(needles, cut.needles()...)
	files := map[string][]byte{
		"2025-06-a.json": append(append([]byte("[\n "), bytes.Join(dirBad, []byte(",\n "))...), "\n]"...),
		"2025-06-b.json": append(append([]byte(`{"madonvi":"`+privacyUnit+`","data":[`), bytes.Join(dirGood[:2], []byte(","))...), "]}"...),
		"2025-06-c.json": []byte("[" + string(dirGood[2]) + "," + string(privacyDossier(privacyUnit+"-dir-CUT", cut, nil))[:180]),
		"2025-06-d.json": []byte("ChuHoSo: Mạc Thị Rơm 0944555666, DiaChi: xóm Đồi Bò\x00\xff\xfe"),
	}
	needles = append(needles, "Mạc Thị Rơm", "0944555666", "xóm Đồi Bò")
	writeFiles(t, filepath.Join(dir, "dossiers"), files)
	writeFiles(t, filepath.Join(dir, "so-mat-di"), map[string][]byte{"2026.csv": []byte(privacySecretCSV)})
	needles = append(needles, privacySecretNeedles...)

	// The pushes: one batch of good and bad records, a truncated body, and
	// two single-record pushes without MaHoSo.
	pushGood, pushBad, pushMas, n := privacyRecords("push", 3)
	needles = append(needles, n...)
	trunc := privacyPersonOf("pushcut")
	lone := []privacyPerson{privacyPersonOf("pushlone0"), privacyPersonOf("pushlone1")}
	needles = append(append(append(needles, trunc.needles()...), lone[0].needles()...), lone[1].needles()...)
	pushes := []string{
		`{"session":"x","madonvi":"` + privacyUnit + `","service":"DongBoHoSoMC","data":[` +
			string(bytes.Join(append(append([][]byte{}, pushGood...), pushBad...), []byte(","))) + `]}`,
		`[` + string(privacyDossier(privacyUnit+"-push-CUT", trunc, nil))[:200],
	}
	for i, p := range lone {
		pushes = append(pushes, `{"madonvi":"`+privacyUnit+`","data":[`+
			string(privacyDossier("", p, map[string]string{"NgayTiepNhan": fmt.Sprintf(`"2025060109300%d"`, i)}))+`]}`)
	}
	// Bad records put in, per connector: what the reject rows must count.
	wantRejects := map[string]int{
		"cong-dvc":   len(privacyBad),
		"dvc-push":   len(privacyBad) + 1 + len(lone),
		"ho-so-xuat": len(privacyBad) + 2, // the bad records, the cut file, the garbage file
		"so-mat-di":  2,                   // the impossible date, the NUL
	}
	// Of which payloads that cannot be read past some point (no field).
	wantPayload := map[string]int{"dvc-push": 1, "ho-so-xuat": 2}

	dsn := warehousetest.NewDatabase(t)
	t.Setenv("CHISO_PRIVACY_DSN", dsn)
	t.Setenv("CHISO_PRIVACY_PUSH_TOKEN", "push-token-of-the-test")
	t.Setenv("CHISO_PRIVACY_DVC_USER", "cong-dvc")
	t.Setenv("CHISO_PRIVACY_DVC_PASSWORD", "pw-of-the-portal")
	t.Setenv("CHISO_LOG_LEVEL", "debug")
	addr := "127.0.0.1:" + freePort(t)
	cfgPath := filepath.Join(dir, "chiso.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(privacyConfig, addr, privacyUnit, portal.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// chiso run: every connector runs at once (catch-up of its first tick).
	ctx, stop := context.WithCancel(context.Background())
	var dout, derr syncBuffer
	done := make(chan int, 1)
	go func() { done <- dispatch(ctx, []string{"-c", cfgPath, "run"}, &dout, &derr) }()
	stopped := false
	stopDaemon := func() {
		if stopped {
			return
		}
		stopped = true
		stop()
		if code := <-done; code != 0 {
			t.Errorf("chiso run exit %d\n%s", code, tail(derr.String(), 3000))
		}
	}
	defer stopDaemon()
	waitFor(t, "the scheduled runs of cong-dvc, ho-so-xuat, so-mat-di", &derr, func() bool {
		var n int
		err := st.DB.Get(&n, `SELECT count(DISTINCT connector) FROM sync_runs WHERE finished_at IS NOT NULL AND connector IN ('cong-dvc','ho-so-xuat','so-mat-di')`)
		return err == nil && n == 3
	})
	for _, body := range pushes {
		code, answer := privacyPush(t, "http://"+addr+"/dvc/DongBoHoSoMC", "push-token-of-the-test", body)
		if code != http.StatusOK || !strings.Contains(answer, `"error_code":"-1"`) {
			t.Errorf("push answered %d %s; want 200 with error_code -1 (the sender keeps and resends)", code, answer)
		}
	}
	stopDaemon()
	if f := sim.Unfired(); len(f) > 0 {
		t.Errorf("faults not fired %v: the test did not try a page cut short", f)
	}

	// The runs: each scheduled connector ran once; every run kept its
	// rejects and stored the rest (partial), none failed.
	type runRow struct {
		Connector string `db:"connector"`
		Runs      int    `db:"runs"`
		Partial   int    `db:"partial"`
		Rejected  int    `db:"rejected"`
	}
	var runs []runRow
	if err := st.DB.Select(&runs, `SELECT connector, count(*) AS runs, count(*) FILTER (WHERE status = 'partial') AS partial,
		sum(rejected) AS rejected FROM sync_runs GROUP BY connector ORDER BY connector`); err != nil {
		t.Fatal(err)
	}
	counted := map[string]int{}
	for _, r := range runs {
		counted[r.Connector] = r.Rejected
		wantRuns := 1
		if r.Connector == "dvc-push" {
			wantRuns = len(pushes) // a run per push request
		}
		if r.Partial != r.Runs || r.Runs != wantRuns {
			t.Errorf("%s: %+v; want %d run(s), every one partial", r.Connector, r, wantRuns)
		}
	}

	// Every bad record is one reject row with its reason, location and
	// hash; a bad record names its field (a payload cut short or garbage has
	// none); a secret row and a payload keep no bytes.
	type rejectRow struct {
		Connector string `db:"connector"`
		Key       string `db:"source_key"`
		Location  string `db:"location"`
		Field     string `db:"field"`
		Reason    string `db:"reason"`
		Hash      string `db:"raw_sha256"`
		HasRaw    bool   `db:"has_raw"`
	}
	var rejects []rejectRow
	if err := st.DB.Select(&rejects, `SELECT connector, source_key, coalesce(location, '') AS location, coalesce(field, '') AS field,
		reason, coalesce(raw_sha256, '') AS raw_sha256, raw IS NOT NULL AS has_raw FROM rejects ORDER BY connector, source_key`); err != nil {
		t.Fatal(err)
	}
	rows, withField := map[string]int{}, map[string]int{}
	located := 0 // dvc-dir rejects whose location gives the original bytes
	for _, r := range rejects {
		rows[r.Connector]++
		if r.Location == "" || r.Reason == "" || r.Hash == "" || r.Key == "" {
			t.Errorf("reject without its key, location, reason or hash: %+v", r)
		}
		if r.Field != "" {
			withField[r.Connector]++
			if !strings.Contains(r.Reason, r.Field) {
				t.Errorf("%s: reason %q does not name the field %s", r.Key, r.Reason, r.Field)
			}
		}
		if r.HasRaw && (r.Connector == "so-mat-di" || r.Field == "") {
			t.Errorf("%s: a secret row or an unreadable payload kept bytes: %+v", r.Key, r)
		}
		var file string
		var at, n int
		if _, err := fmt.Sscanf(r.Location, "%s at byte %d, %d bytes", &file, &at, &n); r.Connector == "ho-so-xuat" && err == nil {
			// An admin finds the original by the location: its sha256 is the hash.
			if b := files[file]; at+n > len(b) || privacySHA(b[at:at+n]) != r.Hash {
				t.Errorf("%s: location %q does not give the original bytes of hash %s", r.Key, r.Location, r.Hash)
			} else {
				located++
			}
		}
	}
	for c, want := range wantRejects {
		if rows[c] != want || counted[c] != want {
			t.Errorf("%s: %d reject rows, runs counted %d; want %d bad records each", c, rows[c], counted[c], want)
		}
		if wf := want - wantPayload[c]; withField[c] != wf {
			t.Errorf("%s: %d rejects name a field; want %d (one per bad record)", c, withField[c], wf)
		}
	}
	if located != len(privacyBad) {
		t.Errorf("%d dvc-dir rejects located by byte offset and length; want %d", located, len(privacyBad))
	}
	if len(rows) != len(wantRejects) {
		t.Errorf("reject rows by connector %v; want only %v", rows, wantRejects)
	}

	// The good records are stored (so the dump below is worth searching).
	for _, ma := range slices.Concat(pullMas, dirMas, pushMas) {
		var n int
		if err := st.DB.Get(&n, `SELECT count(*) FROM dossiers WHERE ma_ho_so = $1`, ma); err != nil || n != 1 {
			t.Errorf("dossier %s not stored (%v)", ma, err)
		}
	}
	var secretDocs int
	if err := st.DB.Get(&secretDocs, `SELECT count(*) FROM documents WHERE is_secret`); err != nil || secretDocs != 1 {
		t.Errorf("%d secret documents stored (%v); want the good row", secretDocs, err)
	}

	dump := warehousetest.DumpData(t, st)
	if !strings.Contains(dump, pullMas[0]) || !strings.Contains(dump, "Đăng ký khai sinh") {
		t.Fatal("the dump does not hold the stored dossiers: it proves nothing")
	}
	warehousetest.AssertAbsent(t, "warehouse dump", dump, needles...)
	logs := derr.String() + dout.String()
	if !strings.Contains(logs, "level=DEBUG") || !strings.Contains(logs, "record rejected") {
		t.Fatalf("the logs hold no debug line or no reject: they prove nothing\n%s", tail(logs, 3000))
	}
	warehousetest.AssertAbsent(t, "chiso run's logs", logs, needles...)
	t.Logf("%d needles; reject rows %v; %d bytes of dump, %d of logs", len(needles), rows, len(dump), len(logs))
}

func privacySHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls ok for up to 90 s; the logs are shown when it never holds.
func waitFor(t *testing.T, what string, logs *syncBuffer, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 90 s for %s:\n%s", what, tail(logs.String(), 4000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func privacyPush(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
