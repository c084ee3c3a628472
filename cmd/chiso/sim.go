package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"chiso/adapters/dvc"
	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/meetings/meetingssim"
	"chiso/adapters/vxp/vxpsim"
)

// Demo credentials: they match configs/secrets/* of the example config.
const (
	demoUnit        = "000.25.31.H99"
	demoVXPSecret   = "demo-vxp-secret-change-me"
	demoDVCUser     = "demo"
	demoDVCPassword = "demo-dvc-password-change-me"
)

// simOptions choose what the simulators serve.
type simOptions struct {
	Seed  int64
	Data  string // fixture folder: vxp/ (edXML files) and dvc/ (JSON) under it; empty: generated
	Years []int
	Until time.Time // nothing dated after it is served
	// DossiersPerYear sizes the generated portal data.
	DossiersPerYear int
	// Portal faults (chiso sim --page-cap, --fault, --slow).
	PageCap      int
	NoPagingInfo bool
	Faults       []dvcsim.Fault
	Delay        time.Duration
}

// simHandler mounts the axis at /vxp/, the portal at /dvc/ and the calendars
// at /ical/ and /meetings/.
func simHandler(o simOptions, logger *slog.Logger) (http.Handler, error) {
	if len(o.Years) == 0 {
		o.Years = []int{2025, 2026}
	}
	vopts := vxpsim.Options{Systems: map[string]string{demoUnit: demoVXPSecret}, Seed: o.Seed, Unit: demoUnit, Years: o.Years, Until: o.Until}
	dopts := dvcsim.Options{Username: demoDVCUser, Password: demoDVCPassword, Logger: logger,
		PageCap: o.PageCap, NoPagingInfo: o.NoPagingInfo, Faults: o.Faults, Delay: o.Delay}
	if o.Data != "" {
		vopts.Dir = filepath.Join(o.Data, "vxp")
		fx, err := dvcsim.LoadDir(filepath.Join(o.Data, "dvc"))
		if err != nil {
			return nil, fmt.Errorf("sim: dvc fixtures: %w", err)
		}
		dopts.Data = fx
	} else {
		n := o.DossiersPerYear
		if n == 0 {
			n = 5000
		}
		var sets []dvcsim.Dataset
		for _, y := range o.Years {
			sets = append(sets, dvcsim.Generate(o.Seed, demoUnit, y, n))
		}
		dopts.Data = untilDataset(concatDatasets(sets), o.Until)
	}
	vs, err := vxpsim.New(vopts)
	if err != nil {
		return nil, fmt.Errorf("sim: vxp: %w", err)
	}
	ms := meetingssim.New(meetingssim.Options{Seed: uint64(o.Seed), Years: o.Years})
	mux := http.NewServeMux()
	mux.Handle("/vxp/", vs)
	mux.Handle("/dvc/", dvcsim.New(dopts))
	mux.Handle("/ical/", ms)
	mux.Handle("/meetings/", ms)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "chiso simulators: /vxp/ (national document axis), /dvc/ (public-service portal), /ical/<unit>.ics and /meetings/<unit>.csv (meeting calendars)")
	})
	return mux, nil
}

// startSim serves the simulators on addr until ctx ends.
func startSim(ctx context.Context, addr string, o simOptions, logger *slog.Logger) (string, error) {
	h, err := simHandler(o, logger)
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sim: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("simulator server", "err", err)
		}
	}()
	return ln.Addr().String(), nil
}

// runSim serves the simulators until stopped.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, _ := newFlags("sim", stderr)
	listen := fs.String("listen", "127.0.0.1:9480", "address to serve on")
	data := fs.String("data", "", "fixture folder (vxp/ and dvc/ under it); empty: generated data")
	seed := fs.Int64("seed", 1, "seed of the generated data")
	n := fs.Int("dossiers", 5000, "generated dossiers per year")
	pageCap := fs.Int("page-cap", 0, "portal: serve at most this many dossiers per page, whatever soLuong asks (0: no cap)")
	noPaging := fs.Bool("no-paging-info", false, "portal: leave trang/soLuong out of list answers (only tongSo)")
	delay := fs.Duration("slow", 0, "portal: delay every answer by this much (e.g. 2s)")
	var faults faultFlags
	fs.Var(&faults, "fault", "portal: inject KIND@PAGE[xTIMES] on LayDanhSachHoSo (repeatable); KIND is one of "+
		strings.Join(dvcsim.FaultKinds, ", ")+"; PAGE 0 is any page; TIMES defaults to 1 (e.g. empty@3, 500@2x5, truncate@4)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logger := slog.Default()
	addr, err := startSim(ctx, *listen, simOptions{Seed: *seed, Data: *data, DossiersPerYear: *n, Until: time.Now(),
		PageCap: *pageCap, NoPagingInfo: *noPaging, Faults: faults, Delay: *delay}, logger)
	if err != nil {
		fmt.Fprintln(stderr, "chiso sim:", err)
		return 1
	}
	fmt.Fprintf(stdout, "chiso sim: serving on http://%s (vxp: /vxp, dvc: /dvc, calendars: /ical/%s.ics); Ctrl-C stops\n", addr, demoUnit)
	<-ctx.Done()
	return 0
}

// faultFlags is the repeatable --fault KIND@PAGE[xTIMES] flag of chiso sim.
type faultFlags []dvcsim.Fault

func (f *faultFlags) String() string {
	var parts []string
	for _, x := range *f {
		parts = append(parts, fmt.Sprintf("%s@%dx%d", x.Kind, x.Page, x.Times))
	}
	return strings.Join(parts, ",")
}

func (f *faultFlags) Set(v string) error {
	fault, err := parseFault(v)
	if err != nil {
		return err
	}
	*f = append(*f, fault)
	return nil
}

// parseFault reads KIND@PAGE[xTIMES] (KIND alone: any page, once).
func parseFault(v string) (dvcsim.Fault, error) {
	kind, rest, _ := strings.Cut(strings.TrimSpace(v), "@")
	if !slices.Contains(dvcsim.FaultKinds, kind) {
		return dvcsim.Fault{}, fmt.Errorf("fault %q: kind %q is not one of %s", v, kind, strings.Join(dvcsim.FaultKinds, ", "))
	}
	f := dvcsim.Fault{Kind: kind, Service: dvc.ServiceList, Times: 1}
	if rest == "" {
		return f, nil
	}
	page, times, hasTimes := strings.Cut(rest, "x")
	var err error
	if f.Page, err = strconv.Atoi(page); err != nil || f.Page < 0 {
		return dvcsim.Fault{}, fmt.Errorf("fault %q: page %q is not a number ≥ 0", v, page)
	}
	if hasTimes {
		if f.Times, err = strconv.Atoi(times); err != nil || f.Times < 1 {
			return dvcsim.Fault{}, fmt.Errorf("fault %q: times %q is not a number ≥ 1", v, times)
		}
	}
	return f, nil
}

// concatDatasets serves several generated years as one dataset; each
// year's updates precede the next year's, so update order is kept.
type concatDatasets []dvcsim.Dataset

func (c concatDatasets) locate(i int) (dvcsim.Dataset, int) {
	for _, d := range c {
		if i < d.Len() {
			return d, i
		}
		i -= d.Len()
	}
	panic("dvc dataset index out of range")
}

func (c concatDatasets) Len() int {
	n := 0
	for _, d := range c {
		n += d.Len()
	}
	return n
}
func (c concatDatasets) Updated(i int) time.Time   { d, j := c.locate(i); return d.Updated(j) }
func (c concatDatasets) Received(i int) *time.Time { d, j := c.locate(i); return d.Received(j) }
func (c concatDatasets) MaHoSo(i int) string       { d, j := c.locate(i); return d.MaHoSo(j) }
func (c concatDatasets) Record(i int) []byte       { d, j := c.locate(i); return d.Record(j) }
func (c concatDatasets) Steps(i int) []dvc.Step    { d, j := c.locate(i); return d.Steps(j) }
func (c concatDatasets) Index(ma string) (int, bool) {
	base := 0
	for _, d := range c {
		if i, ok := d.Index(ma); ok {
			return base + i, true
		}
		base += d.Len()
	}
	return 0, false
}
func (c concatDatasets) Procedures() []dvc.Procedure {
	seen := map[string]bool{}
	var out []dvc.Procedure
	for _, d := range c {
		for _, p := range d.Procedures() {
			if !seen[string(p.MaTTHC)] {
				seen[string(p.MaTTHC)] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// untilDataset hides dossiers updated after until (a portal holds nothing
// from the future).
func untilDataset(d dvcsim.Dataset, until time.Time) dvcsim.Dataset {
	if until.IsZero() {
		return d
	}
	lo, hi := 0, d.Len()
	for lo < hi { // first index updated after until
		mid := (lo + hi) / 2
		if d.Updated(mid).After(until) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return prefixDataset{d, lo}
}

type prefixDataset struct {
	dvcsim.Dataset
	n int
}

func (p prefixDataset) Len() int { return p.n }
func (p prefixDataset) Index(ma string) (int, bool) {
	i, ok := p.Dataset.Index(ma)
	return i, ok && i < p.n
}
