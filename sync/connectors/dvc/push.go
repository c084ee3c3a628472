package dvc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	wire "chiso/adapters/dvc"
	"chiso/adapters/vntime"
	"chiso/mapping/dossiers"
	"chiso/mapping/orgdir"
	"chiso/sync/connector"
	"chiso/sync/secret"
	"chiso/warehouse/facts"
)

// PushConnector is the connector name of push runs in sync_runs.
const PushConnector = "dvc-push"

// PushLimits bound what the push receiver holds at once.
type PushLimits struct {
	// MaxBody is the largest body one request may send (413 above it);
	// default 64 MiB.
	MaxBody int64
	// MaxInFlight bounds the bytes of the bodies held at once, read or
	// being stored: a request that would pass it is answered 503 with
	// Retry-After before its body is read. Default 4 × MaxBody; never
	// below MaxBody.
	MaxInFlight int64
	// Wait is how long a batch waits for its turn (the batch before it, a
	// process holding the push lock) before 503 with Retry-After; default 30s.
	Wait time.Duration
	// Timeout bounds the storing of one batch; default 10 min.
	Timeout time.Duration
	// RetryAfter is the delay the 503 answers ask for; default 10s.
	RetryAfter time.Duration
}

// DefaultMaxPushBody is PushLimits.MaxBody by default.
const DefaultMaxPushBody = 64 << 20

func (l PushLimits) withDefaults() PushLimits {
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxPushBody
	}
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = 4 * l.MaxBody
	}
	l.MaxInFlight = max(l.MaxInFlight, l.MaxBody)
	if l.Wait <= 0 {
		l.Wait = 30 * time.Second
	}
	if l.Timeout <= 0 {
		l.Timeout = 10 * time.Minute
	}
	if l.RetryAfter <= 0 {
		l.RetryAfter = 10 * time.Second
	}
	return l
}

// PushHandler is the dossier push receiver; see NewPushHandler.
type PushHandler struct {
	token  secret.Value
	unit   string
	log    *slog.Logger
	run    connector.RunNow
	limits PushLimits
	// org, when set (RouteByCode), gives the org directory that routes
	// each record to the unit its codes name under unit.
	org func() *orgdir.Directory

	mu       sync.Mutex
	inFlight int64 // bytes of bodies reserved
	// onReserve, when set (tests), is called with the bytes in flight
	// after each reservation.
	onReserve func(inFlight int64)
}

// NewPushHandler returns the dossier push receiver (dvc.md §2.2): POST
// …/DongBoHoSoMC (dossier records) and POST …/CapNhatTienDoHoSoMC
// (processing steps), each a national envelope or a bare array, with
// `Authorization: Bearer <token>`. Each request is one run of connector
// "dvc-push" through run (the daemon runner's RunNow, so that a push takes
// the connector's slot and advisory lock, is recorded in sync_runs and
// chiso status, recovers from a panic and is counted in the metrics like a
// scheduled sync); every record is committed or kept in
// rejects before the answer {"error_code":"0","message":"Đồng bộ thành
// công"} or {"error_code":"-1","message":"<record, field, why>"}. Pushing
// the same payload again changes no fact. Bodies are bounded (SetLimits):
// one by MaxBody, all in flight by MaxInFlight, beyond which the receiver
// answers 503 with Retry-After. Mount it at /dvc/.
func NewPushHandler(run connector.RunNow, token secret.Value, unit string, logger *slog.Logger) *PushHandler {
	if logger == nil {
		logger = slog.Default()
	}
	return &PushHandler{token: token, unit: unit, log: logger, run: run, limits: PushLimits{}.withDefaults()}
}

// Validate checks what the receiver was given (by http.push_token and
// org.self); no I/O.
func (h *PushHandler) Validate(connector.Env) error {
	var errs []error
	if !h.token.IsSet() {
		errs = append(errs, connector.Errf("push_token", "required: the bearer token senders present"))
	}
	if h.unit == "" {
		errs = append(errs, connector.Errf("unit", "required (set org.self)"))
	}
	return errors.Join(errs...)
}

// Check writes nothing and touches nothing: the receiver is sent its data.
func (h *PushHandler) Check(context.Context) error { return nil }

// Sync is not how a receiver runs: each batch it is sent runs by itself
// (pushBatch). A receiver is never scheduled.
func (h *PushHandler) Sync(context.Context, connector.Sink) error {
	return fmt.Errorf("%s: a receiver is sent its data (POST /dvc/…); it is not run on a schedule", PushConnector)
}

// pushBatch is one push request as the runner runs it: a one-batch
// connector of type dvc-push.
type pushBatch struct {
	h       *PushHandler
	op, req string
	body    []byte
	res     pushResult
}

func (b *pushBatch) Validate(connector.Env) error { return nil }
func (b *pushBatch) Check(context.Context) error  { return nil }
func (b *pushBatch) Sync(ctx context.Context, sink connector.Sink) (err error) {
	if b.op == "DongBoHoSoMC" {
		b.res, err = b.h.records(ctx, sink, b.req, b.body)
	} else {
		b.res, err = b.h.steps(ctx, sink, b.req, b.body)
	}
	return err
}

// RouteByCode makes the receiver put each pushed record in the unit its
// codes name under its unit (http.push_by_code; Writer.RouteByCode, the
// routing of the pull connector and dvc-dir), and each pushed step in the
// unit its MaHoSo's agency code names: a provincial portal pushing the
// dossiers of many communes. A record or step of no unit of the tree is
// rejected. org returns the org directory in force (the daemon's, which
// a reload replaces); it is asked once per batch. Call it before serving.
func (h *PushHandler) RouteByCode(org func() *orgdir.Directory) { h.org = org }

// writer is the writer of one push batch, routed when RouteByCode was set.
func (h *PushHandler) writer(run connector.Sink) *Writer {
	w := NewWriter(run, h.unit, PushConnector, h.log)
	if h.org != nil {
		w.RouteByCode(h.org())
	}
	return w
}

// SetLimits sets the body and wait bounds (zero fields: defaults). Call it
// before serving.
func (h *PushHandler) SetLimits(l PushLimits) { h.limits = l.withDefaults() }

// InFlight is the bytes of push bodies held now.
func (h *PushHandler) InFlight() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inFlight
}

// reserve claims n bytes of the in-flight budget; false when it is full.
func (h *PushHandler) reserve(n int64) bool {
	h.mu.Lock()
	if h.inFlight+n > h.limits.MaxInFlight {
		h.mu.Unlock()
		return false
	}
	h.inFlight += n
	now, hook := h.inFlight, h.onReserve
	h.mu.Unlock()
	if hook != nil {
		hook(now)
	}
	return true
}

func (h *PushHandler) release(n int64) {
	h.mu.Lock()
	h.inFlight -= n
	h.mu.Unlock()
}

type pushAnswer struct {
	Code    string `json:"error_code"`
	Message string `json:"message"`
}

func answer(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(pushAnswer{code, msg})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// busy answers 503 with Retry-After: the sender keeps the batch and sends
// it again.
func (h *PushHandler) busy(w http.ResponseWriter, why string) {
	secs := int((h.limits.RetryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	answer(w, http.StatusServiceUnavailable, "-1", fmt.Sprintf("busy, nothing stored: %s; send again in %d s", why, secs))
}

func (h *PushHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	if op != "DongBoHoSoMC" && op != "CapNhatTienDoHoSoMC" {
		answer(w, http.StatusNotFound, "-1", "unknown operation "+strconv.Quote(op)+": use DongBoHoSoMC or CapNhatTienDoHoSoMC")
		return
	}
	if r.Method != http.MethodPost {
		answer(w, http.StatusMethodNotAllowed, "-1", "use POST")
		return
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !h.token.IsSet() || !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(h.token.Reveal())) != 1 {
		answer(w, http.StatusUnauthorized, "-1", "missing or wrong bearer token")
		return
	}
	body, release, ok := h.readBody(w, r)
	if !ok {
		return
	}
	defer release()
	req := requestID(r, body)
	if h.run == nil {
		answer(w, http.StatusServiceUnavailable, "-1", "request "+req+": the receiver has no runner, nothing stored")
		return
	}
	batch := &pushBatch{h: h, op: op, req: req, body: body}
	runID, err := h.run(r.Context(), PushConnector, batch, h.limits.Wait, h.limits.Timeout)
	res := batch.res
	switch {
	case errors.Is(err, connector.ErrBusy):
		h.busy(w, "another push batch is being stored")
		return
	case err != nil:
		answer(w, http.StatusInternalServerError, "-1", "request "+req+": not stored, send again: "+err.Error())
		return
	}
	h.log.Info("dvc push", "op", op, "request", req, "written", res.written, "rejected", res.rejected, "run", runID)
	if res.rejected > 0 || res.payloadErr != "" {
		// An error answer: the sender keeps what was rejected and sends it
		// again once fixed (chiso keeps only its allow-listed members).
		msg := strings.Join(res.reasons, "; ")
		if res.payloadErr != "" {
			msg = strings.TrimPrefix(msg+"; "+res.payloadErr, "; ")
		}
		answer(w, http.StatusOK, "-1", fmt.Sprintf("request %s: %d record(s) stored, %d rejected: %s", req, res.written, res.rejected, msg))
		return
	}
	answer(w, http.StatusOK, "0", "Đồng bộ thành công")
}

// readBody reads the request body within the limits: it reserves the
// declared length (MaxBody when not declared) in the in-flight budget
// before reading a byte, and answers 413 or 503 itself when it cannot
// (ok false). release gives the reservation back.
func (h *PushHandler) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), ok bool) {
	limit := h.limits.MaxBody
	if r.ContentLength > limit {
		answer(w, http.StatusRequestEntityTooLarge, "-1", fmt.Sprintf("body of %d bytes is larger than the limit of %d bytes (http.push_max_body_mb): split the batch", r.ContentLength, limit))
		return nil, nil, false
	}
	n := limit
	if r.ContentLength >= 0 {
		n = r.ContentLength
	}
	if !h.reserve(n) {
		h.busy(w, "too many push bodies in flight")
		return nil, nil, false
	}
	release = func() { h.release(n) }
	// A declared length is read into one allocation; an undeclared one
	// (chunked) grows as it comes, within the reservation.
	size := int64(64 << 10)
	if r.ContentLength >= 0 {
		size = n + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		release()
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			answer(w, http.StatusRequestEntityTooLarge, "-1", fmt.Sprintf("body larger than the limit of %d bytes (http.push_max_body_mb): split the batch", limit))
		} else {
			answer(w, http.StatusBadRequest, "-1", "body unreadable, nothing stored: "+err.Error())
		}
		return nil, nil, false
	}
	return buf.Bytes(), release, true
}

type pushResult struct {
	written, rejected int
	reasons           []string
	payloadErr        string
}

// requestID names a push request in rejects and logs: the sender's
// X-Request-Id when it gives a plain one, else the start of the SHA-256 of
// the body (the same body sent again has the same id).
func requestID(r *http.Request, body []byte) string {
	if id := strings.TrimSpace(r.Header.Get("X-Request-Id")); id != "" && len(id) <= 64 && strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == "" {
		return id
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// payloadReject is the reject of a push body that cannot be read past some
// point: where and why, the hash of the body, none of its bytes.
func payloadReject(op, req string, body []byte, perr error) facts.Reject {
	sum := sha256.Sum256(body)
	loc := fmt.Sprintf("push %s request %s", op, req)
	var pe *wire.PayloadError
	if errors.As(perr, &pe) {
		loc += fmt.Sprintf(" at byte %d", pe.Offset)
	}
	hash := hex.EncodeToString(sum[:])
	return NewPayloadReject("push:"+op+":sha256:"+hash, loc, hash, perr)
}

// records stores DongBoHoSoMC records.
func (h *PushHandler) records(ctx context.Context, run connector.Sink, req string, body []byte) (pushResult, error) {
	var res pushResult
	var recs []wire.Item
	env, perr := wire.DecodeItems(bytes.NewReader(body), func(it wire.Item) error {
		recs = append(recs, it)
		return nil
	})
	run.Fetched(len(recs))
	key := "push"
	if env.MaDonVi != "" {
		key = "madonvi:" + env.MaDonVi
	}
	wr := h.writer(run)
	for _, x := range recs {
		var steps []wire.Step
		unit := h.unit
		r, err := wire.DecodeRecord(x.Raw)
		if err == nil {
			unit, err = wr.UnitOf(r)
		}
		if err == nil && dossiers.NeedsSteps(r) {
			// Steps pushed earlier with CapNhatTienDoHoSoMC.
			_, stored, _, serr := run.DossierSource(ctx, unit, r.MaHoSo.String())
			if serr != nil {
				return res, serr
			}
			steps = toWireSteps(r.MaHoSo, stored)
		}
		var m dossiers.Result
		if err == nil {
			m, err = dossiers.MapRecord(r, x.Raw, dossiers.Options{Unit: unit, Source: PushConnector, SourceKey: key, Steps: steps})
		}
		if err != nil {
			loc := fmt.Sprintf("push DongBoHoSoMC request %s, record %d at byte %d, %d bytes", req, x.Index, x.Offset, len(x.Raw))
			if rerr := wr.Reject(ctx, NewReject(x.Raw, loc, "", false, fmt.Errorf("record %d: %w", x.Index, err))); rerr != nil {
				return res, rerr
			}
			continue
		}
		if err := wr.Add(ctx, m); err != nil {
			return res, err
		}
	}
	if err := wr.Write(ctx); err != nil {
		return res, err
	}
	res.written, res.rejected, res.reasons = wr.Written, wr.Rejected, wr.Reasons
	if perr != nil {
		res.payloadErr = perr.Error()
		if err := run.Reject(ctx, payloadReject("DongBoHoSoMC", req, body, perr)); err != nil {
			return res, err
		}
	}
	return res, nil
}

// steps stores CapNhatTienDoHoSoMC steps and re-derives the dossiers they
// belong to (status, finished_at) from their stored record and all steps.
func (h *PushHandler) steps(ctx context.Context, run connector.Sink, req string, body []byte) (pushResult, error) {
	var res pushResult
	byMa := map[string][]wire.Step{}
	unitOf := map[string]string{} // MaHoSo → its unit (h.unit unless routed)
	wr := h.writer(run)
	var order []string
	var rejects []facts.Reject
	seen := map[string]bool{}
	_, perr := wire.DecodeItems(bytes.NewReader(body), func(it wire.Item) error {
		run.Fetched(1)
		st, err := wire.DecodeStep(it.Raw)
		if err == nil && st.MaHoSo.String() == "" {
			err = &wire.FieldError{Field: "MaHoSo", Msg: "missing: a step needs its dossier code"}
		}
		if err == nil {
			if _, bad := dossiers.KeepStep(it.Raw); bad != nil {
				bad.MaHoSo = st.MaHoSo.String()
				err = bad
			}
		}
		var unit string
		if err == nil {
			// A step carries only its dossier's code: routed, its unit is
			// the one MaHoSo's agency code names.
			unit, err = wr.UnitOf(wire.Record{MaHoSo: st.MaHoSo})
			var fe *wire.FieldError
			if errors.As(err, &fe) {
				fe.Field = "MaHoSo" // a step has no DonViXuLy
			}
		}
		if err != nil {
			loc := fmt.Sprintf("push CapNhatTienDoHoSoMC request %s, step %d at byte %d, %d bytes", req, it.Index, it.Offset, len(it.Raw))
			rj := NewReject(it.Raw, loc, "steps:", true, fmt.Errorf("step %d: %w", it.Index, err))
			if !seen[rj.SourceKey] { // the same bad step twice in one push: one reject
				seen[rj.SourceKey] = true
				rejects = append(rejects, rj)
			}
			return nil
		}
		ma := st.MaHoSo.String()
		if _, ok := byMa[ma]; !ok {
			order = append(order, ma)
			unitOf[ma] = unit
		}
		byMa[ma] = append(byMa[ma], st)
		return nil
	})
	for _, rj := range rejects {
		if err := run.Reject(ctx, rj); err != nil {
			return res, err
		}
		res.rejected++
		if len(res.reasons) < 5 {
			res.reasons = append(res.reasons, rj.Reason)
		}
	}
	var batch []facts.DossierWrite
	for _, ma := range order {
		unit := unitOf[ma]
		raw, stored, found, err := run.DossierSource(ctx, unit, ma)
		if err != nil {
			return res, err
		}
		steps := append(toWireSteps(wire.Str(ma), stored), byMa[ma]...)
		if !found {
			// The record has not arrived yet: keep the steps alone; the
			// record will be derived with them when it comes.
			m := &dossierStepsOnly{unit: unit, ma: ma}
			ws, err := m.mapSteps(steps)
			if err != nil {
				return res, err
			}
			if err := run.UpsertDossierSteps(ctx, unit, ma, ws); err != nil {
				return res, err
			}
			res.written++
			continue
		}
		m, err := dossiers.Map(raw, dossiers.Options{Unit: unit, Source: PushConnector, Steps: steps})
		if err != nil {
			return res, fmt.Errorf("dvc push: stored record %s no longer maps: %w", ma, err)
		}
		batch = append(batch, facts.DossierWrite{Dossier: m.Dossier, Steps: m.Steps})
		res.written++
	}
	if err := run.UpsertDossiers(ctx, batch); err != nil {
		return res, err
	}
	if perr != nil {
		res.payloadErr = perr.Error()
		if err := run.Reject(ctx, payloadReject("CapNhatTienDoHoSoMC", req, body, perr)); err != nil {
			return res, err
		}
	}
	return res, nil
}

// toWireSteps turns stored steps back into wire steps for the mapping.
func toWireSteps(ma wire.Str, steps []facts.DossierStep) []wire.Step {
	out := make([]wire.Step, len(steps))
	for i, s := range steps {
		st := ""
		if s.Status != nil {
			st = strconv.Itoa(*s.Status)
		}
		out[i] = wire.Step{MaHoSo: ma, ChucDanh: wire.Str(s.Actor), ThoiDiemXuLy: wire.Str(s.At.In(vntime.Location).Format(wire.TimeLayout)),
			TrangThai: wire.Str(st)}
	}
	return out
}

// dossierStepsOnly maps steps of a dossier whose record is not known yet,
// through the same mapping (a minimal record carrying only MaHoSo).
type dossierStepsOnly struct{ unit, ma string }

func (d *dossierStepsOnly) mapSteps(steps []wire.Step) ([]facts.DossierStep, error) {
	raw, _ := json.Marshal(map[string]string{"MaHoSo": d.ma})
	m, err := dossiers.Map(raw, dossiers.Options{Unit: d.unit, Steps: steps})
	if err != nil {
		return nil, err
	}
	return m.Steps, nil
}
