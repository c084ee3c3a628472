package meetings

import (
	"os"
	"testing"
	"time"

	wire "chiso/adapters/meetings"
	"chiso/adapters/vntime"
)

// The template event of docs/mau-su-kien-hop.ics must read as the docs say.
func TestDocsTemplate(t *testing.T) {
	data, err := os.ReadFile("../../docs/mau-su-kien-hop.ics")
	if err != nil {
		t.Fatal(err)
	}
	feed, err := wire.ParseICS(data, wire.ParseOptions{From: time.Date(2026, 1, 1, 0, 0, 0, 0, vntime.Location), To: time.Date(2026, 2, 1, 0, 0, 0, 0, vntime.Location)})
	if err != nil || len(feed.Problems) > 0 {
		t.Fatalf("template: %v %v", err, feed.Problems)
	}
	got := map[string]string{}
	for _, occ := range feed.Occurrences {
		m, warns := FromOccurrence(occ, testOptions())
		if len(warns) > 0 {
			t.Errorf("%s: warnings %v", occ.Key, warns)
		}
		got[m.UID] = renderMeeting(m)
	}
	want := map[string]string{
		"2026-000.25.31.H99-mau-001@lich.yendinh.gov.vn":                  "2026-000.25.31.H99-mau-001@lich.yendinh.gov.vn unit=001.25.31.H99 kind=chuyen-mon scope= organised=true online=true paperless=true cancelled=false 2026-01-15 08:00 → 2026-01-15 11:00 sessions=1 total=180 materials=2026-01-13 16:00 discussion=135",
		"2026-000.25.31.H99-giaoban@lich.yendinh.gov.vn#20260105T003000Z": "2026-000.25.31.H99-giaoban@lich.yendinh.gov.vn#20260105T003000Z unit=000.25.31.H99 kind=giao-ban scope= organised=true online=false paperless=true cancelled=false 2026-01-05 07:30 → 2026-01-05 09:00 sessions=1 total=90 materials=2026-01-04 07:30 discussion=70",
		"2026-000.25.31.H99-du-001@lich.yendinh.gov.vn":                   "2026-000.25.31.H99-du-001@lich.yendinh.gov.vn unit=000.25.31.H99 kind=quan-trong scope= organised=false online=true paperless=false cancelled=false 2026-01-20 14:00 → 2026-01-20 16:30 sessions=1 total=150 materials=- discussion=-",
	}
	for uid, w := range want {
		if got[uid] != w {
			t.Errorf("%s:\n got %s\nwant %s", uid, got[uid], w)
		}
	}
	if n := len(feed.Occurrences); n != 3+3 { // the giao-ban repeats on 12, 19, 26 January
		t.Errorf("occurrences in January: %d, want 6", n)
	}
}
