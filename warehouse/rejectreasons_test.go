package warehouse_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// TestRejectReasons: the same problem in many records is one line (the
// record's location, key and numbers taken out), the most frequent first,
// at most limit per connector; a record's raw content never shows.
func TestRejectReasons(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	rejects := map[string][]facts.Reject{
		"dvc": {
			{SourceKey: "H1.001", Location: "page 1", Field: "NgayTiepNhan", Reason: "page 1: NgayTiepNhan: not a date", Raw: []byte(`{"HoTen":"Nguyễn Văn SECRET"}`)},
			{SourceKey: "H1.002", Location: "page 2", Field: "NgayTiepNhan", Reason: "page 2: NgayTiepNhan: not a date", Raw: []byte(`{"HoTen":"SECRET"}`)},
			{SourceKey: "H1.003", Location: "page 12", Field: "NgayTiepNhan", Reason: "page 12: NgayTiepNhan: not a date"},
			{SourceKey: "H1.004", Location: "page 3", Field: "TrangThai", Reason: "TrangThai: unknown status 17"},
			{SourceKey: "H1.005", Field: "", Reason: "H1.005: duplicate record"},
		},
		"qlvb": {
			{SourceKey: "a/b.edxml", Location: "a/b.edxml", Reason: "a/b.edxml: line 12: XML syntax error"},
			{SourceKey: "a/c.edxml", Location: "a/c.edxml", Reason: "a/c.edxml: line 40: XML syntax error"},
		},
	}
	for _, conn := range []string{"dvc", "qlvb"} {
		run, err := st.StartRun(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		for _, rj := range rejects[conn] {
			if err := run.Reject(ctx, rj); err != nil {
				t.Fatal(err)
			}
		}
		if err := run.Finish(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		limit int
		want  []warehouse.RejectReason
	}{
		{10, []warehouse.RejectReason{
			{Connector: "dvc", Field: "NgayTiepNhan", Reason: "NgayTiepNhan: not a date", Count: 3},
			{Connector: "dvc", Field: "", Reason: "duplicate record", Count: 1},
			{Connector: "dvc", Field: "TrangThai", Reason: "TrangThai: unknown status …", Count: 1},
			{Connector: "qlvb", Field: "", Reason: "line …: XML syntax error", Count: 2},
		}},
		{1, []warehouse.RejectReason{
			{Connector: "dvc", Field: "NgayTiepNhan", Reason: "NgayTiepNhan: not a date", Count: 3},
			{Connector: "qlvb", Field: "", Reason: "line …: XML syntax error", Count: 2},
		}},
	} {
		got, err := st.RejectReasons(ctx, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("limit %d:\n got %+v\nwant %+v", c.limit, got, c.want)
		}
		for _, g := range got {
			if strings.Contains(g.Reason, "SECRET") || strings.Contains(g.Reason, "H1.") {
				t.Errorf("reason shows a record: %q", g.Reason)
			}
		}
	}
}
