package meetings

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	wire "chiso/adapters/meetings"
	"chiso/adapters/vntime"
	"chiso/mapping/orgdir"
	"chiso/warehouse/facts"
)

var update = flag.Bool("update", false, "rewrite golden files")

func testOptions() Options {
	org := orgdir.New([]orgdir.Unit{
		{Code: "000.25.31.H99", Name: "UBND xã Yên Định", Parent: "000.00.00.H99", Relation: "self"},
		{Code: "001.25.31.H99", Name: "Văn phòng HĐND và UBND xã", Parent: "000.25.31.H99", Relation: "internal"},
		{Code: "002.25.31.H99", Name: "Phòng Văn hóa - Xã hội", Parent: "000.25.31.H99", Relation: "internal"},
		{Code: "000.00.00.H99", Name: "UBND tỉnh Bắc Ninh", Relation: "higher"},
		{Code: "000.00.05.H99", Name: "Sở Nội vụ", Parent: "000.00.00.H99", Relation: "higher"},
	})
	return Options{Source: "lich-hop", Unit: "000.25.31.H99", Self: "000.25.31.H99", Org: org, Location: vntime.Location}
}

func renderMeeting(m facts.Meeting) string {
	opt := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.In(vntime.Location).Format("2006-01-02 15:04")
	}
	disc := "-"
	if m.DiscussionMinutes != nil {
		disc = fmt.Sprint(*m.DiscussionMinutes)
	}
	return fmt.Sprintf("%s unit=%s kind=%s scope=%s organised=%v online=%v paperless=%v cancelled=%v %s → %s sessions=%d total=%d materials=%s discussion=%s",
		m.UID, m.UnitCode, m.Kind, m.Scope, m.OrganizedBySelf, m.Online, m.Paperless, m.Cancelled,
		m.StartsAt.In(vntime.Location).Format("2006-01-02 15:04"), m.EndsAt.In(vntime.Location).Format("2006-01-02 15:04"), m.Sessions, m.TotalMinutes,
		opt(m.MaterialsSentAt), disc)
}

// The conventions of registers-meetings.md §2, read from a real feed.
func TestFromOccurrenceGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/conventions.ics")
	if err != nil {
		t.Fatal(err)
	}
	feed, err := wire.ParseICS(data, wire.ParseOptions{From: time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location), To: time.Date(2026, 1, 1, 0, 0, 0, 0, vntime.Location)})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, occ := range feed.Occurrences {
		m, warns := FromOccurrence(occ, testOptions())
		if m.Source != "lich-hop" {
			t.Errorf("%s: source %q", m.UID, m.Source)
		}
		b.WriteString(renderMeeting(m) + "\n")
		for _, w := range warns {
			b.WriteString("  warning: " + w + "\n")
		}
	}
	got := b.String()
	if *update {
		_ = os.WriteFile("testdata/conventions.expected.txt", []byte(got), 0o644)
	}
	want, err := os.ReadFile("testdata/conventions.expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("conventions differ.\n--- got\n%s--- want\n%s", got, want)
	}
}

func TestDuration(t *testing.T) {
	d := func(day, h, m int) time.Time { return time.Date(2025, 3, day, h, m, 0, 0, vntime.Location) }
	cases := []struct {
		name              string
		start, end        time.Time
		allDay            bool
		sessions, minutes int
	}{
		{"morning only", d(10, 7, 30), d(10, 11, 30), false, 1, 240},
		{"ends at noon", d(10, 8, 0), d(10, 12, 0), false, 1, 240},
		{"starts at noon", d(10, 12, 0), d(10, 13, 0), false, 1, 60},
		{"across noon", d(10, 11, 0), d(10, 13, 0), false, 2, 120},
		{"full day", d(10, 7, 30), d(10, 17, 0), false, 2, 570},
		{"day and a morning", d(10, 8, 0), d(11, 11, 0), false, 3, 1620},
		{"evening", d(10, 19, 0), d(10, 21, 0), false, 1, 120},
		{"zero length", d(10, 8, 0), d(10, 8, 0), false, 1, 0},
		{"end before start", d(10, 9, 0), d(10, 8, 0), false, 1, 0},
		{"UTC times", time.Date(2025, 3, 10, 1, 0, 0, 0, time.UTC), time.Date(2025, 3, 10, 6, 0, 0, 0, time.UTC), false, 2, 300},
		{"all-day one", d(10, 0, 0), d(11, 0, 0), true, 2, 480},
		{"all-day three", d(10, 0, 0), d(13, 0, 0), true, 6, 1440},
	}
	for _, c := range cases {
		s, m := Duration(c.start, c.end, c.allDay, vntime.Location)
		if s != c.sessions || m != c.minutes {
			t.Errorf("%s: got %d sessions, %d min; want %d, %d", c.name, s, m, c.sessions, c.minutes)
		}
	}
}

func TestFromRow(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2025, 5, 5, h, 0, 0, 0, vntime.Location) }
	ten := 10
	base := wire.FileRow{File: "f.csv", Row: 2, Ma: "H-1", TieuDe: "Họp", BatDau: at(8), KetThuc: at(10)}
	cases := []struct {
		name    string
		edit    func(*wire.FileRow)
		want    string // substring of renderMeeting, or of the error
		wantErr bool
	}{
		{"defaults", func(r *wire.FileRow) {}, "H-1 unit=000.25.31.H99 kind= scope= organised=true", false},
		{"kind in words", func(r *wire.FileRow) { r.Loai = "Quán triệt" }, "kind=quan-triet", false},
		{"unknown kind", func(r *wire.FileRow) { r.Loai = "hop-mat" }, `column loai: unknown kind "hop-mat"`, true},
		{"scope", func(r *wire.FileRow) { r.PhamVi = "Toàn xã" }, "scope=toan-xa", false},
		{"bad scope", func(r *wire.FileRow) { r.PhamVi = "toàn tỉnh" }, "column pham_vi", true},
		{"attend", func(r *wire.FileRow) { r.VaiTro = "du" }, "organised=false", false},
		{"bad role", func(r *wire.FileRow) { r.VaiTro = "khách" }, "column vai_tro", true},
		{"internal unit", func(r *wire.FileRow) { r.DonVi = "002.25.31.H99" }, "unit=002.25.31.H99 kind= scope= organised=true", false},
		{"unit by name", func(r *wire.FileRow) { r.DonVi = "Văn phòng HĐND và UBND xã" }, "unit=001.25.31.H99", false},
		{"higher unit organises", func(r *wire.FileRow) { r.DonVi = "000.00.00.H99" }, "unit=000.25.31.H99 kind= scope= organised=false", false},
		{"unknown unit", func(r *wire.FileRow) { r.DonVi = "999.99.99.H99" }, "column don_vi", true},
		{"discussion", func(r *wire.FileRow) { r.PhutThaoLuan = &ten }, "sessions=1 total=120 materials=- discussion=10", false},
		{"discussion too long", func(r *wire.FileRow) { n := 500; r.PhutThaoLuan = &n }, "column phut_thao_luan", true},
		{"flags", func(r *wire.FileRow) { r.TrucTuyen, r.KhongGiay, r.Huy = true, true, true }, "online=true paperless=true cancelled=true", false},
	}
	for _, c := range cases {
		r := base
		c.edit(&r)
		m, err := FromRow(r, testOptions())
		switch {
		case c.wantErr && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		case !c.wantErr && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !c.wantErr && !strings.Contains(renderMeeting(m), c.want):
			t.Errorf("%s: got %s, want %q in it", c.name, renderMeeting(m), c.want)
		}
	}
}
