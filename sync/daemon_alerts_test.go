package sync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/sync/alerts/alertstest"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// Two daemons on one warehouse with the e-mail digest and the webhook on:
// every event is delivered exactly once per channel, and each daemon's
// /metrics shows the target gauges.
func TestTwoDaemonsDeliverEachEventOnce(t *testing.T) {
	dsn := warehousetest.NewDatabase(t)
	ctx := context.Background()
	seed, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer seed.Close()
	for _, f := range []string{"../warehouse/testdata/kpi/org.sql", "../report/testdata/seasonal/facts.sql"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := seed.DB.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	smtpSrv := alertstest.NewSMTP(t, true)
	hook := alertstest.NewWebhook(t)
	dir := t.TempDir()
	pass := filepath.Join(dir, "smtp.pass")
	os.WriteFile(pass, []byte(smtpSrv.Pass), 0o600)
	cfgPath := writeConfig(t, dir, dsn, "  []\n")
	alertsBlock := fmt.Sprintf(`alerts:
  check_every: 1s
  deliver_every: 1s
  weekly: "MON 00:00"
  retry_min: 1s
  recipients: ["van-phong@yendinh.example.vn"]
  smtp: {host: %q, port: %d, username: %q, password: "file:%s", from: "chiso@yendinh.example.vn", ca_file: %q}
  webhook: {url: %q}
`, smtpSrv.Host, smtpSrv.Port, smtpSrv.User, pass, smtpSrv.CAFile, hook.URL)
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(alertsBlock)
	f.Close()

	var daemons []*Daemon
	for i := 0; i < 2; i++ {
		st, err := warehouse.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		daemons = append(daemons, startDaemon(t, st, cfgPath, &logBuffer{}))
	}
	// Both check at start and every second; wait until every queued
	// delivery is sent and a few more checks have run.
	waitFor(t, "deliveries sent", 20*time.Second, func() bool {
		var n, unsent int
		seed.DB.Get(&n, `SELECT count(*) FROM alert_deliveries`)
		seed.DB.Get(&unsent, `SELECT count(*) FROM alert_deliveries WHERE sent_at IS NULL`)
		return n >= 2 && unsent == 0
	})
	time.Sleep(2500 * time.Millisecond)
	_, metrics := httpGet(t, "http://"+daemons[0].Addr().String()+"/metrics")
	for _, d := range daemons {
		if err := d.Stop(); err != nil {
			t.Fatal(err)
		}
	}

	var rows []struct {
		Key     string `db:"event_key"`
		Channel string `db:"channel"`
	}
	if err := seed.DB.Select(&rows, `SELECT event_key, channel FROM alert_deliveries WHERE sent_at IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, r := range rows {
		want[r.Channel+" "+r.Key]++
	}
	got := map[string]int{}
	for _, m := range smtpSrv.Mails() {
		got["email "+m.EventID]++
	}
	for _, h := range hook.Hooks() {
		got["webhook "+h.IdempotencyKey]++
	}
	if len(got) != len(want) || len(want) < 2 {
		t.Errorf("delivered %v, queued %v", got, want)
	}
	for k, n := range got {
		if n != 1 || want[k] != 1 {
			t.Errorf("%s delivered %d times (queued %d)", k, n, want[k])
		}
	}
	if !strings.Contains(strings.Join(keys(got), " "), "weekly/") {
		t.Errorf("no weekly summary among %v", got)
	}
	for _, m := range []string{
		`chiso_target_target{indicator="doc_reduction",unit="000.25.31.H99"} 15`,
		`chiso_target_at_risk{indicator="meeting_materials_ahead_share",unit="000.25.31.H99"} 1`,
		`chiso_target_data_complete{indicator="doc_reduction",unit="000.25.31.H99"} 1`,
		`chiso_alerts_last_check_successful 1`,
	} {
		if !strings.Contains(metrics, m) {
			t.Errorf("metrics lack %s", m)
		}
	}
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
