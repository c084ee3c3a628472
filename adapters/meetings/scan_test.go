package meetings

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"
)

// How the text of a feed is decided: UTF-8 as is, a UTF-16 export by its
// byte order mark, an ISO-8859-1/Windows-1252 export transcoded (each with a
// warning), a UTF-8 feed with a stray byte left for the scan to reject.
func TestDecodeText(t *testing.T) {
	vn, err := os.ReadFile("testdata/ical/exchange-vietnam-tz/feed.ics")
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(vn)
	if err != nil {
		t.Fatal(err)
	}
	latin1, _ := os.ReadFile("testdata/ical/latin1-export/feed.ics")
	mixed, _ := os.ReadFile("testdata/ical/mixed-utf8-stray-byte/feed.ics")
	cases := []struct {
		name      string
		in        []byte
		mixed     bool
		warn      string
		wantInOut string
	}{
		{"utf-8", vn, false, "", "Bangkok, Hanoi"},
		{"utf-8 with BOM", append([]byte("\xef\xbb\xbf"), vn...), false, "", "BEGIN:VCALENDAR"},
		{"utf-16 with BOM", utf16, false, "the feed is UTF-16", "Bangkok, Hanoi"},
		{"iso-8859-1", latin1, false, "line 6: the feed is not UTF-8: read as Windows-1252", "Müll"},
		{"utf-8 with a stray byte", mixed, true, "", "Họp giao ban"},
	}
	for _, c := range cases {
		out, isMixed, warn, enc, err := decodeText(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if isMixed != c.mixed || !strings.HasPrefix(warn, c.warn) || (c.warn == "" && warn != "") || !strings.Contains(string(out), c.wantInOut) {
			t.Errorf("%s: mixed %v warn %q, output holds %q: %v", c.name, isMixed, warn, c.wantInOut, strings.Contains(string(out), c.wantInOut))
		}
		if (enc != nil) != (c.warn != "") {
			t.Errorf("%s: transcoded from %v, warning %q", c.name, enc, warn)
		}
		if enc != nil && string(originalBytes(out, enc)) != strings.TrimPrefix(string(c.in), "\xff\xfe") {
			t.Errorf("%s: the round trip does not give the feed's bytes back", c.name)
		}
		if !strings.HasPrefix(string(out), "BEGIN:VCALENDAR") {
			t.Errorf("%s: output starts %q", c.name, clip(string(out), 20))
		}
	}
}
