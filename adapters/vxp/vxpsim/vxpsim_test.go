package vxpsim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
)

// req builds a request signed by hand, following edxml.md §4 word by word;
// tamper may then break it.
func req(t *testing.T, url, op, secret string, params [][2]string, tamper func(http.Header)) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url+"/vxp/"+op, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := append([][2]string{{"systemid", "sys"}, {"timestamp", "20112025T081530+0045"}}, params...)
	var names, parts []string
	for _, p := range all {
		r.Header.Set(p[0], p[1])
		r.Header.Set("XroadVnpt-"+p[0], p[1])
		names = append(names, p[0])
		k, _ := json.Marshal("XroadVnpt-" + p[0])
		v, _ := json.Marshal(p[1])
		parts = append(parts, string(k)+":"+string(v))
	}
	sign := "{" + strings.Join(parts, ",") + "}"
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(sign))
	r.Header.Set("XroadVnpt-sign-header-key", strings.Join(names, ";"))
	r.Header.Set("XroadVnpt-sign-header", sign)
	r.Header.Set("XroadVnpt-hash-header", hex.EncodeToString(m.Sum(nil)))
	if tamper != nil {
		tamper(r.Header)
	}
	return r
}

type answer struct {
	Status    string          `json:"status"`
	ErrorCode string          `json:"ErrorCode"`
	ErrorDesc string          `json:"ErrorDesc"`
	Data      json.RawMessage `json:"data"`
}

func do(t *testing.T, r *http.Request) (int, answer) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &a)
	return resp.StatusCode, a
}

func server(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	opts.Systems = map[string]string{"sys": "k3y"}
	if opts.Years == nil {
		opts.Years, opts.Scale, opts.Seed = []int{2025}, 0.03, 5
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

func TestSignatureCheck(t *testing.T) {
	s, url := server(t, Options{})
	doc := [][2]string{{"docId", s.Pending("edoc")[0]}}
	cases := []struct {
		name   string
		secret string
		params [][2]string
		tamper func(http.Header)
		ok     bool
	}{
		{"valid", "k3y", doc, nil, true},
		{"wrong secret", "other", doc, nil, false},
		{"unknown systemid", "k3y", doc, func(h http.Header) { h.Set("systemid", "x"); h.Set("XroadVnpt-systemid", "x") }, false},
		{"plain header differs from its copy", "k3y", doc, func(h http.Header) { h.Set("docId", "000000000000000000000000") }, false},
		{"operation header not signed", "k3y", nil, func(h http.Header) { h.Set("docId", doc[0][1]) }, false},
		{"hash in upper case", "k3y", doc, func(h http.Header) { h.Set("XroadVnpt-hash-header", strings.ToUpper(h.Get("XroadVnpt-hash-header"))) }, false},
		{"bad timestamp", "k3y", doc, func(h http.Header) {
			h.Set("timestamp", "2025-11-20")
			h.Set("XroadVnpt-timestamp", "2025-11-20")
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, a := do(t, req(t, url, "getEdoc", tc.secret, tc.params, tc.tamper))
			if code != 200 {
				t.Fatalf("HTTP %d, want 200 as the gateway answers", code)
			}
			if tc.ok != (a.Status == "OK") {
				t.Fatalf("answer %+v", a)
			}
			if !tc.ok && (a.ErrorCode != "401" || a.ErrorDesc != "invalid signature") {
				t.Fatalf("answer %+v, want FAIL 401 invalid signature", a)
			}
		})
	}
}

func list(t *testing.T, url, mt string) []map[string]any {
	t.Helper()
	_, a := do(t, req(t, url, "getReceivedEdocList", "k3y", [][2]string{{"servicetype", "eDoc"}, {"messagetype", mt}}, nil))
	var items []map[string]any
	if err := json.Unmarshal(a.Data, &items); err != nil {
		t.Fatalf("list: %v (%+v)", err, a)
	}
	return items
}

func TestMailbox(t *testing.T) {
	s, url := server(t, Options{})
	items := list(t, url, "edoc")
	if len(items) == 0 || len(items) != len(s.Pending("edoc")) {
		t.Fatalf("%d listed", len(items))
	}
	first := items[0]["docId"].(string)
	for _, st := range []string{"processing", "fail"} {
		do(t, req(t, url, "updateStatus", "k3y", [][2]string{{"docId", first}, {"status", st}}, nil))
		if n := len(list(t, url, "edoc")); n != len(items) {
			t.Fatalf("after %s: %d listed, want %d", st, n, len(items))
		}
	}
	do(t, req(t, url, "updateStatus", "k3y", [][2]string{{"docId", first}, {"status", "done"}}, nil))
	if n := len(list(t, url, "edoc")); n != len(items)-1 {
		t.Fatalf("after done: %d listed, want %d", n, len(items)-1)
	}
	if calls := s.StatusCalls(); len(calls) != 3 || calls[2] != (StatusCall{first, "done"}) {
		t.Fatalf("status calls %v", calls)
	}
	if s.Count("updateStatus") != 3 || s.Count("getReceivedEdocList") != 4 {
		t.Fatalf("counters: %d updateStatus, %d lists", s.Count("updateStatus"), s.Count("getReceivedEdocList"))
	}
}

func TestUntilHidesLaterPackages(t *testing.T) {
	all, _ := server(t, Options{})
	until := time.Date(2025, 6, 30, 23, 59, 59, 0, vntime.Location)
	half, _ := server(t, Options{Years: []int{2025}, Scale: 0.03, Seed: 5, Until: until})
	a, h := len(all.Pending("")), len(half.Pending(""))
	if h == 0 || h >= a {
		t.Fatalf("Until: %d of %d packages", h, a)
	}
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestMalformedInTheMiddle(t *testing.T) {
	s, url := server(t, Options{Faults: Faults{MalformedAt: 2}})
	ids := s.Pending("edoc")
	for i, id := range ids[:3] {
		_, a := do(t, req(t, url, "getEdoc", "k3y", [][2]string{{"docId", id}}, nil))
		var data string
		_ = json.Unmarshal(a.Data, &data)
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil || len(b) == 0 {
			t.Fatalf("package %d: %v", i, err)
		}
		if err := wellFormed(b); (err != nil) != (i == 1) {
			t.Fatalf("package %d well-formed error %v; only the 2nd should fail", i, err)
		}
	}
}

func TestFixtureFolderOfRealSamples(t *testing.T) {
	dir := "../../../../shared/specs/real-samples/edxml"
	files, _ := filepath.Glob(filepath.Join(dir, "*.edxml"))
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("real samples not available" + ": CI lays shared/ beside the clone")
		}
		t.Skip("real samples not available")
	}
	s, err := New(Options{Dir: dir, Systems: map[string]string{"sys": "k3y"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Pending("")); n != len(files) {
		t.Fatalf("%d packages listed, %d files", n, len(files))
	}
	if st := len(s.Pending("status")); st < 5 {
		t.Fatalf("only %d status packages recognised", st)
	}
	for _, id := range s.Pending("") {
		var b bytes.Buffer
		if err := s.Package(id, &b); err != nil || b.Len() == 0 {
			t.Fatalf("%s: %v", id, err)
		}
	}
	if _, err := New(Options{Dir: filepath.Join(os.TempDir(), "no-such-folder-vxpsim")}); err == nil {
		t.Fatal("a missing fixture folder was accepted")
	}
}

func TestSendEdocHashFile(t *testing.T) {
	s, url := server(t, Options{})
	body := []byte("<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"/>")
	sum := sha256.Sum256(body)
	cases := []struct {
		name, hash string
		ok         bool
	}{
		{"padded", hex.EncodeToString(sum[:]), true},
		{"wrong", strings.Repeat("0", 64), false},
	}
	for _, tc := range cases {
		r := req(t, url, "sendEdoc", "k3y", [][2]string{{"from", "000.00.05.H99"}, {"servicetype", "eDoc"}, {"messagetype", "edoc"}, {"to", `["000.25.31.H99"]`}, {"hash-file", tc.hash}}, nil)
		r.Body = io.NopCloser(bytes.NewReader(body))
		_, a := do(t, r)
		if tc.ok != (a.Status == "OK") {
			t.Fatalf("%s: %+v", tc.name, a)
		}
	}
	if n := s.Count("sendEdoc"); n != 2 {
		t.Fatalf("%d sendEdoc", n)
	}
}
