package vxp_test

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/httpx"
	"chiso/adapters/vntime"
	wire "chiso/adapters/vxp"
	"chiso/adapters/vxp/vxpsim"
	"chiso/mapping/orgdir"
	"chiso/sync/connector"
	"chiso/sync/connectors/vxp"
	"chiso/sync/secret"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

const (
	unit  = "000.25.31.H99"
	seed  = 21
	scale = 0.04
)

func directory() *orgdir.Directory {
	var units []orgdir.Unit
	for _, o := range edxmlgen.Directory(unit) {
		parent := ""
		if o.Relation == edxmlgen.RelInternal {
			parent = unit
		}
		units = append(units, orgdir.Unit{Code: o.Code, Name: o.Name, Parent: parent, Relation: o.Relation})
	}
	return orgdir.New(units)
}

func newSim(t *testing.T, f vxpsim.Faults) (*vxpsim.Server, string) {
	t.Helper()
	f.MalformedAt = 3
	sim, err := vxpsim.New(vxpsim.Options{
		Systems: map[string]string{"yen-dinh": "s3cr3t"}, Seed: seed, Unit: unit,
		Years: []int{2025}, Scale: scale, MaxAttachment: 4096, Faults: f,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	return sim, ts.URL + "/vxp/"
}

func newConn(t *testing.T, endpoint, mode, secretValue string) *vxp.Connector {
	t.Helper()
	c := vxp.New()
	c.Endpoint, c.SystemID, c.Secret, c.Mode = endpoint, "yen-dinh", secret.New(secretValue), mode
	c.Lookback = connector.Span(3 * 365 * 24 * time.Hour) // the generated mailbox holds 2025
	c.BatchSize = 10
	c.Retry.Backoff = time.Millisecond
	c.RequestTimeout = 5 * time.Second
	env := connector.Env{Name: "axis", Self: unit, Org: directory(), Location: vntime.Location}
	if err := c.Validate(env); err != nil {
		t.Fatal(err)
	}
	c.SetEnv(env)
	return c
}

func syncOnce(ctx context.Context, st *warehouse.Store, c *vxp.Connector) error {
	run, err := st.StartRun(ctx, "axis")
	if err != nil {
		return err
	}
	return run.Finish(ctx, c.Sync(ctx, run))
}

func count(t *testing.T, st *warehouse.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// expected counts what the generated mailbox holds.
func expected() (docs, statuses, revocations int) {
	c := edxmlgen.Corpus(seed, unit, 2025, edxmlgen.WithScale(scale))
	for _, m := range edxmlgen.Inbox(c) {
		switch m.Kind {
		case edxmlgen.KindDocument:
			docs++
		case edxmlgen.KindStatus:
			statuses++
		case edxmlgen.KindRevocation:
			revocations++
		}
	}
	return
}

func TestObserverLeavesInboxUntouched(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	sim, url := newSim(t, vxpsim.Faults{})
	before := sim.Pending("")
	c := newConn(t, url, vxp.ModeObserver, "s3cr3t")
	if err := syncOnce(ctx, st, c); err != nil {
		t.Fatal(err)
	}
	if calls := sim.StatusCalls(); len(calls) != 0 {
		t.Fatalf("observer called updateStatus %d times", len(calls))
	}
	if after := sim.Pending(""); !slices.Equal(before, after) {
		t.Fatalf("inbox changed: %d pending before, %d after", len(before), len(after))
	}
	docs, statuses, revs := expected()
	if got := count(t, st, `SELECT count(*) FROM documents WHERE direction = 'in'`); got != docs {
		t.Errorf("%d incoming documents, want %d", got, docs)
	}
	if got := count(t, st, `SELECT count(*) FROM document_statuses`); got != statuses {
		t.Errorf("%d statuses, want %d", got, statuses)
	}
	if got := count(t, st, `SELECT count(*) FROM document_revocations`); got != revs {
		t.Errorf("%d revocations, want %d", got, revs)
	}
	if got := count(t, st, `SELECT count(*) FROM document_sightings WHERE source = 'vxp:axis' AND medium = 'electronic'`); got != docs+revs {
		t.Errorf("%d sightings, want %d", got, docs+revs)
	}
	// A second run fetches nothing again.
	fetched := sim.Count(wire.OpGetEdoc)
	if err := syncOnce(ctx, st, c); err != nil {
		t.Fatal(err)
	}
	if n := sim.Count(wire.OpGetEdoc); n != fetched {
		t.Fatalf("second run fetched %d packages again", n-fetched)
	}
	if n := fetched; n != docs+statuses+revs+1 {
		t.Fatalf("first run fetched %d packages, want %d", n, docs+statuses+revs+1)
	}
}

func TestMalformedPackageRejected(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	sim, url := newSim(t, vxpsim.Faults{})
	c := newConn(t, url, vxp.ModeObserver, "s3cr3t")
	if err := syncOnce(ctx, st, c); err != nil {
		t.Fatal(err)
	}
	bad := sim.Pending("edoc")[2] // MalformedAt: 3
	var rj struct {
		Reason string `db:"reason"`
		Raw    []byte `db:"raw"`
	}
	if err := st.DB.Get(&rj, `SELECT reason, raw FROM rejects WHERE connector = 'axis' AND source_key = $1`, bad); err != nil {
		t.Fatalf("reject of %s: %v", bad, err)
	}
	var want strings.Builder
	if err := sim.Package(bad, &want); err != nil {
		t.Fatal(err)
	}
	if string(rj.Raw) != want.String() || len(rj.Raw) == 0 {
		t.Errorf("reject keeps %d bytes, want the %d of the package", len(rj.Raw), want.Len())
	}
	if !strings.Contains(rj.Reason, bad) {
		t.Errorf("reason %q does not name the package", rj.Reason)
	}
	if n := count(t, st, `SELECT count(*) FROM rejects`); n != 1 {
		t.Errorf("%d rejects, want 1", n)
	}
	var status string
	_ = st.DB.Get(&status, `SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1`)
	if status != "partial" {
		t.Errorf("run status %q, want partial", status)
	}
}

// committed returns the docIds whose checkpoints are committed.
func committed(t *testing.T, st *warehouse.Store) map[string]string {
	t.Helper()
	m, err := st.Checkpoints(context.Background(), "axis", "doc:")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range m {
		out[strings.TrimPrefix(k, "doc:")] = v
	}
	return out
}

func TestConsumerAcknowledgesOnlyCommitted(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	// getEdoc requests 25..28 fail: the 25th package fails after its retries.
	sim, url := newSim(t, vxpsim.Faults{Ops: []string{wire.OpGetEdoc}, FailOn: []int{25, 26, 27, 28}})
	c := newConn(t, url, vxp.ModeConsumer, "s3cr3t")
	if err := syncOnce(ctx, st, c); err == nil {
		t.Fatal("the run survived a package that could not be fetched")
	}
	acked := map[string]string{}
	for _, call := range sim.StatusCalls() {
		acked[call.DocID] = call.Status
	}
	done := committed(t, st)
	if len(acked) != 20 || len(done) != 20 {
		t.Fatalf("%d acknowledged, %d committed; want 20 and 20 (two batches of 10)", len(acked), len(done))
	}
	for id := range acked {
		if _, ok := done[id]; !ok {
			t.Errorf("%s acknowledged but not committed", id)
		}
	}
	if acked[sim.Pending("")[0]] != "" {
		t.Errorf("a pending package was acknowledged done")
	}
	// The next run finishes; every package is acknowledged once, the
	// malformed one as fail (and stays listed, as the axis does).
	if err := syncOnce(ctx, st, c); err != nil {
		t.Fatal(err)
	}
	calls := sim.StatusCalls()
	fails := 0
	seen := map[string]bool{}
	for _, call := range calls {
		if seen[call.DocID] {
			t.Errorf("%s acknowledged twice", call.DocID)
		}
		seen[call.DocID] = true
		if call.Status == wire.StatusFail {
			fails++
		}
	}
	if left := sim.Pending(""); fails != 1 || len(left) != 1 {
		t.Fatalf("%d fail acknowledgements, %d packages left; want 1 and 1", fails, len(left))
	}
	if err := syncOnce(ctx, st, c); err != nil {
		t.Fatal(err)
	}
	if n := len(sim.StatusCalls()); n != len(calls) {
		t.Fatalf("third run acknowledged %d packages again", n-len(calls))
	}
}

func TestWrongSecretOneRequest(t *testing.T) {
	st := warehousetest.New(t)
	sim, url := newSim(t, vxpsim.Faults{})
	c := newConn(t, url, vxp.ModeObserver, "not-the-secret")
	err := syncOnce(context.Background(), st, c)
	if !wire.IsAuth(err) || !strings.Contains(err.Error(), `"yen-dinh"`) {
		t.Fatalf("err = %v, want an authentication error naming system_id yen-dinh", err)
	}
	if n := sim.Requests(); n != 1 {
		t.Fatalf("%d requests, want exactly 1", n)
	}
}

// snapshot renders the fact tables without run ids and timestamps of the run.
func snapshot(t *testing.T, st *warehouse.Store) []string {
	t.Helper()
	queries := []string{
		`SELECT concat_ws('|', unit_code, direction, doc_key, document_id, issuer_code, code_number, code_notation, series, doc_type, family,
		  is_secret, medium, issued_on, event_on, array_to_string(counterparts, ','), counterpart_relation, subject, priority,
		  latest_status, latest_status_at, revoked, revoked_at) FROM documents`,
		`SELECT concat_ws('|', source, source_key, unit_code, direction, doc_key, medium, seen_at) FROM document_sightings`,
		`SELECT concat_ws('|', doc_key, reporter, status_code, status_at, document_id, description, source_key) FROM document_statuses`,
		`SELECT concat_ws('|', doc_key, kind, at, document_id, reason, source_key) FROM document_revocations`,
		`SELECT concat_ws('|', connector, source_key, reason, md5(raw)) FROM rejects`,
	}
	var out []string
	for i, q := range queries {
		var rows []string
		if err := st.DB.Select(&rows, q); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out = append(out, fmt.Sprintf("%d:%s", i, r))
		}
	}
	sort.Strings(out)
	return out
}

func TestInterruptedRunsConverge(t *testing.T) {
	ctx := context.Background()
	clean := warehousetest.New(t)
	_, url := newSim(t, vxpsim.Faults{})
	if err := syncOnce(ctx, clean, newConn(t, url, vxp.ModeObserver, "s3cr3t")); err != nil {
		t.Fatal(err)
	}
	want := snapshot(t, clean)

	st := warehousetest.New(t)
	sim, url := newSim(t, vxpsim.Faults{FailProb: 0.45, TruncateProb: 0.2})
	c := newConn(t, url, vxp.ModeObserver, "s3cr3t")
	failed := 0
	for run := 0; ; run++ {
		err := syncOnce(ctx, st, c)
		if err == nil {
			break
		}
		failed++
		if run == 40 {
			sim.SetFaults(vxpsim.Faults{}) // bound the test; convergence is still checked
		}
	}
	if failed == 0 {
		t.Fatal("no run was interrupted: the faults did not bite")
	}
	got := snapshot(t, st)
	if !slices.Equal(got, want) {
		t.Fatalf("after %d interrupted runs the warehouse differs from a clean run: %d rows vs %d\n%s", failed, len(got), len(want), firstDiff(got, want))
	}
	t.Logf("%d interrupted runs, then %d rows identical to a clean run", failed, len(got))
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return "got:  " + a[i] + "\nwant: " + b[i]
		}
	}
	return "(one is a prefix of the other)"
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		keys []string // keys with an error
	}{
		{"minimal", "endpoint: https://axis.example/vxp\nsystem_id: x\nsecret: s", nil},
		{"all keys", "endpoint: http://127.0.0.1:1/vxp\nsystem_id: x\nsecret: s\nmode: consumer\nmessage_types: [status]\nlookback: 1d12h\nunit: 001.25.31.H99\nrequest_timeout: 30s\nbatch_size: 5\nretry: {max: 1, backoff: 2s}", nil},
		{"missing", "mode: observer", []string{"endpoint", "system_id", "secret"}},
		{"bad values", "endpoint: ftp://x\nsystem_id: x\nsecret: s\nmode: primary\nmessage_types: [edoc, mail]\nunit: 'a b'", []string{"endpoint", "mode", "message_types", "unit"}},
		{"tls file", "endpoint: https://x/vxp\nsystem_id: x\nsecret: s\ntls: {ca_file: /nonexistent/ca.pem}", []string{"tls.ca_file"}},
		{"tls pair", "endpoint: https://x/vxp\nsystem_id: x\nsecret: s\ntls: {cert_file: /a.pem}", []string{"tls.cert_file"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := vxp.New()
			dec := yaml.NewDecoder(strings.NewReader(tc.yaml))
			dec.KnownFields(true)
			if err := dec.Decode(c); err != nil {
				t.Fatal(err)
			}
			err := c.Validate(connector.Env{Name: "axis", Self: unit, Org: directory()})
			var got []string
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					var fe *connector.FieldError
					if errors.As(e, &fe) {
						got = append(got, fe.Key)
					}
				}
			}
			if !slices.Equal(got, tc.keys) {
				t.Fatalf("errors on %v, want %v (%v)", got, tc.keys, err)
			}
		})
	}
}

// The real producers' packages (edxml.md: all well-formed ones are read;
// the two broken files and the annotated template are rejected).
func TestRealSamplesThroughTheAxis(t *testing.T) {
	dir := "../../../../shared/specs/real-samples/edxml"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("real samples not available")
	}
	sim, err := vxpsim.New(vxpsim.Options{Dir: dir, Systems: map[string]string{"yen-dinh": "s3cr3t"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim)
	defer ts.Close()
	st := warehousetest.New(t)
	c := newConn(t, ts.URL+"/vxp", vxp.ModeObserver, "s3cr3t")
	c.Lookback = connector.Span(100 * 365 * 24 * time.Hour)
	if err := syncOnce(context.Background(), st, c); err != nil {
		t.Fatal(err)
	}
	var rejected []string
	if err := st.DB.Select(&rejected, `SELECT reason FROM rejects ORDER BY reason`); err != nil {
		t.Fatal(err)
	}
	stored := count(t, st, `SELECT count(*) FROM sync_state WHERE connector = 'axis' AND checkpoint = 'stored'`)
	if len(rejected) != 3 || stored != len(sim.Pending(""))-3 {
		t.Fatalf("%d stored, %d rejected of %d: %v", stored, len(rejected), len(sim.Pending("")), rejected)
	}
	for _, r := range rejected {
		t.Log("rejected:", r)
	}
}

// BenchmarkObserverYear syncs a full generated commune-year (~6000
// packages) from the simulator into the warehouse.
func BenchmarkObserverYear(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		st := warehousetest.New(b)
		sim, err := vxpsim.New(vxpsim.Options{Systems: map[string]string{"yen-dinh": "s3cr3t"}, Seed: seed, Unit: unit, Years: []int{2025}, MaxAttachment: 16 << 10})
		if err != nil {
			b.Fatal(err)
		}
		ts := httptest.NewServer(sim)
		c := vxp.New()
		c.Endpoint, c.SystemID, c.Secret = ts.URL+"/vxp", "yen-dinh", secret.New("s3cr3t")
		c.Lookback = connector.Span(3 * 365 * 24 * time.Hour)
		env := connector.Env{Name: "axis", Self: unit, Org: directory()}
		if err := c.Validate(env); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := syncOnce(context.Background(), st, c); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(len(sim.Pending(""))), "packages")
		ts.Close()
		b.StartTimer()
	}
}

// The run's deadline (the connector's timeout, applied by the runner)
// stops a sync against a stalled axis promptly, with a clear error.
func TestRunTimeoutStopsStalledAxis(t *testing.T) {
	st := warehousetest.New(t)
	_, url := newSim(t, vxpsim.Faults{SlowProb: 1, Delay: 30 * time.Second})
	c := newConn(t, url, vxp.ModeObserver, "s3cr3t")
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := syncOnce(ctx, st, c)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("stopped after %v", d)
	}
	var status string
	if err := st.DB.Get(&status, `SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1`); err != nil || status != "failed" {
		t.Fatalf("run status %q (%v), want failed", status, err)
	}
}

// vxpBlocks decodes strictly every `type: vxp` item of a YAML connector list.
func vxpBlocks(t *testing.T, list []yaml.Node, baseDir string) int {
	t.Helper()
	found := 0
	for _, n := range list {
		rest := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		isVXP := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch k.Value {
			case "type":
				isVXP = v.Value == vxp.Type
			case "name", "schedule", "timeout":
			default:
				rest.Content = append(rest.Content, k, v)
			}
		}
		if !isVXP {
			continue
		}
		found++
		out, _ := yaml.Marshal(rest)
		dec := yaml.NewDecoder(strings.NewReader(string(out)))
		dec.KnownFields(true)
		c := vxp.New()
		if err := dec.Decode(c); err != nil {
			t.Fatalf("vxp block: %v", err)
		}
		if err := c.Validate(connector.Env{Name: "truc-vxp", BaseDir: baseDir, Self: unit, Org: directory()}); err != nil {
			t.Fatalf("vxp block: %v", err)
		}
	}
	return found
}

// The sample config of the connector and the vxp block of the example
// config decode strictly and validate.
func TestSampleAndExampleConfig(t *testing.T) {
	t.Setenv("CHISO_VXP_SECRET", "x")
	var sample struct {
		Connectors []yaml.Node `yaml:"connectors"`
	}
	if err := yaml.Unmarshal([]byte(vxp.SampleConfig), &sample); err != nil {
		t.Fatal(err)
	}
	if vxpBlocks(t, sample.Connectors, ".") != 1 {
		t.Fatal("SampleConfig holds no vxp connector")
	}
	if _, err := os.Stat("../../../configs/chiso.example.yaml"); err != nil {
		t.Skip("example config not available")
	}
	t.Chdir("../../../configs") // secrets are file: paths relative to the config
	b, err := os.ReadFile("chiso.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Connectors []yaml.Node `yaml:"connectors"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if vxpBlocks(t, doc.Connectors, ".") == 0 {
		t.Fatal("no vxp connector in the example config")
	}
}

func TestCheck(t *testing.T) {
	sim, url := newSim(t, vxpsim.Faults{})
	if err := newConn(t, url, vxp.ModeObserver, "s3cr3t").Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := newConn(t, url, vxp.ModeObserver, "bad").Check(context.Background()); !wire.IsAuth(err) {
		t.Fatalf("err = %v, want an authentication error", err)
	}
	if sim.Count(wire.OpGetAgenciesList) != 2 || len(sim.StatusCalls()) != 0 || sim.Count(wire.OpGetEdoc) != 0 {
		t.Fatal("Check did more than read the agency directory")
	}
}

// Over HTTPS the axis' certificate is checked against tls.ca_file.
func TestTLSCAFile(t *testing.T) {
	sim, err := vxpsim.New(vxpsim.Options{Systems: map[string]string{"yen-dinh": "s3cr3t"}, Seed: seed, Unit: unit, Years: []int{2025}, Scale: scale})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(sim)
	defer ts.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tls  httpx.TLS
		ok   bool
	}{
		{"trusted by ca_file", httpx.TLS{CAFile: ca}, true},
		{"unknown authority", httpx.TLS{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := vxp.New()
			c.Endpoint, c.SystemID, c.Secret, c.TLS = ts.URL+"/vxp", "yen-dinh", secret.New("s3cr3t"), tc.tls
			c.Retry = httpx.Retry{Max: 1, Backoff: time.Millisecond}
			if err := c.Validate(connector.Env{Name: "axis", Self: unit, Org: directory()}); err != nil {
				t.Fatal(err)
			}
			err := c.Check(context.Background())
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if !tc.ok && !strings.Contains(err.Error(), "certificate") {
				t.Fatalf("err = %v, want a certificate error", err)
			}
		})
	}
}

// A backfill window (chiso sync --from --to) narrows the listing to the
// packages created in it.
func TestBackfillWindow(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	_, url := newSim(t, vxpsim.Faults{})
	c := newConn(t, url, vxp.ModeObserver, "s3cr3t")
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, vntime.Location)
	to := time.Date(2025, 4, 30, 0, 0, 0, 0, vntime.Location)
	env := connector.Env{Name: "axis", Self: unit, Org: directory(), Location: vntime.Location, Window: &connector.Window{From: from, To: to}}
	c.SetEnv(env)
	if err := syncOnce(ctx, st, c); err != nil {
		t.Fatal(err)
	}
	var seen []time.Time
	if err := st.DB.Select(&seen, `SELECT seen_at FROM document_sightings`); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, m := range edxmlgen.Inbox(edxmlgen.Corpus(seed, unit, 2025, edxmlgen.WithScale(scale))) {
		at := m.At.Truncate(time.Second)
		if m.Kind != edxmlgen.KindStatus && !at.Before(from) && at.Before(to.AddDate(0, 0, 1)) {
			want++
		}
	}
	if len(seen) != want || want == 0 {
		t.Fatalf("%d sightings in the window, want %d", len(seen), want)
	}
	for _, s := range seen {
		if s.Before(from) || !s.Before(to.AddDate(0, 0, 1)) {
			t.Fatalf("sighting at %v outside the window", s)
		}
	}
}
