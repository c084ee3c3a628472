package register

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"chiso/adapters/edxml"
	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/register/registergen"
	"chiso/mapping/documents"
	"chiso/mapping/orgdir"
	"chiso/warehouse/warehousetest"
)

// generatedDirectory is the org directory of the generated corpus.
func generatedDirectory() *orgdir.Directory {
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

// The generated archive and the generated registers of the same corpus
// describe the same documents: after loading both, the commune holds each
// of its documents once, with the corpus's medium, and every one of them
// has a register sighting.
func TestGeneratedArchiveAndRegistersAgree(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	base := t.TempDir()
	corpus := edxmlgen.Corpus(11, self, 2026, edxmlgen.WithScale(0.05))
	org := generatedDirectory()

	// The archive side, as the edxml-dir connector maps it.
	archive := filepath.Join(base, "archive")
	if _, err := edxmlgen.WriteArchive(archive, corpus, edxmlgen.WriteOptions{MaxAttachment: 128}); err != nil {
		t.Fatal(err)
	}
	run, err := st.StartRun(ctx, "qlvb-archive")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(archive, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		pkg, err := edxml.ParseFile(context.Background(), p, edxml.Options{})
		if err != nil {
			return err
		}
		f, err := documents.FromPackage(pkg, self, org, nil, documents.Seen{At: corpus[0].IssuedOn})
		if err != nil || f.Document == nil {
			return err
		}
		f.Sighting.Source, f.Sighting.SourceKey = "edxml-dir:qlvb-archive", p
		return run.UpsertDocument(ctx, *f.Document, f.Sighting)
	})
	if err := run.Finish(ctx, err); err != nil {
		t.Fatal(err)
	}

	// The register side: the commune's four registers.
	files, err := registergen.Write(filepath.Join(base, "registers"), self, 2026, corpus, registergen.Options{Format: "xlsx"})
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range registergen.Connectors(files) {
		c := &Connector{Path: rc.Path, Direction: rc.Direction, Unit: rc.Unit, SecretRegister: rc.SecretRegister}
		e := env(rc.Name, base)
		e.Org = org
		if err := c.Validate(e); err != nil {
			t.Fatal(err)
		}
		c.SetEnv(e)
		if r := runSync(t, st, c); r.TotalRejected != 0 {
			t.Errorf("%s: %d rejects", rc.Name, r.TotalRejected)
		}
	}

	want := map[string]int{}
	for _, d := range corpus {
		if d.Unit == self {
			want[d.Direction+"|"+d.Medium+"|"+map[bool]string{true: "secret", false: "regular"}[d.Secret]]++
		}
	}
	var rows []struct {
		K string `db:"k"`
		N int    `db:"n"`
	}
	if err := st.DB.Select(&rows, `SELECT direction || '|' || medium || '|' || series AS k, count(*) AS n
		FROM documents WHERE unit_code = $1 GROUP BY 1`, self); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range rows {
		got[r.K] = r.N
	}
	t.Logf("commune documents by direction|medium|series: %v", got)
	if len(got) != len(want) {
		t.Errorf("documents by direction|medium|series = %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d documents, want %d (all: %v)", k, got[k], n, got)
		}
	}
	var noRegister []string
	if err := st.DB.Select(&noRegister, `SELECT d.doc_key FROM documents d WHERE d.unit_code = $1 AND NOT EXISTS (
		SELECT 1 FROM document_sightings s WHERE s.doc_key = d.doc_key AND s.unit_code = d.unit_code
		AND s.direction = d.direction AND s.source LIKE 'register-file:%')`, self); err != nil {
		t.Fatal(err)
	}
	if len(noRegister) > 0 {
		t.Errorf("%d documents of the commune never seen by its registers, e.g. %s", len(noRegister), strings.Join(noRegister[:min(3, len(noRegister))], ", "))
	}
	if names, _ := st.UnresolvedNames(ctx); len(names) > 0 {
		t.Errorf("unresolved names: %+v", names)
	}
}

// BenchmarkSync10k loads a generated 10,000-row incoming register into a
// fresh warehouse: rows/s and memory (-benchmem).
func BenchmarkSync10k(b *testing.B) {
	ctx := context.Background()
	base := b.TempDir()
	corpus := edxmlgen.Corpus(5, self, 2025, edxmlgen.WithScale(3.7))
	var docs []edxmlgen.DocSpec
	for _, d := range corpus {
		if d.Direction == "in" && !d.Secret && len(docs) < 10000 {
			docs = append(docs, d)
		}
	}
	if len(docs) < 10000 {
		b.Fatalf("corpus has %d incoming documents", len(docs))
	}
	path := filepath.Join(base, "so-den.xlsx")
	if err := registergen.WriteFile(path, self, 2025, registergen.In, docs, registergen.Options{}); err != nil {
		b.Fatal(err)
	}
	org := generatedDirectory()
	b.ReportAllocs()
	b.ResetTimer()
	rowsDone := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := warehousetest.New(b)
		c := &Connector{Path: path, Direction: "in"}
		e := env("so-den", base)
		e.Org = org
		c.SetEnv(e)
		run, err := st.StartRun(ctx, "so-den")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		err = run.Finish(ctx, c.Sync(ctx, run))
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if run.TotalFetched != int64(len(docs)) || run.TotalRejected != 0 {
			b.Fatalf("fetched %d rejected %d", run.TotalFetched, run.TotalRejected)
		}
		rowsDone += len(docs)
		b.StartTimer()
	}
	b.ReportMetric(float64(rowsDone)/b.Elapsed().Seconds(), "rows/s")
}
