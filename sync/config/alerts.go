package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"chiso/sync/secret"
	"chiso/warehouse"
)

// Alerts are the alerts: keys (docs/van-hanh.md, "Cảnh báo"): how often the
// early warning is computed (the /metrics target gauges and the events) and
// the optional digest to people by e-mail and webhook.
type Alerts struct {
	CheckEvery   Duration   `yaml:"check_every"`   // default 15m
	DeliverEvery Duration   `yaml:"deliver_every"` // default 1m: due deliveries and retries
	Weekly       string     `yaml:"weekly"`        // "MON 08:00" (default), "off"
	StaleAfter   Duration   `yaml:"stale_after"`   // default 48h without a successful run
	DeadlineDays int        `yaml:"deadline_days"` // default 10
	Deadlines    []Deadline `yaml:"deadlines"`     // default 06-05, 12-05
	RetryMin     Duration   `yaml:"retry_min"`     // default 1m, doubled per failed attempt
	RetryMax     Duration   `yaml:"retry_max"`     // default 1h
	Recipients   []string   `yaml:"recipients"`
	SMTP         SMTP       `yaml:"smtp"`
	Webhook      Webhook    `yaml:"webhook"`

	// WeeklyDay and WeeklyAt are Weekly parsed (WeeklyOff: no summary).
	WeeklyDay time.Weekday  `yaml:"-"`
	WeeklyAt  time.Duration `yaml:"-"` // since midnight
	WeeklyOff bool          `yaml:"-"`
}

// Deadline is a report deadline of every year (MM-DD) announced
// deadline_days ahead.
type Deadline struct {
	Date  string `yaml:"date"`
	Label string `yaml:"label"`
}

// SMTP is the mail server of the e-mail digest (STARTTLS is required).
type SMTP struct {
	Host     string       `yaml:"host"`
	Port     int          `yaml:"port"` // default 587
	Username string       `yaml:"username"`
	Password secret.Value `yaml:"password"`
	From     string       `yaml:"from"`
	CAFile   string       `yaml:"ca_file"` // extra CA for the server's certificate (a private CA)
}

// Webhook receives every event as a JSON POST.
type Webhook struct {
	URL   string       `yaml:"url"`
	Token secret.Value `yaml:"token"` // sent as Authorization: Bearer TOKEN
}

// DefaultDeadlines are the report deadlines of indicators.md.
var DefaultDeadlines = []Deadline{{Date: "06-05", Label: "Báo cáo 6 tháng"}, {Date: "12-05", Label: "Báo cáo năm"}}

// EmailOn reports whether the e-mail digest is configured.
func (a Alerts) EmailOn() bool { return a.SMTP.Host != "" && len(a.Recipients) > 0 }

// WebhookOn reports whether the webhook is configured.
func (a Alerts) WebhookOn() bool { return a.Webhook.URL != "" }

// Duration is a YAML duration like 15m or 48h.
type Duration time.Duration

// UnmarshalYAML parses a Go duration; a bad one is a config error at its line.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if n.Kind != yaml.ScalarNode || err != nil || v <= 0 {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a positive duration like 15m", n.Line, n.Value)}}
	}
	*d = Duration(v)
	return nil
}

// D is the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

var weekdays = map[string]time.Weekday{"SUN": time.Sunday, "MON": time.Monday, "TUE": time.Tuesday, "WED": time.Wednesday,
	"THU": time.Thursday, "FRI": time.Friday, "SAT": time.Saturday}

func (l *loader) checkAlerts(cfg *Config, top *yaml.Node) {
	a := &cfg.Alerts
	line := lineOfKey(top, "alerts")
	an := valueOfKey(top, "alerts")
	at := func(key string) int {
		if n := valueOfKey(an, key); n != nil {
			return n.Line
		}
		return line
	}
	def := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	def(&a.CheckEvery, 15*time.Minute)
	def(&a.DeliverEvery, time.Minute)
	def(&a.StaleAfter, 48*time.Hour)
	def(&a.RetryMin, time.Minute)
	def(&a.RetryMax, time.Hour)
	if a.CheckEvery.D() < time.Second || a.DeliverEvery.D() < time.Second {
		l.errf(line, "alerts.check_every", "check_every and deliver_every must be at least 1s")
	}
	if a.RetryMax < a.RetryMin {
		l.errf(at("retry_max"), "alerts.retry_max", "%s is below retry_min (%s)", a.RetryMax.D(), a.RetryMin.D())
	}
	if a.DeadlineDays == 0 {
		a.DeadlineDays = 10
	}
	if a.DeadlineDays < 0 || a.DeadlineDays > 60 {
		l.errf(at("deadline_days"), "alerts.deadline_days", "%d: want 1..60 days", a.DeadlineDays)
	}
	if a.Deadlines == nil {
		a.Deadlines = DefaultDeadlines
	}
	for i, d := range a.Deadlines {
		if !monthDay.MatchString(d.Date) {
			l.errf(at("deadlines"), fmt.Sprintf("alerts.deadlines[%d].date", i), "%q: want MM-DD", d.Date)
		}
		if strings.TrimSpace(d.Label) == "" {
			l.errf(at("deadlines"), fmt.Sprintf("alerts.deadlines[%d].label", i), "required: the report the deadline is for")
		}
	}
	l.checkWeekly(a, at("weekly"))
	for i, r := range a.Recipients {
		if _, err := mail.ParseAddress(r); err != nil {
			l.errf(at("recipients"), fmt.Sprintf("alerts.recipients[%d]", i), "%q is not an e-mail address", r)
		}
	}
	l.checkSMTP(cfg, valueOfKey(an, "smtp"), at("smtp"))
	l.checkWebhook(a, at("webhook"))
}

func (l *loader) checkWeekly(a *Alerts, line int) {
	w := strings.ToUpper(strings.TrimSpace(a.Weekly))
	if w == "" {
		w = "MON 08:00"
	}
	if w == "OFF" {
		a.WeeklyOff = true
		return
	}
	day, hm, _ := strings.Cut(w, " ")
	wd, ok := weekdays[day]
	t, err := time.Parse("15:04", strings.TrimSpace(hm))
	if !ok || err != nil {
		l.errf(line, "alerts.weekly", "%q: want a day and a time like \"MON 08:00\" (MON..SUN, Vietnam time), or off", a.Weekly)
		return
	}
	a.WeeklyDay, a.WeeklyAt = wd, time.Duration(t.Hour())*time.Hour+time.Duration(t.Minute())*time.Minute
}

func (l *loader) checkSMTP(cfg *Config, n *yaml.Node, line int) {
	s := &cfg.Alerts.SMTP
	if s.Host == "" {
		if s.From != "" || s.Username != "" || s.Password.IsSet() {
			l.errf(line, "alerts.smtp.host", "required when the other smtp keys are set")
		}
		return
	}
	if s.Port == 0 {
		s.Port = 587
	}
	if s.Port < 1 || s.Port > 65535 {
		l.errf(line, "alerts.smtp.port", "%d is not a TCP port", s.Port)
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		l.errf(line, "alerts.smtp.from", "%q is not an e-mail address (the sender of the digest)", s.From)
	}
	if len(cfg.Alerts.Recipients) == 0 {
		l.errf(line, "alerts.recipients", "required with alerts.smtp: who gets the digest")
	}
	if s.Username != "" && !s.Password.IsSet() {
		l.errf(line, "alerts.smtp.password", "required with username (set it to ${ENV} or file:/path)")
	}
	if s.Password.Literal() {
		l.warnf(line, "alerts.smtp.password", "the password is written in the config file; prefer ${ENV} or file:/path")
	}
	if s.CAFile != "" {
		if _, err := os.Stat(cfg.Path(s.CAFile)); err != nil {
			l.errf(line, "alerts.smtp.ca_file", "%v", err)
		}
	}
}

func (l *loader) checkWebhook(a *Alerts, line int) {
	w := a.Webhook
	if w.URL == "" {
		if w.Token.IsSet() {
			l.errf(line, "alerts.webhook.url", "required when webhook.token is set")
		}
		return
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		l.errf(line, "alerts.webhook.url", "%q is not an http(s) URL", w.URL)
		return
	}
	host := u.Hostname()
	if u.Scheme == "http" && !warehouse.IsLoopbackHost(host) {
		l.errf(line, "alerts.webhook.url", "%s: use https for a webhook that is not on this machine", w.URL)
	}
	if w.Token.Literal() {
		l.warnf(line, "alerts.webhook.token", "the token is written in the config file; prefer ${ENV} or file:/path")
	}
}
