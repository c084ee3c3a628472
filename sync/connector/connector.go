// Package connector defines what every chiso connector implements and the
// registry of connector types. One package per upstream system under
// sync/connectors/ registers itself here from init().
package connector

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"chiso/mapping/orgdir"
	"chiso/warehouse/facts"
)

// Connector pulls facts from one upstream system into the warehouse.
//
// Lifecycle: the config loader creates a value with the registered factory
// (defaults filled in there), decodes the connector's YAML keys into it
// (strict: unknown keys are errors), then calls Validate. Sync is called by
// the scheduler once per run.
type Connector interface {
	// Validate checks the type-specific settings statically: no network, no
	// warehouse. Return *FieldError values (joined with errors.Join) so that
	// the config loader can point at FILE:LINE of the offending key.
	Validate(env Env) error
	// Check touches the upstream system and writes nothing: the "test
	// connection" an admin wants (chiso sync --test).
	Check(ctx context.Context) error
	// Sync fetches what is new and writes it through sink. Call sink.Flush
	// at safe points (each Flush commits facts, checkpoints and run counters
	// in one transaction). Returning an error rolls back what was not
	// flushed; the run is then recorded as failed.
	Sync(ctx context.Context, sink Sink) error
}

// Env is what Validate and Sync may need from the rest of the config.
type Env struct {
	Name     string // the connector's name
	BaseDir  string // directory of the config file: relative paths are relative to it
	Self     string // org.self, the commune's code
	Org      *orgdir.Directory
	Location *time.Location // Vietnam time
	Window   *Window        // set by `chiso sync --from --to`; nil for a normal run
	// Baseline is the earliest instant a report may need facts from: 1
	// January of the year before the earliest report period of the target
	// year (see config.BaselineFrom). Zero when unknown; connectors with a
	// time window then fall back to 1 January of last year.
	Baseline time.Time
	// Now is the clock of the connectors that read "today" (the window of
	// a feed, an axis lookback); nil is time.Now. Tests set it to run a
	// connector as if it were another day.
	Now func() time.Time
}

// Clock returns the current time by Now, else time.Now.
func (e Env) Clock() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Window is a backfill window (inclusive Vietnam dates).
type Window struct{ From, To time.Time }

// EnvSetter is implemented by connectors that keep the Env given to
// Validate for use during Sync. The loader calls SetEnv after a successful
// Validate, and again with a Window before a backfill.
type EnvSetter interface{ SetEnv(env Env) }

// FieldError is a problem with one key of a connector's config.
type FieldError struct {
	Key string // YAML key, dotted for nested keys: "tls.ca_file"
	Msg string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

// Errf builds a *FieldError.
func Errf(key, format string, args ...any) error {
	return &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// The sink a connector writes through is declared here in small groups of
// verbs, one per kind of fact; Sink is all of them. *warehouse.Run
// implements Sink (asserted in package sync); everything written between
// two Flush calls commits or rolls back together. A connector needs no
// other way into the storage: there is no escape hatch and no capability
// found by type assertion.

// DocumentWriter writes documents, their sightings and what happens to
// them afterwards (edXML status and revocation packages).
type DocumentWriter interface {
	UpsertDocument(ctx context.Context, d facts.Document, s facts.Sighting) error
	ApplyStatus(ctx context.Context, st facts.DocumentStatus) error
	Revoke(ctx context.Context, r facts.Revocation) error
}

// DossierWriter writes procedure dossiers; DossierSource reads back the
// stored record and steps of one dossier (the push receiver derives a
// dossier from steps sent apart from its record).
type DossierWriter interface {
	UpsertDossier(ctx context.Context, d facts.Dossier, steps []facts.DossierStep, s facts.DossierSighting) error
	// UpsertDossiers writes a batch with the rules of UpsertDossier, one
	// statement per table.
	UpsertDossiers(ctx context.Context, batch []facts.DossierWrite) error
	// UpsertDossierSteps keeps the steps of a dossier whose record has not
	// arrived yet.
	UpsertDossierSteps(ctx context.Context, unit, maHoSo string, steps []facts.DossierStep) error
	DossierSource(ctx context.Context, unit, maHoSo string) (raw []byte, steps []facts.DossierStep, found bool, err error)
}

// ProcedureReader reads the procedure catalogue.
type ProcedureReader interface {
	// ProcedureCodes lists the ma_tthc already in the catalogue.
	ProcedureCodes(ctx context.Context) (map[string]bool, error)
}

// ProcedureWriter adds entries to the procedure catalogue.
type ProcedureWriter interface {
	UpsertProcedure(ctx context.Context, p facts.Procedure) error
}

// MeetingWriter writes meetings and, after a full read of a source,
// records which of its meetings are gone (deleted) or back (restored).
type MeetingWriter interface {
	UpsertMeeting(ctx context.Context, m facts.Meeting) error
	// ReconcileMeetings marks deleted the meetings of source in [from, to)
	// (zero: all) that the read did not write, except the spare UIDs, and
	// restores those written again.
	ReconcileMeetings(ctx context.Context, source string, from, to time.Time, spare []string) (deleted, restored int64, err error)
}

// RegisterWriter is the register-row bookkeeping of register files: which
// rows a file has, which left it, the agency names it used that the org
// directory does not know.
type RegisterWriter interface {
	TrackRegisterRows(ctx context.Context, rows []facts.RegisterRow) (facts.RowCounts, error)
	CloseRegisterFile(ctx context.Context, file string) ([]facts.RegisterRow, error)
	SetUnresolvedNames(ctx context.Context, file string, names []facts.UnresolvedName) error
}

// Checkpoints are a connector's cursors (sync_state streams).
type Checkpoints interface {
	// SetCheckpoint stores a checkpoint; it becomes visible to later runs
	// only when the current batch commits.
	SetCheckpoint(ctx context.Context, stream, value string) error
	// Checkpoint returns the committed checkpoint of a stream.
	Checkpoint(ctx context.Context, stream string) (value string, ok bool, err error)
	// Checkpoints returns the committed checkpoints whose stream starts with prefix.
	Checkpoints(ctx context.Context, prefix string) (map[string]string, error)
}

// Rejects keeps the records that failed validation.
type Rejects interface {
	Reject(ctx context.Context, r facts.Reject) error
	// ClearReject drops the reject kept under sourceKey, if any, and those
	// of the rows inside it (keys "sourceKey#…"), because the record is read
	// again and now reads fine (e.g. a bad file rewritten; rows still bad
	// are rejected again by the same read): a fixed record no longer counts
	// as rejected. It commits with the batch.
	ClearReject(ctx context.Context, sourceKey string) error
}

// Flusher commits batches and keeps the run's own record.
type Flusher interface {
	// Fetched counts records read from upstream (for the run record).
	Fetched(n int)
	// Incomplete records that the run could not read all of its source:
	// it ends partial with the reason.
	Incomplete(reason string)
	// Flush commits the current batch (facts, checkpoints, run counters).
	Flush(ctx context.Context) error
	// RunID is the id of the sync_runs row of this run.
	RunID() int64
}

// Sink is where a connector writes: every group of verbs above.
type Sink interface {
	DocumentWriter
	DossierWriter
	ProcedureReader
	ProcedureWriter
	MeetingWriter
	RegisterWriter
	Checkpoints
	Rejects
	Flusher
}

// Type is one connector type as the config and the docs know it: its
// name (the `type:` key), the title and paragraph of its section in
// docs/ket-noi.md (Vietnamese, for the admin), its sample config (an
// embedded sample.yaml beside the connector, documenting every key), the
// schedule used when the config sets none, and its constructor (defaults
// filled in there).
type Type struct {
	Name            string
	Title           string
	About           string
	Sample          string
	DefaultSchedule string
	New             func() Connector
	// Receiver marks a type that is sent its data (the dossier push
	// receiver) instead of fetching it: the daemon serves it over HTTP and
	// runs each batch it is sent through RunNow; it is turned on by http.*
	// keys, never listed under connectors:, never scheduled.
	Receiver bool
}

// ErrBusy: a batch sent to a receiver could not get its turn in time
// (another run of the same connector, here or in another process, kept
// it); nothing was written, and the sender should send it again later.
var ErrBusy = errors.New("another run of this connector is going; send again later")

// RunNow runs c once now as a run of the connector name through the
// runner: the same slot and advisory lock as a scheduled sync (waited for
// up to wait, then an error wrapping ErrBusy), timeout (0: none), the run
// record in sync_runs, panic recovery, metrics and the log line. It is how
// a receiver has each batch it is sent run like a sync.
type RunNow func(ctx context.Context, name string, c Connector, wait, timeout time.Duration) (runID int64, err error)

var (
	mu    sync.RWMutex
	types = map[string]Type{}
)

// Register makes a connector type available to the config. It panics on a
// duplicate or incomplete type: that is a programming error.
func Register(t Type) {
	mu.Lock()
	defer mu.Unlock()
	if t.Name == "" || t.New == nil || (t.DefaultSchedule == "" && !t.Receiver) {
		panic("connector: type registered without a name, constructor or default schedule: " + t.Name)
	}
	if _, dup := types[t.Name]; dup {
		panic("connector: type registered twice: " + t.Name)
	}
	types[t.Name] = t
}

// Lookup returns the registered type name.
func Lookup(name string) (Type, bool) {
	mu.RLock()
	defer mu.RUnlock()
	t, ok := types[name]
	return t, ok
}

// New returns a fresh connector of type typ.
func New(typ string) (Connector, bool) {
	t, ok := Lookup(typ)
	if !ok {
		return nil, false
	}
	return t.New(), true
}

// Types lists the registered type names, sorted.
func Types() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(types))
	for t := range types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// OurUnit resolves a connector's unit key: empty means org.self; any other
// code must be the commune or one of its internal units. The error is a
// *FieldError on "unit".
func OurUnit(env Env, unit string) (string, error) {
	if unit == "" {
		unit = env.Self
	}
	if unit == "" {
		return "", Errf("unit", "required (or set org.self)")
	}
	if env.Self != "" && env.Org != nil && !env.Org.IsOurs(env.Self, unit) {
		return unit, Errf("unit", "%q is not %s or one of its internal units in the org directory", unit, env.Self)
	}
	return unit, nil
}

// CheckByCode validates the by_code key of a connector that covers many
// communes at once (a provincial portal, the provincial document axis,
// their exports): with it on, each record goes to the unit its own codes
// name, which must be the connector's unit (the root, e.g. the province)
// or a unit under it; finding that unit needs the org directory. The
// error is a *FieldError on "by_code"; nil when byCode is off.
func CheckByCode(env Env, byCode bool) error {
	if byCode && (env.Org == nil || len(env.Org.Units) == 0) {
		return Errf("by_code", "needs the org directory (org.directory) to find each record's unit")
	}
	return nil
}
