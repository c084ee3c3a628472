package edxmldir

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/mapping/orgdir"
	"chiso/sync/connector"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

const self = "000.25.31.H99"

var testOrg = orgdir.New([]orgdir.Unit{
	{Code: self, Name: "UBND xã Yên Định", Parent: "000.00.00.H99", Relation: orgdir.Self},
	{Code: "001.25.31.H99", Name: "Văn phòng HĐND và UBND xã", Parent: self, Relation: orgdir.Internal},
	{Code: "000.00.00.H99", Name: "UBND tỉnh Bắc Ninh", Relation: orgdir.Higher},
	{Code: "000.00.05.H99", Name: "Sở Nội vụ", Parent: "000.00.00.H99", Relation: orgdir.Higher},
})

const golden = "../../../adapters/edxml/testdata"

func readGolden(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(golden, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// incoming turns the sample outgoing report into a document the province
// sent to an internal unit of the commune.
func incoming(t *testing.T, subject string) []byte {
	s := string(readGolden(t, "valid/sample_edoc_new.edxml"))
	s = strings.Replace(s, "<edXML:OrganId>000.25.31.H99</edXML:OrganId>", "<edXML:OrganId>000.00.00.H99-FROM</edXML:OrganId>", 1)
	s = strings.Replace(s, "<edXML:OrganId>000.00.00.H99</edXML:OrganId>", "<edXML:OrganId>001.25.31.H99</edXML:OrganId>", 1)
	s = strings.Replace(s, "000.00.00.H99-FROM", "000.00.00.H99", 1)
	s = strings.ReplaceAll(s, "125/BC-UBND", "88/KH-UBND")
	s = strings.Replace(s, "<edXML:CodeNumber>125</edXML:CodeNumber>", "<edXML:CodeNumber>88</edXML:CodeNumber>", 1)
	s = strings.Replace(s, "<edXML:CodeNotation>BC-UBND</edXML:CodeNotation>", "<edXML:CodeNotation>KH-UBND</edXML:CodeNotation>", 1)
	s = strings.Replace(s, "<edXML:TypeName>Báo cáo</edXML:TypeName>", "<edXML:TypeName>Kế hoạch</edXML:TypeName>", 1)
	s = strings.Replace(s, "<edXML:OrganId>000.25.31.H99</edXML:OrganId>\n          <edXML:Timestamp>2025/11/20 08:15:30", "<edXML:OrganId>000.00.00.H99</edXML:OrganId>\n          <edXML:Timestamp>2025/11/20 08:15:30", 1)
	s = strings.Replace(s, "</edXML:TraceHeaderList>", "<edXML:TraceHeader><edXML:OrganId>001.25.31.H99</edXML:OrganId><edXML:Timestamp>2025/11/24 10:00:00</edXML:Timestamp></edXML:TraceHeader>\n      </edXML:TraceHeaderList>", 1)
	subj := "<edXML:Subject>Báo cáo kết quả thực hiện cải cách hành chính năm 2025</edXML:Subject>"
	if !strings.Contains(s, subj) {
		t.Fatal("template changed")
	}
	return []byte(strings.Replace(s, subj, "<edXML:Subject>"+subject+"</edXML:Subject>", 1))
}

func write(t *testing.T, root, rel string, b []byte) string {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func newConn(t *testing.T, root string, setup func(*Connector)) *Connector {
	t.Helper()
	c := New()
	c.Path = root
	c.Exclude = []string{"**/tmp/**"}
	if setup != nil {
		setup(c)
	}
	if err := c.Validate(connectorEnv()); err != nil {
		t.Fatal(err)
	}
	return c
}

func connectorEnv() connector.Env {
	return connector.Env{Name: "qlvb-archive", Self: self, Org: testOrg}
}

type runOutcome struct {
	stats  Stats
	id     int64
	status string
	fetch  int64
	rej    int64
}

func syncOnce(t *testing.T, st *warehouse.Store, c *Connector) runOutcome {
	t.Helper()
	ctx := context.Background()
	run, err := st.StartRun(ctx, "qlvb-archive")
	if err != nil {
		t.Fatal(err)
	}
	stats, err := c.sync(ctx, run)
	if err := run.Finish(ctx, err); err != nil {
		t.Fatalf("sync: %v", err)
	}
	o := runOutcome{stats: stats, id: run.RunID()}
	if err := st.DB.QueryRowx(`SELECT status, fetched, rejected FROM sync_runs WHERE id = $1`, o.id).Scan(&o.status, &o.fetch, &o.rej); err != nil {
		t.Fatal(err)
	}
	return o
}

type docRow struct {
	Unit     string  `db:"unit_code"`
	Dir      string  `db:"direction"`
	Key      string  `db:"doc_key"`
	DocType  string  `db:"doc_type"`
	Family   string  `db:"family"`
	Medium   string  `db:"medium"`
	Revoked  bool    `db:"revoked"`
	Status   *string `db:"latest_status"`
	Relation *string `db:"counterpart_relation"`
	EventOn  string  `db:"event_on"`
	Subject  string  `db:"subject"`
}

func docRows(t *testing.T, st *warehouse.Store) []docRow {
	t.Helper()
	var rows []docRow
	if err := st.DB.Select(&rows, `SELECT unit_code, direction, doc_key, doc_type, family, medium, revoked, latest_status,
		counterpart_relation, to_char(event_on, 'YYYY-MM-DD') AS event_on, subject FROM documents ORDER BY direction, doc_key`); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestArchiveSync(t *testing.T) {
	st := warehousetest.New(t)
	root := t.TempDir()
	newDoc := readGolden(t, "valid/sample_edoc_new.edxml")
	write(t, root, "2025/11/3f6b2c1e.edxml", newDoc)
	write(t, root, "2025/11/revocation-7a1.edxml", readGolden(t, "valid/sample_edoc_revocation.edxml"))
	write(t, root, "2025/11/status-01.xml", readGolden(t, "valid/sample_status_01.edxml"))
	write(t, root, "2025/11/status-02.edxml", readGolden(t, "valid/sample_status_02.edxml"))
	inPath := write(t, root, "2025/11/deep/er/incoming.EDXML", incoming(t, "Kế hoạch chuyển đổi số năm 2026"))
	badSubject := readGolden(t, "invalid/empty_subject.edxml")
	write(t, root, "2025/12/empty-subject.edxml", badSubject)
	notXML := readGolden(t, "invalid/real_all4u_not_wellformed.edxml")
	write(t, root, "2025/12/broken.edxml", notXML)
	write(t, root, "2025/12/notes.txt", []byte("not a package"))
	write(t, root, "2025/tmp/partial.edxml", []byte("<edXML"))
	before := snapshot(t, root)

	c := newConn(t, root, nil)

	// Run 1: everything is new.
	o := syncOnce(t, st, c)
	if o.status != "partial" || o.fetch != 7 || o.rej != 2 {
		t.Errorf("run 1: status %s fetched %d rejected %d, want partial 7 2 (%+v)", o.status, o.fetch, o.rej, o.stats)
	}
	got := docRows(t, st)
	out := "000.25.31.H99|2025|regular|125/BC-UBND"
	want := []docRow{
		{Unit: "001.25.31.H99", Dir: "in", Key: "000.00.00.H99|2025|regular|88/KH-UBND", DocType: "ke_hoach", Family: "hanh_chinh",
			Medium: "electronic", Relation: strp("higher"), EventOn: "2025-11-24", Subject: "Kế hoạch chuyển đổi số năm 2026"},
		{Unit: self, Dir: "out", Key: out, DocType: "bao_cao", Family: "hanh_chinh", Medium: "electronic", Revoked: true,
			Status: strp("02"), Relation: strp("higher"), EventOn: "2025-11-20", Subject: "Báo cáo kết quả thực hiện cải cách hành chính năm 2025"},
	}
	compareDocs(t, got, want)

	// The new document and its revocation are one document, two sightings.
	var sightings []string
	if err := st.DB.Select(&sightings, `SELECT source || ' ' || source_key FROM document_sightings WHERE doc_key = $1 ORDER BY source_key`, out); err != nil {
		t.Fatal(err)
	}
	if w := []string{"edxml-dir:qlvb-archive 2025/11/3f6b2c1e.edxml", "edxml-dir:qlvb-archive 2025/11/revocation-7a1.edxml"}; strings.Join(sightings, "|") != strings.Join(w, "|") {
		t.Errorf("sightings = %q, want %q", sightings, w)
	}
	var statuses []string
	if err := st.DB.Select(&statuses, `SELECT reporter || ' ' || status_code FROM document_statuses WHERE doc_key = $1 ORDER BY status_at`, out); err != nil {
		t.Fatal(err)
	}
	if strings.Join(statuses, "|") != "000.00.00.H99 01|000.00.05.H99 02" {
		t.Errorf("statuses = %q", statuses)
	}

	// Bad files are in rejects with their bytes and a reason naming file and element.
	type rejRow struct {
		Key    string `db:"source_key"`
		Reason string `db:"reason"`
		Raw    []byte `db:"raw"`
	}
	var rejs []rejRow
	if err := st.DB.Select(&rejs, `SELECT source_key, reason, raw FROM rejects ORDER BY source_key`); err != nil {
		t.Fatal(err)
	}
	if len(rejs) != 2 {
		t.Fatalf("rejects = %d, want 2", len(rejs))
	}
	for i, w := range []struct {
		key, reason string
		raw         []byte
	}{
		{"2025/12/broken.edxml", "2025/12/broken.edxml: edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From: not well-formed XML", notXML},
		{"2025/12/empty-subject.edxml", "2025/12/empty-subject.edxml: edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Subject: empty Subject", badSubject},
	} {
		if rejs[i].Key != w.key || !strings.HasPrefix(rejs[i].Reason, w.reason) || !bytes.Equal(rejs[i].Raw, w.raw) {
			t.Errorf("reject %d = %s %q (%d bytes), want %s %q (%d bytes)", i, rejs[i].Key, rejs[i].Reason, len(rejs[i].Raw), w.key, w.reason, len(w.raw))
		}
	}

	// Run 2: nothing new, nothing re-rejected.
	o = syncOnce(t, st, c)
	if o.status != "ok" || o.fetch != 0 || o.rej != 0 || o.stats.Skipped != 7 {
		t.Errorf("run 2: status %s fetched %d rejected %d skipped %d, want ok 0 0 7", o.status, o.fetch, o.rej, o.stats.Skipped)
	}

	// Run 3: a file touched without change is hashed, not parsed; a
	// changed file is read again.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(root, "2025/11/3f6b2c1e.edxml"), future, future); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inPath, incoming(t, "Kế hoạch chuyển đổi số năm 2026 (bản sửa)"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(inPath, future, future); err != nil {
		t.Fatal(err)
	}
	o = syncOnce(t, st, c)
	if o.status != "ok" || o.fetch != 1 || o.stats.Unchanged != 1 || o.stats.Parsed != 1 {
		t.Errorf("run 3: status %s fetched %d stats %+v, want ok, 1 fetched, 1 unchanged, 1 parsed", o.status, o.fetch, o.stats)
	}
	want[0].Subject = "Kế hoạch chuyển đổi số năm 2026 (bản sửa)"
	compareDocs(t, docRows(t, st), want)

	// Run 4: the touched file's new mtime was checkpointed.
	if o = syncOnce(t, st, c); o.fetch != 0 || o.stats.Unchanged != 0 {
		t.Errorf("run 4: fetched %d stats %+v, want nothing", o.fetch, o.stats)
	}

	// The archive itself was never written to.
	if after := snapshot(t, root); !equalSnapshots(before, after, "2025/11/3f6b2c1e.edxml", "2025/11/deep/er/incoming.EDXML") {
		t.Errorf("archive changed:\nbefore %v\nafter  %v", before, after)
	}
}

func TestHugeFileRejectedWithFirstBytes(t *testing.T) {
	st := warehousetest.New(t)
	root := t.TempDir()
	old := rawLimit
	rawLimit = 4 << 10
	t.Cleanup(func() { rawLimit = old })
	big := bytes.Repeat([]byte("<!-- padding -->\n"), 4096) // 68 KiB
	write(t, root, "2025/1/huge.edxml", big)
	c := newConn(t, root, func(c *Connector) { c.MaxFileSize = "16KiB" })
	o := syncOnce(t, st, c)
	if o.rej != 1 {
		t.Fatalf("rejected %d, want 1", o.rej)
	}
	var reason string
	var raw []byte
	if err := st.DB.QueryRowx(`SELECT reason, raw FROM rejects`).Scan(&reason, &raw); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reason, "larger than max_file_size") || !strings.Contains(reason, "the first 4096 of 69632 kept") || !bytes.Equal(raw, big[:4096]) {
		t.Errorf("reason %q, raw %d bytes", reason, len(raw))
	}
}

func TestVanishedFile(t *testing.T) {
	c := newConn(t, t.TempDir(), nil)
	r := c.process(context.Background(), job{Rel: "gone.edxml", Abs: filepath.Join(t.TempDir(), "gone.edxml")})
	if !r.vanished || r.reject != nil || r.checkpoint != "" {
		t.Errorf("result = %+v, want vanished with nothing to record", r)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*Connector)
		env   connector.Env
		want  string
	}{
		{"ok", func(c *Connector) { c.Path = "archive" }, connector.Env{Self: self}, ""},
		{"no path", func(c *Connector) {}, connector.Env{Self: self}, "path: required"},
		{"no unit", func(c *Connector) { c.Path = "a" }, connector.Env{}, "unit: required"},
		{"bad unit", func(c *Connector) { c.Path = "a"; c.Unit = "UBND xã" }, connector.Env{}, "unit: OrganId"},
		{"bad glob", func(c *Connector) { c.Path = "a"; c.Include = []string{"[2025"} }, connector.Env{Self: self}, "include: glob"},
		{"bad size", func(c *Connector) { c.Path = "a"; c.MaxFileSize = "big" }, connector.Env{Self: self}, "max_file_size:"},
		{"bad type", func(c *Connector) { c.Path = "a"; c.DocumentTypes = map[string]string{"CV": "cong_vann"} }, connector.Env{Self: self}, `unknown doc_type "cong_vann"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New()
			tc.setup(c)
			err := c.Validate(tc.env)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestGlobs(t *testing.T) {
	for _, tc := range []struct {
		include, exclude []string
		rel              string
		want             bool
	}{
		{nil, nil, "2025/11/a.edxml", true},
		{nil, nil, "2025/11/a.XML", true},
		{nil, nil, "2025/11/a.pdf", false},
		{[]string{"2025/**"}, nil, "2025/11/a.edxml", true},
		{[]string{"2025/**"}, nil, "2024/11/a.edxml", false},
		{nil, []string{"**/tmp/**"}, "2025/tmp/a.edxml", false},
		{nil, []string{"*.partial.edxml"}, "2025/1/x.partial.edxml", false},
		{nil, []string{"2025/?/*"}, "2025/1/x.edxml", false},
		{nil, []string{"2025/?/*"}, "2025/11/x.edxml", true},
	} {
		c := New()
		c.Path, c.Include, c.Exclude = "a", tc.include, tc.exclude
		if err := c.Validate(connector.Env{Self: self}); err != nil {
			t.Fatal(err)
		}
		if got := c.wanted(tc.rel); got != tc.want {
			t.Errorf("include %q exclude %q: wanted(%q) = %v", tc.include, tc.exclude, tc.rel, got)
		}
	}
}

func TestParseSize(t *testing.T) {
	// The size parser is filesource.ParseSize (tested there); the default is edxml's.
	c := New()
	c.Path, c.MaxFileSize = "a", ""
	if err := c.Validate(connector.Env{Self: self}); err != nil || c.src.MaxSize != 256<<20 {
		t.Errorf("default max_file_size %d, %v; want 256 MiB", c.src.MaxSize, err)
	}
}

func strp(s string) *string { return &s }

func compareDocs(t *testing.T, got, want []docRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("documents = %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Unit != w.Unit || g.Dir != w.Dir || g.Key != w.Key || g.DocType != w.DocType || g.Family != w.Family ||
			g.Medium != w.Medium || g.Revoked != w.Revoked || deref(g.Status) != deref(w.Status) ||
			deref(g.Relation) != deref(w.Relation) || g.EventOn != w.EventOn || g.Subject != w.Subject {
			t.Errorf("document %d:\n got %+v status %s relation %s\nwant %+v status %s relation %s", i, g, deref(g.Status), deref(g.Relation), w, deref(w.Status), deref(w.Relation))
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// snapshot lists every file of the tree with its size and content hash.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		m[rel] = string(b)
		return nil
	})
	return m
}

func equalSnapshots(a, b map[string]string, changedByTest ...string) bool {
	skip := map[string]bool{}
	for _, c := range changedByTest {
		skip[filepath.FromSlash(c)] = true
	}
	var ka, kb []string
	for k := range a {
		ka = append(ka, k)
	}
	for k := range b {
		kb = append(kb, k)
	}
	sort.Strings(ka)
	sort.Strings(kb)
	if strings.Join(ka, "|") != strings.Join(kb, "|") {
		return false
	}
	for k := range a {
		if !skip[k] && a[k] != b[k] {
			return false
		}
	}
	return true
}

// TestCancelledRunCommitsNothing: an interrupted run fails and leaves
// neither facts nor checkpoints behind; the next run reads everything.
func TestCancelledRunCommitsNothing(t *testing.T) {
	st := warehousetest.New(t)
	root := t.TempDir()
	write(t, root, "2025/11/a.edxml", readGolden(t, "valid/sample_edoc_new.edxml"))
	write(t, root, "2025/11/b.edxml", readGolden(t, "valid/sample_status_01.edxml"))
	c := newConn(t, root, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	run, err := st.StartRun(context.Background(), "qlvb-archive")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.sync(ctx, run)
	if err = run.Finish(ctx, err); err == nil {
		t.Fatal("a cancelled run succeeded")
	}
	var n int
	if err := st.DB.Get(&n, `SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM sync_state)`); err != nil || n != 0 {
		t.Fatalf("rows after a cancelled run: %d (%v)", n, err)
	}
	if o := syncOnce(t, st, c); o.fetch != 2 || o.status != "ok" {
		t.Errorf("next run: %+v", o)
	}
}

// TestManyLargeRejects: more bad files with large raw bytes than the
// writer's queue may hold at once; every one is recorded with its bytes.
func TestManyLargeRejects(t *testing.T) {
	st := warehousetest.New(t)
	root := t.TempDir()
	const n = 3 * bigRawSlots
	want := map[string][]byte{}
	for i := range n {
		rel := fmt.Sprintf("2025/1/bad%02d.edxml", i)
		b := append([]byte("<edXML>"), bytes.Repeat([]byte(fmt.Sprintf("<x>%02d</y>\n", i)), (bigRaw+4096)/11)...)
		write(t, root, rel, b)
		want[rel] = b
	}
	c := newConn(t, root, func(c *Connector) { c.workers = 4 })
	if o := syncOnce(t, st, c); o.rej != n || o.stats.Rejected != n {
		t.Fatalf("rejected %d (%+v), want %d", o.rej, o.stats, n)
	}
	var rows []struct {
		Key string `db:"source_key"`
		Raw []byte `db:"raw"`
	}
	if err := st.DB.Select(&rows, `SELECT source_key, raw FROM rejects`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if w, ok := want[r.Key]; !ok || !bytes.Equal(r.Raw, w) {
			t.Errorf("reject %s: %d raw bytes, want the file's %d", r.Key, len(r.Raw), len(w))
		}
		delete(want, r.Key)
	}
	if len(want) > 0 {
		t.Errorf("not in rejects: %v", want)
	}
}

// TestOddTextReachesWarehouse: text with the characters that are special in
// an array literal (quotes, backslashes, commas, braces, the word NULL)
// arrives in the warehouse unchanged, in the document and in its
// sighting's file name.
func TestOddTextReachesWarehouse(t *testing.T) {
	cases := []struct{ file, subject string }{
		{`2025/11/q"uote.edxml`, `Báo cáo "quý" IV`},
		{`2025/11/back\slash.edxml`, `C:\thư mục\báo cáo \"x\"`},
		{`2025/11/{a,b}.edxml`, `{1,2}, "NULL", NULL`},
		{`2025/11/NULL.edxml`, `NULL`},
	}
	st := warehousetest.New(t)
	root := t.TempDir()
	for i, tc := range cases {
		b := bytes.ReplaceAll(incoming(t, tc.subject), []byte("88/KH-UBND"), []byte(strconv.Itoa(90+i)+"/KH-UBND"))
		b = bytes.Replace(b, []byte("<edXML:CodeNumber>88<"), []byte("<edXML:CodeNumber>"+strconv.Itoa(90+i)+"<"), 1)
		write(t, root, tc.file, b)
	}
	if o := syncOnce(t, st, newConn(t, root, nil)); o.status != "ok" {
		t.Fatalf("run %+v", o)
	}
	for i, tc := range cases {
		var subject, key string
		if err := st.DB.QueryRowx(`SELECT d.subject, s.source_key FROM documents d JOIN document_sightings s USING (unit_code, direction, doc_key)
			WHERE d.code_number = $1`, strconv.Itoa(90+i)).Scan(&subject, &key); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if subject != tc.subject || key != tc.file {
			t.Errorf("%s: got subject %q, file %q; want %q, %q", tc.file, subject, key, tc.subject, tc.file)
		}
	}
}

// TestBatchedWritesEqualOneByOne syncs a generated archive (documents,
// statuses, revocations) twice into fresh warehouses, committing after
// every file and in the default batches, with one worker so that the files
// arrive in the same order: every fact table and the kpi summaries must
// hold the same rows.
func TestBatchedWritesEqualOneByOne(t *testing.T) {
	root := t.TempDir()
	corpus := edxmlgen.Corpus(7, self, 2025, edxmlgen.WithScale(0.15))
	n, err := edxmlgen.WriteArchive(root, corpus, edxmlgen.WriteOptions{MaxAttachment: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	tables := []string{"documents", "document_sightings", "document_statuses", "document_revocations", "sync_state", "kpi_day_documents"}
	dump := func(flushEvery int) map[string][]string {
		st := warehousetest.New(t)
		c := newConn(t, root, func(c *Connector) { c.workers, c.flushEvery = 1, flushEvery })
		if o := syncOnce(t, st, c); o.status != "ok" || o.stats.Parsed != n {
			t.Fatalf("flush every %d: run %+v, want %d parsed", flushEvery, o, n)
		}
		out := map[string][]string{}
		for _, table := range tables {
			var rows []string
			if err := st.DB.Select(&rows, `SELECT (to_jsonb(t) - 'updated_at')::text FROM `+table+` t ORDER BY 1`); err != nil {
				t.Fatal(err)
			}
			out[table] = rows
		}
		return out
	}
	one, batched := dump(1), dump(defaultFlushEvery)
	for _, table := range tables {
		if len(one[table]) == 0 {
			t.Errorf("%s: no rows", table)
		}
		if !slices.Equal(one[table], batched[table]) {
			t.Errorf("%s: %d rows one by one, %d batched; first difference:\n%s", table, len(one[table]), len(batched[table]), firstDiff(one[table], batched[table]))
		}
	}
	var revoked, statused int
	for _, r := range one["documents"] {
		if strings.Contains(r, `"revoked": true`) {
			revoked++
		}
		if !strings.Contains(r, `"latest_status": null`) {
			statused++
		}
	}
	if revoked == 0 || statused == 0 {
		t.Errorf("corpus has %d revoked documents and %d with a status: want some of each", revoked, statused)
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + "\n" + b[i]
		}
	}
	return "(one is a prefix of the other)"
}
