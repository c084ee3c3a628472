package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The main job end to end, as `make demo` runs it but on a copy of the
// example config in a temporary folder and a free port: generated data,
// the simulators over real HTTP, one sync of every connector into the real
// embedded PostgreSQL, the report; then `report --format json` and `status`
// read the same warehouse.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end demo")
	}
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} { // the embedded server may run as the postgres user
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	copyConfigs(t, dir, map[string]string{
		"127.0.0.1:9480": "127.0.0.1:" + port,
		"../var/chiso":   "./var/chiso",
		"../var/demo":    "./var/demo",
	})
	cfg := filepath.Join(dir, "chiso.example.yaml")
	ctx := context.Background()

	var out, errb bytes.Buffer
	if code := dispatch(ctx, []string{"-c", cfg, "demo", "--listen", "127.0.0.1:" + port, "--data", filepath.Join(dir, "var/demo")}, &out, &errb); code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", code, out.String(), tail(errb.String(), 3000))
	}
	for _, want := range []string{"sync qlvb-archive", "sync truc-vxp", "sync so-van-ban-di", "sync cong-dvc", "sync lich-hop",
		"PHỤ LỤC SỐ LIỆU", "Tỷ lệ văn bản trao đổi với cấp trên dưới dạng điện tử",
		"web page: http://127.0.0.1:", "serve it with: bin/chiso serve --config " + cfg} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "FAILED") {
		t.Errorf("a connector failed:\n%s", out.String())
	}

	out.Reset()
	errb.Reset()
	if code := dispatch(ctx, []string{"-c", cfg, "report", "--period", "bcnam-2026", "--format", "json"}, &out, &errb); code != 0 {
		t.Fatalf("report exit %d: %s", code, errb.String())
	}
	var rep struct {
		Indicators []struct {
			ID          string   `json:"id"`
			Numerator   *float64 `json:"numerator"`
			Denominator *float64 `json:"denominator"`
			Value       *float64 `json:"value"`
			// Completeness (issue 16): the demo commune has no gap.
			DataComplete *bool            `json:"data_complete"`
			Gaps         []map[string]any `json:"gaps"`
		} `json:"indicators"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report json: %v\n%s", err, out.String())
	}
	got := map[string]int{}
	for i, ind := range rep.Indicators {
		got[ind.ID] = i
	}
	for _, id := range []string{"doc_reduction", "meeting_reduction", "meeting_online_share", "dossier_full_online_share",
		"result_digitized_share", "electronic_exchange_share", "meeting_materials_ahead_share", "meeting_discussion_share",
		"meeting_duration_share", "commune_wide_conferences"} {
		i, ok := got[id]
		if !ok {
			t.Errorf("report lacks %s", id)
			continue
		}
		ind := rep.Indicators[i]
		if ind.DataComplete == nil || !*ind.DataComplete || len(ind.Gaps) != 0 {
			t.Errorf("%s: data_complete %v, gaps %v: the demo must come out complete", id, ind.DataComplete, ind.Gaps)
		}
		if ind.Value == nil {
			t.Errorf("%s: no value (numerator %v, denominator %v)", id, ind.Numerator, ind.Denominator)
		}
	}
	// The registers see paper documents: the electronic share must not be a
	// trivial 100 %, and its numerator never exceeds its denominator.
	if i, ok := got["electronic_exchange_share"]; ok {
		e := rep.Indicators[i]
		if e.Numerator == nil || e.Denominator == nil || *e.Numerator >= *e.Denominator || *e.Denominator == 0 {
			t.Errorf("electronic_exchange_share %v / %v: want paper documents in the denominator", e.Numerator, e.Denominator)
		}
	}

	out.Reset()
	errb.Reset()
	if code := dispatch(ctx, []string{"-c", cfg, "status"}, &out, &errb); code != 0 {
		t.Fatalf("status exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "Completeness: every closed month of every source is complete") {
		t.Errorf("status: the demo has coverage gaps:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "qlvb-archive") || !strings.Contains(out.String(), "UBND xã Yên Định") {
		t.Errorf("status output:\n%s", out.String())
	}
	t.Run("web page in a browser", func(t *testing.T) { browseDemo(t, cfg, "bcnam-2026") })
}

func copyConfigs(t *testing.T, dir string, replace map[string]string) {
	t.Helper()
	err := filepath.WalkDir("../../configs", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("../../configs", p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := string(b)
		for from, to := range replace {
			s = strings.ReplaceAll(s, from, to)
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, []byte(s), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
