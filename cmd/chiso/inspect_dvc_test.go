package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestInspectDvc(t *testing.T) {
	cases := []struct {
		files    []string
		exit     int
		lines    int
		stderrIs string
	}{
		{[]string{"../../mapping/dossiers/testdata/cases/online_done_envelope.json"}, 0, 1, ""},
		{[]string{"../../mapping/dossiers/testdata/cases/status_unknown.json", "../../mapping/dossiers/testdata/cases/supplement_open_single.json"}, 0, 5, ""},
		{[]string{"../../mapping/dossiers/testdata/cases/date_bad_month.json"}, 1, 0, "NgayTiepNhan"},
		{[]string{"no-such-file.json"}, 1, 0, "no-such-file.json"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if code := inspectDvc(c.files, &out, &errb); code != c.exit {
			t.Errorf("%v: exit %d, stderr %s", c.files, code, errb.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if out.Len() == 0 {
			lines = nil
		}
		if len(lines) != c.lines {
			t.Errorf("%v: %d lines", c.files, len(lines))
		}
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"ma_ho_so", "ma_tthc", "channel", "status", "received_at", "due_at", "finished_at", "returned_at", "result_method", "input_digitized", "result_electronic", "supplements", "warnings"} {
				if _, ok := m[k]; !ok {
					t.Errorf("%v: no %s in %s", c.files, k, l)
				}
			}
		}
		if c.stderrIs != "" && !strings.Contains(errb.String(), c.stderrIs) {
			t.Errorf("%v: stderr %q", c.files, errb.String())
		}
	}
}
