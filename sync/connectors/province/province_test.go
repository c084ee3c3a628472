package province_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"chiso/adapters/dvc/dvcsim"
	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/vntime"
	"chiso/adapters/vxp/vxpsim"
	"chiso/mapping/orgdir"
	chisosync "chiso/sync"
	"chiso/sync/config"
	"chiso/sync/connector"
	dvcconn "chiso/sync/connectors/dvc"
	"chiso/sync/connectors/edxmldir"
	"chiso/sync/secret"
	"chiso/warehouse"
	"chiso/warehouse/warehousetest"

	_ "chiso/sync/connectors/dvcdir"
	_ "chiso/sync/connectors/vxp"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

// The provincial fixture: configs/org-directory.province.example.yaml (the
// province H99, three communes with their units, another province H98 and
// a ministry), the dossier export of cmd/chiso's provincial fixture served
// by the portal simulator, and the axis packages of axisDocs served by the
// axis simulator.
const (
	prov   = "000.00.00.H99"
	a      = "000.25.31.H99" // Yên Định
	aVP    = "001.25.31.H99"
	aTT    = "002.25.31.H99"
	b      = "000.26.31.H99" // Yên Phong
	bTT    = "001.26.31.H99"
	c      = "000.27.31.H99" // Tam Giang
	cVP    = "001.27.31.H99"
	cTT    = "002.27.31.H99"
	bo     = "000.00.00.G01" // Bộ Nội vụ, higher
	h98    = "000.00.00.H98" // UBND tỉnh Hà Nam: another province
	h98Sub = "000.01.00.H98" // a unit of it, not in the directory
)

var export = filepath.Join("..", "..", "..", "cmd", "chiso", "testdata", "province", "dvc-export")

// axisDoc is one package of the axis fixture and where it must land.
type axisDoc struct {
	id, from string
	to       []string
	number   string
	issued   string // yyyy-mm-dd
	// lands are the "unit direction" of the documents it gives: the
	// sender's outgoing one, when the sender is of the province, and an
	// incoming one for each other commune (or the province) among its
	// recipients, the first recipient of each; none for the outsider.
	lands []string
}

var axisDocs = []axisDoc{
	{id: "0000000000000000000000a1", from: a, to: []string{bo}, number: "11", issued: "2026-02-10", lands: []string{a + " out"}},
	{id: "0000000000000000000000a2", from: aVP, to: []string{bo, h98}, number: "12", issued: "2026-03-05", lands: []string{aVP + " out"}},
	{id: "0000000000000000000000a3", from: a, to: []string{b}, number: "13", issued: "2026-04-01", lands: []string{a + " out", b + " in"}}, // commune to commune: both
	{id: "0000000000000000000000b1", from: bo, to: []string{b}, number: "21", issued: "2026-03-01", lands: []string{b + " in"}},
	{id: "0000000000000000000000b2", from: bo, to: []string{bTT}, number: "22", issued: "2026-05-20", lands: []string{bTT + " in"}},
	{id: "0000000000000000000000c1", from: cVP, to: []string{bo}, number: "31", issued: "2026-01-15", lands: []string{cVP + " out"}},
	{id: "0000000000000000000000c2", from: bo, to: []string{h98Sub, cTT}, number: "32", issued: "2026-06-02", lands: []string{cTT + " in"}},      // the first recipient of the province
	{id: "0000000000000000000000c3", from: c, to: []string{prov}, number: "33", issued: "2026-04-20", lands: []string{c + " out", prov + " in"}}, // commune to the province
	{id: "0000000000000000000000f1", from: prov, to: []string{a, bTT, aVP}, number: "41", issued: "2026-03-12",
		lands: []string{prov + " out", a + " in", bTT + " in"}}, // the province to two communes: one incoming document each
	{id: "0000000000000000000000e1", from: h98, to: []string{h98Sub}, number: "91", issued: "2026-03-10"}, // another province's document
}

// writeAxis writes the packages of axisDocs (and a status package about
// the outsider's document, which names no unit of the province either)
// into dir.
func writeAxis(t *testing.T, dir string) {
	t.Helper()
	name := map[string]string{a: "UBND xã Yên Định", aVP: "Văn phòng HĐND và UBND xã Yên Định", b: "UBND xã Yên Phong",
		bTT: "Trung tâm Phục vụ hành chính công xã Yên Phong", prov: "UBND tỉnh Bắc Ninh", c: "UBND xã Tam Giang", cVP: "Văn phòng HĐND và UBND xã Tam Giang",
		cTT: "Trung tâm Phục vụ hành chính công xã Tam Giang", bo: "Bộ Nội vụ", h98: "UBND tỉnh Hà Nam", h98Sub: "Sở Nội vụ tỉnh Hà Nam"}
	cv, _ := edxmlgen.TypeByID("cong_van")
	var outsider edxmlgen.DocSpec
	for _, d := range axisDocs {
		issued, err := time.ParseInLocation(time.DateOnly, d.issued, vntime.Location)
		if err != nil {
			t.Fatal(err)
		}
		spec := edxmlgen.DocSpec{Direction: "out", Unit: d.from, IssuerCode: d.from, IssuerName: name[d.from],
			Number: d.number, Notation: "UBND-VP", Type: cv, Family: "hanh_chinh", Subject: "Văn bản " + d.number,
			IssuedOn: issued, IssuedAt: issued.Add(9 * time.Hour), Medium: "electronic", Place: "Bắc Ninh", DocID: d.id,
			Signer:      edxmlgen.Signer{Competence: "TM. UBND", Position: "Chủ tịch", FullName: "Người Ký"},
			Attachments: []edxmlgen.Attachment{{ContentID: "a1", Name: "vb.pdf", ContentType: "application/pdf", Description: "Văn bản", Size: 256}}}
		for _, to := range d.to {
			spec.Recipients = append(spec.Recipients, edxmlgen.Org{Code: to, Name: name[to]})
		}
		if len(d.lands) > 0 && strings.HasSuffix(d.lands[0], " in") {
			// The first recipient's QLVB traces the arrival the next morning.
			spec.Direction, spec.Unit, spec.ArrivedAt = "in", strings.TrimSuffix(d.lands[0], " in"), issued.Add(24*time.Hour+8*time.Hour)
		}
		if len(d.lands) == 0 {
			outsider = spec
		}
		path := filepath.Join(dir, d.id+".edxml")
		writeFile(t, path, func(f *os.File) error { return edxmlgen.WritePackage(f, spec, edxmlgen.WriteOptions{}) })
		// The axis simulator's created_time is the file's time: the
		// package went on the axis the evening it was issued.
		if err := os.Chtimes(path, issued.Add(19*time.Hour), issued.Add(19*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	st := edxmlgen.StatusSpec{DocID: "0000000000000000000000e2", Reporter: edxmlgen.Org{Code: bo, Name: name[bo]}, Code: edxmlgen.StatusAccepted,
		At: outsider.IssuedOn.Add(48 * time.Hour), Staff: "Văn thư"}
	writeFile(t, filepath.Join(dir, st.DocID+".edxml"), func(f *os.File) error { return edxmlgen.WriteStatus(f, outsider, st) })
}

func writeFile(t *testing.T, path string, write func(*os.File) error) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// provincialConfig copies configs/ into a folder, points the provincial
// example's portal and axis at endpoint and loads it (a config error fails
// the test: the example must load).
func provincialConfig(t *testing.T, endpoint string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "..", "configs")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := strings.NewReplacer("https://dichvucong.example.gov.vn/api/dvc", endpoint+"/dvc",
			"https://lgsp.example.gov.vn/vxp", endpoint+"/vxp").Replace(string(body))
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), []byte(s), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "chiso.province.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// provincialStore is a warehouse scoped to the province, with its org
// directory and procedure catalogue, as the daemon prepares it.
func provincialStore(t *testing.T, cfg *config.Config) *warehouse.Store {
	t.Helper()
	ctx := context.Background()
	st := warehousetest.New(t)
	st.SetCommune(prov, cfg.Directory.Descendants(prov))
	if err := st.SyncOrgUnits(ctx, config.OrgUnits(cfg.Directory)); err != nil {
		t.Fatal(err)
	}
	if err := st.LoadProcedures(ctx, cfg.Catalogue); err != nil {
		t.Fatal(err)
	}
	return st
}

func run(t *testing.T, st *warehouse.Store, name string, conn connector.Connector) {
	t.Helper()
	ctx := context.Background()
	r, err := st.StartRun(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(ctx, conn.Sync(ctx, r)); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func job(t *testing.T, cfg *config.Config, name string) *config.ConnectorConfig {
	t.Helper()
	for _, j := range cfg.Jobs {
		if j.Name == name {
			return j
		}
	}
	t.Fatalf("the provincial example has no connector %s", name)
	return nil
}

func rows(t *testing.T, st *warehouse.Store, q string) []string {
	t.Helper()
	var out []string
	if err := st.DB.Select(&out, q); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestProvincialPortalAndAxis(t *testing.T) {
	fx, err := dvcsim.LoadDir(export)
	if err != nil {
		t.Fatal(err)
	}
	axis := t.TempDir()
	writeAxis(t, axis)
	portal := dvcsim.New(dvcsim.Options{Username: "demo", Password: "demo-dvc-password-change-me", Data: fx})
	mailbox, err := vxpsim.New(vxpsim.Options{Systems: map[string]string{prov: "demo-vxp-secret-change-me"}, Dir: axis})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/dvc/", portal)
	mux.Handle("/vxp/", mailbox)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cfg := provincialConfig(t, srv.URL)
	st := provincialStore(t, cfg)
	run(t, st, "dvc-cong-tinh", job(t, cfg, "dvc-cong-tinh").Conn)
	run(t, st, "truc-tinh", job(t, cfg, "truc-tinh").Conn)
	// The same packages as the province's archive folder.
	arch := edxmldir.New()
	arch.Path, arch.Unit, arch.ByCode = axis, prov, true
	env := connector.Env{Name: "kho-tinh", Self: prov, Org: cfg.Directory, Location: vntime.Location}
	if err := arch.Validate(env); err != nil {
		t.Fatal(err)
	}
	run(t, st, "kho-tinh", arch)
	if n := mailbox.Count("updateStatus"); n != 0 {
		t.Errorf("the observer acknowledged %d packages", n)
	}

	// Each dossier in the unit its agency code names (MaHoSo, else DonViXuLy).
	wantDossiers := []string{
		a + " 000.25.31.H99-260302-0001", a + " HS-260305-0001", aVP + " 001.25.31.H99-260303-0001", aTT + " 002.25.31.H99-260304-0001",
		b + " 000.26.31.H99-260310-0001", bTT + " 001.26.31.H99-260311-0001",
		c + " 000.27.31.H99-260315-0001", cVP + " 001.27.31.H99-260316-0001", cTT + " 002.27.31.H99-260317-0001",
	}
	sort.Strings(wantDossiers)
	if got := rows(t, st, `SELECT unit_code || ' ' || ma_ho_so FROM dossiers ORDER BY 1`); strings.Join(got, "\n") != strings.Join(wantDossiers, "\n") {
		t.Errorf("dossiers:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantDossiers, "\n"))
	}
	// Each document in the unit its organ codes name, seen by the axis and
	// by the archive (two sightings, one document).
	var wantDocs []string
	for _, d := range axisDocs {
		for _, l := range d.lands {
			wantDocs = append(wantDocs, fmt.Sprintf("%s %s 2", l, d.number))
		}
	}
	sort.Strings(wantDocs)
	if got := rows(t, st, `SELECT d.unit_code || ' ' || d.direction || ' ' || d.code_number || ' ' ||
		  (SELECT count(*) FROM document_sightings s WHERE s.unit_code = d.unit_code AND s.direction = d.direction AND s.doc_key = d.doc_key)
		FROM documents d ORDER BY 1`); strings.Join(got, "\n") != strings.Join(wantDocs, "\n") {
		t.Errorf("documents:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantDocs, "\n"))
	}

	// Reading the same packages again (the checkpoints forgotten) changes
	// no document and no sighting: each copy keeps its key.
	const snapshot = `SELECT d.unit_code || ' ' || d.direction || ' ' || d.doc_key || ' ' || coalesce(d.counterpart_relation, '-') || ' ' ||
		  coalesce(d.event_on::text, '-') || ' ' || s.source || ' ' || s.source_key || ' ' || coalesce(s.received_at::text, '-')
		FROM documents d JOIN document_sightings s USING (unit_code, direction, doc_key) ORDER BY 1`
	before := rows(t, st, snapshot)
	if _, err := st.DB.Exec(`DELETE FROM sync_state WHERE connector IN ('truc-tinh', 'kho-tinh')`); err != nil {
		t.Fatal(err)
	}
	run(t, st, "truc-tinh", job(t, cfg, "truc-tinh").Conn)
	run(t, st, "kho-tinh", arch)
	if after := rows(t, st, snapshot); strings.Join(after, "\n") != strings.Join(before, "\n") || len(before) != 2*len(wantDocs) {
		t.Errorf("read again: %d sightings\n%s\nbefore (%d)\n%s", len(after), strings.Join(after, "\n"), len(before), strings.Join(before, "\n"))
	}
	for _, conn := range []string{"truc-tinh", "kho-tinh"} {
		var fetched int64
		if err := st.DB.Get(&fetched, `SELECT coalesce(sum(fetched), 0) FROM sync_runs WHERE connector = $1`, conn); err != nil {
			t.Fatal(err)
		}
		if fetched != 22 {
			t.Errorf("%s: the two runs read %d packages, want 2 × 11", conn, fetched)
		}
	}

	// The records of no unit of the province are rejects naming the field
	// and where the record is; nothing of them is counted anywhere.
	toPath := "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To/OrganId"
	rfPath := "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/ResponseFor/OrganId"
	want := []string{
		"dvc-cong-tinh | DonViXuLy | pull NgayCapNhat | no code of the record names a unit of the org directory (MaHoSo \"000.99.31.H99\", DonViXuLy \"UBND xã Không Có\")",
		"dvc-cong-tinh | MaHoSo | pull NgayCapNhat | agency 000.00.00.H98 (UBND tỉnh Hà Nam) is not 000.00.00.H99 or a unit under it",
		"kho-tinh | " + rfPath + " | 0000000000000000000000e2.edxml | neither the reporter (From/OrganId 000.00.00.G01 (Bộ Nội vụ, higher)) nor the issuer of the document it answers (ResponseFor/OrganId 000.00.00.H98 (UBND tỉnh Hà Nam, peer)) is 000.00.00.H99 or a unit under it",
		"kho-tinh | " + toPath + " | 0000000000000000000000e1.edxml | neither the sender (From/OrganId 000.00.00.H98 (UBND tỉnh Hà Nam, peer)) nor any recipient (To/OrganId 000.01.00.H98 (not in the org directory)) is 000.00.00.H99 or a unit under it",
		"truc-tinh | " + rfPath + " | vxp:0000000000000000000000e2 | neither the reporter",
		"truc-tinh | " + toPath + " | vxp:0000000000000000000000e1 | neither the sender (From/OrganId 000.00.00.H98",
	}
	var rejects []struct{ Connector, Field, Location, Reason string }
	if err := st.DB.Select(&rejects, `SELECT connector, coalesce(field, '') AS field, coalesce(location, '') AS location, reason FROM rejects ORDER BY connector, field`); err != nil {
		t.Fatal(err)
	}
	if len(rejects) != len(want) {
		t.Errorf("%d rejects, want %d: %+v", len(rejects), len(want), rejects)
	}
	for i := range min(len(rejects), len(want)) {
		w := strings.SplitN(want[i], " | ", 4)
		r := rejects[i]
		if r.Connector != w[0] || r.Field != w[1] || !strings.Contains(r.Location, w[2]) || !strings.Contains(r.Reason, w[3]) {
			t.Errorf("reject %d: %s | %s | %s | %s\nwant %s", i, r.Connector, r.Field, r.Location, r.Reason, want[i])
		}
	}

	// The province's figures are the sums of its communes' numerators and
	// denominators plus the province's own (where it is itself a party),
	// indicator by indicator; hand-checked figures of the fixture
	// (dossiers: see cmd/chiso's TestProvinceLeague; documents: the out
	// ones issued, and all exchanged with a higher agency — the ministry,
	// or the province for a commune — electronically: a1 a2 f1 for A, b1
	// b2 f1 for B, c1 c2 c3 for C; a3 between two communes is a peer
	// exchange, and the province's own f1 out and c3 in are with its own
	// communes).
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	kpi := kpiOf(t, st, from, to, prov, a, b, c)
	type fig struct{ num, den int64 }
	hand := map[string]map[string]fig{
		prov: {"dossier_full_online_share": {6, 9}, "result_digitized_share": {5, 7}, "documents_issued": {6, -1}, "electronic_exchange_share": {9, 9}},
		a:    {"dossier_full_online_share": {2, 4}, "result_digitized_share": {2, 3}, "documents_issued": {3, -1}, "electronic_exchange_share": {3, 3}},
		b:    {"dossier_full_online_share": {2, 2}, "result_digitized_share": {1, 2}, "documents_issued": {0, -1}, "electronic_exchange_share": {3, 3}},
		c:    {"dossier_full_online_share": {2, 3}, "result_digitized_share": {2, 2}, "documents_issued": {2, -1}, "electronic_exchange_share": {3, 3}},
	}
	for u, figs := range hand {
		for id, f := range figs {
			r, ok := kpi[u][id]
			den := int64(-1)
			if r.Denominator != nil {
				den = *r.Denominator
			}
			if !ok || r.Numerator != f.num || den != f.den {
				t.Errorf("%s %s: %d/%d, want %d/%d", u, id, r.Numerator, den, f.num, f.den)
			}
		}
	}
	if len(kpi[prov]) == 0 {
		t.Fatal("no indicator for the province")
	}
	// The province's own figures, hand-checked: f1 is its one document
	// issued, administrative (doc_reduction: D(B) − D(P) = 0 − 1, no
	// baseline document); none of its documents is exchanged with a
	// higher agency (f1 out and c3 in are with its own communes).
	own := map[string]fig{"documents_issued": {1, 0}, "doc_reduction": {-1, 0}}
	for id, p := range kpi[prov] {
		num, den, missing := own[id].num, own[id].den, int64(0)
		hasDen := false
		for _, u := range []string{a, b, c} {
			r := kpi[u][id]
			num, missing = num+r.Numerator, missing+r.Missing
			if r.Denominator != nil {
				den, hasDen = den+*r.Denominator, true
			}
		}
		if p.Numerator != num || p.Missing != missing || (p.Denominator != nil) != hasDen || (hasDen && *p.Denominator != den) {
			t.Errorf("%s: province %d/%v missing %d; the communes and the province's own sum to %d/%d missing %d", id, p.Numerator, p.Denominator, p.Missing, num, den, missing)
		}
	}

	// Each commune's document figures equal those the same packages give
	// a warehouse of its own (its own archive, its own directory: itself
	// self, the province higher, the other communes peers).
	for _, x := range []string{a, b, c} {
		ownKPI := communeWarehouse(t, cfg.Directory, x, axis)
		n := 0
		for id, r := range ownKPI {
			if !strings.HasPrefix(id, "doc") && !strings.HasPrefix(id, "electronic_exchange") {
				continue
			}
			n++
			p := kpi[x][id]
			if p.Numerator != r.Numerator || p.Missing != r.Missing || fmt.Sprint(deref(p.Denominator)) != fmt.Sprint(deref(r.Denominator)) {
				t.Errorf("%s %s: provincial warehouse %d/%v missing %d, its own warehouse %d/%v missing %d", x, id,
					p.Numerator, deref(p.Denominator), p.Missing, r.Numerator, deref(r.Denominator), r.Missing)
			}
		}
		if n < 5 {
			t.Errorf("%s: only %d document indicators in its own warehouse", x, n)
		}
		if r := ownKPI["electronic_exchange_share"]; r.Numerator != hand[x]["electronic_exchange_share"].num {
			t.Errorf("%s: own warehouse electronic_exchange_share %d/%v, hand-checked %v", x, r.Numerator, deref(r.Denominator), hand[x]["electronic_exchange_share"])
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// kpiOf reads the kpi of units between from and to, by unit and indicator.
func kpiOf(t *testing.T, st *warehouse.Store, from, to time.Time, units ...string) map[string]map[string]warehouse.KPIRow {
	t.Helper()
	kpi := map[string]map[string]warehouse.KPIRow{}
	for _, u := range units {
		rs, err := st.KPIBetween(context.Background(), from, to, u)
		if err != nil {
			t.Fatal(err)
		}
		kpi[u] = map[string]warehouse.KPIRow{}
		for _, r := range rs {
			kpi[u][r.Indicator] = r
		}
	}
	return kpi
}

// communeWarehouse is commune x's own deployment of the same packages: its
// directory derived from the province's (x self, its units internal, the
// province higher, every other unit of the province a peer, the others as
// listed), a warehouse of its own and its own archive, which holds the
// packages that name a unit of x (edxml-dir without by_code). It returns
// x's kpi for the first half of 2026.
func communeWarehouse(t *testing.T, prov *orgdir.Directory, x, axis string) map[string]warehouse.KPIRow {
	t.Helper()
	ctx := context.Background()
	var units []orgdir.Unit
	for _, u := range prov.Units {
		switch {
		case u.Code == x:
			u.Relation = orgdir.Self
		case prov.IsOurs(x, u.Code):
			u.Relation = orgdir.Internal
		case u.Relation == orgdir.Self:
			u.Relation, u.Level, u.Parent = orgdir.Higher, "", ""
		case prov.IsOurs(provCode(prov), u.Code):
			u.Relation, u.Level, u.Parent, u.MergedInto = orgdir.Peer, "", "", ""
		}
		units = append(units, u)
	}
	dir := orgdir.New(units)
	folder := t.TempDir()
	for _, d := range axisDocs {
		mine := dir.IsOurs(x, d.from)
		for _, to := range d.to {
			mine = mine || dir.IsOurs(x, to)
		}
		if !mine {
			continue
		}
		body, err := os.ReadFile(filepath.Join(axis, d.id+".edxml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(folder, d.id+".edxml"), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st := warehousetest.New(t)
	st.SetCommune(x, dir.Descendants(x))
	ous := config.OrgUnits(dir)
	for i, u := range ous { // a parent the commune's own directory does not list is left out
		if u.ParentCode != nil && !dir.Known(*u.ParentCode) {
			ous[i].ParentCode = nil
		}
	}
	if err := st.SyncOrgUnits(ctx, ous); err != nil {
		t.Fatal(err)
	}
	arch := edxmldir.New()
	arch.Path, arch.Unit = folder, x
	if err := arch.Validate(connector.Env{Name: "kho-xa", Self: x, Org: dir, Location: vntime.Location}); err != nil {
		t.Fatal(err)
	}
	run(t, st, "kho-xa", arch)
	if got := rows(t, st, `SELECT connector || ' ' || reason FROM rejects`); len(got) > 0 {
		t.Errorf("%s: rejects in its own warehouse: %q", x, got)
	}
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	return kpiOf(t, st, from, to, x)[x]
}

// provCode is the root of the provincial directory (its self unit).
func provCode(d *orgdir.Directory) string {
	for _, u := range d.Units {
		if u.Relation == orgdir.Self {
			return u.Code
		}
	}
	return ""
}

// by_code needs the org directory: every connector that has the key says
// so, in the same words, on the key's line (connector.CheckByCode).
func TestByCodeNeedsDirectory(t *testing.T) {
	for _, c := range []struct{ typ, keys string }{
		{"dvc", "endpoint: https://dvc.example/api\n    username: u\n    password: p\n    madonvi: \"" + prov + "\""},
		{"dvc-dir", "path: export"},
		{"vxp", "endpoint: https://lgsp.example/vxp\n    system_id: \"" + prov + "\"\n    secret: s"},
		{"edxml-dir", "path: archive"},
	} {
		t.Run(c.typ, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "chiso.yaml")
			body := "org: {self: \"" + prov + "\"}\nconnectors:\n  - name: tinh\n    type: " + c.typ + "\n    " + c.keys + "\n    by_code: true\n"
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			line := strings.Count(body, "\n") // by_code is the last line
			_, err := config.Load(p)
			want := fmt.Sprintf("chiso.yaml:%d: connectors[tinh].by_code: needs the org directory (org.directory) to find each record's unit", line)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v\nwant %s", err, want)
			}
		})
	}
}

// The provincial portal pushing (http.push_by_code): the same export as a
// DongBoHoSoMC batch lands in the same units, its outsiders are rejects
// naming the field, and a pushed step goes to its dossier's unit by its
// MaHoSo's agency code.
func TestProvincialPush(t *testing.T) {
	cfg := provincialConfig(t, "http://127.0.0.1:1")
	st := provincialStore(t, cfg)
	quiet := slog.New(slog.DiscardHandler)
	h := dvcconn.NewPushHandler(chisosync.NewRunner(nil, quiet).RunNow(st), secret.New("t"), prov, quiet)
	h.RouteByCode(func() *orgdir.Directory { return cfg.Directory })
	srv := httptest.NewServer(h)
	defer srv.Close()
	push := func(op, body string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/dvc/"+op, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	body, err := os.ReadFile(filepath.Join(export, "2026-03.json"))
	if err != nil {
		t.Fatal(err)
	}
	if a := push("DongBoHoSoMC", string(body)); !strings.Contains(a, "9 record(s) stored, 2 rejected") {
		t.Errorf("push answer %s", a)
	}
	steps := `[{"MaHoSo":"000.26.31.H99-260310-0001","ThoiDiemXuLy":"20260310090000","NoiDungXuLy":"Chuyển xử lý","TrangThai":"4"},
	 {"MaHoSo":"000.00.00.H98-260319-0001","ThoiDiemXuLy":"20260319090000","NoiDungXuLy":"Chuyển xử lý","TrangThai":"4"}]`
	if a := push("CapNhatTienDoHoSoMC", steps); !strings.Contains(a, "1 record(s) stored, 1 rejected") {
		t.Errorf("steps answer %s", a)
	}
	got := rows(t, st, `SELECT unit_code || ' ' || ma_ho_so FROM dossiers ORDER BY 1`)
	if len(got) != 9 || !slices.Contains(got, b+" 000.26.31.H99-260310-0001") || !slices.Contains(got, a+" HS-260305-0001") || !slices.Contains(got, cTT+" 002.27.31.H99-260317-0001") {
		t.Errorf("dossiers: %q", got)
	}
	if got := rows(t, st, `SELECT unit_code || ' ' || ma_ho_so FROM dossier_steps WHERE at = '2026-03-10 09:00:00+07'`); len(got) != 1 || got[0] != b+" 000.26.31.H99-260310-0001" {
		t.Errorf("pushed steps: %q", got)
	}
	if got := rows(t, st, `SELECT field || ' ' || left(source_key, 6) FROM rejects WHERE connector = 'dvc-push' ORDER BY 1`); strings.Join(got, ",") != "DonViXuLy MaHoSo,MaHoSo MaHoSo,MaHoSo steps:" {
		t.Errorf("push rejects: %q", got)
	}
}
