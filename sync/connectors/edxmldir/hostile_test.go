package edxmldir

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/mapping/orgdir"
	"chiso/sync/connector"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// genDirectory is the org directory of edxmlgen's corpus for self.
func genDirectory() *orgdir.Directory {
	var units []orgdir.Unit
	for _, o := range edxmlgen.Directory(self) {
		parent := ""
		if o.Relation == edxmlgen.RelInternal {
			parent = self
		}
		units = append(units, orgdir.Unit{Code: o.Code, Name: o.Name, Parent: parent, Relation: o.Relation})
	}
	return orgdir.New(units)
}

// rejectRow is a row of rejects as the hostile tests read it.
type rejectRow struct {
	Key      string  `db:"source_key"`
	Location *string `db:"location"`
	Field    *string `db:"field"`
	Reason   string  `db:"reason"`
	Hash     *string `db:"raw_sha256"`
	Raw      []byte  `db:"raw"`
	RunID    int64   `db:"run_id"`
}

func rejectRows(t *testing.T, st *warehouse.Store) map[string]rejectRow {
	t.Helper()
	var rows []rejectRow
	if err := st.DB.Select(&rows, `SELECT source_key, location, field, reason, raw_sha256, raw, run_id FROM rejects ORDER BY source_key`); err != nil {
		t.Fatal(err)
	}
	m := map[string]rejectRow{}
	for _, r := range rows {
		m[r.Key] = r
	}
	return m
}

// TestHostileArchive (issue 19, "one bad byte blocks an archive forever"):
// one archive holds good packages next to hostile ones (non-UTF-8 bytes in
// names, attributes, text and quoted error contexts, NUL, &#0;, CESU
// surrogates, an over-long Subject and identifier, deep nesting, a cut
// file). Each bad file is exactly one reject naming the file and the
// element, with the hash of its bytes; the run is not failed and every
// good document is stored; a second run changes nothing; once a bad file
// is rewritten with good bytes, the next run stores it and its reject is
// gone.
func TestHostileArchive(t *testing.T) {
	cases, err := edxmlgen.HostileArchive(21, self)
	if err != nil {
		t.Fatal(err)
	}
	st := warehousetest.New(t)
	root := t.TempDir()
	const dir = "2025/11"
	var bad, good int
	for _, c := range cases {
		write(t, root, path.Join(dir, c.Name), c.Data)
		if c.Stored {
			good++
		} else {
			bad++
		}
	}
	c := New()
	c.Path = root
	if err := c.Validate(connector.Env{Name: "qlvb-archive", Self: self, Org: genDirectory()}); err != nil {
		t.Fatal(err)
	}

	// Run 1: every file read; good ones stored, bad ones one reject each.
	o := syncOnce(t, st, c)
	t.Logf("run 1: status %s, fetched %d, rejected %d, stats %+v", o.status, o.fetch, o.rej, o.stats)
	if o.status == "failed" || o.stats.Parsed != good || o.stats.Rejected != bad || o.rej != int64(bad) {
		t.Errorf("run 1: status %s, parsed %d, rejected %d (run counts %d); want not failed, %d parsed, %d rejected",
			o.status, o.stats.Parsed, o.stats.Rejected, o.rej, good, bad)
	}
	if o.stats.Warnings < 1 {
		t.Errorf("run 1: %d warnings; want the cut Subject's", o.stats.Warnings)
	}
	subjects := storedSubjects(t, st)
	rejects := rejectRows(t, st)
	if len(rejects) != bad {
		t.Errorf("run 1: %d reject rows, want %d", len(rejects), bad)
	}
	for _, hc := range cases {
		rel := path.Join(dir, hc.Name)
		if hc.Stored {
			if got, ok := subjects[rel]; !ok || got != hc.Subject {
				t.Errorf("%s: stored %v, subject %q (%d chars); want %q (%d chars)", rel, ok, got, utf8.RuneCountInString(got), hc.Subject, utf8.RuneCountInString(hc.Subject))
			}
			if _, ok := rejects[rel]; ok {
				t.Errorf("%s: stored and rejected", rel)
			}
			continue
		}
		checkReject(t, rejects, rel, hc)
	}
	cps, err := st.Checkpoints(t.Context(), "qlvb-archive", "file:")
	if err != nil || len(cps) != len(cases) {
		t.Errorf("run 1: %d checkpoints (%v), want %d", len(cps), err, len(cases))
	}

	// Run 2: nothing new, nothing rewritten.
	o = syncOnce(t, st, c)
	if o.status != "ok" || o.rej != 0 || o.fetch != 0 || o.stats.Skipped != len(cases) {
		t.Errorf("run 2: status %s, fetched %d, rejected %d, stats %+v; want ok and every file skipped", o.status, o.fetch, o.rej, o.stats)
	}
	if again := rejectRows(t, st); !sameRejects(again, rejects) {
		t.Errorf("run 2 changed rejects")
	}
	if cps2, _ := st.Checkpoints(t.Context(), "qlvb-archive", "file:"); !sameMap(cps, cps2) {
		t.Errorf("run 2 moved checkpoints")
	}

	// Run 3: one bad file rewritten with good bytes.
	const fixed = dir + "/bad-subject-c328.edxml"
	var fixedCase edxmlgen.HostileCase
	for _, hc := range cases {
		if hc.Name == path.Base(fixed) {
			fixedCase = hc
		}
	}
	if err := os.WriteFile(write(t, root, fixed, nil), []byte(strings.Replace(string(fixedCase.Data), "\xc3\x28", "(", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	o = syncOnce(t, st, c)
	if o.status != "ok" || o.rej != 0 || o.stats.Parsed != 1 || o.stats.Skipped != len(cases)-1 {
		t.Errorf("run 3: status %s, rejected %d, stats %+v; want ok, the fixed file parsed, the others skipped", o.status, o.rej, o.stats)
	}
	if got := storedSubjects(t, st)[fixed]; got != "Báo cáo ( năm 2025" {
		t.Errorf("run 3: fixed file's subject %q", got)
	}
	after := rejectRows(t, st)
	if _, ok := after[fixed]; ok {
		t.Errorf("run 3: the fixed file's reject is still kept: %s", after[fixed].Reason)
	}
	delete(rejects, fixed)
	if !sameRejects(after, rejects) {
		t.Errorf("run 3: the other rejects changed: %d rows, want %d", len(after), len(rejects))
	}
	var counted int
	if err := st.DB.Get(&counted, `SELECT count(*) FROM rejects WHERE connector = 'qlvb-archive'`); err != nil || counted != bad-1 {
		t.Errorf("run 3: %d rejects counted (%v), want %d", counted, err, bad-1)
	}
}

// checkReject checks the one reject of a bad file of a folder connector:
// key and location are the file, the field is the element the parser
// named, the reason names the file and the problem and is storable text,
// the hash is that of the file's bytes.
func checkReject(t *testing.T, rejects map[string]rejectRow, rel string, hc edxmlgen.HostileCase) {
	t.Helper()
	r, ok := rejects[rel]
	if !ok {
		t.Errorf("%s: no reject", rel)
		return
	}
	sum := sha256.Sum256(hc.Data)
	if text(r.Location) != rel || text(r.Field) != hc.Field || text(r.Hash) != hex.EncodeToString(sum[:]) {
		t.Errorf("%s: location %q, field %q, hash %q; want %q, %q, the file's sha256", rel, text(r.Location), text(r.Field), text(r.Hash), rel, hc.Field)
	}
	if !strings.HasPrefix(r.Reason, rel+": ") || !strings.Contains(r.Reason, hc.Reason) || !utf8.ValidString(r.Reason) || strings.ContainsRune(r.Reason, 0) {
		t.Errorf("%s: reason %q; want it to name the file and %q", rel, r.Reason, hc.Reason)
	}
	if string(r.Raw) != string(hc.Data) {
		t.Errorf("%s: raw is %d bytes, want the file's %d", rel, len(r.Raw), len(hc.Data))
	}
}

// storedSubjects maps each sighting's source key to its document's subject.
func storedSubjects(t *testing.T, st *warehouse.Store) map[string]string {
	t.Helper()
	var rows []struct {
		Key     string `db:"source_key"`
		Subject string `db:"subject"`
	}
	if err := st.DB.Select(&rows, `SELECT s.source_key, d.subject FROM documents d JOIN document_sightings s USING (unit_code, direction, doc_key)`); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range rows {
		m[r.Key] = r.Subject
	}
	return m
}

func sameRejects(a, b map[string]rejectRow) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok || x.Reason != y.Reason || text(x.Field) != text(y.Field) || text(x.Hash) != text(y.Hash) || x.RunID != y.RunID || string(x.Raw) != string(y.Raw) {
			return false
		}
	}
	return true
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// text is the value of a nullable column ("" for NULL).
func text(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
