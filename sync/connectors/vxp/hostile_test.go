package vxp_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/vxp/vxpsim"
	"chiso/sync/connectors/vxp"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

type hostileReject struct {
	Key      string  `db:"source_key"`
	Location *string `db:"location"`
	Field    *string `db:"field"`
	Reason   string  `db:"reason"`
	Hash     *string `db:"raw_sha256"`
	Raw      []byte  `db:"raw"`
	RunID    int64   `db:"run_id"`
}

func hostileRejects(t *testing.T, st *warehouse.Store) map[string]hostileReject {
	t.Helper()
	var rows []hostileReject
	if err := st.DB.Select(&rows, `SELECT source_key, location, field, reason, raw_sha256, raw, run_id FROM rejects`); err != nil {
		t.Fatal(err)
	}
	m := map[string]hostileReject{}
	for _, r := range rows {
		m[r.Key] = r
	}
	return m
}

func nullable(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TestHostilePackages (issue 19): the axis serves, over real HTTP, good
// packages next to hostile ones (non-UTF-8 bytes in names, attributes,
// text and quoted error contexts, NUL, &#0;, CESU surrogates, an over-long
// Subject and identifier, deep nesting, a cut package). Each bad package
// is exactly one reject naming the package and the element, with the hash
// of its bytes; the run is not failed, every good document is stored, and
// a second run fetches nothing and changes nothing. A package, once
// rejected, is not fetched again (an axis docId names one package; a
// corrected one is sent under a new docId, and that one is stored).
func TestHostilePackages(t *testing.T) {
	cases, err := edxmlgen.HostileArchive(seed, unit)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	byID := map[string]edxmlgen.HostileCase{}
	var good, bad int
	for i, hc := range cases {
		id := fmt.Sprintf("%024x", 0xbad000+i) // the simulator serves a file under its 24-hex name
		byID[id] = hc
		if err := os.WriteFile(filepath.Join(dir, id+".edxml"), hc.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		if hc.Stored {
			good++
		} else {
			bad++
		}
	}
	sim, err := vxpsim.New(vxpsim.Options{Dir: dir, Systems: map[string]string{"yen-dinh": "s3cr3t"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	st := warehousetest.New(t)
	c := newConn(t, ts.URL+"/vxp/", vxp.ModeObserver, "s3cr3t")
	ctx := t.Context()

	type outcome struct {
		status           string
		fetched, rejects int
	}
	run := func() outcome {
		t.Helper()
		if err := syncOnce(ctx, st, c); err != nil {
			t.Fatalf("sync: %v", err)
		}
		var o outcome
		if err := st.DB.QueryRowx(`SELECT status, fetched, rejected FROM sync_runs ORDER BY id DESC LIMIT 1`).Scan(&o.status, &o.fetched, &o.rejects); err != nil {
			t.Fatal(err)
		}
		return o
	}

	o := run()
	t.Logf("run 1: %+v", o)
	if o.status == "failed" || o.fetched != len(cases) || o.rejects != bad {
		t.Errorf("run 1: %+v; want not failed, %d fetched, %d rejected", o, len(cases), bad)
	}
	var subjects map[string]string = map[string]string{}
	var rows []struct {
		Key     string `db:"source_key"`
		Subject string `db:"subject"`
	}
	if err := st.DB.Select(&rows, `SELECT s.source_key, d.subject FROM documents d JOIN document_sightings s USING (unit_code, direction, doc_key)`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		subjects[r.Key] = r.Subject
	}
	rejects := hostileRejects(t, st)
	if len(rejects) != bad || len(subjects) != good {
		t.Errorf("run 1: %d reject rows, %d documents; want %d, %d", len(rejects), len(subjects), bad, good)
	}
	for id, hc := range byID {
		if hc.Stored {
			if got, ok := subjects[id]; !ok || got != hc.Subject {
				t.Errorf("%s (%s): stored %v, subject %q (%d chars); want %q", id, hc.Name, ok, got, utf8.RuneCountInString(got), hc.Subject)
			}
			continue
		}
		r, ok := rejects[id]
		if !ok {
			t.Errorf("%s (%s): no reject", id, hc.Name)
			continue
		}
		sum := sha256.Sum256(hc.Data)
		name := "vxp:" + id
		if nullable(r.Location) != name || nullable(r.Field) != hc.Field || nullable(r.Hash) != hex.EncodeToString(sum[:]) || string(r.Raw) != string(hc.Data) {
			t.Errorf("%s (%s): location %q, field %q, hash %q, %d raw bytes; want %q, %q, the package's sha256 and bytes",
				id, hc.Name, nullable(r.Location), nullable(r.Field), nullable(r.Hash), len(r.Raw), name, hc.Field)
		}
		if !strings.HasPrefix(r.Reason, name+": ") || !strings.Contains(r.Reason, hc.Reason) || !utf8.ValidString(r.Reason) {
			t.Errorf("%s (%s): reason %q; want it to name the package and %q", id, hc.Name, r.Reason, hc.Reason)
		}
	}
	cps := committed(t, st)

	// Run 2: nothing fetched, nothing changed.
	if o = run(); o.status != "ok" || o.fetched != 0 || o.rejects != 0 {
		t.Errorf("run 2: %+v; want ok, nothing fetched or rejected", o)
	}
	again := hostileRejects(t, st)
	for id, r := range rejects {
		if a, ok := again[id]; !ok || a.RunID != r.RunID || a.Reason != r.Reason {
			t.Errorf("run 2 rewrote the reject of %s", id)
		}
	}
	if cps2 := committed(t, st); fmt.Sprint(cps2) != fmt.Sprint(cps) {
		t.Errorf("run 2 moved checkpoints:\n%v\n%v", cps, cps2)
	}

	// Run 3: the corrected package arrives under a new docId and is stored.
	var fixed edxmlgen.HostileCase
	for _, hc := range cases {
		if hc.Name == "bad-subject-c328.edxml" {
			fixed = hc
		}
	}
	const fixedID = "0000000000000000000f13ed"
	if err := os.WriteFile(filepath.Join(dir, fixedID+".edxml"), []byte(strings.Replace(string(fixed.Data), "\xc3\x28", "(", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	sim, err = vxpsim.New(vxpsim.Options{Dir: dir, Systems: map[string]string{"yen-dinh": "s3cr3t"}})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = sim
	if o = run(); o.status != "ok" || o.fetched != 1 || o.rejects != 0 {
		t.Errorf("run 3: %+v; want ok, the corrected package fetched", o)
	}
	var subject string
	if err := st.DB.Get(&subject, `SELECT d.subject FROM documents d JOIN document_sightings s USING (unit_code, direction, doc_key) WHERE s.source_key = $1`, fixedID); err != nil || subject != "Báo cáo ( năm 2025" {
		t.Errorf("run 3: corrected package's subject %q (%v)", subject, err)
	}
	if n := count(t, st, `SELECT count(*) FROM rejects`); n != bad {
		t.Errorf("run 3: %d rejects, want the %d of run 1", n, bad)
	}
}
