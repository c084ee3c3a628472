package meetingssim

import (
	"bytes"
	"testing"
	"time"

	wire "chiso/adapters/meetings"
	"chiso/adapters/vntime"
)

var (
	from2025 = time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location)
	to2027   = time.Date(2027, 1, 1, 0, 0, 0, 0, vntime.Location)
)

func TestGenerateDeterministic(t *testing.T) {
	a, b, c := Generate(Options{Seed: 7}), Generate(Options{Seed: 7}), Generate(Options{Seed: 8})
	if len(a) != 5 {
		t.Fatalf("calendars: got %d, want the commune and 4 units", len(a))
	}
	for i := range a {
		if !bytes.Equal(a[i].ICS(), b[i].ICS()) || !bytes.Equal(a[i].CSV(), b[i].CSV()) {
			t.Errorf("%s: same seed, different output", a[i].Unit)
		}
	}
	if bytes.Equal(a[0].ICS(), c[0].ICS()) {
		t.Error("different seeds gave the same commune calendar")
	}
}

// The feed encodes exactly the generated occurrences: parsing it with the
// adapter (RRULE, EXDATE, RECURRENCE-ID overrides, all-day events) gives back
// every occurrence with its key, times and status.
func TestFeedRoundTrip(t *testing.T) {
	for _, cal := range Generate(Options{Seed: 3}) {
		feed, err := wire.ParseICS(cal.ICS(), wire.ParseOptions{From: from2025, To: to2027})
		if err != nil {
			t.Fatalf("%s: %v", cal.Unit, err)
		}
		if len(feed.Problems) > 0 {
			t.Fatalf("%s: problems: %v", cal.Unit, feed.Problems)
		}
		got := map[string]wire.Occurrence{}
		for _, o := range feed.Occurrences {
			got[o.Key] = o
		}
		if len(got) != len(cal.Occurrences) {
			t.Errorf("%s: feed has %d occurrences, generated %d", cal.Unit, len(got), len(cal.Occurrences))
		}
		for _, m := range cal.Occurrences {
			o, ok := got[m.UID]
			switch {
			case !ok:
				t.Errorf("%s: %s missing from the feed", cal.Unit, m.UID)
			case !o.Start.Equal(m.Start) || !o.End.Equal(m.End):
				t.Errorf("%s: %s: feed %s–%s, generated %s–%s", cal.Unit, m.UID, o.Start, o.End, m.Start, m.End)
			case o.Cancelled() != m.Cancelled:
				t.Errorf("%s: %s: cancelled %v, generated %v", cal.Unit, m.UID, o.Cancelled(), m.Cancelled)
			case o.AllDay != m.AllDay:
				t.Errorf("%s: %s: all-day %v, generated %v", cal.Unit, m.UID, o.AllDay, m.AllDay)
			}
		}
	}
}

// The demo data must show the 2026 story: 10–15% fewer meetings than 2025,
// online/paperless share rising from about 35% to 55–65%, every kind present,
// rule breakers, attended-only meetings and recurring exceptions.
func TestGenerateMix(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 42} {
		cals := Generate(Options{Seed: seed})
		held, online, toanXa := map[int]int{}, map[int]int{}, map[int]int{}
		kinds := map[string]int{}
		var attend, cancelled, allDay, late, littleTalk, exdates, overrides int
		for _, c := range cals {
			for _, s := range c.Series {
				exdates += len(s.ExDates)
				overrides += len(s.Overrides)
			}
			for _, m := range c.Occurrences {
				switch {
				case m.Attend:
					attend++
					continue
				case m.Cancelled:
					cancelled++
					continue
				}
				y := m.Start.Year()
				held[y]++
				kinds[m.Kind]++
				if m.Online || m.Paperless {
					online[y]++
				}
				if m.Scope == "toan-xa" {
					toanXa[y]++
				}
				if m.AllDay {
					allDay++
				}
				if m.Materials != nil && m.Start.Sub(*m.Materials) < 24*time.Hour {
					late++
				}
				if m.Discussion != nil && float64(*m.Discussion) < 0.7*m.End.Sub(m.Start).Minutes() && !m.AllDay {
					littleTalk++
				}
			}
		}
		cut := 1 - float64(held[2026])/float64(held[2025])
		s25, s26 := float64(online[2025])/float64(held[2025]), float64(online[2026])/float64(held[2026])
		t.Logf("seed %d: held %v (cut %.1f%%), online %.1f%% → %.1f%%, toan-xa %v", seed, held, 100*cut, 100*s25, 100*s26, toanXa)
		if cut < 0.10 || cut > 0.15 {
			t.Errorf("seed %d: 2026 has %.1f%% fewer meetings, want 10–15%%", seed, 100*cut)
		}
		if s25 < 0.30 || s25 > 0.42 {
			t.Errorf("seed %d: 2025 online/paperless share %.1f%%, want about 35%%", seed, 100*s25)
		}
		if s26 < 0.55 || s26 > 0.65 {
			t.Errorf("seed %d: 2026 online/paperless share %.1f%%, want 55–65%%", seed, 100*s26)
		}
		for _, k := range []string{"quan-triet", "chuyen-mon", "quan-trong", "giao-ban", "so-ket-tong-ket", "chuyen-de", "tap-huan", "giai-quyet-cong-viec", "tham-muu-tu-van", "dieu-phoi", "khac"} {
			if kinds[k] == 0 {
				t.Errorf("seed %d: no meeting of kind %s", seed, k)
			}
		}
		if toanXa[2025] <= 3 || toanXa[2026] == 0 || toanXa[2026] > 3 {
			t.Errorf("seed %d: commune-wide conferences %v: want more than 3 in 2025 (a breach) and 1–3 in 2026", seed, toanXa)
		}
		if attend == 0 || cancelled == 0 || allDay == 0 || late == 0 || littleTalk == 0 || exdates == 0 || overrides == 0 {
			t.Errorf("seed %d: attend %d cancelled %d all-day %d late %d little-talk %d exdates %d overrides %d: want each > 0",
				seed, attend, cancelled, allDay, late, littleTalk, exdates, overrides)
		}
	}
}
