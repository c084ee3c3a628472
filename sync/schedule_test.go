package sync

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"chiso/adapters/vntime"
	"chiso/sync/config"
)

func TestOffset(t *testing.T) {
	tests := []struct {
		name   string
		period time.Duration
	}{
		{"qlvb-archive", 15 * time.Minute},
		{"vxp", 5 * time.Minute},
		{"dvc", time.Hour},
		{"a", time.Second},
		{"", time.Second},
		{"lich-hop", 24 * time.Hour},
		{"zero-period", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := offset(tt.name, tt.period)
			if tt.period == 0 {
				if got != 0 {
					t.Fatalf("offset(%q, 0) = %v, want 0", tt.name, got)
				}
				return
			}
			if got < 0 || got >= tt.period {
				t.Fatalf("offset(%q, %v) = %v, want in [0, period)", tt.name, tt.period, got)
			}
			if again := offset(tt.name, tt.period); again != got {
				t.Fatalf("offset is not stable: %v then %v", got, again)
			}
		})
	}
	// Connectors of one period are spread over it, not stacked on one instant.
	seen := map[time.Duration]bool{}
	for _, n := range []string{"qlvb-archive", "vxp", "dvc", "dvc-dir", "so-den", "so-di", "lich-hop", "lich-hop-file"} {
		seen[offset(n, 15*time.Minute)] = true
	}
	if len(seen) < 7 {
		t.Errorf("8 names share only %d offsets", len(seen))
	}
}

func TestAlignedEveryNext(t *testing.T) {
	utc := time.UTC
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05.000", s, utc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name        string
		period, off time.Duration
		now, want   string
		wantPrev    string
	}{
		{"on a tick goes to the next", 15 * time.Minute, 0, "2026-03-01 10:15:00.000", "2026-03-01 10:30:00.000", "2026-03-01 10:15:00.000"},
		{"between ticks", 15 * time.Minute, 0, "2026-03-01 10:16:00.000", "2026-03-01 10:30:00.000", "2026-03-01 10:15:00.000"},
		{"offset shifts the grid", 15 * time.Minute, 7 * time.Minute, "2026-03-01 10:16:00.000", "2026-03-01 10:22:00.000", "2026-03-01 10:07:00.000"},
		{"just before a tick", time.Second, 250 * time.Millisecond, "2026-03-01 10:00:00.249", "2026-03-01 10:00:00.250", "2026-03-01 09:59:59.250"},
		{"day boundary", time.Hour, 30 * time.Minute, "2026-03-01 23:45:00.000", "2026-03-02 00:30:00.000", "2026-03-01 23:30:00.000"},
		{"before the epoch", time.Hour, 0, "1969-12-31 22:10:00.000", "1969-12-31 23:00:00.000", "1969-12-31 22:00:00.000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := alignedEvery{period: tt.period, off: tt.off}
			if got := s.Next(at(tt.now)); !got.Equal(at(tt.want)) {
				t.Errorf("Next(%s) = %s, want %s", tt.now, got.Format("2006-01-02 15:04:05.000"), tt.want)
			}
			if got := s.prev(at(tt.now)); !got.Equal(at(tt.wantPrev)) {
				t.Errorf("prev(%s) = %s, want %s", tt.now, got.Format("2006-01-02 15:04:05.000"), tt.wantPrev)
			}
		})
	}
}

func TestConnectorScheduleAndPrevTick(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 17, 30, 0, vntime.Location)
	tests := []struct {
		spec     string
		wantPrev time.Time
	}{
		{"0 2 * * *", time.Date(2026, 3, 4, 2, 0, 0, 0, vntime.Location)},
		{"*/15 * * * *", time.Date(2026, 3, 4, 10, 15, 0, 0, vntime.Location)},
		{"0 0 8 * * 1", time.Date(2026, 3, 2, 8, 0, 0, 0, vntime.Location)},
		{"@daily", time.Date(2026, 3, 4, 0, 0, 0, 0, vntime.Location)},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := config.Parser.Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			// cron specs are in the cron's location; here parse in vn.
			s.(*cron.SpecSchedule).Location = vntime.Location
			if got := prevTick(s, now); !got.Equal(tt.wantPrev) {
				t.Errorf("prevTick = %s, want %s", got, tt.wantPrev)
			}
		})
	}
	// @every becomes an aligned schedule whose ticks do not depend on when
	// the daemon started.
	s, err := connectorSchedule("vxp", "@every 5m")
	if err != nil {
		t.Fatal(err)
	}
	a, ok := s.(alignedEvery)
	if !ok || a.period != 5*time.Minute || a.off != offset("vxp", 5*time.Minute) {
		t.Fatalf("connectorSchedule(@every 5m) = %#v", s)
	}
	if p := prevTick(s, now); p.After(now) || now.Sub(p) >= 5*time.Minute || !s.Next(p).Equal(p.Add(5*time.Minute)) {
		t.Errorf("prevTick(%s) = %s", now, p)
	}
	if _, err := connectorSchedule("x", "every five minutes"); err == nil {
		t.Error("a bad spec was accepted")
	}
}

func TestChunks(t *testing.T) {
	d := func(s string) time.Time {
		v, err := time.ParseInLocation(time.DateOnly, s, vntime.Location)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		from, to string
		want     []string
	}{
		{"2025-01-01", "2025-03-31", []string{"2025-01-01..2025-01-31", "2025-02-01..2025-02-28", "2025-03-01..2025-03-31"}},
		{"2025-01-15", "2025-02-10", []string{"2025-01-15..2025-01-31", "2025-02-01..2025-02-10"}},
		{"2024-02-20", "2024-03-01", []string{"2024-02-20..2024-02-29", "2024-03-01..2024-03-01"}},
		{"2025-12-31", "2026-01-01", []string{"2025-12-31..2025-12-31", "2026-01-01..2026-01-01"}},
		{"2025-06-05", "2025-06-05", []string{"2025-06-05..2025-06-05"}},
		{"2025-06-05", "2025-06-04", nil},
	}
	for _, tt := range tests {
		t.Run(tt.from+".."+tt.to, func(t *testing.T) {
			var got []string
			for _, w := range Chunks(d(tt.from), d(tt.to)) {
				got = append(got, windowString(w))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Chunks = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("Chunks = %v, want %v", got, tt.want)
				}
			}
		})
	}
	full := Chunks(d("2025-01-01"), d("2025-12-31"))
	if len(full) != 12 || BackfillStream(full[0].From, full[11].To) != "backfill:2025-01-01..2025-12-31" {
		t.Errorf("a year: %d chunks, stream %s", len(full), BackfillStream(full[0].From, full[11].To))
	}
}
