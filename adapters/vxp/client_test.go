package vxp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/httpx"
	"chiso/adapters/vxp"
	"chiso/adapters/vxp/vxpsim"
)

const unit = "000.25.31.H99"

func start(t *testing.T, opts vxpsim.Options) (*vxpsim.Server, string) {
	t.Helper()
	if opts.Systems == nil {
		opts.Systems = map[string]string{"chiso-test": "s3cr3t"}
	}
	if opts.Years == nil {
		opts.Years = []int{2025}
		opts.Scale = 0.03
	}
	opts.Seed = 11
	sim, err := vxpsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	return sim, ts.URL + "/vxp"
}

func client(t *testing.T, url, secret string, attempt time.Duration) *vxp.Client {
	t.Helper()
	c, err := vxp.New(vxp.Config{Endpoint: url, SystemID: "chiso-test", Secret: secret,
		AttemptTimeout: attempt, Retry: httpx.Retry{Max: 3, Backoff: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOperations(t *testing.T) {
	ctx := context.Background()
	sim, url := start(t, vxpsim.Options{})
	c := client(t, url, "s3cr3t", 5*time.Second)

	edocs, err := c.ReceivedList(ctx, vxp.MessageEdoc, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	statuses, err := c.ReceivedList(ctx, vxp.MessageStatus, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(edocs) == 0 || len(statuses) == 0 || len(edocs) != len(sim.Pending("edoc")) {
		t.Fatalf("listed %d edoc and %d status packages; sim has %d edoc pending", len(edocs), len(statuses), len(sim.Pending("edoc")))
	}
	// fromDate narrows the list.
	mid, ok := edocs[len(edocs)/2].Created()
	if !ok {
		t.Fatalf("created_time %q unreadable", edocs[0].CreatedTime)
	}
	later, err := c.ReceivedList(ctx, vxp.MessageEdoc, mid, time.Time{})
	if err != nil || len(later) == 0 || len(later) >= len(edocs) {
		t.Fatalf("fromDate: %d of %d listed (err %v)", len(later), len(edocs), err)
	}

	// getEdoc returns the exact package bytes.
	id := edocs[0].DocID
	var got, want bytes.Buffer
	if _, err := c.GetEdoc(ctx, id, &got); err != nil {
		t.Fatal(err)
	}
	if err := sim.Package(id, &want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) || got.Len() < 1000 {
		t.Fatalf("getEdoc returned %d bytes, want the %d of the package", got.Len(), want.Len())
	}

	// updateStatus done removes the package from the list; processing does not.
	if err := c.UpdateStatus(ctx, edocs[1].DocID, vxp.StatusProcessing); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateStatus(ctx, id, vxp.StatusDone); err != nil {
		t.Fatal(err)
	}
	after, _ := c.ReceivedList(ctx, vxp.MessageEdoc, time.Time{}, time.Time{})
	if len(after) != len(edocs)-1 {
		t.Fatalf("after done: %d listed, want %d", len(after), len(edocs)-1)
	}
	if err := c.UpdateStatus(ctx, "000000000000000000000000", vxp.StatusDone); err == nil {
		t.Fatal("updateStatus of an unknown docId succeeded")
	}

	ags, err := c.Agencies(ctx)
	if err != nil || len(ags) < 10 || ags[0].Code != unit {
		t.Fatalf("agencies %v, err %v", ags, err)
	}

	// sendEdoc to our own unit lands in the inbox; getSentEdocList sees it.
	body := want.Bytes()
	sent, err := c.SendEdoc(ctx, "000.00.05.H99", []string{unit}, vxp.MessageEdoc, body)
	if err != nil || sent == "" {
		t.Fatalf("sendEdoc: %q, %v", sent, err)
	}
	rows, err := c.SentList(ctx, vxp.MessageEdoc, sent)
	if err != nil || len(rows) != 1 || rows[0].ToCode != unit {
		t.Fatalf("getSentEdocList: %v, %v", rows, err)
	}
	var echo bytes.Buffer
	if _, err := c.GetEdoc(ctx, sent, &echo); err != nil || !bytes.Equal(echo.Bytes(), body) {
		t.Fatalf("sent package not received back: %v", err)
	}
}

func TestWrongSecretFailsOnce(t *testing.T) {
	sim, url := start(t, vxpsim.Options{})
	c := client(t, url, "wrong", 5*time.Second)
	_, err := c.ReceivedList(context.Background(), vxp.MessageEdoc, time.Time{}, time.Time{})
	var auth *vxp.AuthError
	if !errors.As(err, &auth) || !strings.Contains(err.Error(), `"chiso-test"`) || !strings.Contains(err.Error(), "invalid signature") {
		t.Fatalf("err = %v, want an authentication error naming the system_id", err)
	}
	if n := sim.Requests(); n != 1 {
		t.Fatalf("%d requests, want exactly 1 (no retry storm)", n)
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name     string
		faults   vxpsim.Faults
		attempt  time.Duration
		requests int // getReceivedEdocList requests seen by the sim
		fails    bool
	}{
		{"5xx twice then ok", vxpsim.Faults{FailOn: []int{1, 2}}, 5 * time.Second, 3, false},
		{"5xx always gives up after max retries", vxpsim.Faults{FailProb: 1}, 5 * time.Second, 4, true},
		{"slow answer times out then ok", vxpsim.Faults{SlowOn: []int{1}, Delay: time.Second}, 300 * time.Millisecond, 2, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, url := start(t, vxpsim.Options{Faults: tc.faults})
			c := client(t, url, "s3cr3t", tc.attempt)
			list, err := c.ReceivedList(context.Background(), vxp.MessageEdoc, time.Time{}, time.Time{})
			if tc.fails != (err != nil) {
				t.Fatalf("err = %v", err)
			}
			if !tc.fails && len(list) == 0 {
				t.Fatal("empty list")
			}
			if n := sim.Count(vxp.OpGetReceivedEdocList); n != tc.requests {
				t.Fatalf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	cases := []struct {
		name   string
		faults vxpsim.Faults
		check  func(error) bool
	}{
		{"HTTP 400", vxpsim.Faults{FailOn: []int{1}, Code: 400}, func(err error) bool {
			var he *vxp.HTTPError
			return errors.As(err, &he) && he.Status == 400
		}},
		{"FAIL answer", vxpsim.Faults{}, func(err error) bool { // docId missing: FAIL 400 with HTTP 200
			var fe *vxp.FailError
			return errors.As(err, &fe) && fe.Code == "400"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, url := start(t, vxpsim.Options{Faults: tc.faults})
			c := client(t, url, "s3cr3t", time.Second)
			_, err := c.SentList(context.Background(), vxp.MessageEdoc, "")
			if !tc.check(err) {
				t.Fatalf("err = %v", err)
			}
			if n := sim.Count(vxp.OpGetSentEdocList); n != 1 {
				t.Fatalf("%d requests, want 1 (no retry)", n)
			}
		})
	}
}

func TestFetchEdocAfterTruncation(t *testing.T) {
	ctx := context.Background()
	sim, url := start(t, vxpsim.Options{Faults: vxpsim.Faults{TruncateOn: []int{1, 2}}})
	c := client(t, url, "s3cr3t", 5*time.Second)
	id := sim.Pending("edoc")[0]
	var want bytes.Buffer
	if err := sim.Package(id, &want); err != nil {
		t.Fatal(err)
	}
	var partial bytes.Buffer
	if _, err := c.GetEdoc(ctx, id, &partial); !errors.Is(err, vxp.ErrTruncated) && !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("GetEdoc of a truncated body: err = %v", err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "pkg.edxml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := c.FetchEdoc(ctx, id, f)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(f.Name())
	if n != int64(want.Len()) || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("FetchEdoc wrote %d bytes, want %d identical", n, want.Len())
	}
	if k := sim.Count(vxp.OpGetEdoc); k != 3 {
		t.Fatalf("%d getEdoc requests, want 3 (1 truncated alone, 1 truncated + 1 ok in FetchEdoc)", k)
	}
}

func TestFixtureFolder(t *testing.T) {
	dir := t.TempDir()
	src, err := filepath.Glob("../../../shared/specs/samples/*.edxml")
	if err != nil || len(src) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("spec samples not available" + ": CI lays shared/ beside the clone")
		}
		t.Skip("spec samples not available")
	}
	for _, p := range src {
		b, _ := os.ReadFile(p)
		_ = os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644)
	}
	_, url := start(t, vxpsim.Options{Dir: dir})
	c := client(t, url, "s3cr3t", 5*time.Second)
	ctx := context.Background()
	edocs, _ := c.ReceivedList(ctx, vxp.MessageEdoc, time.Time{}, time.Time{})
	statuses, _ := c.ReceivedList(ctx, vxp.MessageStatus, time.Time{}, time.Time{})
	if len(edocs) != 2 || len(statuses) != 2 {
		t.Fatalf("fixtures: %d edoc, %d status; want 2 and 2", len(edocs), len(statuses))
	}
	for _, it := range append(edocs, statuses...) {
		var b bytes.Buffer
		if _, err := c.GetEdoc(ctx, it.DocID, &b); err != nil || !bytes.Contains(b.Bytes(), []byte("QCVN_102_2016")) {
			t.Fatalf("getEdoc %s: %v", it.DocID, err)
		}
		if it.From == "" {
			t.Errorf("%s: from not read from the header", it.DocID)
		}
	}
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// A 40 MiB package travels from the simulator through GetEdoc without
// either side holding it: allocations stay far below its size.
func TestGetEdocStreamsLargePackage(t *testing.T) {
	dir := t.TempDir()
	d := edxmlgen.Corpus(1, unit, 2025, edxmlgen.WithScale(0.02))[0]
	d.Attachments = []edxmlgen.Attachment{{ContentID: "big", Name: "big.pdf", ContentType: "application/pdf", Size: 30 << 20}}
	f, err := os.Create(filepath.Join(dir, d.DocID+".edxml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := edxmlgen.WritePackage(f, d, edxmlgen.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	size, _ := f.Seek(0, io.SeekEnd)
	f.Close()
	_, url := start(t, vxpsim.Options{Dir: dir})
	c := client(t, url, "s3cr3t", 30*time.Second)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var w counter
	n, err := c.GetEdoc(context.Background(), d.DocID, &w)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n != size || w.n != size {
		t.Fatalf("got %d bytes, want %d", n, size)
	}
	grew := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MiB package, %d KiB allocated", size>>20, grew>>10)
	if grew > 8<<20 {
		t.Fatalf("allocated %d MiB for a %d MiB package: not streamed", grew>>20, size>>20)
	}
}

func TestGetEdocRetries5xx(t *testing.T) {
	cases := []struct {
		name     string
		failOn   []int
		requests int
		ok       bool
	}{
		{"two 503 then the package", []int{1, 2}, 3, true},
		{"503 on every attempt", []int{1, 2, 3, 4}, 4, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, url := start(t, vxpsim.Options{Faults: vxpsim.Faults{Ops: []string{vxp.OpGetEdoc}, FailOn: tc.failOn}})
			c := client(t, url, "s3cr3t", 5*time.Second)
			var b bytes.Buffer
			_, err := c.GetEdoc(context.Background(), sim.Pending("edoc")[0], &b)
			var he *vxp.HTTPError
			switch {
			case tc.ok && (err != nil || b.Len() == 0):
				t.Fatalf("err = %v, %d bytes", err, b.Len())
			case !tc.ok && (!errors.As(err, &he) || he.Status != 503 || !strings.Contains(he.Body, "simulated")):
				t.Fatalf("err = %v, want HTTP 503 with the gateway's text", err)
			}
			if n := sim.Count(vxp.OpGetEdoc); n != tc.requests {
				t.Fatalf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}
