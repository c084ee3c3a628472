// Package alerts raises the daemon's events (weekly summary, a connector
// failing or stale, a target turning at risk, a report deadline ahead),
// queues one delivery per event and channel in the warehouse, and delivers
// them by e-mail (SMTP with STARTTLS) and webhook (JSON POST), retrying a
// failed one with backoff. The unique key of alert_deliveries makes two
// daemons on one warehouse deliver each event once.
package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/sync/config"
	"chiso/warehouse"
)

// Event is one thing to tell people, with its message as it will be sent.
type Event struct {
	Key     string // unique per event and period, e.g. weekly/2026-W23
	Kind    string // weekly | connector | target | deadline
	Subject string
	Body    string         // the e-mail text
	Payload map[string]any // the webhook body
}

// Service computes the early warning and raises and delivers the events.
type Service struct {
	Store    *warehouse.Store
	Log      *slog.Logger
	Instance string // who claims deliveries (host, pid, start)
}

// UnitOutlook is the early warning of one unit of the tree.
type UnitOutlook struct {
	Unit     warehouse.OrgUnit
	Outlooks []report.Outlook
}

// Tree lists org.self and the units under it (merged predecessors left out:
// their facts roll up into the unit they joined).
func Tree(ctx context.Context, st *warehouse.Store, self string) ([]warehouse.OrgUnit, error) {
	members, err := st.UnitMembers(ctx, self)
	if err != nil {
		return nil, err
	}
	in := map[string]bool{}
	for _, m := range members {
		in[m] = true
	}
	units, err := st.OrgUnits(ctx)
	if err != nil {
		return nil, err
	}
	var out []warehouse.OrgUnit
	for _, u := range units {
		if in[u.Code] && u.MergedInto == nil {
			out = append(out, u)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Code == self && out[j].Code != self })
	return out, nil
}

// Outlooks computes the early warning of every unit of the tree of self.
func Outlooks(ctx context.Context, st *warehouse.Store, self string, now time.Time) ([]UnitOutlook, error) {
	units, err := Tree(ctx, st, self)
	if err != nil {
		return nil, err
	}
	out := make([]UnitOutlook, 0, len(units))
	for _, u := range units {
		outlooks, err := report.YearOutlook(ctx, st, u.Code, now)
		if err != nil {
			return nil, fmt.Errorf("alerts: outlook of %s: %w", u.Code, err)
		}
		out = append(out, UnitOutlook{Unit: u, Outlooks: outlooks})
	}
	return out, nil
}

// Check computes the early warning of the tree, raises the events due at
// now and queues them on the configured channels. It returns the outlooks
// (the /metrics gauges show them).
func (s *Service) Check(ctx context.Context, cfg *config.Config, now time.Time) ([]UnitOutlook, error) {
	now = now.In(vntime.Location)
	outs, err := Outlooks(ctx, s.Store, cfg.Org.Self, now)
	if err != nil {
		return nil, err
	}
	var events []Event
	for _, u := range outs {
		ev, err := s.targetEvent(ctx, u, now)
		if err != nil {
			return outs, err
		}
		if ev != nil {
			events = append(events, *ev)
		}
	}
	syncs, err := s.Store.SourceSyncs(ctx)
	if err != nil {
		return outs, err
	}
	events = append(events, connectorEvents(cfg, syncs, now)...)
	var self UnitOutlook
	if len(outs) > 0 {
		self = outs[0]
	}
	events = append(events, deadlineEvents(cfg.Alerts, self, now)...)
	if ev := weeklyEvent(cfg.Alerts, self, syncs, now); ev != nil {
		events = append(events, *ev)
	}
	a := cfg.Alerts
	if !a.EmailOn() && !a.WebhookOn() {
		return outs, nil
	}
	for _, e := range events {
		payload, err := json.Marshal(e.Payload)
		if err != nil {
			return outs, fmt.Errorf("alerts: event %s: %w", e.Key, err)
		}
		d := warehouse.AlertDelivery{EventKey: e.Key, Kind: e.Kind, Subject: e.Subject, Body: e.Body, Payload: payload}
		for _, ch := range channels(a) {
			d.Channel, d.Recipients = ch, nil
			if ch == "email" {
				d.Recipients = append(d.Recipients, a.Recipients...)
			}
			queued, err := s.Store.QueueAlert(ctx, d)
			if err != nil {
				return outs, err
			}
			if queued {
				s.log().Info("alert queued", "event", e.Key, "channel", ch)
			}
		}
	}
	return outs, nil
}

func channels(a config.Alerts) []string {
	var out []string
	if a.EmailOn() {
		out = append(out, "email")
	}
	if a.WebhookOn() {
		out = append(out, "webhook")
	}
	return out
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// worse ranks statuses: a target "turns at risk" when its rank rises to
// Có nguy cơ or Chưa đạt.
func worse(status string) int {
	switch status {
	case report.StatusAtRisk:
		return 1
	case report.StatusMissed:
		return 2
	}
	return 0
}

// targetEvent records each target's status and raises one event for the
// unit's targets that turned at risk (or missed) since the last check.
// Only the check that changed the recorded status sees the turn, so two
// daemons raise it once.
func (s *Service) targetEvent(ctx context.Context, u UnitOutlook, now time.Time) (*Event, error) {
	var turned []report.Outlook
	for _, o := range u.Outlooks {
		prev, err := s.Store.TargetStatusChange(ctx, o.Year, u.Unit.Code, o.Indicator, o.Status)
		if err != nil {
			return nil, err
		}
		if prev != o.Status && worse(o.Status) > worse(prev) {
			turned = append(turned, o)
		}
	}
	if len(turned) == 0 {
		return nil, nil
	}
	h := sha256.New()
	for _, o := range turned {
		fmt.Fprintf(h, "%s=%s;", o.Indicator, o.Status)
	}
	e := &Event{
		Key:  fmt.Sprintf("target/%d/%s/%s/%s", turned[0].Year, u.Unit.Code, now.Format("2006-01-02"), hex.EncodeToString(h.Sum(nil))[:12]),
		Kind: "target",
	}
	e.Subject = fmt.Sprintf("[chiso] %s: %d chỉ tiêu có nguy cơ không đạt năm %d", u.Unit.Name, len(turned), turned[0].Year)
	var b strings.Builder
	fmt.Fprintf(&b, "Cảnh báo sớm — %s (%s)\n", u.Unit.Name, u.Unit.Code)
	fmt.Fprintf(&b, "Số liệu từ 01/01/%d đến hết ngày %s; dự báo đến 31/12/%d theo diễn biến năm %d.\n\n",
		turned[0].Year, turned[0].DataEnd.Format("02/01/2006"), turned[0].Year, turned[0].Year-1)
	b.WriteString("Các chỉ tiêu vừa chuyển sang có nguy cơ hoặc chưa đạt:\n")
	writeTargets(&b, turned)
	b.WriteString(footer)
	e.Body = b.String()
	e.Payload = payload(e, u.Unit, turned, now)
	return e, nil
}

const footer = "\nXem chi tiết: chiso report --period <kỳ> (cột \"Cảnh báo sớm\"), chiso status.\n" +
	"Thư gửi tự động từ chiso; không trả lời thư này.\n"

func writeTargets(b *strings.Builder, outs []report.Outlook) {
	for i, o := range outs {
		fmt.Fprintf(b, "%d. %s (chỉ tiêu %s)\n   Thực hiện đến nay: %s. %s\n", i+1, o.Label, o.TargetText(","), o.ValueText(","), o.Text(","))
	}
}

func payload(e *Event, unit warehouse.OrgUnit, outs []report.Outlook, now time.Time) map[string]any {
	p := map[string]any{
		"event":        e.Key,
		"kind":         e.Kind,
		"subject":      e.Subject,
		"text":         e.Body,
		"unit":         map[string]string{"code": unit.Code, "name": unit.Name},
		"generated_at": now.Format("2006-01-02T15:04:05-07:00"),
	}
	if outs != nil {
		ts := []map[string]any{}
		for _, o := range outs {
			ts = append(ts, map[string]any{"indicator": o.Indicator, "label": o.Label, "value": o.Actual.Value,
				"op": o.Actual.Op, "target": o.Actual.Target, "projection": o.Projection, "status": o.Status, "needed": o.Needed})
		}
		p["targets"] = ts
	}
	return p
}

// connectorEvents raises an event for each configured connector whose last
// run failed (and that has not succeeded for an hour) or that has not
// succeeded for stale_after; one per outage: the key carries the last
// success.
func connectorEvents(cfg *config.Config, syncs []warehouse.SourceSync, now time.Time) []Event {
	jobs := map[string]bool{}
	for _, j := range cfg.Jobs {
		jobs[j.Name] = true
	}
	var out []Event
	for _, s := range syncs {
		if !jobs[s.Connector] {
			continue
		}
		since := "never"
		last := "chưa đồng bộ thành công lần nào"
		var age time.Duration
		if s.LastSuccess != nil {
			since = s.LastSuccess.UTC().Format("20060102T150405Z")
			last = "lần đồng bộ thành công cuối lúc " + s.LastSuccess.In(vntime.Location).Format("15:04 02/01/2006")
			age = now.Sub(*s.LastSuccess)
		} else {
			age = now.Sub(s.LastRun)
		}
		failing := s.LastStatus == "failed" && age >= time.Hour
		stale := age >= cfg.Alerts.StaleAfter.D()
		if !failing && !stale {
			continue
		}
		e := Event{Key: "connector/" + s.Connector + "/" + since, Kind: "connector"}
		var what string
		if failing {
			what = "không đồng bộ được"
			e.Subject = fmt.Sprintf("[chiso] Nguồn số liệu %s không đồng bộ được", s.Connector)
		} else {
			what = fmt.Sprintf("quá %s chưa đồng bộ thành công", hours(cfg.Alerts.StaleAfter.D()))
			e.Subject = fmt.Sprintf("[chiso] Nguồn số liệu %s đã %s", s.Connector, what)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Nguồn số liệu %s %s.\n", s.Connector, what)
		fmt.Fprintf(&b, "Lần chạy cuối lúc %s: %s; %s.\n", s.LastRun.In(vntime.Location).Format("15:04 02/01/2006"), statusText(s.LastStatus), last)
		b.WriteString("Các chỉ tiêu lấy số liệu từ nguồn này có thể thiếu số liệu cho đến khi nguồn đồng bộ lại.\n")
		b.WriteString("Xem lỗi: chiso status; chạy lại: chiso sync --connector " + s.Connector + ".\n")
		b.WriteString("Thư gửi tự động từ chiso; không trả lời thư này.\n")
		e.Body = b.String()
		e.Payload = map[string]any{"event": e.Key, "kind": e.Kind, "subject": e.Subject, "text": e.Body,
			"connector": s.Connector, "last_status": s.LastStatus, "last_success": s.LastSuccess, "last_run": s.LastRun,
			"failing": failing, "stale": stale, "generated_at": now.Format("2006-01-02T15:04:05-07:00")}
		out = append(out, e)
	}
	return out
}

func hours(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d >= 24*time.Hour {
		return fmt.Sprintf("%d ngày", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d giờ", d/time.Hour)
	}
	return d.String()
}

func statusText(s string) string {
	switch s {
	case "ok":
		return "thành công"
	case "partial":
		return "thành công, có bản ghi bị loại"
	case "failed":
		return "thất bại"
	case "running":
		return "đang chạy"
	}
	return s
}

// deadlineEvents raises the reminder of each report deadline within
// deadline_days (5 June and 5 December by default), once per deadline.
func deadlineEvents(a config.Alerts, self UnitOutlook, now time.Time) []Event {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	var out []Event
	for _, d := range a.Deadlines {
		day, err := time.Parse("2006-01-02", fmt.Sprintf("%d-%s", now.Year(), d.Date))
		if err != nil {
			continue
		}
		left := int(day.Sub(today).Hours() / 24)
		if left < 0 || left > a.DeadlineDays {
			continue
		}
		e := Event{Key: "deadline/" + day.Format("2006-01-02"), Kind: "deadline"}
		e.Subject = fmt.Sprintf("[chiso] Còn %d ngày đến hạn %s (%s)", left, strings.ToLower(d.Label), day.Format("02/01/2006"))
		var b strings.Builder
		fmt.Fprintf(&b, "Còn %d ngày đến hạn %s: ngày %s.\n", left, strings.ToLower(d.Label), day.Format("02/01/2006"))
		if self.Unit.Code != "" {
			fmt.Fprintf(&b, "Đơn vị: %s (%s).\n\nTình hình các chỉ tiêu năm %d:\n", self.Unit.Name, self.Unit.Code, now.Year())
			writeTargets(&b, self.Outlooks)
		}
		b.WriteString("\nLập phụ lục số liệu: chiso report --period <kỳ> --format xlsx -o bao-cao.xlsx\n")
		b.WriteString("Thư gửi tự động từ chiso; không trả lời thư này.\n")
		e.Body = b.String()
		e.Payload = payload(&e, self.Unit, self.Outlooks, now)
		e.Payload["deadline"] = day.Format("2006-01-02")
		e.Payload["days_left"] = left
		out = append(out, e)
	}
	return out
}

// WeekSlot is the start of this week's summary: the configured day and
// time of the ISO week (Monday first) that contains now.
func WeekSlot(a config.Alerts, now time.Time) time.Time {
	wd := (int(now.Weekday()) + 6) % 7 // Monday 0
	monday := time.Date(now.Year(), now.Month(), now.Day()-wd, 0, 0, 0, 0, now.Location())
	return monday.AddDate(0, 0, (int(a.WeeklyDay)+6)%7).Add(a.WeeklyAt)
}

// weeklyEvent is this week's summary, once its slot has passed.
func weeklyEvent(a config.Alerts, self UnitOutlook, syncs []warehouse.SourceSync, now time.Time) *Event {
	if a.WeeklyOff || now.Before(WeekSlot(a, now)) {
		return nil
	}
	y, w := now.ISOWeek()
	e := &Event{Key: fmt.Sprintf("weekly/%d-W%02d", y, w), Kind: "weekly"}
	e.Subject = fmt.Sprintf("[chiso] Tóm tắt tuần %02d/%d: %s", w, y, self.Unit.Name)
	count := map[string]int{}
	for _, o := range self.Outlooks {
		count[o.Status]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Tóm tắt tuần %02d/%d — %s (%s)\n", w, y, self.Unit.Name, self.Unit.Code)
	if len(self.Outlooks) > 0 {
		o := self.Outlooks[0]
		fmt.Fprintf(&b, "Số liệu từ 01/01/%d đến hết ngày %s; dự báo đến 31/12/%d theo diễn biến năm %d.\n",
			o.Year, o.DataEnd.Format("02/01/2006"), o.Year, o.Year-1)
	}
	fmt.Fprintf(&b, "Tổng hợp: %d Đạt, %d Có nguy cơ, %d Chưa đạt, %d Chưa đủ số liệu.\n\nCHỈ TIÊU\n",
		count[report.StatusMet], count[report.StatusAtRisk], count[report.StatusMissed], count[report.StatusNoData])
	writeTargets(&b, self.Outlooks)
	b.WriteString("\nNGUỒN SỐ LIỆU\n")
	if len(syncs) == 0 {
		b.WriteString("- chưa có lần đồng bộ nào\n")
	}
	for _, s := range syncs {
		last := "chưa đồng bộ thành công"
		if s.LastSuccess != nil {
			last = "đồng bộ thành công lần cuối " + s.LastSuccess.In(vntime.Location).Format("15:04 02/01/2006")
		}
		fmt.Fprintf(&b, "- %s: lần chạy cuối %s; %s\n", s.Connector, statusText(s.LastStatus), last)
	}
	b.WriteString(footer)
	e.Body = b.String()
	e.Payload = payload(e, self.Unit, self.Outlooks, now)
	return e
}
