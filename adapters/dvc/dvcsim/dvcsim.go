// Package dvcsim simulates a public-service portal for tests, demos and
// `chiso sim`: the pull API of dvc.md §2.1 (auth with expiring sessions,
// LayDanhSachHoSo by update or reception window with paging, TraCuuHoSo,
// LayTienDoHoSo, LayThuTuc) and the push operations of §2.2 (DongBoHoSoMC,
// CapNhatTienDoHoSoMC, which add or replace dossiers), over generated data
// (Generate) or fixture files (LoadDir), with fault injection.
package dvcsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"chiso/adapters/dvc"
	"chiso/adapters/vntime"
)

// Fault kinds.
const (
	Fault500       = "500"       // HTTP 500 with the error envelope
	FaultTimeout   = "timeout"   // no answer until the client gives up (or Options.Hang)
	FaultTruncate  = "truncate"  // the body is cut in the middle
	FaultSlow      = "slow"      // the answer comes after Options.Slow
	FaultMalformed = "malformed" // one record of the page has an unreadable NgayTiepNhan
	FaultExpire    = "expire"    // the session is reported expired (error_code 401)
	FaultEmpty     = "empty"     // a list page answers no records (with the true tongSo)
)

// FaultKinds lists every fault kind (for flags and their help).
var FaultKinds = []string{Fault500, FaultTimeout, FaultTruncate, FaultSlow, FaultMalformed, FaultExpire, FaultEmpty}

// Fault is an injected failure: it fires on the first Times matching
// requests (default 1).
type Fault struct {
	Kind    string
	Service string // default LayDanhSachHoSo
	Page    int    // 0: any page
	Times   int
}

// Options configure a Server.
type Options struct {
	Username, Password string        // default chiso / chiso
	SessionTTL         time.Duration // default 30m
	Data               Dataset       // default: empty
	Faults             []Fault
	Hang               time.Duration // how long a timeout fault hangs at most; default 30s
	Slow               time.Duration // delay of slow pages; default 200ms
	PushToken          string        // bearer token of the push operations; "" accepts any
	// PageCap caps the page size the portal serves (soLuong above it is
	// served as PageCap records per page, pages counted by PageCap), as
	// real portals do; 0: the simulator's own limit (1000).
	PageCap int
	// NoPagingInfo leaves trang and soLuong out of list answers (portals
	// that announce only tongSo), so that a cap shows only by the count.
	NoPagingInfo bool
	// Delay delays every answer of /share (a slow portal); 0: none.
	Delay  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Server is the simulated portal, an http.Handler. Mount it anywhere: it
// dispatches on the last path element (/auth, /share, /DongBoHoSoMC,
// /CapNhatTienDoHoSoMC), so `chiso sim` can serve it under /dvc/.
type Server struct {
	opt Options

	mu       sync.Mutex
	sessions map[string]time.Time // session → opened at
	seq      int
	fired    []int // per fault: times fired
	requests map[string]int
	// overlay holds dossiers pushed or updated after the base data; a base
	// record whose MaHoSo is here is hidden.
	overlay map[string]*entry
	hidden  map[int]bool
}

type entry struct {
	ma       string
	raw      []byte
	updated  time.Time
	received *time.Time
	steps    []dvc.Step
}

// New returns a simulator.
func New(opt Options) *Server {
	if opt.Username == "" {
		opt.Username = "chiso"
	}
	if opt.Password == "" {
		opt.Password = "chiso"
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 30 * time.Minute
	}
	if opt.Hang <= 0 {
		opt.Hang = 30 * time.Second
	}
	if opt.Slow <= 0 {
		opt.Slow = 200 * time.Millisecond
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Data == nil {
		opt.Data = emptyData{}
	}
	for i := range opt.Faults {
		if opt.Faults[i].Times <= 0 {
			opt.Faults[i].Times = 1
		}
		if opt.Faults[i].Service == "" {
			opt.Faults[i].Service = dvc.ServiceList
		}
	}
	return &Server{opt: opt, sessions: map[string]time.Time{}, fired: make([]int, len(opt.Faults)),
		requests: map[string]int{}, overlay: map[string]*entry{}, hidden: map[int]bool{}}
}

// ExpireSessions ends every open session (the next call gets error_code 401).
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions = map[string]time.Time{}
}

// Requests returns how many calls each service (and "auth") received.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// AddFault arms one more fault.
func (s *Server) AddFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	if f.Service == "" {
		f.Service = dvc.ServiceList
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opt.Faults = append(s.opt.Faults, f)
	s.fired = append(s.fired, 0)
}

// Unfired lists the faults that have not fired as many times as asked:
// a test uses it to prove its faults really happened.
func (s *Server) Unfired() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Fault
	for i, f := range s.opt.Faults {
		if s.fired[i] < f.Times {
			out = append(out, f)
		}
	}
	return out
}

// Put adds or replaces a dossier (raw record JSON); when stamp is true its
// NgayCapNhat becomes the simulator's now. Steps, if given, replace the
// dossier's steps.
func (s *Server) Put(raw []byte, steps []dvc.Step, stamp bool) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("dvcsim: put: %w", err)
	}
	var ma dvc.Str
	_ = json.Unmarshal(m["MaHoSo"], &ma)
	if ma.String() == "" {
		return fmt.Errorf("dvcsim: put: record without MaHoSo")
	}
	now := s.opt.Now().In(vntime.Location).Truncate(time.Second)
	if stamp {
		m["NgayCapNhat"], _ = json.Marshal(now.Format(dvc.TimeLayout))
		raw, _ = json.Marshal(m)
	}
	e := &entry{ma: ma.String(), raw: raw, updated: now}
	var upd, rec dvc.Str
	_ = json.Unmarshal(m["NgayCapNhat"], &upd)
	if t, err := time.ParseInLocation(dvc.TimeLayout, upd.String(), vntime.Location); err == nil {
		e.updated = t
	}
	_ = json.Unmarshal(m["NgayTiepNhan"], &rec)
	if t, err := time.ParseInLocation(dvc.TimeLayout, rec.String(), vntime.Location); err == nil {
		e.received = &t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.overlay[e.ma]; ok && steps == nil {
		e.steps = old.steps
	} else {
		e.steps = steps
	}
	if e.steps == nil {
		if i, ok := s.opt.Data.Index(e.ma); ok {
			e.steps = s.opt.Data.Steps(i)
		}
	}
	if i, ok := s.opt.Data.Index(e.ma); ok {
		s.hidden[i] = true
	}
	s.overlay[e.ma] = e
	return nil
}

// Update changes fields of an existing dossier and stamps it updated now.
func (s *Server) Update(maHoSo string, fields map[string]any) error {
	raw, _, ok := s.lookup(maHoSo)
	if !ok {
		return fmt.Errorf("dvcsim: update: no dossier %s", maHoSo)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	for k, v := range fields {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return s.Put(b, nil, true)
}

// lookup finds a dossier by code: the overlay first, then the base data.
func (s *Server) lookup(ma string) ([]byte, []dvc.Step, bool) {
	s.mu.Lock()
	e, ok := s.overlay[ma]
	s.mu.Unlock()
	if ok {
		return e.raw, e.steps, true
	}
	if i, ok := s.opt.Data.Index(ma); ok {
		return s.opt.Data.Record(i), s.opt.Data.Steps(i), true
	}
	return nil, nil, false
}

// ServeHTTP dispatches on the last path element.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody(-1, "Chỉ chấp nhận POST"))
		return
	}
	path := r.URL.Path
	op := path[strings.LastIndexByte(path, '/')+1:]
	switch op {
	case "auth":
		s.auth(w, r)
	case "share":
		s.share(w, r)
	case "DongBoHoSoMC", "CapNhatTienDoHoSoMC":
		s.push(w, r, op)
	default:
		writeJSON(w, http.StatusNotFound, errorBody(-1, "Không có dịch vụ "+op))
	}
}

func errorBody(code int, msg string) map[string]any {
	return map[string]any{"error_code": code, "message": msg}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) auth(w http.ResponseWriter, r *http.Request) {
	var req struct{ Username, Password string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(-1, "Yêu cầu không hợp lệ: "+err.Error()))
		return
	}
	s.mu.Lock()
	s.requests["auth"]++
	if req.Username != s.opt.Username || req.Password != s.opt.Password {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, errorBody(403, "Sai tên đăng nhập hoặc mật khẩu"))
		return
	}
	s.seq++
	sess := fmt.Sprintf("sess-%d-%d", s.opt.Now().UnixNano(), s.seq)
	s.sessions[sess] = s.opt.Now()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"error_code": 0, "message": "Thành công", "session": sess})
}

type shareReq struct {
	Session  string `json:"session"`
	MaDonVi  string `json:"madonvi"`
	Service  string `json:"service"`
	TuNgay   string `json:"tuNgay"`
	DenNgay  string `json:"denNgay"`
	LoaiNgay string `json:"loaiNgay"`
	Trang    int    `json:"trang"`
	SoLuong  int    `json:"soLuong"`
	MaHoSo   string `json:"mahoso"`
	MaTTHC   string `json:"maTTHC"`
}

// fault returns the fault to apply to this request, if any.
func (s *Server) fault(service string, page int) string {
	for i, f := range s.opt.Faults {
		if f.Service == service && (f.Page == 0 || f.Page == page) && s.fired[i] < f.Times {
			s.fired[i]++
			return f.Kind
		}
	}
	return ""
}

func (s *Server) share(w http.ResponseWriter, r *http.Request) {
	var req shareReq
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(-1, "Yêu cầu không hợp lệ: "+err.Error()))
		return
	}
	s.mu.Lock()
	s.requests[req.Service]++
	opened, ok := s.sessions[req.Session]
	expired := !ok || s.opt.Now().Sub(opened) > s.opt.SessionTTL
	fault := s.fault(req.Service, req.Trang)
	s.mu.Unlock()
	if fault == FaultExpire {
		s.mu.Lock()
		delete(s.sessions, req.Session)
		s.mu.Unlock()
		expired = true
	}
	if expired {
		writeJSON(w, http.StatusOK, errorBody(401, "Phiên làm việc đã hết hạn hoặc không hợp lệ"))
		return
	}
	if s.opt.Delay > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(s.opt.Delay):
		}
	}
	switch fault {
	case Fault500:
		writeJSON(w, http.StatusInternalServerError, errorBody(500, "Lỗi hệ thống"))
		return
	case FaultTimeout:
		select {
		case <-r.Context().Done():
		case <-time.After(s.opt.Hang):
		}
		return
	case FaultSlow:
		select {
		case <-r.Context().Done():
			return
		case <-time.After(s.opt.Slow):
		}
	}
	var body []byte
	switch req.Service {
	case dvc.ServiceList:
		body = s.list(req, fault)
	case dvc.ServiceLookup:
		raw, steps, ok := s.lookup(req.MaHoSo)
		if !ok {
			body = mustJSON(map[string]any{"error_code": 0, "message": "Không tìm thấy hồ sơ", "result": []any{}})
			break
		}
		var m map[string]json.RawMessage
		_ = json.Unmarshal(raw, &m)
		m["QuaTrinhXuLy"] = mustJSON(steps)
		body = mustJSON(map[string]any{"error_code": 0, "message": "Thành công", "result": []any{m}})
	case dvc.ServiceSteps:
		_, steps, ok := s.lookup(req.MaHoSo)
		if !ok {
			steps = []dvc.Step{}
		}
		body = mustJSON(map[string]any{"error_code": 0, "message": "Thành công", "result": steps})
	case dvc.ServiceProcedure:
		var found any
		for _, p := range s.opt.Data.Procedures() {
			if p.MaTTHC.String() == strings.TrimSpace(req.MaTTHC) {
				found = p
			}
		}
		if found == nil {
			body = mustJSON(map[string]any{"error_code": 0, "message": "Không tìm thấy thủ tục", "result": []any{}})
		} else {
			body = mustJSON(map[string]any{"error_code": 0, "message": "Thành công", "result": found})
		}
	default:
		writeJSON(w, http.StatusOK, errorBody(-1, "Dịch vụ không hỗ trợ: "+req.Service))
		return
	}
	if body == nil {
		writeJSON(w, http.StatusOK, errorBody(-1, "Tham số tuNgay/denNgay không hợp lệ (yyyyMMddHHmmss)"))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if fault == FaultTruncate {
		// Declare the whole length, send half: the client sees the
		// connection end early.
		_, _ = w.Write(body[:len(body)/2])
		return
	}
	_, _ = w.Write(body)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// list answers LayDanhSachHoSo: base records of the window (minus those
// overridden), then overlay records of the window, paged.
func (s *Server) list(req shareReq, fault string) []byte {
	malformed := fault == FaultMalformed
	from, err1 := time.ParseInLocation(dvc.TimeLayout, req.TuNgay, vntime.Location)
	to, err2 := time.ParseInLocation(dvc.TimeLayout, req.DenNgay, vntime.Location)
	if err1 != nil || err2 != nil {
		return nil
	}
	size := req.SoLuong
	if size <= 0 || size > 1000 {
		size = 100
	}
	if s.opt.PageCap > 0 && size > s.opt.PageCap {
		size = s.opt.PageCap
	}
	page := max(req.Trang, 1)
	d := s.opt.Data
	byReception := req.LoaiNgay == dvc.ByReception

	// Base indices of the window.
	var base []int // only materialised for reception windows
	lo, hi := 0, 0
	if byReception {
		for i := 0; i < d.Len(); i++ {
			if rt := d.Received(i); rt != nil && !rt.Before(from) && !rt.After(to) {
				base = append(base, i)
			}
		}
	} else {
		lo = sort.Search(d.Len(), func(i int) bool { return !d.Updated(i).Before(from) })
		hi = sort.Search(d.Len(), func(i int) bool { return d.Updated(i).After(to) })
	}
	s.mu.Lock()
	var hiddenIn []int
	for i := range s.hidden {
		if byReception || (i >= lo && i < hi) {
			hiddenIn = append(hiddenIn, i)
		}
	}
	var over []*entry
	for _, e := range s.overlay {
		t := &e.updated
		if byReception {
			t = e.received
		}
		if t != nil && !t.Before(from) && !t.After(to) {
			over = append(over, e)
		}
	}
	s.mu.Unlock()
	slices.Sort(hiddenIn)
	sort.Slice(over, func(a, b int) bool {
		if !over[a].updated.Equal(over[b].updated) {
			return over[a].updated.Before(over[b].updated)
		}
		return over[a].ma < over[b].ma
	})
	var nBase int
	if byReception {
		base = slices.DeleteFunc(base, func(i int) bool { _, h := slices.BinarySearch(hiddenIn, i); return h })
		nBase = len(base)
	} else {
		nBase = hi - lo - len(hiddenIn)
	}
	total := nBase + len(over)

	var buf bytes.Buffer
	if s.opt.NoPagingInfo {
		fmt.Fprintf(&buf, `{"error_code":0,"message":"Thành công","tongSo":%d,"result":[`, total)
	} else {
		fmt.Fprintf(&buf, `{"error_code":0,"message":"Thành công","tongSo":%d,"trang":%d,"soLuong":%d,"result":[`, total, page, size)
	}
	start := (page - 1) * size
	end := min(total, start+size)
	if fault == FaultEmpty {
		end = start
	}
	n := 0
	for k := start; k < end; k++ {
		var raw []byte
		if k < nBase {
			var i int
			if byReception {
				i = base[k]
			} else {
				i = lo + k
				for _, h := range hiddenIn {
					if h <= i {
						i++
					}
				}
			}
			raw = d.Record(i)
		} else {
			raw = over[k-nBase].raw
		}
		if malformed && n == 0 {
			raw = breakRecord(raw)
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.Write(raw)
		n++
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

// breakRecord returns the record with an unreadable NgayTiepNhan.
func breakRecord(raw []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	m["NgayTiepNhan"] = json.RawMessage(`"31/02/2025 25:61:00"`)
	return mustJSON(m)
}

// push accepts DongBoHoSoMC / CapNhatTienDoHoSoMC payloads (envelope or
// bare array) into the overlay, so what is pushed can then be pulled.
func (s *Server) push(w http.ResponseWriter, r *http.Request, op string) {
	if s.opt.PushToken != "" && r.Header.Get("Authorization") != "Bearer "+s.opt.PushToken {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error_code": "-1", "message": "Sai mã xác thực"})
		return
	}
	var steps = map[string][]dvc.Step{}
	var order []string
	_, err := dvc.DecodePayload(r.Body, func(i int, raw json.RawMessage) error {
		if op == "DongBoHoSoMC" {
			if err := s.Put(raw, nil, false); err != nil {
				return fmt.Errorf("bản ghi %d: %w", i, err)
			}
			return nil
		}
		st, err := dvc.DecodeStep(raw)
		if err != nil {
			return fmt.Errorf("bản ghi %d: %w", i, err)
		}
		ma := st.MaHoSo.String()
		if _, ok := steps[ma]; !ok {
			order = append(order, ma)
		}
		steps[ma] = append(steps[ma], st)
		return nil
	})
	if err == nil {
		for _, ma := range order {
			raw, _, ok := s.lookup(ma)
			if !ok {
				err = fmt.Errorf("không có hồ sơ %s", ma)
				break
			}
			if err = s.Put(raw, steps[ma], false); err != nil {
				break
			}
		}
	}
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]string{"error_code": "-1", "message": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"error_code": "0", "message": "Đồng bộ thành công"})
}

type emptyData struct{}

func (emptyData) Len() int                    { return 0 }
func (emptyData) Updated(int) time.Time       { return time.Time{} }
func (emptyData) Received(int) *time.Time     { return nil }
func (emptyData) MaHoSo(int) string           { return "" }
func (emptyData) Index(string) (int, bool)    { return 0, false }
func (emptyData) Record(int) []byte           { return nil }
func (emptyData) Steps(int) []dvc.Step        { return nil }
func (emptyData) Procedures() []dvc.Procedure { return nil }
