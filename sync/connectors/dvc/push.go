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
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	wire "chiso/adapters/dvc"
	"chiso/mapping/dossiers"
	"chiso/sync/secret"
	"chiso/warehouse"
)

// PushConnector is the connector name of push runs in sync_runs.
const PushConnector = "dvc-push"

// maxPushBody bounds one push request.
const maxPushBody = 64 << 20

type pushHandler struct {
	store *warehouse.Store
	token secret.Value
	unit  string
	log   *slog.Logger
	mu    sync.Mutex // one push at a time: pushes of one dossier must not race
}

// NewPushHandler returns the dossier push receiver (dvc.md §2.2): POST
// …/DongBoHoSoMC (dossier records) and POST …/CapNhatTienDoHoSoMC
// (processing steps), each a national envelope or a bare array, with
// `Authorization: Bearer <token>`. Each request is one warehouse run
// (connector "dvc-push"); every record is committed or kept in rejects
// before the answer {"error_code":"0","message":"Đồng bộ thành công"} or
// {"error_code":"-1","message":"<record, field, why>"}. Pushing the same
// payload again changes no fact. Mount it at /dvc/.
func NewPushHandler(store *warehouse.Store, token secret.Value, unit string, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return &pushHandler{store: store, token: token, unit: unit, log: logger}
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

func (h *pushHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPushBody))
	if err != nil {
		answer(w, http.StatusRequestEntityTooLarge, "-1", "body unreadable or larger than 64 MiB: "+err.Error())
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx := r.Context()
	run, err := h.store.StartRun(ctx, PushConnector)
	if err != nil {
		answer(w, http.StatusServiceUnavailable, "-1", "warehouse unavailable")
		h.log.Error("dvc push: start run", "err", err)
		return
	}
	req := requestID(r, body)
	var res pushResult
	if op == "DongBoHoSoMC" {
		res, err = h.records(ctx, run, req, body)
	} else {
		res, err = h.steps(ctx, run, req, body)
	}
	if ferr := run.Finish(ctx, err); ferr != nil {
		h.log.Error("dvc push: run failed", "op", op, "err", ferr)
		answer(w, http.StatusInternalServerError, "-1", "not stored, send again: "+ferr.Error())
		return
	}
	h.log.Info("dvc push", "op", op, "request", req, "written", res.written, "rejected", res.rejected, "run", run.RunID())
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
func payloadReject(op, req string, body []byte, perr error) warehouse.Reject {
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
func (h *pushHandler) records(ctx context.Context, run *warehouse.Run, req string, body []byte) (pushResult, error) {
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
	wr := NewWriter(run, h.unit, PushConnector, h.log)
	for _, x := range recs {
		var steps []wire.Step
		r, err := wire.DecodeRecord(x.Raw)
		if err == nil && dossiers.NeedsSteps(r) {
			// Steps pushed earlier with CapNhatTienDoHoSoMC.
			_, stored, _, serr := run.DossierSource(ctx, h.unit, r.MaHoSo.String())
			if serr != nil {
				return res, serr
			}
			steps = toWireSteps(r.MaHoSo, stored)
		}
		var m dossiers.Result
		if err == nil {
			m, err = dossiers.MapRecord(r, x.Raw, dossiers.Options{Unit: h.unit, Source: PushConnector, SourceKey: key, Steps: steps})
		}
		if err != nil {
			loc := fmt.Sprintf("push DongBoHoSoMC request %s, record %d at byte %d", req, x.Index, x.Offset)
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
func (h *pushHandler) steps(ctx context.Context, run *warehouse.Run, req string, body []byte) (pushResult, error) {
	var res pushResult
	byMa := map[string][]wire.Step{}
	var order []string
	var rejects []warehouse.Reject
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
		if err != nil {
			loc := fmt.Sprintf("push CapNhatTienDoHoSoMC request %s, step %d at byte %d", req, it.Index, it.Offset)
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
	var batch []warehouse.DossierWrite
	for _, ma := range order {
		raw, stored, found, err := run.DossierSource(ctx, h.unit, ma)
		if err != nil {
			return res, err
		}
		steps := append(toWireSteps(wire.Str(ma), stored), byMa[ma]...)
		if !found {
			// The record has not arrived yet: keep the steps alone; the
			// record will be derived with them when it comes.
			m := &dossierStepsOnly{unit: h.unit, ma: ma}
			ws, err := m.mapSteps(steps)
			if err != nil {
				return res, err
			}
			if err := run.UpsertDossierSteps(ctx, h.unit, ma, ws); err != nil {
				return res, err
			}
			res.written++
			continue
		}
		m, err := dossiers.Map(raw, dossiers.Options{Unit: h.unit, Source: PushConnector, Steps: steps})
		if err != nil {
			return res, fmt.Errorf("dvc push: stored record %s no longer maps: %w", ma, err)
		}
		batch = append(batch, warehouse.DossierWrite{Dossier: m.Dossier, Steps: m.Steps})
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
func toWireSteps(ma wire.Str, steps []warehouse.DossierStep) []wire.Step {
	out := make([]wire.Step, len(steps))
	for i, s := range steps {
		st := ""
		if s.Status != nil {
			st = strconv.Itoa(*s.Status)
		}
		out[i] = wire.Step{MaHoSo: ma, ChucDanh: wire.Str(s.Actor), ThoiDiemXuLy: wire.Str(s.At.In(wire.Vietnam).Format(wire.TimeLayout)),
			NoiDungXuLy: wire.Str(s.Action), TrangThai: wire.Str(st)}
	}
	return out
}

// dossierStepsOnly maps steps of a dossier whose record is not known yet,
// through the same mapping (a minimal record carrying only MaHoSo).
type dossierStepsOnly struct{ unit, ma string }

func (d *dossierStepsOnly) mapSteps(steps []wire.Step) ([]warehouse.DossierStep, error) {
	raw, _ := json.Marshal(map[string]string{"MaHoSo": d.ma})
	m, err := dossiers.Map(raw, dossiers.Options{Unit: d.unit, Steps: steps})
	if err != nil {
		return nil, err
	}
	return m.Steps, nil
}
