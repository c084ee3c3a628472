package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/vxp/vxpsim"
	"chiso/report"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// The provincial fixture (issue 17): the province H99, three communes
// (Yên Định, Yên Phong, Tam Giang) with units under them, and one dossier
// export of the provincial portal covering all of them (testdata/province/
// dvc-export), read by one dvc-dir connector with by_code and pulled from
// the portal simulator by one dvc connector with by_code.
const (
	provCode = "000.00.00.H99"
	communeA = "000.25.31.H99" // Yên Định
	communeB = "000.26.31.H99" // Yên Phong
	communeC = "000.27.31.H99" // Tam Giang
)

// newProvince writes the provincial example config (configs/*.province.*)
// into a temporary folder, pointed at a fresh database and at the fixture
// export, and syncs it once. It returns the config path and the store.
func newProvince(t *testing.T) (string, *warehouse.Store) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"org-directory.province.example.yaml", "targets-2026.province.yaml", "procedures.example.csv",
		"secrets/dvc.username", "secrets/dvc.password", "secrets/vxp.secret"} {
		b, err := os.ReadFile(filepath.Join("../../configs", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("../../configs/chiso.province.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dsn := warehousetest.NewDatabase(t)
	export, err := filepath.Abs("testdata/province/dvc-export")
	if err != nil {
		t.Fatal(err)
	}
	// The provincial portal's API serves the same export; the provincial
	// axis is empty here (sync/connectors/province tests it with packages).
	fx, err := dvcsim.LoadDir(export)
	if err != nil {
		t.Fatal(err)
	}
	axis, err := vxpsim.New(vxpsim.Options{Systems: map[string]string{provCode: "demo-vxp-secret-change-me"}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/dvc/", dvcsim.New(dvcsim.Options{Username: "demo", Password: "demo-dvc-password-change-me", Data: fx}))
	mux.Handle("/vxp/", axis)
	sims := httptest.NewServer(mux)
	t.Cleanup(sims.Close)
	cfg := strings.NewReplacer(`dsn: ""`, `dsn: "`+dsn+`"`, "path: ../var/province/dvc-export", "path: "+export,
		"data_dir: ../var/province", "data_dir: "+filepath.Join(dir, "var"),
		"https://dichvucong.example.gov.vn/api/dvc", sims.URL+"/dvc", "https://lgsp.example.gov.vn/vxp", sims.URL+"/vxp").Replace(string(b))
	if !strings.Contains(cfg, dsn) || !strings.Contains(cfg, export) || !strings.Contains(cfg, sims.URL+"/dvc") || !strings.Contains(cfg, sims.URL+"/vxp") {
		t.Fatal("the provincial example config no longer has the dsn, path or endpoint lines this test replaces")
	}
	path := filepath.Join(dir, "chiso.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	dispatch(context.Background(), []string{"-c", path, "sync"}, &out, &errb)
	st, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var runs int
	if err := st.DB.Get(&runs, `SELECT count(*) FROM sync_runs WHERE status IN ('ok', 'partial')`); err != nil || runs != 3 {
		t.Fatalf("sync: %d finished runs (%v)\n%s\n%s", runs, err, out.String(), errb.String())
	}
	return path, st
}

// cli runs chiso with the config and returns its standard output.
func cli(t *testing.T, cfg string, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	if rc := dispatch(context.Background(), append([]string{"-c", cfg}, args...), &out, &errb); rc != 0 {
		t.Fatalf("chiso %s: exit %d\n%s", strings.Join(args, " "), rc, errb.String())
	}
	return out.Bytes()
}

type leagueJSON struct {
	Period json.RawMessage `json:"period"`
	leagueUnitJSON
	Units []leagueUnitJSON `json:"units"`
}

type leagueUnitJSON struct {
	Unit struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"unit"`
	Indicators []json.RawMessage `json:"indicators"`
}

type indJSON struct {
	ID          string   `json:"id"`
	Numerator   int64    `json:"numerator"`
	Denominator *int64   `json:"denominator"`
	Missing     int64    `json:"missing"`
	Value       *float64 `json:"value"`
	Met         *bool    `json:"met"`
	Target      *float64 `json:"target"`
}

func decodeInd(t *testing.T, raw json.RawMessage) indJSON {
	t.Helper()
	var x indJSON
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatal(err)
	}
	return x
}

func TestProvinceLeague(t *testing.T) {
	cfg, st := newProvince(t)

	// The two records of no unit of the province are rejected, each with
	// the code that decided it, by the export and by the portal's API;
	// nothing of them is counted anywhere.
	var reasons []string
	if err := st.DB.Select(&reasons, `SELECT reason FROM rejects WHERE connector = 'dvc-tinh' ORDER BY reason`); err != nil {
		t.Fatal(err)
	}
	var pulled int
	if err := st.DB.Get(&pulled, `SELECT count(*) FROM rejects WHERE connector = 'dvc-cong-tinh' AND field IN ('MaHoSo', 'DonViXuLy')`); err != nil || pulled != 2 {
		t.Errorf("%d rejects of the portal's API (%v), want 2", pulled, err)
	}
	if len(reasons) != 2 || !strings.Contains(reasons[0], "000.00.00.H98") || !strings.Contains(reasons[0], "is not 000.00.00.H99 or a unit under it") ||
		!strings.Contains(reasons[1], "no code of the record names a unit") || !strings.Contains(reasons[1], "000.99.31.H99") {
		t.Errorf("rejects: %q", reasons)
	}
	var stored int
	if err := st.DB.Get(&stored, `SELECT count(*) FROM dossiers`); err != nil || stored != 9 {
		t.Errorf("%d dossiers stored (%v), want 9", stored, err)
	}

	var league leagueJSON
	if err := json.Unmarshal(cli(t, cfg, "report", "--period", "2026-H1", "--by-unit", "--format", "json"), &league); err != nil {
		t.Fatal(err)
	}
	if league.Unit.Code != provCode || len(league.Units) != 3 {
		t.Fatalf("league of %s with %d communes, want %s with 3", league.Unit.Code, len(league.Units), provCode)
	}

	// Hand-checked figures of the fixture (see testdata/province): the
	// fully-online share counts online toàn trình dossiers not finished or
	// with an electronic or postal result over all received; the digitized
	// share counts electronic results over dossiers finished (9, 10).
	type fig struct {
		num, den int64
		met      bool
	}
	want := map[string]map[string]fig{
		provCode: {"dossier_full_online_share": {6, 9, false}, "result_digitized_share": {5, 7, false}},
		communeA: {"dossier_full_online_share": {2, 4, false}, "result_digitized_share": {2, 3, false}},
		communeB: {"dossier_full_online_share": {2, 2, true}, "result_digitized_share": {1, 2, false}},
		// Tam Giang has its own target ≥ 60 % (targets-2026.province.yaml).
		communeC: {"dossier_full_online_share": {2, 3, true}, "result_digitized_share": {2, 2, true}},
	}
	all := append([]leagueUnitJSON{league.leagueUnitJSON}, league.Units...)
	for _, u := range all {
		w, ok := want[u.Unit.Code]
		if !ok {
			t.Errorf("unexpected row %s", u.Unit.Code)
			continue
		}
		for _, raw := range u.Indicators {
			x := decodeInd(t, raw)
			f, ok := w[x.ID]
			if !ok {
				continue
			}
			if x.Numerator != f.num || x.Denominator == nil || *x.Denominator != f.den || x.Met == nil || *x.Met != f.met {
				t.Errorf("%s %s: %d/%v met %v, want %d/%d met %v", u.Unit.Code, x.ID, x.Numerator, x.Denominator, x.Met, f.num, f.den, f.met)
			}
		}
	}

	// The province's totals are the sums of the communes' numerators,
	// denominators and missing counts, indicator by indicator.
	sums := map[string]*indJSON{}
	for _, u := range league.Units {
		for _, raw := range u.Indicators {
			x := decodeInd(t, raw)
			s, ok := sums[x.ID]
			if !ok {
				s = &indJSON{ID: x.ID}
				sums[x.ID] = s
			}
			s.Numerator += x.Numerator
			s.Missing += x.Missing
			if x.Denominator != nil {
				d := *x.Denominator
				if s.Denominator != nil {
					d += *s.Denominator
				}
				s.Denominator = &d
			}
		}
	}
	for _, raw := range league.Indicators {
		x := decodeInd(t, raw)
		s := sums[x.ID]
		if s == nil || s.Numerator != x.Numerator || s.Missing != x.Missing || (s.Denominator == nil) != (x.Denominator == nil) ||
			(s.Denominator != nil && *s.Denominator != *x.Denominator) {
			t.Errorf("%s: province %d/%v missing %d, communes sum to %+v", x.ID, x.Numerator, x.Denominator, x.Missing, s)
		}
	}

	// Each row of the league table is the commune's own report (the same
	// indicator objects, byte for byte), and its totals the province's.
	for _, u := range all {
		var own struct {
			Indicators []json.RawMessage `json:"indicators"`
		}
		if err := json.Unmarshal(cli(t, cfg, "report", "--period", "2026-H1", "--unit", u.Unit.Code, "--format", "json"), &own); err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(own.Indicators)
		b, _ := json.Marshal(u.Indicators)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: league row differs from its report:\n%s\n%s", u.Unit.Code, b, a)
		}
	}

	// Every format renders; xlsx needs -o.
	for _, f := range []string{"table", "csv", "md"} {
		out := cli(t, cfg, "report", "--period", "2026-H1", "--by-unit", "--format", f)
		for _, name := range []string{"UBND tỉnh Bắc Ninh", "UBND xã Yên Định", "UBND xã Yên Phong", "UBND xã Tam Giang", "Hồ sơ toàn trình"} {
			if !bytes.Contains(out, []byte(name)) {
				t.Errorf("%s: no %q in\n%s", f, name, out)
			}
		}
	}
	xl := filepath.Join(t.TempDir(), "league.xlsx")
	cli(t, cfg, "report", "--period", "2026-H1", "--by-unit", "--format", "xlsx", "-o", xl)
	if fi, err := os.Stat(xl); err != nil || fi.Size() == 0 {
		t.Errorf("xlsx: %v", err)
	}
}

// --sort orders the communes by any column; the totals stay on top.
func TestProvinceLeagueSort(t *testing.T) {
	cfg, st := newProvince(t)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		sort string
		want []string
		err  string
	}{
		{sort: "", want: []string{communeA, communeB, communeC}},
		{sort: "-code", want: []string{communeC, communeB, communeA}},
		{sort: "name", want: []string{communeC, communeA, communeB}}, // Tam Giang, Yên Định, Yên Phong
		{sort: "dossier_full_online_share", want: []string{communeA, communeC, communeB}},
		{sort: "-dossier_full_online_share", want: []string{communeB, communeC, communeA}},
		{sort: "-result_digitized_share", want: []string{communeC, communeA, communeB}},
		// no value anywhere (no documents): ties keep the code order
		{sort: "doc_reduction", want: []string{communeA, communeB, communeC}},
		{sort: "colour", err: `unknown --sort column "colour"`},
	} {
		t.Run(c.sort, func(t *testing.T) {
			l, err := report.BuildLeague(context.Background(), st, report.LeagueOptions{Period: "2026-H1", Unit: provCode, Sort: c.sort, Now: now})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %v, want error %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range l.Members {
				got = append(got, m.Unit.Code)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") || l.Total.Unit.Code != provCode {
				t.Errorf("got %s under %s, want %s", got, l.Total.Unit.Code, c.want)
			}
		})
	}
	// The league table as csv, the golden file (go test -run TestProvinceLeagueSort -update);
	// the run is dated so that the title's last sync does not move.
	if _, err := st.DB.Exec(`UPDATE sync_runs SET started_at = '2026-12-01 08:00+07', finished_at = '2026-12-01 08:01+07'`); err != nil {
		t.Fatal(err)
	}
	var csvOut bytes.Buffer
	if err := report.RunLeague(context.Background(), st, report.LeagueOptions{Period: "2026-H1", Unit: provCode, Format: "csv", Sort: "-dossier_full_online_share", Now: now}, &csvOut); err != nil {
		t.Fatal(err)
	}
	golden := "testdata/province/league-2026-H1.csv"
	if *update {
		if err := os.WriteFile(golden, csvOut.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if g, err := os.ReadFile(golden); err != nil || !bytes.Equal(g, csvOut.Bytes()) {
		t.Errorf("league csv differs from %s (%v):\n%s", golden, err, csvOut.String())
	}
	// A commune has no communes under it.
	var errb bytes.Buffer
	if rc := dispatch(context.Background(), []string{"-c", cfg, "report", "--period", "2026-H1", "--unit", communeA, "--by-unit"}, &bytes.Buffer{}, &errb); rc == 0 ||
		!strings.Contains(errb.String(), "has no commune under it") {
		t.Errorf("league of a commune: exit %d, %s", rc, errb.String())
	}
}
