package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"chiso/report"
	"chiso/report/web"
	"chiso/report/web/browsertest"
	"chiso/warehouse"
	"chiso/warehouse/facts"
)

// The snapshots page lists the snapshots of the unit and period, shows what
// entered or left each indicator since one of them (the diff of chiso
// snapshot diff), and downloads a snapshot's annex as chiso report
// --snapshot writes it.
// snapshotFixture is the golden case rollup-2026h1 frozen for 2026-H1,
// then a late document of March written by a run of the register connector.
func snapshotFixture(t *testing.T) (*warehouse.Store, *warehouse.Snapshot) {
	t.Helper()
	ctx := context.Background()
	st := goldenStore(t, "rollup-2026h1")
	snap, err := report.Freeze(ctx, st, report.FreezeOptions{Options: report.Options{Period: "2026-H1", Unit: self, Now: now},
		Note: "Báo cáo 6 tháng", By: "Văn thư", ConfigSHA256: strings.Repeat("0", 64)})
	if err != nil {
		t.Fatal(err)
	}
	// A late document of March, through a run of the register connector.
	run, err := st.StartRun(ctx, "so-van-ban-di")
	if err != nil {
		t.Fatal(err)
	}
	day := now.AddDate(0, -8, -11) // 15 March 2026
	on := &day
	if err := run.UpsertDocument(ctx, facts.Document{UnitCode: self, Direction: "out", DocKey: "late-row", Family: "hanh_chinh",
		DocType: "bao_cao", Medium: "paper", IssuedOn: on, EventOn: on, CounterpartRelation: "higher", Series: "regular"},
		facts.Sighting{Source: "so-van-ban-di", SourceKey: "so-di.xlsx#Sheet1!9", Medium: "paper"}); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return st, snap
}

func TestSnapshotsPage(t *testing.T) {
	ctx := context.Background()
	st, snap := snapshotFixture(t)
	ts := serve(t, st, web.Options{Open: true})

	resp, body := get(t, nil, ts.URL+"/chot-so-lieu?"+url.Values{"unit": {self}, "period": {"2026-H1"}}.Encode())
	if resp.StatusCode != 200 {
		t.Fatalf("snapshots page: %d %s", resp.StatusCode, body)
	}
	rows := elements(t, body, "data-snapshot")
	if len(rows) != 1 || rows[0]["data-snapshot"] != snap.ID || !strings.Contains(rows[0]["#text"], "Văn thư") {
		t.Fatalf("snapshot rows: %v", rows)
	}
	if resp, body := get(t, nil, ts.URL+"/chot-so-lieu?"+url.Values{"unit": {self}, "period": {"2026-Q1"}}.Encode()); resp.StatusCode != 200 || !bytes.Contains(body, []byte("Chưa có bản chốt")) {
		t.Errorf("another period: %d, want no snapshot listed", resp.StatusCode)
	}

	resp, body = get(t, nil, ts.URL+"/chot-so-lieu?"+url.Values{"unit": {self}, "period": {"2026-H1"}, "id": {snap.ID}}.Encode())
	if resp.StatusCode != 200 {
		t.Fatalf("diff: %d %s", resp.StatusCode, body)
	}
	changed := map[string]string{}
	for _, s := range elements(t, body, "data-indicator") {
		if s["data-changes"] != "0" {
			changed[s["data-indicator"]] = s["data-changes"]
		}
	}
	keys := elements(t, body, "data-key")
	if len(changed) == 0 || len(keys) != len(changed) {
		t.Errorf("changed indicators %v, %d changed records, want one each", changed, len(keys))
	}
	for _, k := range keys {
		if k["data-key"] != "late-row" || !strings.Contains(k["#text"], "so-van-ban-di lần chạy #") {
			t.Errorf("changed record %v", k)
		}
	}

	var cli bytes.Buffer
	if err := report.RunSnapshot(ctx, st, snap.ID, "csv", &cli); err != nil {
		t.Fatal(err)
	}
	resp, body = get(t, nil, ts.URL+"/chot-so-lieu/tai-ve?"+url.Values{"unit": {self}, "period": {"2026-H1"}, "id": {snap.ID}, "format": {"csv"}}.Encode())
	if resp.StatusCode != 200 || !bytes.Equal(body, cli.Bytes()) {
		t.Errorf("download: %d, equal to chiso report --snapshot: %v", resp.StatusCode, bytes.Equal(body, cli.Bytes()))
	}
	for _, c := range []struct{ q url.Values }{
		{url.Values{"unit": {"001.25.31.H99"}, "period": {"2026-H1"}, "id": {snap.ID}, "format": {"csv"}}},
		{url.Values{"unit": {self}, "period": {"2026-H1"}, "id": {strings.Repeat("0", 64)}, "format": {"csv"}}},
		{url.Values{"unit": {self}, "period": {"2026-H1"}, "id": {snap.ID}, "format": {"json"}}},
	} {
		if resp, _ := get(t, nil, ts.URL+"/chot-so-lieu/tai-ve?"+c.q.Encode()); resp.StatusCode != 400 {
			t.Errorf("%v: %d, want 400", c.q, resp.StatusCode)
		}
	}
}

// The snapshots page with a diff in a real browser, at a desktop and a
// phone width: no sideways scrolling, the changed record and its run shown,
// no request off 127.0.0.1.
func TestSnapshotsPageInBrowser(t *testing.T) {
	b := browsertest.Start(t)
	st, snap := snapshotFixture(t)
	ts := serve(t, st, web.Options{Open: true})
	u := ts.URL + "/chot-so-lieu?" + url.Values{"unit": {self}, "period": {"2026-H1"}, "id": {snap.ID}}.Encode()
	for _, width := range []int{1280, 390} {
		p := b.Open(t, u, width)
		p.Screenshot(filepath.Join(t.TempDir(), fmt.Sprintf("chot-so-lieu-%d.png", width)))
		if sw := p.ScrollWidth(); sw > width {
			t.Errorf("%d px: the page is %d px wide (scrolls sideways)", width, sw)
		}
		if h1 := p.Text("h1"); h1 != "Chốt số liệu" {
			t.Errorf("%d px: heading %q", width, h1)
		}
		if n := p.Count("tr[data-snapshot]"); n != 1 {
			t.Errorf("%d px: %d snapshots listed, want 1", width, n)
		}
		keys := p.Attrs("tr[data-key]", "data-key")
		if len(keys) == 0 {
			t.Errorf("%d px: no changed record shown", width)
		}
		for _, k := range keys {
			if k != "late-row" {
				t.Errorf("%d px: changed record %q, want only late-row", width, k)
			}
		}
		if txt := p.Text("tr[data-key]"); !strings.Contains(txt, "so-van-ban-di lần chạy #") {
			t.Errorf("%d px: the change does not say which run: %q", width, txt)
		}
		p.CheckLocal()
		p.Close()
	}
}
