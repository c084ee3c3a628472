package edxml_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chiso/adapters/edxml"
	"chiso/mapping/documents"
)

var update = flag.Bool("update", false, "rewrite the golden .json/.err files from the parser's output")

// TestGoldenValid parses every testdata/valid/*.edxml and compares its
// inspect JSON with the .json beside it.
func TestGoldenValid(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.edxml")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			name := filepath.Base(f)
			pkg, err := edxml.ParseFile(context.Background(), f, edxml.Options{})
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got, err := json.MarshalIndent(documents.Inspect(name, pkg, nil), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(f, ".edxml") + ".json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("missing golden %s (run go test -update): %v", golden, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("inspect JSON differs from %s\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

// TestGoldenInvalid parses every testdata/invalid/*.edxml and compares the
// error text with the .err beside it.
func TestGoldenInvalid(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.edxml")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			pkg, err := edxml.Parse(context.Background(), bytes.NewReader(raw), filepath.Base(f), edxml.Options{})
			if err == nil {
				t.Fatalf("parsed an invalid package: %+v", pkg)
			}
			var pe *edxml.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, want *edxml.Error: %v", err, err)
			}
			golden := strings.TrimSuffix(f, ".edxml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(err.Error()+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("missing golden %s (run go test -update): %v", golden, rerr)
			}
			if got := err.Error(); got != strings.TrimSpace(string(want)) {
				t.Errorf("error differs from %s\n got: %s\nwant: %s", golden, got, strings.TrimSpace(string(want)))
			}
		})
	}
}

// TestRealSamples reads every real producer package (real-samples/edxml and
// edxml-more): all parse except the two that are not well-formed and the
// annotated template of the first set, and in the second the one with
// bytes before its XML declaration, the one with an undeclared prefix and
// the one without a date of issue.
func TestRealSamples(t *testing.T) {
	dir := edxml.RealSamplesDir()
	if dir == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("real samples not found (shared/specs/real-samples beside the clone)" + ": CI lays shared/ beside the clone")
		}
		t.Skip("real samples not found (shared/specs/real-samples beside the clone)")
	}
	first, _ := filepath.Glob(filepath.Join(dir, "edxml", "*.edxml"))
	more, _ := filepath.Glob(filepath.Join(dir, "edxml-more", "*.edxml"))
	files := append(first, more...)
	rejected := map[string]string{
		"all4u__edoc.edxml":              "not well-formed XML",
		"tltvbqn__edoc.edxml":            `undeclared namespace prefix "xlink"`,
		"tungsfer-ssadapter__form.edxml": "MessageHeader/From/OrganId: OrganId",
		// edxml-more
		"pvn__jdk18_edoc_new.edxml":          `not well-formed XML: text "1212" at byte offset 0, before the root element`,
		"pvn__jdk18_edoc.edxml":              `undeclared namespace prefix "xlink"`,
		"pvn__test_edxml_with_content.edxml": "missing PromulgationInfo",
	}
	// Decoded attachment sizes, checked independently (Python base64).
	sizes := map[string][]int64{
		"all4u__dc0bdef0-c7a3-4aaf-b717-777303442973.edxml": {4151},
		"all4u__edoc_new.edxml":                             {270823},
		"pvn__1760427207626_b.txt.edxml":                    {1},
		"pvn__1f881896-6e3a-4a5f-87f1-c380878e148e.edxml":   {207, 207, 207},
		"pvn__9e272474-0603-48a2-b525-9cd1af689612.edxml":   {18839},
		"pvn__knobstick.edxml":                              {282044, 46430},
		"quangchu__edoc_update.edxml":                       {270823},
		// edxml-more
		"pvn__1760429739290_bien-ban.txt.edxml":           {24718},
		"pvn__874e0f18-90dc-45fb-989a-65401470ba84.edxml": {10689},
		"pvn__upload_1da394ba.edxml":                      {207, 207, 207},
		"pvn__upload_b6e1f29d.edxml":                      {202, 202},
		"quangchu__edoc_new_3ff46ec.edxml":                {270823},
	}
	if len(first) != 25 || len(more) != 8 {
		t.Errorf("found %d + %d real samples, want 25 + 8", len(first), len(more))
	}
	for _, f := range files {
		base := filepath.Base(f)
		t.Run(base, func(t *testing.T) {
			pkg, err := edxml.ParseFile(context.Background(), f, edxml.Options{})
			if want, bad := rejected[base]; bad {
				if err == nil {
					t.Fatalf("accepted, want an error containing %q", want)
				}
				if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), f+": ") {
					t.Fatalf("error %q: want it to name the file and contain %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if err := edxml.CheckComplete(pkg); err != nil {
				t.Fatalf("%v: %+v", err, pkg)
			}
			if want, ok := sizes[base]; ok {
				var got []int64
				for _, a := range pkg.Attachments {
					got = append(got, a.Size)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("attachment sizes %v, want %v", got, want)
				}
			}
		})
	}
}
