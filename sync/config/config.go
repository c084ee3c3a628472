// Package config loads and validates chiso's configuration: the main YAML
// file, the org directory and the targets file. Startup, `chiso
// check-config` and reload all call Load, so there is one validation path.
// Every problem is reported, not only the first, as FILE:LINE: key: message.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"chiso/adapters/vntime"
	"chiso/mapping/orgdir"
	"chiso/mapping/procedures"
	"chiso/report"
	"chiso/sync/connector"
	"chiso/sync/secret"
	"chiso/warehouse"
	"chiso/warehouse/facts"
)

// Config is a loaded, validated configuration.
type Config struct {
	Timezone      string         `yaml:"timezone"`
	Warehouse     Warehouse      `yaml:"warehouse"`
	HTTP          HTTP           `yaml:"http"`
	Web           Web            `yaml:"web"`
	Org           Org            `yaml:"org"`
	Targets       string         `yaml:"targets"`
	Procedures    string         `yaml:"procedures"`
	ReportPeriods []ReportPeriod `yaml:"report_periods"`
	Coverage      Coverage       `yaml:"coverage"`
	Report        ReportConfig   `yaml:"report"`
	Connectors    []yaml.Node    `yaml:"connectors"`
	Alerts        Alerts         `yaml:"alerts"`

	File      string            `yaml:"-"` // absolute path of the config file
	BaseDir   string            `yaml:"-"`
	Location  *time.Location    `yaml:"-"`
	Directory *orgdir.Directory `yaml:"-"`
	TargetSet *Targets          `yaml:"-"`
	// Catalogue is the procedure catalogue file, read by Load.
	Catalogue []facts.Procedure  `yaml:"-"`
	Jobs      []*ConnectorConfig `yaml:"-"`
	Warnings  []Problem          `yaml:"-"`
}

// Warehouse are the warehouse: keys.
type Warehouse struct {
	DSN       secret.Value `yaml:"dsn"`      // empty: embedded PostgreSQL under DataDir
	DataDir   string       `yaml:"data_dir"` // default ./var/chiso (relative to the config file)
	ListenTCP string       `yaml:"listen_tcp"`
}

// HTTP are the http: keys.
type HTTP struct {
	Listen    string       `yaml:"listen"`
	TLS       ServerTLS    `yaml:"tls"`
	PushToken secret.Value `yaml:"push_token"`
	// AdminToken guards GET /metrics and POST /-/reload (Authorization:
	// Bearer TOKEN); required when listen is not loopback.
	AdminToken secret.Value `yaml:"admin_token"`
	// PushByCode routes each pushed dossier to the unit its codes name
	// under org.self (a provincial portal pushing many communes' dossiers;
	// the by_code of the dvc connectors).
	PushByCode bool `yaml:"push_by_code"`
	// PushMaxBodyMB bounds one push request's body (MiB; default 64).
	PushMaxBodyMB int `yaml:"push_max_body_mb"`
	// PushMaxInFlightMB bounds the push bodies held at once (MiB; default
	// 4 × push_max_body_mb); beyond it pushes are answered 503 Retry-After.
	PushMaxInFlightMB int `yaml:"push_max_inflight_mb"`
}

// ServerTLS is the certificate of chiso's own HTTP server.
type ServerTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Org are the org: keys.
type Org struct {
	Self      string `yaml:"self"`
	Directory string `yaml:"directory"`
}

// ReportPeriod is a named report period (indicators.md §Periods).
type ReportPeriod struct {
	ID    string `yaml:"id"`
	Label string `yaml:"label"`
	From  string `yaml:"from"` // MM-DD
	To    string `yaml:"to"`   // MM-DD
	// FromPreviousYear: the span starts in the year before the report year
	// (nd09 periods: 15 Dec of YYYY−1).
	FromPreviousYear bool `yaml:"from_previous_year"`
}

// ConnectorConfig is one entry of connectors:, with its connector built.
type ConnectorConfig struct {
	Name     string
	Type     string
	Schedule string
	Timeout  time.Duration
	Period   time.Duration // shortest gap between two scheduled runs
	Conn     connector.Connector
	Env      connector.Env
	Line     int
}

// Problem is one configuration error or warning.
type Problem struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (p Problem) String() string {
	if p.Key == "" {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Key, p.Msg)
}

// Problems is the error Load returns: every problem found.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// DefaultReportPeriods are the named periods of indicators.md, read from
// their one definition, report.DefaultNamedPeriods (ids, spans, labels).
var DefaultReportPeriods = fromNamed(report.DefaultNamedPeriods)

// defaultLabels gives a period with a default id and no label its default label.
func defaultLabels(periods []ReportPeriod) {
	for i, p := range periods {
		for _, d := range report.DefaultNamedPeriods {
			if p.Label == "" && p.ID == d.ID {
				periods[i].Label = d.Label
			}
		}
	}
}

func fromNamed(named []report.NamedPeriod) []ReportPeriod {
	out := make([]ReportPeriod, len(named))
	for i, n := range named {
		out[i] = ReportPeriod{ID: n.ID, Label: n.Label, From: n.From, To: n.To, FromPreviousYear: n.FromPrevYear}
	}
	return out
}

var (
	connectorName = regexp.MustCompile(`^[a-z0-9-]+$`)
	monthDay      = regexp.MustCompile(`^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
)

type loader struct {
	file     string
	problems Problems
	warnings Problems
}

func (l *loader) errf(line int, key, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: l.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) warnf(line int, key, format string, args ...any) {
	l.warnings = append(l.warnings, Problem{File: l.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// decode checks unknown keys then decodes n into v, reporting every error.
func (l *loader) decode(n *yaml.Node, v any, path string) bool {
	before := len(l.problems)
	unknownKeys(n, reflect.TypeOf(v), path, func(line int, key, msg string) { l.errf(line, key, "%s", msg) })
	if err := n.Decode(v); err != nil {
		for _, m := range decodeErrors(err) {
			line, msg := lineOf(m, n.Line)
			l.errf(line, join(path, keyPathAtLine(n, line)), "%s", msg)
		}
	}
	return len(l.problems) == before
}

// Load reads and validates the config file at path and the files it names.
// On any error it returns Problems (all of them); warnings are in
// Config.Warnings.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	l := &loader{file: path}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		line, msg := lineOf(err.Error(), 1)
		l.errf(line, "", "%s", msg)
		return nil, l.problems
	}
	cfg := &Config{File: abs, BaseDir: filepath.Dir(abs)}
	if len(root.Content) == 0 {
		l.errf(1, "", "the file is empty")
		return nil, l.problems
	}
	resolveFileRefs(&root, cfg.BaseDir)
	l.decode(&root, cfg, "")
	top := root.Content[0]

	// Defaults.
	if cfg.Timezone == "" {
		cfg.Timezone = vntime.Name
	}
	if cfg.Warehouse.DataDir == "" {
		cfg.Warehouse.DataDir = "./var/chiso"
	}
	if cfg.HTTP.Listen == "" {
		cfg.HTTP.Listen = "127.0.0.1:9464"
	}
	if len(cfg.ReportPeriods) == 0 {
		cfg.ReportPeriods = DefaultReportPeriods
	}
	defaultLabels(cfg.ReportPeriods)
	cfg.Warehouse.DataDir = cfg.Path(cfg.Warehouse.DataDir)

	cfg.Location = l.location(cfg.Timezone, top)

	l.checkHTTP(cfg, top)
	l.checkCoverage(cfg, top)
	l.checkPeriods(cfg, top)
	l.checkAlerts(cfg, top)

	// Org directory and targets, each reported against its own file.
	if cfg.Org.Self == "" {
		l.errf(lineOfKey(top, "org"), "org.self", "required: the code of the commune (root of the reporting tree)")
	}
	if cfg.Org.Directory == "" {
		l.errf(lineOfKey(top, "org"), "org.directory", "required: the org directory file")
	} else {
		dir, probs := LoadDirectory(cfg.Path(cfg.Org.Directory))
		l.problems = append(l.problems, probs...)
		cfg.Directory = dir
		if dir != nil && cfg.Org.Self != "" {
			if u, ok := dir.Unit(cfg.Org.Self); !ok {
				l.errf(lineOfKey(top, "org"), "org.self", "%s is not in the org directory %s", cfg.Org.Self, cfg.Org.Directory)
			} else if u.Relation != orgdir.Self {
				l.errf(lineOfKey(top, "org"), "org.self", "%s has relation %q in the org directory, want self", cfg.Org.Self, u.Relation)
			}
		}
	}
	if cfg.Directory == nil {
		cfg.Directory = orgdir.New(nil)
	}
	l.checkReport(cfg, top)
	if cfg.Targets != "" {
		t, probs := LoadTargets(cfg.Path(cfg.Targets), cfg.Directory)
		l.problems = append(l.problems, probs...)
		cfg.TargetSet = t
	}
	if cfg.Procedures != "" {
		l.loadCatalogue(cfg, lineOfKey(top, "procedures"))
	}

	l.checkWeb(cfg, top)
	l.loadConnectors(cfg, top)
	cfg.Warnings = l.warnings
	if len(l.problems) > 0 {
		sort.SliceStable(l.problems, func(i, j int) bool {
			if l.problems[i].File != l.problems[j].File {
				return l.problems[i].File == path
			}
			return l.problems[i].Line < l.problems[j].Line
		})
		return cfg, l.problems
	}
	return cfg, nil
}

// location is the zone the timezone key names: Vietnam time (the one
// definition, vntime.Location) for its IANA name, else the zone the host's
// tz database gives; an unknown name is a problem and Vietnam time is used.
func (l *loader) location(name string, top *yaml.Node) *time.Location {
	if name == vntime.Name {
		return vntime.Location
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		l.errf(lineOfKey(top, "timezone"), "timezone", "unknown time zone %q", name)
		return vntime.Location
	}
	return loc
}

// Path resolves p relative to the config file's directory.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.BaseDir, p)
}

// loadCatalogue reads the procedure catalogue with the reader startup
// uses (procedures.ReadFile); a problem in it is reported at its own
// FILE:LINE, one that stops the file being read at the procedures key.
func (l *loader) loadCatalogue(cfg *Config, line int) {
	path := cfg.Path(cfg.Procedures)
	procs, err := procedures.ReadFile(path)
	if err == nil {
		cfg.Catalogue = procs
		return
	}
	var e *procedures.Error
	if errors.As(err, &e) && e.Line > 0 {
		l.problems = append(l.problems, Problem{File: e.Path, Line: e.Line, Key: e.Field, Msg: e.Msg})
		return
	}
	msg := err.Error()
	if e != nil {
		msg = e.Msg
	}
	l.errf(line, "procedures", "%s", msg)
}

func (l *loader) checkHTTP(cfg *Config, top *yaml.Node) {
	line := lineOfKey(top, "http")
	host, _, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err != nil {
		l.errf(line, "http.listen", "%v", err)
		return
	}
	loopback := warehouse.IsLoopbackHost(host)
	if !loopback && !cfg.HTTP.AdminToken.IsSet() {
		l.errf(line, "http.admin_token", "required when listen (%s) is not loopback: /metrics and /-/reload must not be open to the network (set it to ${ENV} or file:/path)", cfg.HTTP.Listen)
	}
	if !loopback && cfg.HTTP.AdminToken.IsSet() && cfg.HTTP.TLS.CertFile == "" {
		l.warnf(line, "http.admin_token", "listen (%s) is not loopback and http.tls is not set: the token travels in clear text", cfg.HTTP.Listen)
	}
	if cfg.HTTP.AdminToken.Literal() {
		l.warnf(line, "http.admin_token", "the token is written in the config file; prefer ${ENV} or file:/path")
	}
	if !loopback && cfg.HTTP.PushToken.IsSet() && (cfg.HTTP.TLS.CertFile == "" || cfg.HTTP.TLS.KeyFile == "") {
		l.errf(line, "http.tls", "cert_file and key_file are required when listen (%s) is not loopback and the push receiver is on", cfg.HTTP.Listen)
	}
	for _, f := range []struct{ key, path string }{{"http.tls.cert_file", cfg.HTTP.TLS.CertFile}, {"http.tls.key_file", cfg.HTTP.TLS.KeyFile}} {
		if f.path != "" {
			if _, err := os.Stat(cfg.Path(f.path)); err != nil {
				l.errf(line, f.key, "%v", err)
			}
		}
	}
	if cfg.HTTP.PushToken.Literal() {
		l.warnf(line, "http.push_token", "the token is written in the config file; prefer ${ENV} or file:/path")
	}
	if cfg.HTTP.PushMaxBodyMB < 0 || cfg.HTTP.PushMaxInFlightMB < 0 {
		l.errf(line, "http.push_max_body_mb", "push_max_body_mb and push_max_inflight_mb must not be negative (0: default)")
	} else if body := cmp.Or(cfg.HTTP.PushMaxBodyMB, 64); cfg.HTTP.PushMaxInFlightMB > 0 && cfg.HTTP.PushMaxInFlightMB < body {
		l.errf(line, "http.push_max_inflight_mb", "%d is below push_max_body_mb (%d): a push of the largest size could never be held", cfg.HTTP.PushMaxInFlightMB, body)
	}
	l.checkDSN(cfg, top)
}

// checkDSN: a DSN that the driver cannot parse is an error here, named by
// FILE:LINE and printed without its credentials (the driver's own error
// quotes the whole DSN, password included).
func (l *loader) checkDSN(cfg *Config, top *yaml.Node) {
	dsn := cfg.Warehouse.DSN
	line := lineOfKey(valueOfKey(top, "warehouse"), "dsn")
	if !dsn.IsSet() {
		return
	}
	if err := warehouse.CheckDSN(dsn.Reveal()); err != nil {
		l.errf(line, "warehouse.dsn", "%s (from %s)", err, dsn.Source())
	}
	if dsn.Literal() && strings.Contains(dsn.Reveal(), "password") || dsn.Literal() && warehouse.RedactDSN(dsn.Reveal()) != dsn.Reveal() {
		l.warnf(line, "warehouse.dsn", "the DSN carries a password in the config file; prefer ${ENV} or file:/path")
	}
}

func (l *loader) checkPeriods(cfg *Config, top *yaml.Node) {
	line := lineOfKey(top, "report_periods")
	seen := map[string]bool{}
	for i, p := range cfg.ReportPeriods {
		key := fmt.Sprintf("report_periods[%d]", i)
		if !connectorName.MatchString(p.ID) {
			l.errf(line, key+".id", "%q: use lower-case letters, digits and '-'", p.ID)
		}
		if seen[p.ID] {
			l.errf(line, key+".id", "duplicate report period %q", p.ID)
		}
		seen[p.ID] = true
		if strings.TrimSpace(p.Label) == "" {
			l.errf(line, key+".label", "required for %q: the title of its reports", p.ID)
		}
		for _, f := range []struct{ k, v string }{{"from", p.From}, {"to", p.To}} {
			if !monthDay.MatchString(f.v) {
				l.errf(line, key+"."+f.k, "%q: want MM-DD", f.v)
			}
		}
	}
}

func (l *loader) loadConnectors(cfg *Config, top *yaml.Node) {
	seqNode := valueOfKey(top, "connectors")
	if seqNode == nil || seqNode.Kind != yaml.SequenceNode {
		return
	}
	names := map[string]int{}
	for i, item := range seqNode.Content {
		if item.Kind != yaml.MappingNode {
			l.errf(item.Line, fmt.Sprintf("connectors[%d]", i), "want a mapping with name, type, schedule…")
			continue
		}
		cc := &ConnectorConfig{Line: item.Line}
		rest := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: item.Line, Column: item.Column}
		var scheduleLine, timeoutLine, timeoutSet = item.Line, item.Line, false
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := item.Content[j], item.Content[j+1]
			switch k.Value {
			case "name":
				cc.Name = v.Value
			case "type":
				cc.Type = v.Value
			case "schedule":
				cc.Schedule, scheduleLine = v.Value, k.Line
			case "timeout":
				d, err := time.ParseDuration(v.Value)
				if err != nil || d <= 0 {
					l.errf(k.Line, fmt.Sprintf("connectors[%d].timeout", i), "%q is not a positive duration like 10m", v.Value)
				}
				cc.Timeout, timeoutLine, timeoutSet = d, k.Line, true
			default:
				rest.Content = append(rest.Content, k, v)
			}
		}
		key := fmt.Sprintf("connectors[%d]", i)
		if cc.Name != "" {
			key = fmt.Sprintf("connectors[%s]", cc.Name)
		}
		switch {
		case cc.Name == "":
			l.errf(item.Line, key+".name", "required")
		case !connectorName.MatchString(cc.Name):
			l.errf(item.Line, key+".name", "%q: use lower-case letters, digits and '-'", cc.Name)
		default:
			if first, dup := names[cc.Name]; dup {
				l.errf(item.Line, key+".name", "duplicate connector name (first defined on line %d)", first)
			}
			names[cc.Name] = item.Line
		}
		typ, ok := connector.Lookup(cc.Type)
		var conn connector.Connector
		switch {
		case ok && typ.Receiver:
			ok = false
			l.errf(item.Line, key+".type", "%s is not listed under connectors: it is sent its data over HTTP; turn it on with http.push_token", cc.Type)
		case ok:
			conn = typ.New()
		default:
			l.errf(item.Line, key+".type", "unknown connector type %q (known: %s)", cc.Type, strings.Join(connector.Types(), ", "))
		}
		if cc.Schedule == "" {
			cc.Schedule = typ.DefaultSchedule
			if cc.Schedule == "" {
				cc.Schedule = "@every 1h"
			}
		}
		if _, period, err := ParseSchedule(cc.Schedule); err != nil {
			l.errf(scheduleLine, key+".schedule", "%v", err)
		} else {
			cc.Period = period
			if !timeoutSet {
				cc.Timeout = min(period, 10*time.Minute)
			} else if cc.Timeout > period {
				l.errf(timeoutLine, key+".timeout", "%s is longer than the schedule period %s: runs would overlap", cc.Timeout, period)
			}
		}
		if conn == nil {
			continue
		}
		if !l.decode(rest, conn, key) {
			continue
		}
		cc.Conn = conn
		cc.Env = connector.Env{Name: cc.Name, BaseDir: cfg.BaseDir, Self: cfg.Org.Self, Org: cfg.Directory, Location: cfg.Location, Baseline: cfg.Baseline()}
		if err := conn.Validate(cc.Env); err != nil {
			l.connectorErrors(rest, key, err)
			continue
		}
		if s, ok := conn.(connector.EnvSetter); ok {
			s.SetEnv(cc.Env)
		}
		cc.Name, cc.Type = strings.TrimSpace(cc.Name), strings.TrimSpace(cc.Type)
		cfg.Jobs = append(cfg.Jobs, cc)
	}
}

// connectorErrors maps Validate's FieldErrors to the lines of their keys.
func (l *loader) connectorErrors(n *yaml.Node, key string, err error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *connector.FieldError
		if errors.As(e, &fe) {
			line := n.Line
			if kn := nodeAtPath(n, fe.Key); kn != nil {
				line = kn.Line
			}
			l.errf(line, key+"."+fe.Key, "%s", fe.Msg)
			continue
		}
		l.errf(n.Line, key, "%v", e)
	}
}

// nodeAtPath finds the key node of a dotted path in a mapping.
func nodeAtPath(n *yaml.Node, path string) *yaml.Node {
	parts := strings.Split(path, ".")
	cur := n
	var keyNode *yaml.Node
	for _, p := range parts {
		if cur == nil || cur.Kind != yaml.MappingNode {
			return keyNode
		}
		var next *yaml.Node
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if cur.Content[i].Value == p {
				keyNode, next = cur.Content[i], cur.Content[i+1]
				break
			}
		}
		if next == nil {
			return keyNode
		}
		cur = next
	}
	return keyNode
}

// keyPathAtLine returns the dotted path of the deepest key written on line
// (so a type error names its key, not only its line); "" if none.
func keyPathAtLine(n *yaml.Node, line int) string {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if sub := keyPathAtLine(v, line); sub != "" {
				return join(k.Value, sub)
			}
			if k.Line == line {
				return k.Value
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if sub := keyPathAtLine(c, line); sub != "" {
				return fmt.Sprintf("[%d].%s", i, sub)
			}
		}
	}
	return ""
}

// resolveFileRefs makes relative `file:` secret references relative to the
// config file's directory, like every other path in the config.
func resolveFileRefs(n *yaml.Node, base string) {
	if n.Kind == yaml.ScalarNode {
		if p, ok := strings.CutPrefix(n.Value, "file:"); ok && p != "" && !filepath.IsAbs(p) {
			n.Value = "file:" + filepath.Join(base, p)
		}
		return
	}
	for _, c := range n.Content {
		resolveFileRefs(c, base)
	}
}

func valueOfKey(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func lineOfKey(m *yaml.Node, key string) int {
	if m == nil {
		return 1
	}
	if m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i].Line
			}
		}
	}
	return m.Line
}

// ReportConfig is the report: block (issue 18, chốt số liệu).
type ReportConfig struct {
	// Recipients are the org-directory codes of the agencies the edXML
	// report package of a snapshot is addressed to (Sở Nội vụ, UBND tỉnh).
	Recipients []string `yaml:"recipients"`
	// Place is the địa danh of the package's PromulgationInfo.
	Place string `yaml:"place"`
}

// checkReport checks that every report recipient is a unit of the org
// directory, other than the commune's own tree.
func (l *loader) checkReport(cfg *Config, top *yaml.Node) {
	line := lineOfKey(lineNode(top, "report"), "recipients")
	seen := map[string]bool{}
	for i, code := range cfg.Report.Recipients {
		code = strings.ToUpper(strings.TrimSpace(code))
		cfg.Report.Recipients[i] = code
		switch u, ok := cfg.Directory.Unit(code); {
		case code == "":
			l.errf(line, fmt.Sprintf("report.recipients[%d]", i), "empty unit code")
		case !ok:
			l.errf(line, fmt.Sprintf("report.recipients[%d]", i), "%s is not in the org directory %s", code, cfg.Org.Directory)
		case u.Relation == orgdir.Self || u.Relation == orgdir.Internal:
			l.errf(line, fmt.Sprintf("report.recipients[%d]", i), "%s is the commune or one of its internal units, not a recipient upward", code)
		case seen[code]:
			l.errf(line, fmt.Sprintf("report.recipients[%d]", i), "%s is listed twice", code)
		}
		seen[code] = true
	}
}

// lineNode returns the value node of key in mapping m (nil when absent).
func lineNode(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return m
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return m
}
