package dvc

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/vntime"
	chisosync "chiso/sync"
	"chiso/sync/config"
	"chiso/sync/connector"
	"chiso/sync/secret"
	"chiso/warehouse/warehousetest"
)

// A backfill month that the portal does not serve whole is not progress:
// the backfill stops there with the reason, its progress stays before the
// month, and the same command run again (the portal healed) resumes at it
// and completes.
func TestBackfillStopsAtAMonthNotReadWhole(t *testing.T) {
	data := dvcsim.Generate(41, unit, 2025, 400)
	st := warehousetest.New(t)
	ctx := context.Background()
	runner := chisosync.NewRunner(nil, quiet)
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, vntime.Location)
	to := time.Date(2025, 4, 30, 0, 0, 0, 0, vntime.Location)
	job := func(url string) *config.ConnectorConfig {
		c := newConn(t, url, syncNow)
		c.PageSize = 10
		return &config.ConnectorConfig{Name: "dvc-tinh", Type: "dvc", Conn: c, Timeout: time.Minute,
			Env: connector.Env{Name: "dvc-tinh", Self: unit, Location: vntime.Location}}
	}
	// Every month's page 2 comes back empty, whatever the retries.
	sim := dvcsim.New(dvcsim.Options{Data: data, Faults: []dvcsim.Fault{{Kind: dvcsim.FaultEmpty, Page: 2, Times: 1000}}})
	faulty := httptest.NewServer(sim)
	defer faulty.Close()
	var months []string
	err := runner.Backfill(ctx, st, job(faulty.URL), from, to, func(ev chisosync.ChunkEvent) {
		months = append(months, ev.Window.From.Format("2006-01")+":"+ev.Result.Status)
	})
	if err == nil || !strings.Contains(err.Error(), "not read whole") || !strings.Contains(err.Error(), "announced") {
		t.Fatalf("backfill error %v, want the month not read whole named", err)
	}
	if len(months) != 1 || months[0] != "2025-01:partial" {
		t.Fatalf("months %v, want the backfill to stop at the first month, partial", months)
	}
	if v, ok, _ := st.Checkpoint(ctx, "dvc-tinh", chisosync.BackfillStream(from, to)); ok {
		t.Fatalf("backfill progress %q moved past a month not read whole", v)
	}
	clean := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data}))
	defer clean.Close()
	months = nil
	if err := runner.Backfill(ctx, st, job(clean.URL), from, to, func(ev chisosync.ChunkEvent) {
		months = append(months, ev.Window.From.Format("2006-01")+":"+ev.Result.Status)
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(months, " ") != "2025-01:ok 2025-02:ok 2025-03:ok 2025-04:ok" {
		t.Errorf("months %v", months)
	}
	want := 0
	for i := 0; i < data.Len(); i++ {
		if r := data.Received(i); r != nil && !r.Before(from) && r.Before(to.AddDate(0, 0, 1)) {
			want++
		}
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers`); n != want || want == 0 {
		t.Errorf("%d dossiers, %d received in the window", n, want)
	}
}

// A push while a pull of the same portal runs: both go through the runner
// and each is its own recorded run (ok, with its counts), whatever order
// their batches commit in; the dossiers are the union.
func TestPushDuringPullBothRecorded(t *testing.T) {
	data := dvcsim.Generate(43, unit, 2025, 200)
	srv := httptest.NewServer(dvcsim.New(dvcsim.Options{Data: data, Delay: 20 * time.Millisecond}))
	defer srv.Close()
	st := warehousetest.New(t)
	ctx := context.Background()
	runner := chisosync.NewRunner(nil, quiet)
	c := newConn(t, srv.URL, syncNow)
	c.PageSize, c.RequestTimeout = 10, 2*time.Second
	job := &config.ConnectorConfig{Name: "dvc-tinh", Type: "dvc", Conn: c, Timeout: time.Minute, Env: connector.Env{Name: "dvc-tinh", Self: unit}}
	h := NewPushHandler(runner.RunNow(st), secret.New("t"), unit, quiet)
	psrv := httptest.NewServer(h)
	defer psrv.Close()
	extra := dvcsim.Generate(44, "000.25.31.H99", 2026, 30)
	var wg sync.WaitGroup
	wg.Add(1)
	var pullRes chisosync.Result
	var pullErr error
	go func() {
		defer wg.Done()
		pullRes, pullErr = runner.Run(ctx, st, job, chisosync.RunOptions{})
	}()
	// Push once the pull has started (it holds its lock and is paging).
	deadline := time.Now().Add(10 * time.Second)
	for count(t, st, `SELECT count(*) FROM sync_runs WHERE connector = 'dvc-tinh' AND status = 'running'`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the pull did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, a := push(t, psrv.URL+"/dvc/DongBoHoSoMC", "t", envelope(extra, 0, 30)); a.Code != "0" {
		t.Fatalf("push: %+v", a)
	}
	pushedWhileRunning := count(t, st, `SELECT count(*) FROM sync_runs WHERE connector = 'dvc-tinh' AND status = 'running'`) == 1
	wg.Wait()
	if pullErr != nil || pullRes.Status != "ok" {
		t.Fatalf("pull %+v %v", pullRes, pullErr)
	}
	if !pushedWhileRunning {
		t.Log("the pull finished before the push was stored: no overlap this time")
	}
	var rows []struct {
		Connector string `db:"connector"`
		Status    string `db:"status"`
		Upserted  int    `db:"upserted"`
	}
	if err := st.DB.Select(&rows, `SELECT connector, status, upserted FROM sync_runs ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("runs %+v, want the pull and the push", rows)
	}
	for _, r := range rows {
		if r.Status != "ok" || (r.Connector == PushConnector) != (r.Upserted == 30) {
			t.Errorf("run %+v", r)
		}
	}
	if n := count(t, st, `SELECT count(*) FROM dossiers`); n != 230 {
		t.Errorf("%d dossiers, want 200 pulled + 30 pushed", n)
	}
}
