package alerts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/vntime"
	"chiso/sync/alerts"
	"chiso/sync/alerts/alertstest"
	"chiso/sync/config"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

// seasonal is a warehouse with the two-year commune of the projection
// tests (report/testdata/seasonal).
func seasonal(t *testing.T) *warehouse.Store {
	t.Helper()
	st := warehousetest.New(t)
	for _, f := range []string{"../../warehouse/testdata/kpi/org.sql", "../../report/testdata/seasonal/facts.sql"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return st
}

// loadConfig writes chiso.yaml with the given alerts: block and loads it.
func loadConfig(t *testing.T, alertsBlock string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	org := "units:\n  - {code: \"000.25.31.H99\", name: \"UBND xã Yên Định\", relation: self}\n"
	if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte(org), 0o644); err != nil {
		t.Fatal(err)
	}
	body := "warehouse: {dsn: \"host=/nonexistent dbname=unused\"}\nhttp: {listen: \"127.0.0.1:0\"}\n" +
		"org: {self: \"000.25.31.H99\", directory: org.yaml}\nalerts:\n" + alertsBlock
	p := filepath.Join(dir, "chiso.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, body)
	}
	return cfg
}

// smtpBlock is the alerts: block for the test SMTP server and webhook.
func smtpBlock(t *testing.T, s *alertstest.SMTP, hookURL string) string {
	pass := filepath.Join(t.TempDir(), "smtp.pass")
	if err := os.WriteFile(pass, []byte(s.Pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(t.TempDir(), "hook.token")
	if err := os.WriteFile(tok, []byte("tok-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`  weekly: "MON 08:00"
  retry_min: 1s
  retry_max: 4s
  recipients: ["van-phong@yendinh.example.vn", "chu-tich@yendinh.example.vn"]
  smtp: {host: %q, port: %d, username: %q, password: "file:%s", from: "chiso@yendinh.example.vn", ca_file: %q}
  webhook: {url: %q, token: "file:%s"}
`, s.Host, s.Port, s.User, pass, s.CAFile, hookURL, tok)
}

// decoded is the subject and the text of a mail as a reader sees them.
func decoded(t *testing.T, m alertstest.Mail) (string, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		t.Fatal(err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return subj, strings.ReplaceAll(string(body), "\r\n", "\n")
}

// Wednesday 1 July 2026: this week's summary (Monday 08:00) is due; the
// seasonal commune has targets at risk.
var wednesday = time.Date(2026, 7, 1, 10, 0, 0, 0, vntime.Location)

// TestDigestDelivered: the weekly summary and the "turned at risk" event go
// by e-mail to a real SMTP server (STARTTLS, AUTH PLAIN) and by webhook to
// a real HTTP server, each once; a second check raises nothing new.
func TestDigestDelivered(t *testing.T) {
	ctx := context.Background()
	st := seasonal(t)
	srv := alertstest.NewSMTP(t, true)
	hook := alertstest.NewWebhook(t)
	cfg := loadConfig(t, smtpBlock(t, srv, hook.URL))
	svc := &alerts.Service{Store: st, Instance: "test"}
	if _, err := svc.Check(ctx, cfg, wednesday); err != nil {
		t.Fatal(err)
	}
	sent, failed, err := svc.Deliver(ctx, cfg)
	if err != nil || failed != 0 || sent != 4 {
		t.Fatalf("deliver: sent %d failed %d err %v", sent, failed, err)
	}
	mails := srv.Mails()
	if len(mails) != 2 {
		t.Fatalf("%d mails, want 2 (weekly and target)", len(mails))
	}
	byEvent := map[string]alertstest.Mail{}
	for _, m := range mails {
		byEvent[m.EventID] = m
		if !m.TLS || m.User != "chiso" || m.From != "chiso@yendinh.example.vn" || strings.Join(m.To, ",") != "van-phong@yendinh.example.vn,chu-tich@yendinh.example.vn" {
			t.Errorf("mail %s: tls %v user %q from %q to %v", m.EventID, m.TLS, m.User, m.From, m.To)
		}
	}
	weekly, ok := byEvent["weekly/2026-W27"]
	if !ok {
		t.Fatalf("no weekly mail among %v", byEvent)
	}
	stored, err := st.AlertDeliveryByKey(ctx, "weekly/2026-W27", "email")
	if err != nil || stored == nil {
		t.Fatal(err)
	}
	subj, body := decoded(t, weekly)
	if subj != stored.Subject || body != stored.Body {
		t.Errorf("mail differs from the stored message:\n%s\n%s\n---\n%s\n%s", subj, body, stored.Subject, stored.Body)
	}
	for _, want := range []string{
		"Tóm tắt tuần 27/2026 — UBND xã Yên Định (000.25.31.H99)",
		"Số liệu từ 01/01/2026 đến hết ngày 30/06/2026; dự báo đến 31/12/2026 theo diễn biến năm 2025.",
		"1. Giảm số văn bản hành chính ban hành so với cùng kỳ (chỉ tiêu ≥ 15%)\n   Thực hiện đến nay: 10,00%. Có nguy cơ; ước cả năm 10,00%; còn được tối đa 150 văn bản đến 31/12/2026 (cả năm tối đa 204, đã có 54)",
		"Tỷ lệ cuộc họp gửi tài liệu trước ít nhất 01 ngày (chỉ tiêu 100%)\n   Thực hiện đến nay: 92,31%. Chưa đạt; ước cả năm 92,31%; không còn đạt được",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("weekly mail lacks %q:\n%s", want, body)
		}
	}
	if dir := os.Getenv("CHISO_KEEP_DIGEST"); dir != "" {
		os.WriteFile(filepath.Join(dir, "weekly-digest.eml"), weekly.Raw, 0o644)
		os.WriteFile(filepath.Join(dir, "weekly-digest.txt"), []byte("Subject: "+subj+"\n\n"+body), 0o644)
	}
	var target string
	for k := range byEvent {
		if strings.HasPrefix(k, "target/2026/000.25.31.H99/2026-07-01/") {
			target = k
		}
	}
	if target == "" {
		t.Errorf("no target mail among %v", byEvent)
	}

	hooks := hook.Hooks()
	if len(hooks) != 2 {
		t.Fatalf("%d webhooks, want 2", len(hooks))
	}
	for _, h := range hooks {
		var p struct {
			Event, Kind, Text string
			Targets           []struct {
				Indicator  string
				Projection *float64
				Status     string
				Needed     *struct{ Remaining *int64 }
			}
		}
		if err := json.Unmarshal(h.Body, &p); err != nil {
			t.Fatal(err)
		}
		if h.Auth != "Bearer tok-123" || h.IdempotencyKey != p.Event || !strings.HasPrefix(h.ContentType, "application/json") {
			t.Errorf("webhook headers %+v", h)
		}
		if p.Event == "weekly/2026-W27" {
			d := p.Targets[0]
			if d.Indicator != "doc_reduction" || *d.Projection != 10 || d.Status != "Có nguy cơ" || *d.Needed.Remaining != 150 || p.Text != stored.Body {
				t.Errorf("weekly payload %+v", d)
			}
		}
	}

	// The same week, nothing changed: nothing new to send.
	if _, err := svc.Check(ctx, cfg, wednesday.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if sent, _, err := svc.Deliver(ctx, cfg); err != nil || sent != 0 || len(srv.Mails()) != 2 {
		t.Errorf("second pass sent %d (%v), mails %d", sent, err, len(srv.Mails()))
	}
}

// TestDeliveryRetried: a failing SMTP server (451) and webhook (503) leave
// the deliveries failing, shown by chiso status with the error; they are
// retried after retry_min and delivered; status then says sent.
func TestDeliveryRetried(t *testing.T) {
	ctx := context.Background()
	st := seasonal(t)
	srv := alertstest.NewSMTP(t, true)
	hook := alertstest.NewWebhook(t)
	cfg := loadConfig(t, smtpBlock(t, srv, hook.URL))
	srv.FailNext(2)
	hook.FailNext(2)
	svc := &alerts.Service{Store: st, Instance: "test"}
	if _, err := svc.Check(ctx, cfg, wednesday); err != nil {
		t.Fatal(err)
	}
	for pass, c := range []struct {
		wait         time.Duration
		sent, failed int
		state        string // of every delivery
		attempts     int
		status       []string
	}{
		{0, 0, 4, "failing", 1, []string{"failing", "451", "503 Service Unavailable"}},
		{0, 0, 0, "failing", 1, []string{"failing"}},                 // not due yet: nothing tried
		{1100 * time.Millisecond, 4, 0, "sent", 2, []string{"sent"}}, // retried after retry_min (1s)
	} {
		time.Sleep(c.wait)
		sent, failed, err := svc.Deliver(ctx, cfg)
		if err != nil || sent != c.sent || failed != c.failed {
			t.Fatalf("pass %d: sent %d failed %d err %v", pass, sent, failed, err)
		}
		ds, err := st.AlertDeliveries(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if alerts.State(d) != c.state || d.Attempts != c.attempts {
				t.Errorf("pass %d: %s/%s %s after %d attempts, want %s after %d", pass, d.EventKey, d.Channel, alerts.State(d), d.Attempts, c.state, c.attempts)
			}
		}
		var out bytes.Buffer
		if err := alerts.WriteStatus(&out, ds, vntime.Location); err != nil {
			t.Fatal(err)
		}
		for _, want := range c.status {
			if !strings.Contains(out.String(), want) {
				t.Errorf("pass %d: status lacks %q:\n%s", pass, want, out.String())
			}
		}
	}
	if srv.Tried() != 4 || len(srv.Mails()) != 2 || len(hook.Hooks()) != 2 {
		t.Errorf("tried %d, mails %d, hooks %d", srv.Tried(), len(srv.Mails()), len(hook.Hooks()))
	}
}

// TestSTARTTLSRequired: a server without STARTTLS gets nothing, not even
// the password; the error says why.
func TestSTARTTLSRequired(t *testing.T) {
	ctx := context.Background()
	st := seasonal(t)
	srv := alertstest.NewSMTP(t, false)
	cfg := loadConfig(t, strings.Replace(smtpBlock(t, srv, ""), "  webhook: {url: \"\", token: ", "  #", 1))
	svc := &alerts.Service{Store: st, Instance: "test"}
	if _, err := svc.Check(ctx, cfg, wednesday); err != nil {
		t.Fatal(err)
	}
	if sent, failed, err := svc.Deliver(ctx, cfg); err != nil || sent != 0 || failed != 2 {
		t.Fatalf("sent %d failed %d err %v", sent, failed, err)
	}
	d, err := st.AlertDeliveryByKey(ctx, "weekly/2026-W27", "email")
	if err != nil || d == nil || d.LastError == nil || !strings.Contains(*d.LastError, "does not offer STARTTLS") {
		t.Fatalf("delivery %+v %v", d, err)
	}
	if srv.Tried() != 0 {
		t.Errorf("the server got %d messages", srv.Tried())
	}
}

// TestEvents: which events a check raises, by date (table of cases).
func TestEvents(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		now  time.Time
		runs string // sync_runs rows
		want []string
		not  []string
	}{
		{name: "monday before the slot", now: time.Date(2026, 6, 29, 7, 59, 0, 0, vntime.Location),
			not: []string{"weekly/"}},
		{name: "monday at the slot", now: time.Date(2026, 6, 29, 8, 0, 0, 0, vntime.Location),
			want: []string{"weekly/2026-W27"}},
		{name: "10 days before 5 June", now: time.Date(2026, 5, 26, 9, 0, 0, 0, vntime.Location),
			want: []string{"deadline/2026-06-05"}},
		{name: "11 days before 5 June", now: time.Date(2026, 5, 25, 9, 0, 0, 0, vntime.Location),
			not: []string{"deadline/"}},
		{name: "5 December itself", now: time.Date(2026, 12, 5, 9, 0, 0, 0, vntime.Location),
			want: []string{"deadline/2026-12-05"}},
		{name: "connector failing", now: wednesday,
			runs: `('qlvb-archive', '2026-06-29 08:00+07', '2026-06-29 08:05+07', 'ok'), ('qlvb-archive', '2026-07-01 08:00+07', '2026-07-01 08:01+07', 'failed')`,
			want: []string{"connector/qlvb-archive/20260629T010500Z"}},
		{name: "connector failing for minutes only", now: wednesday,
			runs: `('qlvb-archive', '2026-07-01 09:40+07', '2026-07-01 09:45+07', 'ok'), ('qlvb-archive', '2026-07-01 09:50+07', '2026-07-01 09:51+07', 'failed')`,
			not:  []string{"connector/"}},
		{name: "connector stale", now: wednesday,
			runs: `('qlvb-archive', '2026-06-28 08:00+07', '2026-06-28 08:05+07', 'ok')`,
			want: []string{"connector/qlvb-archive/20260628T010500Z"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := seasonal(t)
			if c.runs != "" {
				if _, err := st.DB.Exec(`INSERT INTO sync_runs (connector, started_at, finished_at, status) VALUES ` + c.runs); err != nil {
					t.Fatal(err)
				}
			}
			cfg := loadConfig(t, "  webhook: {url: \"http://127.0.0.1:1/hook\"}\n")
			cfg.Jobs = append(cfg.Jobs, &config.ConnectorConfig{Name: "qlvb-archive"})
			svc := &alerts.Service{Store: st, Instance: "test"}
			if _, err := svc.Check(ctx, cfg, c.now); err != nil {
				t.Fatal(err)
			}
			var keys []string
			if err := st.DB.Select(&keys, `SELECT event_key FROM alert_deliveries ORDER BY 1`); err != nil {
				t.Fatal(err)
			}
			all := strings.Join(keys, " ")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("no %s among %v", w, keys)
				}
			}
			for _, n := range c.not {
				if strings.Contains(all, n) {
					t.Errorf("unexpected %s among %v", n, keys)
				}
			}
		})
	}
}
