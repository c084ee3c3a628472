package web

import "testing"

func TestScheduleWords(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"@every 15m", "mỗi 15 phút"},
		{"@every 1h", "mỗi 1 giờ"},
		{"@every 90m", "mỗi 90 phút"},
		{"@every 48h", "mỗi 2 ngày"},
		{"@every 30s", "mỗi 30s"},
		{"0 2 * * *", "0 2 * * *"},
		{"on request", "khi nguồn gửi đến"},
		{"", "không đặt lịch"},
	} {
		if got := scheduleWords(c.in); got != c.want {
			t.Errorf("scheduleWords(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
