package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"chiso/adapters/edxml"
	"chiso/report"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

const freezeConfig = `warehouse: {dsn: "${CHISO_FREEZE_DSN}"}
org: {self: "000.25.31.H99", directory: org-directory.example.yaml}
targets: targets-2026.yaml
report: {recipients: ["000.00.05.H99", "000.00.00.H99"], place: "Bắc Ninh"}
`

// freezeSetup writes the test's config beside copies of the example org
// directory and targets, over a fresh warehouse holding the 2026-H1 facts
// of the kpi golden case.
func freezeSetup(t *testing.T) (cfg string, st *warehouse.Store) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"org-directory.example.yaml", "targets-2026.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../configs", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg = filepath.Join(dir, "chiso.yaml")
	if err := os.WriteFile(cfg, []byte(freezeConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	dsn := warehousetest.NewDatabase(t)
	t.Setenv("CHISO_FREEZE_DSN", dsn)
	st, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := os.ReadFile("../../warehouse/testdata/kpi/rollup-2026h1/facts.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB.Exec(string(b)); err != nil {
		t.Fatal(err)
	}
	return cfg, st
}

func chiso(t *testing.T, want int, args ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), args, &out, &errb); code != want {
		t.Fatalf("chiso %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

var hexID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// The commands of issue 18 end to end: freeze (the id alone on the last
// line), render the snapshot, list, export (its hash is the id), verify,
// diff, explain --snapshot, and the edXML report package, which chiso's
// own parser reads back as a Báo cáo with the xlsx annex as its one
// attachment and the snapshot id, and which passes the real samples' checks.
func TestSnapshotCommands(t *testing.T) {
	cfg, _ := freezeSetup(t)
	dir := filepath.Dir(cfg)
	out, _ := chiso(t, 0, "-c", cfg, "report", "--period", "2026-H1", "--freeze", "--note", "Báo cáo 6 tháng", "--by", "Văn thư")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	id := lines[len(lines)-1]
	if !hexID.MatchString(id) {
		t.Fatalf("last line %q is not a snapshot id:\n%s", id, out)
	}
	if !strings.Contains(out, "Số liệu chốt ngày ") || !strings.Contains(out, "mã "+id) {
		t.Errorf("the frozen report's title block lacks the snapshot line:\n%s", out)
	}
	table, _ := chiso(t, 0, "-c", cfg, "report", "--snapshot", id)
	if table+id+"\n" != out {
		t.Errorf("report --snapshot differs from what --freeze printed")
	}
	xlsxPath := filepath.Join(dir, "phu-luc.xlsx")
	chiso(t, 0, "-c", cfg, "report", "--snapshot", id, "--format", "xlsx", "-o", xlsxPath)
	annex, err := os.ReadFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}

	list, _ := chiso(t, 0, "-c", cfg, "snapshot", "list")
	if !strings.Contains(list, id+"\t000.25.31.H99\t2026-H1\t1\t") || !strings.Contains(list, "Văn thư") {
		t.Errorf("snapshot list:\n%s", list)
	}
	exp, _ := chiso(t, 0, "-c", cfg, "snapshot", "export", id)
	var e report.Export
	if err := json.Unmarshal([]byte(exp), &e); err != nil {
		t.Fatal(err)
	}
	if h, err := e.Hash(); err != nil || h != id || e.Note != "Báo cáo 6 tháng" || e.FrozenBy != "Văn thư" || len(e.ConfigSHA256) != 64 {
		t.Errorf("export: hash %s %v, note %q, by %q, config %q", h, err, e.Note, e.FrozenBy, e.ConfigSHA256)
	}
	if v, _ := chiso(t, 0, "-c", cfg, "snapshot", "verify", id); !strings.Contains(v, "1\t"+id+"\tđúng") {
		t.Errorf("verify:\n%s", v)
	}
	diff, _ := chiso(t, 0, "-c", cfg, "snapshot", "diff", id, "--against", "live")
	if !strings.Contains(diff, "0/18 chỉ tiêu có bản ghi thay đổi") {
		t.Errorf("diff right after the freeze:\n%s", diff)
	}
	ex, _ := chiso(t, 0, "-c", cfg, "explain", "--snapshot", id, "--indicator", "documents_issued", "--format", "json")
	var exj struct {
		Records []struct{ Key, Role string }
	}
	if err := json.Unmarshal([]byte(ex), &exj); err != nil || len(exj.Records) != 8 {
		t.Errorf("explain --snapshot: %d records (%v), want the 8 documents issued:\n%s", len(exj.Records), err, ex)
	}
	chiso(t, 1, "-c", cfg, "report", "--snapshot", strings.Repeat("0", 64))
	chiso(t, 1, "-c", cfg, "report", "--period", "2026-H1", "--format", "edxml", "-o", filepath.Join(dir, "x.edxml"))

	for _, c := range []struct {
		name, so, kyHieu, want string
	}{{"numbered", "12", "BC-UBND", "12"}, {"for the QLVB to number", "", "", report.UnnumberedCode}} {
		t.Run(c.name, func(t *testing.T) {
			pkgPath := filepath.Join(dir, "bao-cao-"+c.so+".edxml")
			args := []string{"-c", cfg, "report", "--snapshot", id, "--format", "edxml", "-o", pkgPath}
			if c.so != "" {
				args = append(args, "--so", c.so, "--ky-hieu", c.kyHieu)
			}
			chiso(t, 0, args...)
			js, _ := chiso(t, 0, "inspect", "edxml", pkgPath)
			var in edxml.Inspect
			if err := json.Unmarshal([]byte(js), &in); err != nil {
				t.Fatal(err)
			}
			if in.Kind != edxml.KindEdoc || in.DocType == nil || *in.DocType != "bao_cao" || in.Attachments != 1 ||
				in.From != "000.25.31.H99" || strings.Join(in.To, ",") != "000.00.05.H99,000.00.00.H99" ||
				in.SnapshotID == nil || *in.SnapshotID != id || *in.CodeNumber != c.want || *in.CodeNotation != c.kyHieu ||
				!strings.Contains(*in.Subject, "6 tháng") || in.AttachmentFiles[0].Size != int64(len(annex)) {
				t.Errorf("inspect edxml: %s", js)
			}
			pkg, err := edxml.ParseFile(context.Background(), pkgPath, edxml.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := edxml.CheckComplete(pkg); err != nil {
				t.Error(err)
			}
			if len(pkg.Warnings) != 0 {
				t.Errorf("warnings: %q", pkg.Warnings)
			}
			if got := attachmentBytes(t, pkgPath); !bytes.Equal(got, annex) {
				t.Errorf("the attachment (%d bytes) is not the xlsx annex (%d bytes)", len(got), len(annex))
			}
		})
	}
}

// attachmentBytes decodes the one attachment of the package at path,
// independently of chiso's parser.
func attachmentBytes(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	var in bool
	var b64 strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			in = x.Name.Local == "ContentTransferEncoded"
		case xml.EndElement:
			in = false
		case xml.CharData:
			if in {
				b64.Write(x)
			}
		}
	}
	raw, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\n", "", "\r", "", " ", "").Replace(b64.String()))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
