package register

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"chiso/adapters/vntime"
	"chiso/mapping/documents"

	"chiso/mapping/orgdir"
	"chiso/sync/connector"
	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

func TestMain(m *testing.M) { os.Exit(warehousetest.Main(m)) }

const self = "000.25.31.H99"

var dir = orgdir.New([]orgdir.Unit{
	{Code: self, Name: "UBND xã Yên Định", Relation: "self"},
	{Code: "002.25.31.H99", Name: "Phòng Kinh tế", Parent: self, Relation: "internal"},
	{Code: "000.00.00.H99", Name: "UBND tỉnh Bắc Ninh", Relation: "higher", Aliases: []string{"UBND tỉnh"}},
	{Code: "000.00.05.H99", Name: "Sở Nội vụ", Relation: "higher", Aliases: []string{"Sở Nội vụ tỉnh Bắc Ninh"}},
	{Code: "000.26.31.H99", Name: "UBND xã Yên Phong", Relation: "peer"},
})

func env(name, base string) connector.Env {
	return connector.Env{Name: name, BaseDir: base, Self: self, Org: dir, Location: vntime.Location}
}

// newConn validates a connector like the config loader does.
func newConn(t *testing.T, name, base string, c *Connector) *Connector {
	t.Helper()
	e := env(name, base)
	if err := c.Validate(e); err != nil {
		t.Fatalf("validate: %v", err)
	}
	c.SetEnv(e)
	return c
}

// runSync runs one sync like the scheduler does and returns the run.
func runSync(t *testing.T, st *warehouse.Store, c *Connector) *warehouse.Run {
	t.Helper()
	ctx := context.Background()
	run, err := st.StartRun(ctx, c.env.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(ctx, c.Sync(ctx, run)); err != nil {
		t.Fatalf("sync: %v", err)
	}
	return run
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

type docRow struct {
	DocKey   string  `db:"doc_key"`
	Code     string  `db:"code"`
	Medium   string  `db:"medium"`
	Secret   bool    `db:"is_secret"`
	Series   string  `db:"series"`
	DocType  string  `db:"doc_type"`
	Family   string  `db:"family"`
	Relation *string `db:"counterpart_relation"`
	Subject  *string `db:"subject"`
	Event    string  `db:"event_on"`
}

func docs(t *testing.T, st *warehouse.Store, direction string) map[string]docRow {
	t.Helper()
	var rows []docRow
	if err := st.DB.Select(&rows, `SELECT doc_key, code_number || COALESCE('/' || code_notation, '') AS code, medium, is_secret, series,
		doc_type, family, counterpart_relation, subject, to_char(event_on, 'YYYY-MM-DD') AS event_on
		FROM documents WHERE direction = $1`, direction); err != nil {
		t.Fatal(err)
	}
	out := map[string]docRow{}
	for _, r := range rows {
		key := r.Code
		if r.Series == "secret" {
			key = "secret:" + key
		}
		out[key] = r
	}
	return out
}

const outCSV = "\ufeffSTT;Số, ký hiệu văn bản;Ngày tháng văn bản;Tên loại và trích yếu nội dung văn bản;Nơi nhận văn bản;Văn bản điện tử\n" +
	"1;125/BC-UBND;20/11/2025;Báo cáo kết quả tháng 11;\"UBND tỉnh; Sở Nội vụ\";x\n" +
	"2;126/UBND-VP;03/12/2025;V/v chuyển đổi số;Phòng Kinh tế;\n" +
	"3;20/2025/QĐ-UBND;05/12/2025;Quyết định ban hành quy chế;Hội Nông dân xã;\n" +
	"4;127/TB-UBND;31/02/2025;Thông báo ngày sai;UBND xã Yên Phong;x\n" +
	"5;128/KH-UBND;10/12/2025;Kế hoạch năm 2026;\"Hội Nông dân xã\nĐoàn Thanh niên\";x\n"

func TestSyncLoadsRowsRejectsAndSkipsUnchanged(t *testing.T) {
	st := warehousetest.New(t)
	base := t.TempDir()
	write(t, filepath.Join(base, "so-di", "2025.csv"), outCSV)
	write(t, filepath.Join(base, "so-di", "ghi-chu.txt"), "not a register")
	c := newConn(t, "so-di", base, &Connector{Path: "so-di", Direction: "out"})

	run := runSync(t, st, c)
	if run.TotalFetched != 5 || run.TotalRejected != 1 {
		t.Errorf("fetched %d rejected %d, want 5 and 1", run.TotalFetched, run.TotalRejected)
	}
	got := docs(t, st, "out")
	if len(got) != 4 {
		t.Fatalf("documents: %v", got)
	}
	check := func(code, medium, docType, family, relation string) {
		t.Helper()
		d, ok := got[code]
		if !ok {
			t.Errorf("%s missing", code)
			return
		}
		rel := ""
		if d.Relation != nil {
			rel = *d.Relation
		}
		if d.Medium != medium || d.DocType != docType || d.Family != family || rel != relation {
			t.Errorf("%s = %s %s %s %s, want %s %s %s %s", code, d.Medium, d.DocType, d.Family, rel, medium, docType, family, relation)
		}
	}
	check("125/BC-UBND", "electronic", "bao_cao", "hanh_chinh", "higher")
	check("126/UBND-VP", "paper", "cong_van", "hanh_chinh", "internal")
	check("20/2025/QĐ-UBND", "paper", "quyet_dinh", "qppl", "external")
	check("128/KH-UBND", "electronic", "ke_hoach", "hanh_chinh", "external")

	var status, reason, key string
	if err := st.DB.QueryRow(`SELECT r.status, j.reason, j.source_key FROM sync_runs r JOIN rejects j ON j.run_id = r.id WHERE r.id = $1`, run.RunID()).
		Scan(&status, &reason, &key); err != nil {
		t.Fatal(err)
	}
	if status != "partial" || key != "2025.csv#5" || !strings.Contains(reason, `2025.csv: row 5: column "Ngày tháng văn bản" (issued_on): impossible date "31/02/2025"`) {
		t.Errorf("run %s, reject %s: %s", status, key, reason)
	}

	names, err := st.UnresolvedNames(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, n := range names {
		list = append(list, n.Role+":"+n.Name+":"+itoa(n.Rows))
	}
	if strings.Join(list, ",") != "recipient:Hội Nông dân xã:2,recipient:Đoàn Thanh niên:1" {
		t.Errorf("unresolved names: %v", list)
	}

	// Same bytes again: the file is skipped.
	again := runSync(t, st, c)
	if again.TotalFetched != 0 {
		t.Errorf("unchanged file read again: fetched %d", again.TotalFetched)
	}
	// Touched but unchanged: still skipped.
	now := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(base, "so-di", "2025.csv"), now, now); err != nil {
		t.Fatal(err)
	}
	if r := runSync(t, st, c); r.TotalFetched != 0 {
		t.Errorf("touched file read again: fetched %d", r.TotalFetched)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestChangedRowUpdatesRemovedRowReported(t *testing.T) {
	st := warehousetest.New(t)
	base := t.TempDir()
	path := filepath.Join(base, "so-di.csv")
	write(t, path, outCSV)
	c := newConn(t, "so-di", base, &Connector{Path: "so-di.csv", Direction: "out"})
	runSync(t, st, c)

	// The next export: 126 now electronic with a new subject, 128 gone.
	next := strings.Replace(outCSV, "V/v chuyển đổi số;Phòng Kinh tế;", "V/v chuyển đổi số (sửa);Phòng Kinh tế;x", 1)
	next = next[:strings.Index(next, "5;128/KH-UBND")]
	write(t, path, next)
	run := runSync(t, st, c)
	if run.TotalFetched != 4 {
		t.Errorf("fetched %d, want 4", run.TotalFetched)
	}
	got := docs(t, st, "out")
	if d := got["126/UBND-VP"]; d.Medium != "electronic" || d.Subject == nil || *d.Subject != "V/v chuyển đổi số (sửa)" {
		t.Errorf("changed row not applied: %+v", d)
	}
	if _, ok := got["128/KH-UBND"]; !ok {
		t.Error("the document of a removed row was deleted")
	}
	removed, err := st.RemovedRegisterRows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0].Code != "128/KH-UBND" || removed[0].File != "so-di.csv" || removed[0].Line != 6 ||
		removed[0].RemovedRun == nil || *removed[0].RemovedRun != run.RunID() {
		t.Errorf("removed rows: %+v", removed)
	}
	var changed int
	if err := st.DB.Get(&changed, `SELECT count(*) FROM register_rows WHERE changed_run = $1`, run.RunID()); err != nil || changed != 1 {
		t.Errorf("changed rows = %d, %v; want 1", changed, err)
	}

	// The row comes back in a later export: no longer reported.
	write(t, path, outCSV+"6;129/BC-UBND;11/12/2025;Báo cáo bổ sung;UBND tỉnh;x\n")
	runSync(t, st, c)
	if removed, _ := st.RemovedRegisterRows(context.Background()); len(removed) != 0 {
		t.Errorf("row back but still reported removed: %+v", removed)
	}
}

const inCSV = "Ngày đến,Số đến,Tác giả,\"Số, ký hiệu\",Ngày tháng,Tên loại và trích yếu nội dung,Độ mật,Hình thức\n" +
	"05/01/2026,1,UBND tỉnh Bắc Ninh,15/KH-UBND,02/01/2026,Kế hoạch cải cách hành chính,,Điện tử\n" +
	"06/01/2026,2,000.00.05.H99,88/SNV-CCVC,05/01/2026,V/v báo cáo cán bộ,,giấy\n" +
	"07/01/2026,3,Sở Nội vụ tỉnh Bắc Ninh,89/SNV-CCVC,06/01/2026,V/v mật,Mật,giấy\n" +
	"08/01/2026,4,,90/SNV-CCVC,06/01/2026,Không có tác giả,,giấy\n"

// The same documents arrive through the archive (electronic) and the
// register (which says paper): in either order the warehouse holds each
// once, electronic, with both sightings.
func TestArchiveAndRegisterMergeInBothOrders(t *testing.T) {
	ctx := context.Background()
	for _, order := range []string{"archive-first", "register-first"} {
		t.Run(order, func(t *testing.T) {
			st := warehousetest.New(t)
			base := t.TempDir()
			write(t, filepath.Join(base, "den.csv"), inCSV)
			c := newConn(t, "so-den", base, &Connector{Path: "den.csv", Direction: "in"})
			archive := func() {
				run, err := st.StartRun(ctx, "qlvb-archive")
				if err != nil {
					t.Fatal(err)
				}
				// What the archive connector writes for 88/SNV-CCVC: the
				// edXML package's issuer, date and code give the same key.
				issued := time.Date(2026, 1, 5, 0, 0, 0, 0, vntime.Location)
				d := facts.Document{UnitCode: self, Direction: "in", DocKey: documents.DocKey("000.00.05.H99", "2026", documents.SeriesRegular, "88", "SNV-CCVC"),
					DocumentID: "000.00.05.H99,2026/01/05,88/SNV-CCVC", IssuerCode: "000.00.05.H99", CodeNumber: "88",
					CodeNotation: "SNV-CCVC", DocType: "cong_van", Family: "hanh_chinh", Medium: "electronic",
					IssuedOn: &issued, EventOn: &issued, Counterparts: []string{"000.00.05.H99"}, CounterpartRelation: "higher",
					Subject: "V/v báo cáo số lượng cán bộ"}
				err = run.UpsertDocument(ctx, d, facts.Sighting{Source: "edxml-dir:qlvb-archive", SourceKey: "2026/1/abc.edxml", Medium: "electronic"})
				if err := run.Finish(ctx, err); err != nil {
					t.Fatal(err)
				}
			}
			if order == "archive-first" {
				archive()
				runSync(t, st, c)
			} else {
				runSync(t, st, c)
				archive()
			}
			got := docs(t, st, "in")
			if len(got) != 3 {
				t.Fatalf("want 3 documents (the row without issuer rejected), got %v", got)
			}
			if d := got["88/SNV-CCVC"]; d.Medium != "electronic" || d.Event != "2026-01-06" && order == "archive-first" {
				t.Errorf("88/SNV-CCVC: %+v", d)
			}
			if d := got["89/SNV-CCVC"]; !d.Secret || d.Subject != nil || d.Medium != "paper" {
				t.Errorf("secret row: %+v", d)
			}
			var sightings int
			if err := st.DB.Get(&sightings, `SELECT count(*) FROM document_sightings WHERE doc_key = $1`, got["88/SNV-CCVC"].DocKey); err != nil || sightings != 2 {
				t.Errorf("sightings of 88/SNV-CCVC = %d, %v; want 2", sightings, err)
			}
			var reason string
			if err := st.DB.Get(&reason, `SELECT reason FROM rejects WHERE source_key = 'den.csv#5'`); err != nil ||
				!strings.Contains(reason, `column "Tác giả" (issuer): empty`) {
				t.Errorf("reject of the row without issuer: %q, %v", reason, err)
			}
		})
	}
}

// The secret register numbers its documents in their own series: its
// 1/UBND-VP is not the ordinary register's 1/UBND-VP.
func TestSecretRegisterOwnSeries(t *testing.T) {
	st := warehousetest.New(t)
	base := t.TempDir()
	row := "Số/Ký hiệu;Ngày ban hành;Trích yếu;Nơi nhận\n1/UBND-VP;02/03/2026;V/v công tác quân sự địa phương;UBND tỉnh\n"
	write(t, filepath.Join(base, "thuong.csv"), row)
	write(t, filepath.Join(base, "mat.csv"), row)
	runSync(t, st, newConn(t, "so-di", base, &Connector{Path: "thuong.csv", Direction: "out"}))
	runSync(t, st, newConn(t, "so-mat", base, &Connector{Path: "mat.csv", Direction: "out", SecretRegister: true}))
	got := docs(t, st, "out")
	if len(got) != 2 {
		t.Fatalf("want 2 documents, got %v", got)
	}
	s := got["secret:1/UBND-VP"]
	if !s.Secret || s.Subject != nil || s.Series != "secret" {
		t.Errorf("secret register row: %+v", s)
	}
	if o := got["1/UBND-VP"]; o.Secret || o.Subject == nil {
		t.Errorf("ordinary row: %+v", o)
	}
}

func TestBadFileRejectedOthersLoad(t *testing.T) {
	st := warehousetest.New(t)
	base := t.TempDir()
	write(t, filepath.Join(base, "a.csv"), "Tên;Tuổi\nAn;30\n")
	write(t, filepath.Join(base, "b.csv"), outCSV)
	write(t, filepath.Join(base, "c.xlsx"), "PK\x03\x04 broken")
	c := newConn(t, "so-di", base, &Connector{Path: ".", Direction: "out"})
	run := runSync(t, st, c)
	var reasons []string
	if err := st.DB.Select(&reasons, `SELECT source_key || ': ' || reason FROM rejects ORDER BY source_key`); err != nil {
		t.Fatal(err)
	}
	if len(reasons) != 3 || !strings.Contains(reasons[0], "a.csv: register: ") || !strings.Contains(reasons[0], "no header row") ||
		!strings.HasPrefix(reasons[1], "b.csv#5") || !strings.Contains(reasons[2], "c.xlsx: open workbook") {
		t.Errorf("rejects: %q", reasons)
	}
	if len(docs(t, st, "out")) != 4 || run.TotalRejected != 3 {
		t.Errorf("documents %d rejected %d", len(docs(t, st, "out")), run.TotalRejected)
	}
	if err := c.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "a.csv") {
		t.Errorf("Check = %v, want the bad files named", err)
	}
}

func TestXLSXRegister(t *testing.T) {
	st := warehousetest.New(t)
	base := t.TempDir()
	path := filepath.Join(base, "so-den.xlsx")
	writeXLSX(t, path, "Sổ đến", [][]any{
		{"SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"},
		{"Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng", "Tên loại và trích yếu nội dung", "Hình thức"},
		{time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), 1, "UBND tỉnh", "15/KH-UBND", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "Kế hoạch", "điện tử"},
		{46029.0, 2, "UBND xã Yên Phong", "3/UBND", "06/01/2026", "V/v phối hợp", "giấy"},
	})
	c := newConn(t, "so-den", base, &Connector{Path: "so-den.xlsx", Direction: "in", Sheet: "Sổ đến"})
	run := runSync(t, st, c)
	got := docs(t, st, "in")
	if run.TotalFetched != 2 || len(got) != 2 || got["15/KH-UBND"].Event != "2026-01-05" || got["3/UBND"].Event != "2026-01-07" {
		t.Errorf("fetched %d, documents %+v", run.TotalFetched, got)
	}
	var key string
	if err := st.DB.Get(&key, `SELECT source_key FROM document_sightings WHERE doc_key = $1`, got["3/UBND"].DocKey); err != nil || key != "so-den.xlsx#Sổ đến!4" {
		t.Errorf("sighting key %q, %v", key, err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		c    Connector
		want []string // keys with errors
	}{
		{"ok", Connector{Path: "so-di", Direction: "out"}, nil},
		{"ok internal unit", Connector{Path: "so.xlsx", Direction: "in", Unit: "002.25.31.H99", Year: 2026}, nil},
		{"missing", Connector{}, []string{"direction", "path"}},
		{"bad direction and unit", Connector{Path: "a.csv", Direction: "both", Unit: "000.00.00.H99"}, []string{"direction", "unit"}},
		{"bad file type", Connector{Path: "so.ods", Direction: "out"}, []string{"path"}},
		{"columns and year", Connector{Path: "a.csv", Direction: "out", Year: 26,
			Columns: map[string][]string{"so_ky_hieu": {"Số"}, "code": {}, "issued_on": {" "}}}, []string{"columns.code", "columns.issued_on", "columns.so_ky_hieu", "year"}},
	}
	for _, c := range cases {
		err := c.c.Validate(env("x", t.TempDir()))
		var keys []string
		if err != nil {
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				keys = append(keys, e.(*connector.FieldError).Key)
			}
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: errors on %v (%v), want %v", c.name, keys, err, c.want)
		}
	}
}

func TestRegistered(t *testing.T) {
	c, ok := connector.New(Type)
	if !ok {
		t.Fatal("register-file not registered")
	}
	if _, ok := c.(connector.EnvSetter); !ok {
		t.Error("connector does not keep its Env")
	}
}

// writeXLSX writes one sheet; time.Time values become date-typed cells.
func writeXLSX(t *testing.T, path, sheet string, rows [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
			if _, ok := v.(time.Time); ok {
				_ = f.SetCellStyle(sheet, cell, cell, style)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// A backfill window (chiso sync --from --to) reads every file again, keeps
// only the rows whose date falls in the window, and moves no checkpoint.
func TestBackfillWindow(t *testing.T) {
	st := warehousetest.New(t)
	base := t.TempDir()
	write(t, filepath.Join(base, "so-di.csv"), outCSV)
	c := newConn(t, "so-di", base, &Connector{Path: "so-di.csv", Direction: "out"})
	e := c.env
	e.Window = &connector.Window{From: time.Date(2025, 12, 1, 0, 0, 0, 0, vntime.Location), To: time.Date(2025, 12, 5, 0, 0, 0, 0, vntime.Location)}
	c.SetEnv(e)
	runSync(t, st, c)
	got := docs(t, st, "out")
	if len(got) != 2 || got["126/UBND-VP"].DocKey == "" || got["20/2025/QĐ-UBND"].DocKey == "" {
		t.Errorf("window 1–5 Dec 2025 loaded %v", got)
	}
	if cps, err := st.Checkpoints(context.Background(), "so-di", ""); err != nil || len(cps) != 0 {
		t.Errorf("backfill moved checkpoints: %v %v", cps, err)
	}
	// The normal run afterwards reads the whole file.
	e.Window = nil
	c.SetEnv(e)
	runSync(t, st, c)
	if got := docs(t, st, "out"); len(got) != 4 {
		t.Errorf("after a normal run: %d documents, want 4", len(got))
	}
}
