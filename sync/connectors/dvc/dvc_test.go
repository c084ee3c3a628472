package dvc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	wire "chiso/adapters/dvc"
	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/httpx"
	"chiso/adapters/vntime"
	"chiso/mapping/dossiers"
	chisosync "chiso/sync"
	"chiso/sync/connector"
	"chiso/sync/secret"
	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

const unit = "000.25.31.H99"

var quiet = slog.New(slog.DiscardHandler)

// newConn returns a validated connector against url, "now" fixed.
func newConn(t testing.TB, url string, now time.Time) *Connector {
	t.Helper()
	c := New()
	c.Endpoint, c.Username, c.Password, c.MaDonVi = url, secret.New("chiso"), secret.New("chiso"), unit
	c.PageSize, c.Start, c.RequestTimeout = 50, "2025-01-01", 300*time.Millisecond
	c.Retry = httpx.Retry{Max: 3, Backoff: time.Millisecond}
	c.now = func() time.Time { return now }
	c.log = quiet
	if err := c.Validate(connector.Env{Name: "dvc-tinh", Self: unit}); err != nil {
		t.Fatal(err)
	}
	return c
}

func syncOnce(t testing.TB, st *warehouse.Store, c *Connector) error {
	t.Helper()
	ctx := context.Background()
	run, err := st.StartRun(ctx, c.env.Name)
	if err != nil {
		t.Fatal(err)
	}
	return run.Finish(ctx, c.Sync(ctx, run))
}

// snapshot renders the fact tables (not bookkeeping columns such as
// updated_at, run ids or seen_at) for comparison.
func snapshot(t testing.TB, st *warehouse.Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT unit_code, ma_ho_so, coalesce(ma_tthc,''), coalesce(procedure_level,''), coalesce(channel,''), coalesce(status,0),
		   coalesce(received_at::text,''), coalesce(due_at::text,''), coalesce(finished_at::text,''), coalesce(returned_at::text,''),
		   coalesce(refused_at::text,''), coalesce(result_method,''), input_digitized, result_electronic, reused_data, supplements,
		   coalesce(source,''), coalesce(source_updated_at::text,'') FROM dossiers ORDER BY 1, 2`,
		`SELECT unit_code, ma_ho_so, at::text, coalesce(status,0), actor FROM dossier_steps ORDER BY 1, 2, 3`,
		`SELECT source, source_key, unit_code, ma_ho_so, md5(raw::text) FROM dossier_sightings ORDER BY 1, 2, 3, 4`,
		`SELECT ma_tthc, coalesce(name,''), coalesce(level,''), requires_result, coalesce(max_days,-1) FROM procedures ORDER BY 1`,
		`SELECT connector, source_key, reason, md5(raw) FROM rejects ORDER BY 1, 2`,
	} {
		rows, err := st.DB.Queryx(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			cols, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, cols...)
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

func count(t testing.TB, st *warehouse.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

var syncNow = time.Date(2026, 1, 10, 8, 0, 0, 0, vntime.Location)

func TestPullWithFaultsEqualsCleanPull(t *testing.T) {
	data := dvcsim.Generate(11, unit, 2025, 600)
	clean := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data}))
	defer clean.Close()
	stClean := warehousetest.New(t)
	if err := syncOnce(t, stClean, newConn(t, clean.URL, syncNow)); err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, stClean)
	if n := count(t, stClean, `SELECT count(*) FROM dossiers`); n != 600 {
		t.Fatalf("clean run stored %d dossiers, want 600", n)
	}
	if n := count(t, stClean, `SELECT count(*) FROM rejects`); n != 0 {
		t.Fatalf("clean run rejected %d records", n)
	}
	if n := count(t, stClean, `SELECT count(*) FROM procedures WHERE level IN ('toan_trinh','mot_phan')`); n < 5 {
		t.Errorf("catalogue from LayThuTuc: %d procedures", n)
	}
	if n := count(t, stClean, `SELECT count(*) FROM dossiers WHERE procedure_level IS NULL AND ma_tthc <> '1.005461'`); n != 0 {
		t.Errorf("%d dossiers without a procedure level", n)
	}
	if n := count(t, stClean, `SELECT count(*) FROM dossier_sightings WHERE raw::text LIKE '%ChuHoSo%' OR raw::text LIKE '%NguoiXuLy%'`); n != 0 {
		t.Errorf("%d sightings keep personal data", n)
	}
	if n := count(t, stClean, `SELECT count(*) FROM dossier_steps`); n == 0 {
		t.Error("no steps fetched for the dossiers that need them")
	}

	faults := []dvcsim.Fault{
		{Kind: dvcsim.Fault500, Page: 2, Times: 2},
		{Kind: dvcsim.FaultMalformed, Page: 3},
		{Kind: dvcsim.FaultTruncate, Page: 4},
		{Kind: dvcsim.FaultTimeout, Page: 5},
		{Kind: dvcsim.FaultSlow, Page: 1},
		{Kind: dvcsim.FaultExpire, Page: 2},
		{Kind: dvcsim.Fault500, Service: wire.ServiceSteps, Times: 2},
	}
	sim := dvcsim.New(dvcsim.Options{Data: data, Faults: faults, Slow: 20 * time.Millisecond})
	faulty := httptest.NewServer(sim)
	defer faulty.Close()
	st := warehousetest.New(t)
	c := newConn(t, faulty.URL, syncNow)
	c.Chunk = connector.Span(400 * 24 * time.Hour) // one window of 12 pages, so that every page fault fires
	if err := syncOnce(t, st, c); err != nil {
		t.Fatal(err)
	}
	if un := sim.Unfired(); len(un) > 0 {
		t.Fatalf("faults that did not fire: %+v", un)
	}
	if got := snapshot(t, st); got != want {
		t.Fatalf("the warehouse after a pull with faults differs from a clean pull:\n%s", diffLines(want, got))
	}
	if sim.Requests()[wire.ServiceLookup] == 0 {
		t.Error("the malformed record was not fetched again")
	}
	// A second run changes nothing.
	if err := syncOnce(t, st, newConn(t, faulty.URL, syncNow.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, st); got != want {
		t.Fatal("a second run changed the facts")
	}
}

func TestFailedRunKeepsCheckpointThenConverges(t *testing.T) {
	data := dvcsim.Generate(5, unit, 2025, 300)
	clean := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data}))
	defer clean.Close()
	stClean := warehousetest.New(t)
	if err := syncOnce(t, stClean, newConn(t, clean.URL, syncNow)); err != nil {
		t.Fatal(err)
	}
	// The 5th list request keeps failing: the run fails part-way.
	sim := dvcsim.New(dvcsim.Options{Data: data})
	sim.AddFault(dvcsim.Fault{Kind: dvcsim.Fault500, Page: 1, Times: 2})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	st := warehousetest.New(t)
	c := newConn(t, srv.URL, syncNow)
	c.Retry = httpx.Retry{Max: 1, Backoff: time.Millisecond}
	if err := c.Validate(connector.Env{Name: "dvc-tinh", Self: unit}); err != nil {
		t.Fatal(err)
	}
	// The first window's page 1 fails twice (with one retry): the run fails.
	if err := syncOnce(t, st, c); err == nil {
		t.Fatal("want a failed run")
	}
	if _, ok, _ := st.Checkpoint(context.Background(), "dvc-tinh", stream); ok {
		t.Fatal("a failed first window must not leave a checkpoint")
	}
	var status string
	st.DB.Get(&status, `SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1`)
	if status != "failed" {
		t.Errorf("run status %q", status)
	}
	// The faults are spent: the next run converges to the clean result.
	if err := syncOnce(t, st, newConn(t, srv.URL, syncNow)); err != nil {
		t.Fatal(err)
	}
	if snapshot(t, st) != snapshot(t, stClean) {
		t.Fatal("after a failed run, the next run does not converge to the clean result")
	}
	cp, ok, _ := st.Checkpoint(context.Background(), "dvc-tinh", stream)
	if !ok || cp != syncNow.Truncate(time.Second).Format(time.RFC3339) {
		t.Errorf("checkpoint %q", cp)
	}
}

func TestUpdatedDossierIsUpdatedNotDuplicated(t *testing.T) {
	data := dvcsim.Generate(2, unit, 2025, 200)
	now := syncNow
	sim := dvcsim.New(dvcsim.Options{Data: data, Now: func() time.Time { return now }})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	st := warehousetest.New(t)
	if err := syncOnce(t, st, newConn(t, srv.URL, now)); err != nil {
		t.Fatal(err)
	}
	// Find an open dossier and finish it at the source.
	var ma string
	if err := st.DB.Get(&ma, `SELECT ma_ho_so FROM dossiers WHERE status = 4 ORDER BY ma_ho_so LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	now = syncNow.Add(2 * time.Hour)
	if err := sim.Update(ma, map[string]any{"TrangThaiHoSo": "10", "NgayKetThucXuLy": "20260110090000", "NgayTra": "20260110093000"}); err != nil {
		t.Fatal(err)
	}
	if err := syncOnce(t, st, newConn(t, srv.URL, now.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers`); n != 200 {
		t.Fatalf("%d dossiers after the update, want 200", n)
	}
	var status int
	var finished time.Time
	if err := st.DB.QueryRow(`SELECT status, finished_at FROM dossiers WHERE ma_ho_so = $1`, ma).Scan(&status, &finished); err != nil {
		t.Fatal(err)
	}
	if status != 10 || !finished.Equal(time.Date(2026, 1, 10, 9, 0, 0, 0, vntime.Location)) {
		t.Errorf("dossier %s: status %d finished %v", ma, status, finished)
	}
	if n := count(t, st, `SELECT count(*) FROM dossier_sightings WHERE ma_ho_so = $1`, ma); n != 1 {
		t.Errorf("%d sightings of one dossier from one source", n)
	}
}

func TestMalformedRecordIsRejectedWithReason(t *testing.T) {
	data := dvcsim.Generate(4, unit, 2025, 120)
	now := syncNow
	sim := dvcsim.New(dvcsim.Options{Data: data, Now: func() time.Time { return now.Add(-time.Hour) }})
	var rec map[string]any
	json.Unmarshal(data.Record(7), &rec)
	rec["MaHoSo"] = unit + "-BAD-0001"
	rec["NgayTiepNhan"] = "2025-13-45 10:00"
	bad, _ := json.Marshal(rec)
	if err := sim.Put(bad, nil, true); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	st := warehousetest.New(t)
	if err := syncOnce(t, st, newConn(t, srv.URL, now)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers`); n != 120 {
		t.Errorf("%d dossiers stored, want the 120 good ones", n)
	}
	var reason string
	var raw []byte
	if err := st.DB.QueryRow(`SELECT reason, raw FROM rejects WHERE connector = 'dvc-tinh'`).Scan(&reason, &raw); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reason, unit+"-BAD-0001") || !strings.Contains(reason, "NgayTiepNhan") {
		t.Errorf("reason %q must name MaHoSo and the field", reason)
	}
	if !bytes.Contains(raw, []byte("2025-13-45")) {
		t.Error("the raw bytes are not kept")
	}
	var status string
	st.DB.Get(&status, `SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1`)
	if status != "partial" {
		t.Errorf("run status %q, want partial", status)
	}
}

// push posts body to the receiver and decodes the answer.
func push(t testing.TB, url, token, body string) (int, pushAnswer) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a pushAnswer
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return resp.StatusCode, a
}

func envelope(data *dvcsim.Generated, from, n int) string {
	var b strings.Builder
	b.WriteString(`{"session":"x","madonvi":"` + unit + `","service":"DongBoHoSoMC","isUpdating":"False","data":[`)
	for i := from; i < from+n; i++ {
		if i > from {
			b.WriteByte(',')
		}
		b.Write(data.Record(i))
	}
	b.WriteString("]}")
	return b.String()
}

func TestPushReceiver(t *testing.T) {
	st := warehousetest.New(t)
	srv := httptest.NewServer(NewPushHandler(chisosync.NewRunner(nil, quiet).RunNow(st), secret.New("s3cret"), unit, quiet))
	defer srv.Close()
	data := dvcsim.Generate(9, unit, 2025, 1000)
	body := envelope(data, 0, 1000)

	if code, a := push(t, srv.URL+"/dvc/DongBoHoSoMC", "wrong", body); code != 401 || a.Code != "-1" {
		t.Fatalf("wrong token: %d %+v", code, a)
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers`); n != 0 {
		t.Fatal("a refused push stored data")
	}
	if _, a := push(t, srv.URL+"/dvc/DongBoHoSoMC", "s3cret", body); a.Code != "0" || a.Message != "Đồng bộ thành công" {
		t.Fatalf("push: %+v", a)
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers`); n != 1000 {
		t.Fatalf("%d dossiers after pushing 1000", n)
	}
	first := snapshot(t, st)
	if _, a := push(t, srv.URL+"/dvc/DongBoHoSoMC", "s3cret", body); a.Code != "0" {
		t.Fatalf("second push: %+v", a)
	}
	if snapshot(t, st) != first {
		t.Fatal("a repeated push changed the facts")
	}
	// A bare array with one bad record: the good one is stored, the bad one
	// kept, the answer names the record and the field.
	var rec map[string]any
	json.Unmarshal(data.Record(3), &rec)
	rec["MaHoSo"] = unit + "-PUSH-BAD"
	rec["NgayHenTra"] = "mai"
	bad, _ := json.Marshal(rec)
	good := `{"MaHoSo":"` + unit + `-PUSH-OK","MaTTHC":"1.001193","KenhThucHien":"2","NgayTiepNhan":"20250601080000","TrangThaiHoSo":"9"}`
	_, a := push(t, srv.URL+"/dvc/DongBoHoSoMC", "s3cret", "["+good+","+string(bad)+"]")
	if a.Code != "-1" || !strings.Contains(a.Message, unit+"-PUSH-BAD") || !strings.Contains(a.Message, "NgayHenTra") {
		t.Fatalf("answer %+v", a)
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers WHERE ma_ho_so = $1`, unit+"-PUSH-OK"); n != 1 {
		t.Error("the good record of a partly bad push was not stored")
	}
	if n := count(t, st, `SELECT count(*) FROM rejects WHERE connector = 'dvc-push' AND reason LIKE '%NgayHenTra%'`); n != 1 {
		t.Error("the bad record is not in rejects")
	}
	// Steps pushed afterwards: a 9 that hides a supplement request becomes 5.
	steps := `{"madonvi":"` + unit + `","service":"CapNhatTienDoHoSoMC","data":[
	 {"MaHoSo":"` + unit + `-PUSH-OK","NguoiXuLy":"Trần Văn Nam","ChucDanh":"Công chức","ThoiDiemXuLy":"20250601080000","NoiDungXuLy":"Tiếp nhận","TrangThai":"2"},
	 {"MaHoSo":"` + unit + `-PUSH-OK","NguoiXuLy":"Trần Văn Nam","ChucDanh":"Công chức","ThoiDiemXuLy":"20250602080000","NoiDungXuLy":"Yêu cầu bổ sung","TrangThai":"5"}]}`
	if _, a := push(t, srv.URL+"/dvc/CapNhatTienDoHoSoMC", "s3cret", steps); a.Code != "0" {
		t.Fatalf("steps push: %+v", a)
	}
	if n := count(t, st, `SELECT status FROM dossiers WHERE ma_ho_so = $1`, unit+"-PUSH-OK"); n != 5 {
		t.Errorf("status after the steps: %d, want 5", n)
	}
	if n := count(t, st, `SELECT count(*) FROM dossier_steps WHERE ma_ho_so = $1`, unit+"-PUSH-OK"); n != 2 {
		t.Errorf("%d steps stored", n)
	}
	if n := count(t, st, `SELECT count(*) FROM dossier_steps WHERE actor LIKE '%Trần Văn Nam%'`); n != 0 {
		t.Error("an officer's name was stored")
	}
	// Broken JSON: rejects keep where it stops and its hash (not its
	// bytes: the sender keeps them), the answer says so.
	if _, a := push(t, srv.URL+"/dvc/DongBoHoSoMC", "s3cret", `[`+good+`,{"MaHoSo":`); a.Code != "-1" {
		t.Fatalf("broken payload: %+v", a)
	}
	if n := count(t, st, `SELECT count(*) FROM rejects WHERE source_key LIKE 'push:DongBoHoSoMC:sha256:%' AND raw IS NULL AND location LIKE '% at byte %'`); n != 1 {
		t.Error("the broken payload is not in rejects by location and hash")
	}
}

// BenchmarkPull pulls N generated dossiers (DVC_BENCH_N, default 2000;
// DVC_BENCH_PAGE the page size, default 1000; DVC_BENCH_STEPS the
// fetch_steps mode) from the simulator into the warehouse and reports
// dossiers/s and the peak Go heap in use (sampled every 10 ms) during the
// pull. The simulator runs in the same process: its share is included.
func BenchmarkPull(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("DVC_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	pageSize := 1000
	if v, err := strconv.Atoi(os.Getenv("DVC_BENCH_PAGE")); err == nil && v > 0 {
		pageSize = v
	}
	data := dvcsim.Generate(1, unit, 2025, n)
	srv := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data}))
	defer srv.Close()
	for b.Loop() {
		b.StopTimer()
		st := warehousetest.New(b)
		c := newConn(b, srv.URL, syncNow)
		c.PageSize = pageSize
		if v := os.Getenv("DVC_BENCH_STEPS"); v != "" {
			c.FetchSteps = v
		}
		c.RequestTimeout = 30 * time.Second
		runtime.GC()
		peak := sampleHeap()
		pgBefore := backendCPU(b, st)
		goBefore := processCPU()
		b.StartTimer()
		start := time.Now()
		if err := syncOnce(b, st, c); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		goCPU := processCPU() - goBefore
		var pgCPU time.Duration
		for pid, t := range backendCPU(b, st) {
			pgCPU += t - pgBefore[pid]
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "dossiers/s")
		b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
		// CPU per dossier does not depend on what else the machine runs.
		b.ReportMetric(float64(goCPU.Microseconds())/float64(n), "go-cpu-µs/dossier")
		b.ReportMetric(float64(pgCPU.Microseconds())/float64(n), "pg-cpu-µs/dossier")
		if got := count(b, st, `SELECT count(*) FROM dossiers`); got != n {
			b.Fatalf("%d dossiers stored, want %d", got, n)
		}
		b.StartTimer()
	}
}

// processCPU is the user and system CPU time of this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU reads the CPU time of the warehouse's server processes
// (/proc/<pid>/stat, Linux) by pid; nil where /proc is not readable.
func backendCPU(b *testing.B, st *warehouse.Store) map[int]time.Duration {
	var pids []int
	if err := st.DB.Select(&pids, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`); err != nil {
		b.Fatal(err)
	}
	out := map[int]time.Duration{}
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command name "(…)": utime and stime are the 12th and 13th.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(ut+stime) * time.Second / 100 // USER_HZ
	}
	return out
}

// sampleHeap samples the heap in use (runtime/metrics) every 10 ms until
// the returned function is called; that function returns the maximum seen.
func sampleHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64() + sample[1].Value.Uint64()
	}
	var peak atomic.Uint64
	peak.Store(read())
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if v := read(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		if v := read(); v > peak.Load() {
			peak.Store(v)
		}
		return peak.Load()
	}
}

// BenchmarkPush1000 posts a batch of 1,000 dossiers to the receiver.
func BenchmarkPush1000(b *testing.B) {
	st := warehousetest.New(b)
	srv := httptest.NewServer(NewPushHandler(chisosync.NewRunner(nil, quiet).RunNow(st), secret.New("t"), unit, quiet))
	defer srv.Close()
	data := dvcsim.Generate(9, unit, 2025, 1000)
	body := envelope(data, 0, 1000)
	for b.Loop() {
		if _, a := push(b, srv.URL+"/dvc/DongBoHoSoMC", "t", body); a.Code != "0" {
			b.Fatal(a)
		}
	}
}

// diffLines shows the lines of a and b that the other lacks (first 20).
func diffLines(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !mb[l] && len(out) < 20 {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ma[l] && len(out) < 40 {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

func TestBackfillWindowByReception(t *testing.T) {
	data := dvcsim.Generate(8, unit, 2025, 400)
	srv := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data}))
	defer srv.Close()
	st := warehousetest.New(t)
	c := newConn(t, srv.URL, syncNow)
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, vntime.Location)
	to := time.Date(2025, 3, 31, 0, 0, 0, 0, vntime.Location)
	c.SetEnv(connector.Env{Name: "dvc-tinh", Self: unit, Window: &connector.Window{From: from, To: to}})
	if err := syncOnce(t, st, c); err != nil {
		t.Fatal(err)
	}
	want := 0
	for i := 0; i < data.Len(); i++ {
		if r := data.Received(i); r != nil && !r.Before(from) && r.Before(to.AddDate(0, 0, 1)) {
			want++
		}
	}
	if got := count(t, st, `SELECT count(*) FROM dossiers`); got != want || want == 0 {
		t.Errorf("%d dossiers stored, %d received in March", got, want)
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers WHERE received_at < $1 OR received_at >= $2`, from, to.AddDate(0, 0, 1)); n != 0 {
		t.Errorf("%d dossiers outside the window", n)
	}
	if _, ok, _ := st.Checkpoint(context.Background(), "dvc-tinh", stream); ok {
		t.Error("a backfill moved the checkpoint")
	}
}

// BenchmarkUpsertDossiers writes N mapped dossiers (DVC_BENCH_N, default
// 20000) in batches of batchSize: the warehouse side of BenchmarkPull alone.
func BenchmarkUpsertDossiers(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("DVC_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	data := dvcsim.Generate(1, unit, 2025, n)
	batch := make([]facts.DossierWrite, n)
	for i := range n {
		r, err := dossiers.Map(data.Record(i), dossiers.Options{Unit: unit, Source: "dvc-tinh", SourceKey: "madonvi:" + unit})
		if err != nil {
			b.Fatal(err)
		}
		batch[i] = facts.DossierWrite{Dossier: r.Dossier, Steps: r.Steps, Sighting: r.Sighting}
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		st := warehousetest.New(b)
		run, err := st.StartRun(ctx, "dvc-tinh")
		if err != nil {
			b.Fatal(err)
		}
		pgBefore := backendCPU(b, st)
		b.StartTimer()
		start := time.Now()
		for i := 0; i < n; i += batchSize {
			if err := run.UpsertDossiers(ctx, batch[i:min(i+batchSize, n)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := run.Finish(ctx, nil); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		var pgCPU time.Duration
		for pid, t := range backendCPU(b, st) {
			pgCPU += t - pgBefore[pid]
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "dossiers/s")
		b.ReportMetric(float64(pgCPU.Microseconds())/float64(n), "pg-cpu-µs/dossier")
		b.StartTimer()
	}
}
