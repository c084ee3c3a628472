package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files")

func v(x float64) *float64 { return &x }

// vals turns numbers into a series; NaN-free sentinel -1 stands for a missing month.
func vals(xs ...float64) []*float64 {
	out := make([]*float64, len(xs))
	for i, x := range xs {
		if x != -1 {
			out[i] = v(x)
		}
	}
	return out
}

var cases = []struct {
	file string
	m    Monthly
	// what the SVG must hold besides matching its golden file
	circles, squares int
	want             []string
}{
	{
		file: "online-meetings.svg",
		m: Monthly{ID: "meetings_online", Title: "Tỷ lệ cuộc họp trực tuyến", Percent: true,
			This:   Series{Label: "Năm 2026", Values: vals(40, 55.5, 62, 70, 58, 61, 66, 72, 75, 80, 81)},
			Last:   Series{Label: "Năm 2025", Values: vals(20, 25, 30, 33.3, 35, 40, 42, 45, 50, 52, 55, 60)},
			Target: v(60), TargetLabel: "Chỉ tiêu ≥ 60%"},
		circles: 11, squares: 12,
		want: []string{"Năm 2026: T1 40%, T2 55,5%", "T11 81%. Năm 2025: T1 20%", "Chỉ tiêu ≥ 60%", `stroke-dasharray="6 4"`, `stroke-dasharray="2 3"`},
	},
	{
		file: "missing-months.svg",
		m: Monthly{ID: "dossiers", Title: "Tỷ lệ hồ sơ trực tuyến toàn trình", Percent: true,
			This:   Series{Label: "Năm 2026", Values: vals(96, -1, -1, 97, 98, -1, 99)},
			Last:   Series{Label: "Năm 2025", Values: vals(-1, -1, 90, 91, 92, 93, 94, 95, 95, 96, 96, 97)},
			Target: v(95)},
		circles: 4, squares: 10,
		want: []string{"T2 không có số liệu", "Chỉ tiêu 95%", "M"},
	},
	{
		file: "counts.svg",
		m: Monthly{ID: "docs", Title: "Số văn bản ban hành", Percent: false,
			This: Series{Label: "Năm 2026", Values: vals(112, 98, 130, 121, 87, 140)},
			Last: Series{Label: "Năm 2025", Values: vals(150, 120, 160, 149, 110, 171, 130, 140, 150, 160, 170, 190)}},
		circles: 6, squares: 12,
		want: []string{">200<", "Số văn bản ban hành", "(số lượng)"},
	},
	{
		file: "negative-percent.svg",
		m: Monthly{ID: "red", Title: "Giảm văn bản so cùng kỳ", Percent: true,
			This:   Series{Label: "Năm 2026", Values: vals(-12.5, 5, 18, 22)},
			Target: v(15), TargetLabel: "Chỉ tiêu ≥ 15%"},
		circles: 4, squares: 0,
		want: []string{"-12,5%", ">-50%<"},
	},
	{
		file: "empty.svg",
		m: Monthly{ID: "x", Title: "Chưa có gì <&>", Percent: true,
			This: Series{Label: "Năm 2026"}, Last: Series{Label: "Năm 2025"}, Target: v(100)},
		want: []string{"Chưa có số liệu theo tháng", "Chưa có gì &lt;&amp;&gt;"},
	},
}

func TestMonthly(t *testing.T) {
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, c.m); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if got := string(SVG(c.m)); got != out {
				t.Errorf("SVG and Write differ")
			}
			checkXML(t, out)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q", w)
				}
			}
			// Markers: one per month with a value; the two legend samples are outside the series groups.
			if n := strings.Count(out, "<circle") - legendCount(c.m.This); n != c.circles {
				t.Errorf("%d circles, want %d", n, c.circles)
			}
			if n := strings.Count(out, "<rect") - legendCount(c.m.Last); n != c.squares {
				t.Errorf("%d squares, want %d", n, c.squares)
			}
			for _, must := range []string{`viewBox="0 0 360 `, `width="100%"`, `role="img"`, `aria-labelledby="` + c.m.ID + `-title ` + c.m.ID + `-desc"`,
				`<title id="` + c.m.ID + `-title">`, `<desc id="` + c.m.ID + `-desc">`} {
				if !strings.Contains(out, must) {
					t.Errorf("missing %q", must)
				}
			}
			golden := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./report/web/chart -update writes it)", err)
			}
			if !bytes.Equal(want, buf.Bytes()) {
				t.Errorf("differs from %s:\n%s", golden, out)
			}
		})
	}
}

func legendCount(s Series) int {
	if hasAny(s.Values) {
		return 1
	}
	return 0
}

// checkXML fails unless s is one well-formed XML element named svg.
func checkXML(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if e.Name.Local != "svg" || e.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("root is %v, want svg in the SVG namespace", e.Name)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || depth != 0 {
		t.Errorf("%d root elements, depth %d at the end", roots, depth)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		m    Monthly
		want string
	}{
		{"too many values", Monthly{Title: "x", Months: []string{"T1"}, This: Series{Values: vals(1, 2)}}, "more values than months"},
		{"no months", Monthly{Title: "x", Months: []string{}}, "no months"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Write(io.Discard, c.m)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestScale(t *testing.T) {
	for _, c := range []struct {
		name   string
		m      Monthly
		lo, hi float64
		ticks  int
	}{
		{"percent", Monthly{Percent: true, This: Series{Values: vals(10, 90)}}, 0, 100, 5},
		{"percent over 100", Monthly{Percent: true, This: Series{Values: vals(130)}}, 0, 150, 4},
		{"counts", Monthly{This: Series{Values: vals(3, 7)}}, 0, 8, 5},
		{"counts all zero", Monthly{This: Series{Values: vals(0, 0)}}, 0, 1, 2},
		{"count target above values", Monthly{This: Series{Values: vals(10)}, Target: v(45)}, 0, 60, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			lo, hi, ticks := scale(c.m)
			if lo != c.lo || hi != c.hi || len(ticks) != c.ticks {
				t.Errorf("scale = %v..%v %v, want %v..%v with %d ticks", lo, hi, ticks, c.lo, c.hi, c.ticks)
			}
		})
	}
}
