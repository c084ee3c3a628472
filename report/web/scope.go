package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/warehouse"
)

// Scope is the unit and period a page or API request is about, after the
// access check, with the choices of the picker.
type Scope struct {
	Unit   string // unit code as asked (upper case), never empty
	Period string // period id as asked, never empty
	// Units the user may pick (the tree under org.self, or under the units
	// granted), in tree order; Periods the period picker's choices, the
	// named report periods first.
	Units   []UnitOption
	Periods []PeriodOption
	// HasCommunes: the unit has communes under it (report.Communes), so
	// its league table (So sánh các xã) exists.
	HasCommunes bool
}

// UnitOption is one unit of the picker.
type UnitOption struct {
	Code, Name string
	Depth      int // 0 for a root of the picker
}

// Label is the unit's name indented by its depth.
func (u UnitOption) Label() string { return strings.Repeat("— ", u.Depth) + u.Name }

// PeriodOption is one period of the picker.
type PeriodOption struct {
	ID, Label string
	Group     string // the <optgroup>
}

// Query is "unit=…&period=…" for links.
func (sc *Scope) Query() string {
	return url.Values{"unit": {sc.Unit}, "period": {sc.Period}}.Encode()
}

// forbiddenError: the user may not see unit.
type forbiddenError struct{ user, unit string }

func (e *forbiddenError) Error() string {
	return fmt.Sprintf("forbidden: user %s may not see unit %s", e.user, e.unit)
}

// now is the server's clock in Vietnam time.
func (s *Server) now() time.Time { return s.opts.Now().In(vntime.Location) }

// named is the configured report periods (as chiso report reads them).
func (s *Server) named(ctx context.Context) ([]report.NamedPeriod, error) {
	if s.opts.Named != nil {
		return s.opts.Named, nil
	}
	stored, err := s.opts.Store.ReportPeriods(ctx)
	if err != nil {
		return nil, err
	}
	if len(stored) == 0 {
		return report.DefaultNamedPeriods, nil
	}
	out := make([]report.NamedPeriod, len(stored))
	for i, p := range stored {
		out[i] = report.NamedPeriod{ID: p.ID, Label: p.Label, From: p.FromMD, To: p.ToMD, FromPrevYear: p.FromPrevYear}
	}
	return out, nil
}

// scope reads ?unit= and ?period= of r (defaults: org.self, or the user's
// first granted unit; the current year) and checks that the user may see
// the unit. Unknown units and periods are left to report.Build, which
// names them (400).
func (s *Server) scope(r *http.Request) (*Scope, error) {
	ctx := r.Context()
	q := r.URL.Query()
	units, err := s.opts.Store.OrgUnits(ctx)
	if err != nil {
		return nil, err
	}
	roots, err := s.roots(ctx, userOf(r))
	if err != nil {
		return nil, err
	}
	sc := &Scope{Unit: strings.ToUpper(strings.TrimSpace(q.Get("unit"))), Period: strings.TrimSpace(q.Get("period"))}
	if sc.Unit == "" && len(roots) > 0 {
		sc.Unit = roots[0]
	}
	if sc.Period == "" {
		sc.Period = strconv.Itoa(s.now().Year())
	}
	if !s.opts.Open {
		ok, err := s.mayView(ctx, userOf(r), sc.Unit, units)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &forbiddenError{user: userOf(r), unit: sc.Unit}
		}
	}
	sc.Units = pickerUnits(units, roots)
	for _, u := range units {
		if u.Code == sc.Unit {
			sc.HasCommunes = len(report.Communes(u, units)) > 0
		}
	}
	named, err := s.named(ctx)
	if err != nil {
		return nil, err
	}
	sc.Periods = pickerPeriods(named, s.now())
	return sc, nil
}

// roots are the units at the top of a user's picker: org.self when the
// page is open, else the units granted to user.
func (s *Server) roots(ctx context.Context, user string) ([]string, error) {
	if s.opts.Open {
		if s.opts.Self == "" {
			return nil, nil
		}
		return []string{strings.ToUpper(s.opts.Self)}, nil
	}
	u, ok := s.auth.users[user]
	if !ok {
		return nil, nil
	}
	out := make([]string, len(u.Units))
	for i, c := range u.Units {
		out[i] = strings.ToUpper(c)
	}
	return out, nil
}

// mayView: unit is one of the user's granted units, under one of them in
// the org directory, or a unit whose facts roll up into one of them (a
// predecessor merged into it).
func (s *Server) mayView(ctx context.Context, user, unit string, units []warehouse.OrgUnit) (bool, error) {
	roots, err := s.roots(ctx, user)
	if err != nil {
		return false, err
	}
	parent := map[string]string{}
	for _, u := range units {
		if u.ParentCode != nil {
			parent[u.Code] = *u.ParentCode
		}
	}
	for _, root := range roots {
		for c, n := unit, 0; c != "" && n <= len(units); c, n = parent[c], n+1 {
			if c == root {
				return true, nil
			}
		}
		members, err := s.opts.Store.UnitMembers(ctx, root)
		if err != nil {
			return false, err
		}
		for _, m := range members {
			if m == unit {
				return true, nil
			}
		}
	}
	return false, nil
}

// pickerUnits lists roots and the units under them (by parent, merged
// units left out), depth first in code order.
func pickerUnits(units []warehouse.OrgUnit, roots []string) []UnitOption {
	byCode := map[string]warehouse.OrgUnit{}
	children := map[string][]string{}
	for _, u := range units {
		byCode[u.Code] = u
		if u.ParentCode != nil && u.MergedInto == nil && u.Relation != "higher" {
			children[*u.ParentCode] = append(children[*u.ParentCode], u.Code)
		}
	}
	for _, c := range children {
		sort.Strings(c)
	}
	var out []UnitOption
	seen := map[string]bool{}
	var walk func(code string, depth int)
	walk = func(code string, depth int) {
		u, ok := byCode[code]
		if !ok || seen[code] {
			return
		}
		seen[code] = true
		out = append(out, UnitOption{Code: code, Name: u.Name, Depth: depth})
		for _, c := range children[code] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return out
}

// pickerPeriods: the named report periods of this year and last year
// first, then the years, halves, quarters and months of this year.
func pickerPeriods(named []report.NamedPeriod, now time.Time) []PeriodOption {
	y := now.Year()
	var out []PeriodOption
	for _, year := range []int{y, y - 1} {
		for _, n := range named {
			out = append(out, PeriodOption{ID: fmt.Sprintf("%s-%d", n.ID, year), Label: n.YearLabel(year), Group: "Kỳ báo cáo"})
		}
	}
	for _, year := range []int{y, y - 1} {
		out = append(out, PeriodOption{ID: strconv.Itoa(year), Label: fmt.Sprintf("Năm %d", year), Group: "Năm"})
	}
	for _, id := range []string{"H1", "H2", "Q1", "Q2", "Q3", "Q4"} {
		pid := fmt.Sprintf("%d-%s", y, id)
		p, err := report.ParsePeriod(pid, named)
		if err == nil {
			out = append(out, PeriodOption{ID: pid, Label: p.Label, Group: "6 tháng, quý"})
		}
	}
	for m := 1; m <= int(now.Month()); m++ {
		pid := fmt.Sprintf("%d-%02d", y, m)
		out = append(out, PeriodOption{ID: pid, Label: fmt.Sprintf("Tháng %d năm %d", m, y), Group: "Tháng"})
	}
	return out
}

// withQuery adds key/value pairs to base's query.
func withQuery(base string, kv ...string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
