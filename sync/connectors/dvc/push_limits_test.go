package dvc

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chiso/adapters/dvc/dvcsim"
	chisosync "chiso/sync"
	"chiso/sync/secret"
	"chiso/warehouse/warehousetest"
)

func metricsBody(t *testing.T, m *chisosync.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// A push runs through the runner: it is a run of dvc-push in sync_runs
// (what chiso status shows), counted in the metrics; while another process
// holds the push lock, a push is answered 503 with Retry-After, nothing is
// stored and no failed run is recorded; sent again, it is stored.
func TestPushIsARun(t *testing.T) {
	st := warehousetest.New(t)
	runner := chisosync.NewRunner(nil, quiet)
	h := NewPushHandler(runner.RunNow(st), secret.New("t"), unit, quiet)
	h.SetLimits(PushLimits{Wait: 200 * time.Millisecond, RetryAfter: 3 * time.Second})
	srv := httptest.NewServer(h)
	defer srv.Close()
	data := dvcsim.Generate(9, unit, 2025, 30)

	if _, a := push(t, srv.URL+"/dvc/DongBoHoSoMC", "t", envelope(data, 0, 10)); a.Code != "0" {
		t.Fatalf("push: %+v", a)
	}
	sums, err := st.Summaries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, s := range sums {
		if s.Connector == PushConnector {
			found = true
			if s.Last == nil || s.Last.Status != "ok" || s.Last.Upserted != 10 || s.Last.Fetched != 10 || s.Last.FinishedAt == nil {
				t.Errorf("the push run: %+v", s.Last)
			}
		}
	}
	if !found {
		t.Fatal("the push is not a run in sync_runs")
	}
	if v := metricValue(metricsBody(t, runner.Metrics), `chiso_sync_runs_total{connector="dvc-push",status="ok"}`); v != "1" {
		t.Errorf("runs_total = %q", v)
	}

	lock, err := st.TryConnectorLock(context.Background(), PushConnector) // another chiso process
	if err != nil || lock == nil {
		t.Fatal(err)
	}
	body := envelope(data, 10, 10)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/dvc/DongBoHoSoMC", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("while locked: %d Retry-After %q, want 503 with Retry-After 3", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers`); n != 10 {
		t.Errorf("%d dossiers after a refused push", n)
	}
	if n := count(t, st, `SELECT count(*) FROM sync_runs WHERE connector = 'dvc-push' AND status = 'failed'`); n != 0 {
		t.Error("a push that waited its turn was recorded as failed")
	}
	lock.Release()
	if _, a := push(t, srv.URL+"/dvc/DongBoHoSoMC", "t", body); a.Code != "0" {
		t.Fatalf("push sent again: %+v", a)
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers`); n != 20 {
		t.Errorf("%d dossiers after the resend", n)
	}
}

// padded is a push body of exactly n bytes (valid JSON, padded with spaces).
func padded(t testing.TB, data *dvcsim.Generated, from, records, n int) []byte {
	b := []byte(envelope(data, from, records))
	if len(b) > n {
		t.Fatalf("payload of %d bytes does not fit in %d", len(b), n)
	}
	return append(b, bytes.Repeat([]byte(" "), n-len(b))...)
}

// The bodies in flight are bounded: with room for two bodies, two pushes
// whose bodies are still arriving hold it, a third is answered 503 with
// Retry-After before its body is read, a body larger than the limit 413;
// the two finish and are stored, the third sent again is stored, and the
// bytes in flight never passed the bound (counted by the receiver's hook).
func TestPushBodiesInFlightAreBounded(t *testing.T) {
	const body = 256 << 10
	st := warehousetest.New(t)
	h := NewPushHandler(chisosync.NewRunner(nil, quiet).RunNow(st), secret.New("t"), unit, quiet)
	h.SetLimits(PushLimits{MaxBody: body, MaxInFlight: 2 * body, Wait: 10 * time.Second})
	var mu sync.Mutex
	var peak int64
	reserved := make(chan struct{}, 16)
	h.onReserve = func(n int64) {
		mu.Lock()
		peak = max(peak, n)
		mu.Unlock()
		reserved <- struct{}{}
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	data := dvcsim.Generate(12, unit, 2025, 60)

	post := func(r io.Reader, length int64) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/dvc/DongBoHoSoMC", r)
		req.ContentLength = length
		req.Header.Set("Authorization", "Bearer t")
		return http.DefaultClient.Do(req)
	}
	type answerOf struct {
		status int
		a      pushAnswer
	}
	var writers []*io.PipeWriter
	var bodies [][]byte
	answers := make(chan answerOf, 2)
	for i := range 2 {
		b := padded(t, data, i*20, 20, body)
		pr, pw := io.Pipe()
		writers, bodies = append(writers, pw), append(bodies, b)
		go func() {
			resp, err := post(pr, body)
			if err != nil {
				t.Error(err)
				answers <- answerOf{}
				return
			}
			defer resp.Body.Close()
			var a pushAnswer
			json.NewDecoder(resp.Body).Decode(&a)
			answers <- answerOf{resp.StatusCode, a}
		}()
		if _, err := pw.Write(b[:1000]); err != nil { // the body starts arriving, and stalls
			t.Fatal(err)
		}
		<-reserved
	}
	if got := h.InFlight(); got != 2*body {
		t.Fatalf("%d bytes in flight, want %d", got, 2*body)
	}
	third := padded(t, data, 40, 20, body)
	resp, err := post(bytes.NewReader(third), body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a push beyond the bound: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	tooBig := padded(t, data, 40, 1, body+1)
	if resp, err := post(bytes.NewReader(tooBig), body+1); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over the limit: %d, want 413", resp.StatusCode)
	}
	for i, pw := range writers {
		if _, err := pw.Write(bodies[i][1000:]); err != nil {
			t.Fatal(err)
		}
		pw.Close()
	}
	for range 2 {
		if a := <-answers; a.status != 200 || a.a.Code != "0" {
			t.Fatalf("a held push: %d %+v", a.status, a.a)
		}
	}
	if got := h.InFlight(); got != 0 {
		t.Errorf("%d bytes still reserved after the answers", got)
	}
	if resp, err := post(bytes.NewReader(third), body); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != 200 {
		t.Fatalf("the third push sent again: %d", resp.StatusCode)
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers`); n != 60 {
		t.Errorf("%d dossiers stored, want 60", n)
	}
	if peak > 2*body {
		t.Errorf("peak %d bytes in flight, over the bound %d", peak, 2*body)
	}
	t.Logf("bound %d bytes; peak in flight %d", 2*body, peak)
}

// metricValue returns the value of the first metric line starting with prefix.
func metricValue(body, prefix string) string {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix+" ") {
			return strings.TrimSpace(strings.TrimPrefix(l, prefix))
		}
	}
	return ""
}

// BenchmarkConcurrentPushes sends DVC_BENCH_PUSHES (default 8) pushes of
// DVC_BENCH_PUSH_MB MiB each (default 4; 20 dossiers padded with spaces,
// so that the body, not the storing, is the cost) at once and reports the
// peak Go heap above what it was before (the bodies the clients send
// are held before), how many were answered 503 and the bytes in flight at the
// peak. Issue 19 measured 8 × 60 MB: DVC_BENCH_PUSH_MB=60.
func BenchmarkConcurrentPushes(b *testing.B) {
	pushes, mb := 8, 4
	if v, err := strconv.Atoi(os.Getenv("DVC_BENCH_PUSHES")); err == nil && v > 0 {
		pushes = v
	}
	if v, err := strconv.Atoi(os.Getenv("DVC_BENCH_PUSH_MB")); err == nil && v > 0 {
		mb = v
	}
	st := warehousetest.New(b)
	h := NewPushHandler(chisosync.NewRunner(nil, quiet).RunNow(st), secret.New("t"), unit, quiet)
	h.SetLimits(PushLimits{MaxBody: int64(mb+1) << 20, MaxInFlight: 4 * int64(mb+1) << 20})
	var peakInFlight atomic.Int64
	h.onReserve = func(n int64) {
		if n > peakInFlight.Load() {
			peakInFlight.Store(n)
		}
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	data := dvcsim.Generate(14, unit, 2025, 20*pushes)
	bodies := make([][]byte, pushes)
	for i := range bodies {
		bodies[i] = padded(b, data, i*20, 20, mb<<20)
	}
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc // the bodies the clients send are in it
		peak := sampleHeap()
		var wg sync.WaitGroup
		var busy atomic.Int64
		for i := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/dvc/DongBoHoSoMC", bytes.NewReader(bodies[i]))
				req.Header.Set("Authorization", "Bearer t")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					busy.Add(1)
				}
			}()
		}
		wg.Wait()
		top := peak()
		b.ReportMetric(float64(top-min(before, top))/(1<<20), "peak-heap-over-bodies-MiB")
		b.ReportMetric(float64(busy.Load()), "answered-503")
		b.ReportMetric(float64(peakInFlight.Load())/(1<<20), "peak-in-flight-MiB")
	}
}
