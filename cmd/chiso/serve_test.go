package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"chiso/report"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// lockedBuffer collects a command's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestServeReadOnly: chiso serve over a warehouse it may only read (the
// read-only role chiso_reader) serves the page and the API; the API's
// report is chiso report --format json's.
func TestServeReadOnly(t *testing.T) {
	ctx := context.Background()
	dsn := warehousetest.NewDatabase(t)
	owner, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	for _, f := range []string{"../../warehouse/testdata/kpi/org.sql", "../../warehouse/testdata/kpi/rollup-2026h1/facts.sql"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := owner.DB.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "org.yaml"), []byte("units:\n  - {code: \"000.25.31.H99\", name: \"UBND xã Yên Định\", relation: self}\n"), 0o644)
	cfgPath := filepath.Join(dir, "chiso.yaml")
	t.Setenv("CHISO_SERVE_DSN", warehousetest.ReaderDSN(t, dsn))
	os.WriteFile(cfgPath, []byte("warehouse: {dsn: \"${CHISO_SERVE_DSN}\"}\norg: {self: \"000.25.31.H99\", directory: org.yaml}\n"), 0o644)

	sctx, stop := context.WithCancel(ctx)
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- dispatch(sctx, []string{"-c", cfgPath, "serve", "--listen", "127.0.0.1:0"}, out, errOut)
	}()
	re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	var addr string
	for deadline := time.Now().Add(30 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
		select {
		case rc := <-done:
			t.Fatalf("chiso serve exited %d: %s", rc, errOut.String())
		default:
		}
	}
	if addr == "" {
		t.Fatalf("chiso serve printed no address: %s %s", out.String(), errOut.String())
	}
	resp, err := http.Get("http://" + addr + "/api/v1/report?period=2026-H1")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var want bytes.Buffer
	if err := report.Run(ctx, owner, report.Options{Period: "2026-H1", Unit: "000.25.31.H99", Format: "json"}, &want); err != nil {
		t.Fatal(err)
	}
	// Same bytes but for the instant each was generated.
	gen := regexp.MustCompile(`"generated_at": "[^"]*"`)
	if resp.StatusCode != 200 || !bytes.Equal(gen.ReplaceAll(got, nil), gen.ReplaceAll(want.Bytes(), nil)) {
		t.Errorf("serve API: %s\n%s\nwant\n%s", resp.Status, got, want.Bytes())
	}
	resp, err = http.Get("http://" + addr + "/?period=2026-H1")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "UBND xã Yên Định") || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("serve page: %s", resp.Status)
	}
	var st struct{ Units []struct{ Code string } }
	resp, err = http.Get("http://" + addr + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(st.Units) == 0 {
		t.Errorf("serve status: %s %+v", resp.Status, st)
	}
	stop()
	if rc := <-done; rc != 0 {
		t.Errorf("chiso serve exited %d: %s", rc, errOut.String())
	}
}

// TestServeRefusesPlainLoginOffLoopback: users off loopback need TLS,
// for --listen too.
func TestServeRefusesPlainLoginOffLoopback(t *testing.T) {
	dir := t.TempDir()
	h, _ := bcrypt.GenerateFromPassword([]byte("mat-khau-1"), bcrypt.MinCost)
	os.WriteFile(filepath.Join(dir, "org.yaml"), []byte("units:\n  - {code: \"000.25.31.H99\", name: \"UBND xã Yên Định\", relation: self}\n"), 0o644)
	cfgPath := filepath.Join(dir, "chiso.yaml")
	os.WriteFile(cfgPath, []byte("org: {self: \"000.25.31.H99\", directory: org.yaml}\nweb:\n  users:\n    - {name: a, password_hash: \""+string(h)+"\", units: [\"000.25.31.H99\"]}\n"), 0o644)
	var out, errOut bytes.Buffer
	if rc := dispatch(context.Background(), []string{"-c", cfgPath, "serve", "--listen", "0.0.0.0:0"}, &out, &errOut); rc != 1 || !strings.Contains(errOut.String(), "need TLS") {
		t.Errorf("rc %d: %s", rc, errOut.String())
	}
}

// TestHashPassword: the hash printed verifies the password read on stdin;
// a short password is refused; the password is never printed.
func TestHashPassword(t *testing.T) {
	defer func(r io.Reader) { stdin = r }(stdin)
	for _, c := range []struct {
		in   string
		rc   int
		pass string
	}{
		{"mat-khau-dai\n", 0, "mat-khau-dai"},
		{"khong-xuong-dong", 0, "khong-xuong-dong"},
		{"crlf-password\r\n", 0, "crlf-password"},
		{"ngan\n", 1, ""},
		{"", 1, ""},
	} {
		stdin = strings.NewReader(c.in)
		var out, errOut bytes.Buffer
		rc := dispatch(context.Background(), []string{"hash-password", "--cost", "10"}, &out, &errOut)
		if rc != c.rc {
			t.Errorf("%q: rc %d, want %d (%s)", c.in, rc, c.rc, errOut.String())
			continue
		}
		if rc != 0 {
			continue
		}
		h := strings.TrimSpace(out.String())
		if err := bcrypt.CompareHashAndPassword([]byte(h), []byte(c.pass)); err != nil {
			t.Errorf("%q: hash %q does not verify: %v", c.in, h, err)
		}
		if strings.Contains(out.String()+errOut.String(), c.pass) {
			t.Errorf("%q: the password is printed", c.in)
		}
	}
}
