package dvc

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestParseResponseFastPathAgrees checks, for every answer under
// testdata/answers, that parseResponse (one-pass split of valid answers)
// gives exactly what the general streaming decoder gives, errors included.
func TestParseResponseFastPathAgrees(t *testing.T) {
	files, err := filepath.Glob("testdata/answers/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no answers: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, gotErr := parseResponse(body)
			want, wantErr := decodeResponse(body)
			if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
				t.Fatalf("error %v, want %v", gotErr, wantErr)
			}
			if len(got.Result) != len(want.Result) {
				t.Fatalf("%d items, want %d", len(got.Result), len(want.Result))
			}
			for i := range got.Result {
				if string(got.Result[i]) != string(want.Result[i]) {
					t.Errorf("item %d: %s, want %s", i, got.Result[i], want.Result[i])
				}
			}
			got.Result, want.Result = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("envelope %+v, want %+v", got, want)
			}
		})
	}
}

// BenchmarkParseResponse splits a page of 1,000 records.
func BenchmarkParseResponse(b *testing.B) {
	rec, err := os.ReadFile("testdata/answers/list_page.json")
	if err != nil {
		b.Fatal(err)
	}
	r, _ := decodeResponse(rec)
	body := []byte(`{"error_code":0,"message":"ok","tongSo":1000,"result":[`)
	for i := range 1000 {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, r.Result[i%len(r.Result)]...)
	}
	body = append(body, "]}"...)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseResponse(body); err != nil {
			b.Fatal(err)
		}
	}
}
