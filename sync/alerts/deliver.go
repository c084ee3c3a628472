package alerts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"time"

	"chiso/sync/config"
	"chiso/warehouse"
)

// Lease is how long a claimed delivery is reserved for the daemon sending it.
const Lease = 2 * time.Minute

// Backoff is the wait after the n-th failed attempt (n ≥ 1): retry_min
// doubled per attempt, at most retry_max.
func Backoff(a config.Alerts, n int) time.Duration {
	lo, hi := a.RetryMin.D(), a.RetryMax.D()
	if lo < time.Second { // a config not made by config.Load
		lo = time.Minute
	}
	hi = max(hi, lo)
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// Deliver sends every due delivery it can claim; a failed one is retried
// after Backoff.
func (s *Service) Deliver(ctx context.Context, cfg *config.Config) (sent, failed int, err error) {
	const batchSize = 10
	for {
		batch, err := s.Store.ClaimAlerts(ctx, s.Instance, Lease, batchSize)
		if err != nil {
			return sent, failed, err
		}
		for _, d := range batch {
			if err := s.send(ctx, cfg, d); err != nil {
				failed++
				retry := Backoff(cfg.Alerts, d.Attempts)
				s.log().Warn("alert delivery failed; will retry", "event", d.EventKey, "channel", d.Channel, "attempt", d.Attempts, "retry_in", retry, "err", err)
				if err := s.Store.AlertFailed(ctx, d.ID, s.Instance, err.Error(), retry); err != nil {
					return sent, failed, err
				}
				continue
			}
			if err := s.Store.AlertSent(ctx, d.ID, s.Instance); err != nil {
				return sent, failed, err
			}
			sent++
			s.log().Info("alert delivered", "event", d.EventKey, "channel", d.Channel, "attempt", d.Attempts)
		}
		if len(batch) < batchSize || ctx.Err() != nil {
			return sent, failed, ctx.Err()
		}
	}
}

func (s *Service) send(ctx context.Context, cfg *config.Config, d warehouse.AlertDelivery) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	switch d.Channel {
	case "email":
		if !cfg.Alerts.EmailOn() {
			return errors.New("alerts.smtp is not configured any more")
		}
		return SendEmail(ctx, cfg.Alerts, cfg.Path(cfg.Alerts.SMTP.CAFile), d)
	case "webhook":
		if !cfg.Alerts.WebhookOn() {
			return errors.New("alerts.webhook is not configured any more")
		}
		return SendWebhook(ctx, cfg.Alerts, d)
	}
	return fmt.Errorf("unknown channel %q", d.Channel)
}

// Message is the e-mail of d as it goes on the wire: headers, then the
// body as UTF-8 quoted-printable. The Message-ID is derived from the event,
// so a mail system sees a resent copy as the same message.
func Message(from string, d warehouse.AlertDelivery, date time.Time) []byte {
	var b bytes.Buffer
	sum := sha256.Sum256([]byte(d.EventKey))
	domain := "chiso.invalid"
	if i := strings.LastIndex(from, "@"); i >= 0 {
		domain = strings.Trim(from[i+1:], "> ")
	}
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(d.Recipients, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", d.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(sum[:12]), domain)
	fmt.Fprintf(&b, "X-Chiso-Event: %s\r\n", d.EventKey)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(d.Body, "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}

// SendEmail sends d through the configured SMTP server: STARTTLS is
// required (the server's certificate checked against the system roots and
// caFile), then AUTH PLAIN when a username is set.
func SendEmail(ctx context.Context, a config.Alerts, caFile string, d warehouse.AlertDelivery) error {
	s := a.SMTP
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	tlsCfg := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	if s.CAFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return fmt.Errorf("smtp: ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("smtp: ca_file %s: no PEM certificate", caFile)
		}
		tlsCfg.RootCAs = pool
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return fmt.Errorf("smtp %s: the server does not offer STARTTLS (required: the digest and the password never go in clear text)", addr)
	}
	if err := c.StartTLS(tlsCfg); err != nil {
		return fmt.Errorf("smtp %s: STARTTLS: %w", addr, err)
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password.Reveal(), s.Host)); err != nil {
			return fmt.Errorf("smtp %s: AUTH as %s: %w", addr, s.Username, err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM: %w", addr, err)
	}
	for _, r := range d.Recipients {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("smtp %s: RCPT TO %s: %w", addr, r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if _, err := w.Write(Message(s.From, d, time.Now())); err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	return c.Quit()
}

// SendWebhook POSTs d's JSON payload; any answer but 2xx is a failure.
// Idempotency-Key carries the event key for receivers that deduplicate.
func SendWebhook(ctx context.Context, a config.Alerts, d warehouse.AlertDelivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Webhook.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Idempotency-Key", d.EventKey)
	req.Header.Set("User-Agent", "chiso-alerts")
	if a.Webhook.Token.IsSet() {
		req.Header.Set("Authorization", "Bearer "+a.Webhook.Token.Reveal())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: answered %s", resp.Status)
	}
	return nil
}
