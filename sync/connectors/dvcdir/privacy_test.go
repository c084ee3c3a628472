package dvcdir_test

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
	"strings"
	"testing"
	"time"

	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/httpx"
	chisosync "chiso/sync"
	"chiso/sync/connector"
	dvcconn "chiso/sync/connectors/dvc"
	"chiso/sync/connectors/dvcdir"
	"chiso/sync/secret"
	"chiso/warehouse/warehousetest"
)

const unit = "000.25.31.H99"

// applicant is the personal data of one record: every value is
// distinctive, so that finding it anywhere in the warehouse or the logs
// means it leaked.
type applicant struct {
	name, id, dinhDanh, maDoiTuong, phone, email, address, summary, officer, fileName, resultURL, supplement string
	// stepText is what an officer wrote of a processing step
	// (NoiDungXuLy): free text naming the applicant, an ID number and a
	// phone.
	stepText string
}

func applicantOf(path string, i int) applicant {
	tag := fmt.Sprintf("%s%02d", path, i)
	return applicant{
		name:       "Nguyễn Thị Bưởi " + tag,
		id:         "0793" + tag + "5678",
		dinhDanh:   "DDCHS-" + tag + "-001099",
		maDoiTuong: "MDT-" + tag + "-QX",
		phone:      "0912" + tag + "671",
		email:      "buoi." + tag + "@thu.example.vn",
		address:    "Số 7 ngõ Quỳnh Mai " + tag,
		summary:    "Cấp bản sao trích lục cho bà Hà Thị Sấu " + tag,
		officer:    "Đinh Công Nhót " + tag,
		fileName:   "CCCD_Buoi_" + tag + ".pdf",
		resultURL:  "https://kq.example.vn/khaisinh-Buoi-" + tag + ".pdf",
		supplement: "Bổ sung CCCD của ông Trịnh Xuân Quýt " + tag,
		stepText:   "Đã gọi bà Lương Thị Mận " + tag + " (CCCD 0351" + tag + "9024, ĐT 0977" + tag + "318) hẹn bổ sung",
	}
}

func (a applicant) needles() []string {
	return []string{a.name, a.id, a.dinhDanh, a.maDoiTuong, a.phone, a.email, a.address, a.summary, a.officer, a.fileName, a.resultURL, a.supplement,
		a.stepText, "Lương Thị Mận", "0351" + a.tag() + "9024", "0977" + a.tag() + "318"}
}

// tag is what makes a's values distinctive (see applicantOf).
func (a applicant) tag() string {
	return strings.TrimPrefix(a.name, "Nguyễn Thị Bưởi ")
}

// record renders a dossier record carrying the applicant a; over replaces
// or adds members (their values are raw JSON).
func record(ma string, a applicant, over map[string]string) []byte {
	m := map[string]string{
		"MaTTHC": `"1.001193"`, "TenTTHC": `"Đăng ký khai sinh"`, "KenhThucHien": `"2"`,
		"ChuHoSo": q(a.name), "SoGiayToChuHoSo": q(a.id), "DinhDanhCHS": q(a.dinhDanh), "MaDoiTuong": q(a.maDoiTuong),
		"LoaiDoiTuong": `"1"`, "SoDienThoai": q(a.phone), "Email": q(a.email), "DiaChi": q(a.address),
		"TrichYeuHoSo": q(a.summary), "NgayNopHoSo": `"20250601081500"`, "NgayTiepNhan": `"20250601093000"`,
		"NgayHenTra": `"20250605170000"`, "NgayKetThucXuLy": `"20250603101500"`, "NgayTra": `"20250603143000"`,
		"NgayCapNhat": `"20250603143000"`, "TrangThaiHoSo": `"10"`, "HinhThuc": `"0"`, "HoSoCoThanhPhanSoHoa": `"1"`,
		"TaiLieuNop":           `[{"TepDinhKemId":"1","TenTepDinhKem":` + q(a.fileName) + `,"IsDeleted":"0","DuocSoHoa":"1","DuocTaiSuDung":"0","DuocLayTuKhoDMQG":"0"}]`,
		"DanhSachGiayToKetQua": `[{"TenGiayTo":"Trích lục","DuongDanTepTinKetQua":` + q(a.resultURL) + `}]`,
		"DanhSachHoSoBoSung":   `[{"HoSoBoSungId":"1","NoiDungBoSung":` + q(a.supplement) + `,"NguoiYeuCauBoSung":` + q(a.officer) + `,"NgayBoSung":"20250602080000"}]`,
		"QuaTrinhXuLy":         `[{"NguoiXuLy":` + q(a.officer) + `,"ChucDanh":"Công chức","PhongBanXuLy":"Bộ phận một cửa","ThoiDiemXuLy":"20250601093000","NoiDungXuLy":` + q(a.stepText) + `,"TrangThai":"2"}]`,
	}
	if ma != "" {
		m["MaHoSo"] = q(ma)
	}
	for k, v := range over {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, k := range sortedKeys(m) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(q(k) + ":" + m[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

func q(s string) string { b, _ := json.Marshal(s); return string(b) }

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// badCase is a record that must be rejected: the field named in the
// reason, and the applicant it carries.
type badCase struct {
	name, ma, field string
	over            map[string]string
}

// badCases are the bad records every path receives (path names them).
func badCases(path string) []badCase {
	return []badCase{
		{"bad date", unit + "-" + path + "-BAD-DATE", "NgayTiepNhan", map[string]string{"NgayTiepNhan": `"2025-13-45 10:00"`}},
		{"no MaHoSo (1)", "", "MaHoSo", map[string]string{"NgayTiepNhan": `"20250601093001"`}},
		{"no MaHoSo (2)", "", "MaHoSo", map[string]string{"NgayTiepNhan": `"20250601093002"`}},
		{"NUL in TenTTHC", unit + "-" + path + "-BAD-NUL", "TenTTHC", map[string]string{"TenTTHC": `"Khai sinh\u0000"`}},
		{"lone surrogate in a list item", unit + "-" + path + "-BAD-SURR", "TaiLieuNop[1].DuocSoHoa",
			map[string]string{"TaiLieuNop": `[{"DuocSoHoa":"0"},{"TenTepDinhKem":"x.pdf","DuocSoHoa":"1\ud800"}]`}},
	}
}

// goodRecords are records that must be stored; one carries a NUL in a
// member that is not kept (harmless: nothing of it is stored).
func goodRecords(path string) (mas []string, raws [][]byte) {
	for i := range 3 {
		ma := fmt.Sprintf("%s-%s-OK-%d", unit, path, i)
		over := map[string]string{}
		if i == 2 {
			over["ChuHoSo"] = `"Bưởi\u0000\ud800"`
		}
		mas = append(mas, ma)
		raws = append(raws, record(ma, applicantOf(path+"ok", i), over))
	}
	return mas, raws
}

func badRecords(path string) (cases []badCase, raws [][]byte, needles []string) {
	for i, c := range badCases(path) {
		a := applicantOf(path+"bad", i)
		cases = append(cases, c)
		raws = append(raws, record(c.ma, a, c.over))
		needles = append(needles, a.needles()...)
	}
	return
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestNoPersonalDataInWarehouse is issue 13's test for dossiers: bad and
// good dossiers carrying distinctive personal data arrive by the three
// ways in (pull from the simulator, push over HTTP, dvc-dir files,
// including a truncated and a garbage file); the whole warehouse
// (pg_dump --data-only, bytea decoded) and the debug logs hold none of
// it; every bad record is one reject row with its reason, field, location
// and the hash of its original bytes, and each run counts what it keeps.
// Reading everything again converges: no new reject row.
func TestNoPersonalDataInWarehouse(t *testing.T) {
	st := warehousetest.New(t)
	ctx := context.Background()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var needles []string
	type want struct {
		connector, hash, field, ma string
	}
	var wants []want

	// Pull: the simulator serves the records from fixture files.
	pullGood, pullGoodRaw := goodRecords("pull")
	pullBad, pullBadRaw, n := badRecords("pull")
	needles = append(needles, n...)
	for i := range pullGoodRaw {
		needles = append(needles, applicantOf("pullok", i).needles()...)
	}
	fx := t.TempDir()
	all := append(append([][]byte{}, pullGoodRaw...), pullBadRaw...)
	if err := os.WriteFile(filepath.Join(fx, "records.json"), append(append([]byte("["), bytes.Join(all, []byte(","))...), ']'), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := dvcsim.LoadDir(fx)
	if err != nil {
		t.Fatal(err)
	}
	sim := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data}))
	defer sim.Close()
	pull := dvcconn.New()
	pull.SetLogger(log)
	pull.Endpoint, pull.Username, pull.Password, pull.MaDonVi = sim.URL, secret.New("chiso"), secret.New("chiso"), unit
	pull.Start, pull.RequestTimeout, pull.Retry = "2025-05-01", 5*time.Second, httpx.Retry{Max: 2, Backoff: time.Millisecond}
	pull.PageSize = 1 // every record is the first of its page: keys by position would collide
	if err := pull.Validate(connector.Env{Name: "dvc-tinh", Self: unit}); err != nil {
		t.Fatal(err)
	}
	for i, c := range pullBad {
		wants = append(wants, want{"dvc-tinh", sha(pullBadRaw[i]), c.field, c.ma})
	}

	// Push: the same kinds of records over HTTP, then a truncated body.
	pushGood, pushGoodRaw := goodRecords("push")
	pushBad, pushBadRaw, n := badRecords("push")
	needles = append(needles, n...)
	for i := range pushGoodRaw {
		needles = append(needles, applicantOf("pushok", i).needles()...)
	}
	recv := httptest.NewServer(dvcconn.NewPushHandler(chisosync.NewRunner(nil, log).RunNow(st), secret.New("s3cret"), unit, log))
	defer recv.Close()
	pushBody := `{"session":"x","madonvi":"` + unit + `","service":"DongBoHoSoMC","data":[` +
		string(bytes.Join(append(append([][]byte{}, pushGoodRaw...), pushBadRaw...), []byte(","))) + `]}`
	truncA := applicantOf("pushtrunc", 0)
	needles = append(needles, truncA.needles()...)
	truncated := `[` + string(record(unit+"-push-TRUNC", truncA, nil))[:200]
	for i, c := range pushBad {
		wants = append(wants, want{dvcconn.PushConnector, sha(pushBadRaw[i]), c.field, c.ma})
	}
	// Two more pushes, each one record without MaHoSo at the same place
	// (item 0 of the same unit's envelope): two rejects, not one.
	var lonePushes []string
	for i := range 2 {
		a := applicantOf("pushlone", i)
		needles = append(needles, a.needles()...)
		raw := record("", a, map[string]string{"NgayTiepNhan": fmt.Sprintf(`"2025060109300%d"`, i)})
		lonePushes = append(lonePushes, `{"madonvi":"`+unit+`","data":[`+string(raw)+`]}`)
		wants = append(wants, want{dvcconn.PushConnector, sha(raw), "MaHoSo", ""})
	}
	wants = append(wants, want{dvcconn.PushConnector, sha([]byte(truncated)), "", ""})
	// Steps pushed apart from their record (CapNhatTienDoHoSoMC), the
	// officer's text naming an applicant: one for a stored dossier, one
	// without MaHoSo (a reject).
	stepA, stepB := applicantOf("pushstep", 0), applicantOf("pushstep", 1)
	needles = append(needles, stepA.stepText, stepB.stepText)
	badStep := `{"NguoiXuLy":` + q(stepB.officer) + `,"ChucDanh":"Công chức","ThoiDiemXuLy":"20250602100000","NoiDungXuLy":` + q(stepB.stepText) + `,"TrangThai":"5"}`
	stepsBody := `{"madonvi":"` + unit + `","service":"CapNhatTienDoHoSoMC","data":[{"MaHoSo":` + q(pushGood[0]) + `,"NguoiXuLy":` + q(stepA.officer) +
		`,"ChucDanh":"Công chức","ThoiDiemXuLy":"20250602100000","NoiDungXuLy":` + q(stepA.stepText) + `,"TrangThai":"5"},` + badStep + `]}`
	wants = append(wants, want{dvcconn.PushConnector, sha([]byte(badStep)), "MaHoSo", ""})

	// dvc-dir: a file with bad records, a later good file, a truncated file
	// (with good records before the cut) and a garbage file.
	dir := t.TempDir()
	dirGood, dirGoodRaw := goodRecords("dir")
	dirBad, dirBadRaw, n := badRecords("dir")
	needles = append(needles, n...)
	for i := range dirGoodRaw {
		needles = append(needles, applicantOf("dirok", i).needles()...)
	}
	files := map[string][]byte{
		"a_bad.json":  append(append([]byte("[\n "), bytes.Join(dirBadRaw, []byte(",\n "))...), "\n]"...),
		"b_good.json": append(append([]byte(`{"madonvi":"`+unit+`","data":[`), bytes.Join(dirGoodRaw[:2], []byte(","))...), "]}"...),
		"c_one.json":  dirGoodRaw[2],
	}
	truncDir := applicantOf("dirtrunc", 0)
	needles = append(needles, truncDir.needles()...)
	files["d_truncated.json"] = []byte("[" + string(record(unit+"-dir-TRUNC-OK", applicantOf("dirtrunc", 1), nil)) + "," +
		string(record(unit+"-dir-TRUNC", truncDir, nil))[:150])
	needles = append(needles, applicantOf("dirtrunc", 1).needles()...)
	files["e_garbage.json"] = []byte("ChuHoSo: Lê Thị Rác 0933111222\x00\xff")
	needles = append(needles, "Lê Thị Rác", "0933111222")
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	folder := dvcdir.New()
	folder.SetLogger(log)
	folder.Path = dir
	if err := folder.Validate(connector.Env{Name: "dvc-export", Self: unit}); err != nil {
		t.Fatal(err)
	}
	for i, c := range dirBad {
		wants = append(wants, want{"dvc-export", sha(dirBadRaw[i]), c.field, c.ma})
	}
	wants = append(wants, want{"dvc-export", sha(files["d_truncated.json"]), "", ""}, want{"dvc-export", sha(files["e_garbage.json"]), "", ""})

	runAll := func() {
		t.Helper()
		for _, c := range []connector.Connector{pull, folder} {
			name := "dvc-tinh"
			if c == connector.Connector(folder) {
				name = "dvc-export"
			}
			run, err := st.StartRun(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if err := run.Finish(ctx, c.Sync(ctx, run)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		for _, body := range append([]string{pushBody, truncated}, lonePushes...) {
			code, msg := postPush(t, recv.URL+"/dvc/DongBoHoSoMC", body)
			if code != http.StatusOK || !strings.Contains(msg, `"error_code":"-1"`) {
				t.Errorf("push answered %d %s, want 200 with error_code -1 (the sender keeps and resends)", code, msg)
			}
		}
		if code, msg := postPush(t, recv.URL+"/dvc/CapNhatTienDoHoSoMC", stepsBody); code != http.StatusOK || !strings.Contains(msg, `"error_code":"-1"`) {
			t.Errorf("steps push answered %d %s, want 200 with error_code -1", code, msg)
		}
	}
	runAll()

	// Good records stored, from every path (the file after the bad one too).
	for _, ma := range append(append(append(pullGood, pushGood...), dirGood...), unit+"-dir-TRUNC-OK") {
		var n int
		if err := st.DB.Get(&n, `SELECT count(*) FROM dossiers WHERE ma_ho_so = $1`, ma); err != nil || n != 1 {
			t.Errorf("dossier %s not stored (%v)", ma, err)
		}
	}
	// The steps are stored (by role, without their text), the pushed one too.
	var steps, pushed int
	if err := st.DB.QueryRow(`SELECT count(*) FILTER (WHERE actor = 'Công chức - Bộ phận một cửa' AND status = 2),
		count(*) FILTER (WHERE ma_ho_so = $1 AND status = 5 AND at = '2025-06-02 10:00+07') FROM dossier_steps`, pushGood[0]).Scan(&steps, &pushed); err != nil ||
		steps < 10 || pushed != 1 {
		t.Errorf("%d record steps, %d pushed step stored (%v): the test proves nothing", steps, pushed, err)
	}
	// One reject row per bad record, with field, location and hash.
	for _, w := range wants {
		var key, reason, loc string
		var field *string
		err := st.DB.QueryRow(`SELECT source_key, reason, coalesce(location,''), field FROM rejects WHERE connector = $1 AND raw_sha256 = $2`,
			w.connector, w.hash).Scan(&key, &reason, &loc, &field)
		if err != nil {
			var got []string
			st.DB.Select(&got, `SELECT source_key || ' ' || reason FROM rejects WHERE connector = $1`, w.connector)
			t.Errorf("%s: no reject with hash %s (%s %s): %v\n%s", w.connector, w.hash[:12], w.ma, w.field, err, strings.Join(got, "\n"))
			continue
		}
		if loc == "" || !strings.Contains(key, w.hash) && !strings.HasPrefix(loc, key+" at byte ") {
			t.Errorf("%s: reject %q has location %q", w.connector, key, loc)
		}
		if w.field != "" && (field == nil || *field != w.field || !strings.Contains(reason, w.field)) {
			t.Errorf("%s: reject %q: field %v, reason %q; want %s named", w.connector, key, field, reason, w.field)
		}
		if w.connector == "dvc-export" && w.field != "" {
			// The location finds the original bytes in the file: the hash proves it.
			var file string
			var at, n int
			if _, err := fmt.Sscanf(loc, "%s at byte %d, %d bytes", &file, &at, &n); err != nil {
				t.Errorf("location %q: %v", loc, err)
			} else if b, _ := os.ReadFile(filepath.Join(dir, file)); at+n > len(b) || sha(b[at:at+n]) != w.hash {
				t.Errorf("location %q does not give the original bytes", loc)
			}
		}
		if w.ma != "" && !strings.Contains(reason, w.ma) {
			t.Errorf("%s: reason %q does not name %s", w.connector, reason, w.ma)
		}
	}
	type tally struct {
		Connector string `db:"connector"`
		Rows      int    `db:"rows"`
		Counted   int    `db:"counted"`
	}
	tallies := func() []tally {
		var out []tally
		if err := st.DB.Select(&out, `SELECT c AS connector, (SELECT count(*) FROM rejects WHERE connector = c) AS rows,
			(SELECT coalesce(sum(rejected),0) FROM sync_runs WHERE connector = c) AS counted
			FROM unnest(ARRAY['dvc-tinh','dvc-push','dvc-export']) AS c ORDER BY 1`); err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := tallies()
	wantRows := map[string]int{"dvc-tinh": 5, "dvc-push": 9, "dvc-export": 7}
	for _, tl := range first {
		if tl.Rows != wantRows[tl.Connector] || tl.Counted != tl.Rows {
			t.Errorf("%s: %d reject rows, runs counted %d; want %d of each", tl.Connector, tl.Rows, tl.Counted, wantRows[tl.Connector])
		}
	}

	// Everything again (files touched and rewritten, the pull's overlap
	// covering every record): no new reject row.
	pull.Overlap = connector.Span(4000 * 24 * time.Hour)
	later := time.Now().Add(time.Hour)
	for name, b := range files {
		os.WriteFile(filepath.Join(dir, name), append(b, ' '), 0o644)
		os.Chtimes(filepath.Join(dir, name), later, later)
	}
	runAll()
	for i, tl := range tallies() {
		if tl.Rows != first[i].Rows {
			t.Errorf("%s: %d reject rows after reading everything again, %d before", tl.Connector, tl.Rows, first[i].Rows)
		}
	}

	dump := warehousetest.DumpData(t, st)
	if !strings.Contains(dump, pullGood[0]) || !strings.Contains(dump, "Đăng ký khai sinh") {
		t.Fatal("the dump does not hold the stored dossiers: it proves nothing")
	}
	warehousetest.AssertAbsent(t, "warehouse dump", dump, needles...)
	if !strings.Contains(logs.String(), "record rejected") {
		t.Fatal("the logs do not hold the rejects: they prove nothing")
	}
	warehousetest.AssertAbsent(t, "logs", logs.String(), needles...)
}

func postPush(t *testing.T, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
