package vxp

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The expected values were computed outside Go (openssl dgst -hmac, python hashlib).
func TestSignGolden(t *testing.T) {
	at := time.Date(2025, 11, 20, 1, 15, 30, 45_000_000, time.UTC) // 08:15:30.045 in Vietnam
	if got := Timestamp(at); got != "20112025T081530+0045" {
		t.Fatalf("Timestamp = %q", got)
	}
	h := http.Header{}
	Sign(h, []byte("s3cr3t"), SignParams("chiso", at, []Param{{"docId", "abc"}}))
	want := map[string]string{
		"systemid":                  "chiso",
		"XroadVnpt-systemid":        "chiso",
		"timestamp":                 "20112025T081530+0045",
		"XroadVnpt-timestamp":       "20112025T081530+0045",
		"docId":                     "abc",
		"XroadVnpt-docId":           "abc",
		"XroadVnpt-sign-header-key": "systemid;timestamp;docId",
		"XroadVnpt-sign-header":     `{"XroadVnpt-systemid":"chiso","XroadVnpt-timestamp":"20112025T081530+0045","XroadVnpt-docId":"abc"}`,
		"XroadVnpt-hash-header":     "0c01689863860fdf66760ee5f5f2a77fb490265b2055842de3514891aad24b4d",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestHashFileUnpadded(t *testing.T) {
	got := HashFile([]byte("edxml package bytes\n"))
	if want := "31d3abd4809b4ee887e5cdcc0b537e133ea2441a25f59bc3d7552cb298f66d"; got != want {
		t.Fatalf("HashFile = %s, want %s", got, want)
	}
}

func TestDecodeEdoc(t *testing.T) {
	cases := []struct {
		name, body, want, status string
		err                      error
	}{
		{"plain", `{"status":"OK","ErrorCode":"0","ErrorDesc":"","data":"PGVkWE1MLz4="}`, "<edXML/>", "OK", nil},
		{"data first, escaped slash and newlines", `{"data":"PGVkWE1M\/z4\r\n=","status":"OK","ErrorCode":0}`, "", "OK", nil},
		{"unicode escape and nested members", "{\"meta\":{\"a\":[1,2,{\"b\":\"}\"}]},\"data\":\"PGVkWE1MLz4\\u003d\",\"status\":\"OK\"}", "<edXML/>", "OK", nil},
		{"fail", `{"status":"FAIL","ErrorCode":"401","ErrorDesc":"invalid signature"}`, "", "FAIL", nil},
		{"truncated in data", `{"status":"OK","data":"PGVkWE1M`, "", "", ErrTruncated},
		{"truncated after data", `{"status":"OK","data":"PGVkWE1MLz4="`, "", "", ErrTruncated},
		{"not json", `<html>`, "", "", errors.New("want")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			res, _, err := decodeEdoc(strings.NewReader(c.body), &out)
			switch {
			case c.err == nil && err != nil:
				t.Fatalf("error %v", err)
			case c.err != nil && err == nil:
				t.Fatalf("no error, want %v", c.err)
			case c.err != nil && !errors.Is(err, c.err) && !strings.Contains(err.Error(), c.err.Error()):
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if c.err != nil {
				return
			}
			if res.Status != c.status {
				t.Errorf("status %q", res.Status)
			}
			if c.want != "" && out.String() != c.want {
				t.Errorf("data %q, want %q", out.String(), c.want)
			}
		})
	}
}
