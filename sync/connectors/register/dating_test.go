package register

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chiso/adapters/edxml/edxmlgen"
	"chiso/adapters/register/registergen"
	"chiso/adapters/vntime"
	"chiso/report"
	"chiso/sync/config"
	"chiso/sync/connector"
	"chiso/sync/connectors/edxmldir"
	"chiso/warehouse"
	"chiso/warehouse/facts"
	"chiso/warehouse/warehousetest"
)

// The H1 2026 exchange of the commune with the province, by how each
// document can be dated (dating.md records the figures):
//
//	8 outgoing electronic, 1 outgoing paper (register only);
//	6 incoming electronic whose package carries the trace of its arrival;
//	10 incoming electronic without such a trace, in the incoming register;
//	3 incoming electronic without a trace, for which the commune sent a
//	  status 03 (đã tiếp nhận), in the register too;
//	1 incoming electronic without a trace, missing from the register;
//	1 incoming paper document (register only).
//
// 30 documents, 28 electronic: electronic_exchange_share of 2026-H1 is
// 28/30 however the archive's files are dated and whatever the order the
// sources are read in.
type exchangeFixture struct {
	corpus []edxmlgen.DocSpec
	rule   map[string]string // doc code → the evidence that must date it (incoming)
	on     map[string]string // doc code → the date it must get (incoming)
}

func vnDay(m time.Month, d int) time.Time {
	return time.Date(2026, m, d, 0, 0, 0, 0, vntime.Location)
}

func newExchangeFixture() exchangeFixture {
	orgs := edxmlgen.Directory(self)
	commune, province, snv := orgs[0], orgs[5], orgs[6]
	cv, _ := edxmlgen.TypeByID("cong_van")
	bc, _ := edxmlgen.TypeByID("bao_cao")
	f := exchangeFixture{rule: map[string]string{}, on: map[string]string{}}
	signer := edxmlgen.Signer{Competence: "TM. UBND", Position: "Chủ tịch", FullName: "Nguyễn Văn An"}
	n := 0
	docID := func() string { n++; return fmt.Sprintf("%024x", 0xd47e0000+n) }
	// Outgoing reports to the province, one every two weeks from 5 January.
	for i := range 9 {
		issued := vnDay(1, 5).AddDate(0, 0, 14*i)
		d := edxmlgen.DocSpec{Direction: "out", Unit: self, IssuerCode: self, IssuerName: commune.Name,
			Recipients: []edxmlgen.Org{province}, Number: fmt.Sprint(10 + i), Notation: "BC-UBND", Type: bc, Family: "hanh_chinh",
			Subject: fmt.Sprintf("Báo cáo tình hình kỳ %d", i+1), IssuedOn: issued, IssuedAt: issued.Add(16 * time.Hour),
			Medium: "electronic", Signer: signer, Place: "Yên Định", Pages: 2, DocID: docID(), ReceivedOn: time.Time{}}
		if i == 8 {
			d.Medium = "paper"
		}
		f.corpus = append(f.corpus, d)
	}
	// Incoming letters from the province and the Sở Nội vụ, one every five
	// days from 6 January; registered two days after their issue.
	in := func(i int, medium string, from edxmlgen.Org) *edxmlgen.DocSpec {
		issued := vnDay(1, 6).AddDate(0, 0, 5*i)
		d := edxmlgen.DocSpec{Direction: "in", Unit: self, IssuerCode: from.Code, IssuerName: from.Name,
			Recipients: []edxmlgen.Org{commune}, Number: fmt.Sprint(200 + i), Notation: from.Abbr + "-VP", Type: cv, Family: "hanh_chinh",
			Subject: fmt.Sprintf("Về việc triển khai nhiệm vụ %d", i+1), IssuedOn: issued, IssuedAt: issued.Add(10 * time.Hour),
			ReceivedOn: issued.AddDate(0, 0, 2), Medium: medium, Signer: signer, Place: "Bắc Ninh", Pages: 1, DocID: docID()}
		f.corpus = append(f.corpus, d)
		return &f.corpus[len(f.corpus)-1]
	}
	i := 0
	for range 6 { // the trace of the arrival, the morning after the issue
		d := in(i, "electronic", province)
		d.ArrivedAt = d.IssuedOn.AddDate(0, 0, 1).Add(8 * time.Hour)
		f.rule[d.Code()], f.on[d.Code()] = facts.ReceivedByTrace, d.ArrivedAt.Format(time.DateOnly)
		i++
	}
	for range 10 { // no trace: the register's Ngày đến
		d := in(i, "electronic", snv)
		f.rule[d.Code()], f.on[d.Code()] = facts.ReceivedByRegister, d.ReceivedOn.Format(time.DateOnly)
		i++
	}
	for range 3 { // no trace; the commune's status 03, the day after the issue
		d := in(i, "electronic", province)
		at := d.IssuedOn.AddDate(0, 0, 1).Add(14 * time.Hour)
		d.Statuses = []edxmlgen.StatusSpec{{DocID: docID(), Reporter: commune, Code: edxmlgen.StatusAccepted, At: at, Staff: "Văn thư xã"}}
		f.rule[d.Code()], f.on[d.Code()] = facts.ReceivedByStatus, at.Format(time.DateOnly)
		i++
	}
	{ // no trace, not in the register: its date of issue
		d := in(i, "electronic", snv)
		d.ReceivedOn = time.Time{}
		f.rule[d.Code()], f.on[d.Code()] = facts.ReceivedByIssueDate, d.IssuedOn.Format(time.DateOnly)
		i++
	}
	{ // paper: the register only
		d := in(i, "paper", province)
		f.rule[d.Code()], f.on[d.Code()] = facts.ReceivedByRegister, d.ReceivedOn.Format(time.DateOnly)
	}
	return f
}

// write puts the archive and the two registers under base. With copied
// set, every archive file gets the mtime of a copy made on 1 December
// 2026; otherwise the time its package was written.
func (f exchangeFixture) write(t *testing.T, base string, copied bool) {
	t.Helper()
	archive := filepath.Join(base, "archive")
	if _, err := edxmlgen.WriteArchive(archive, f.corpus, edxmlgen.WriteOptions{MaxAttachment: 256}); err != nil {
		t.Fatal(err)
	}
	copyTime := time.Date(2026, 12, 1, 9, 30, 0, 0, vntime.Location)
	when := map[string]time.Time{}
	for _, d := range f.corpus {
		when[d.DocID] = d.IssuedAt
		for _, st := range d.Statuses {
			when[st.DocID] = st.At
		}
	}
	err := filepath.Walk(archive, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		at := when[strings.TrimSuffix(filepath.Base(p), ".edxml")]
		if copied || at.IsZero() {
			at = copyTime
		}
		return os.Chtimes(p, at, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	var out, in []edxmlgen.DocSpec
	for _, d := range f.corpus {
		switch {
		case d.Direction == "out":
			out = append(out, d)
		case !d.ReceivedOn.IsZero():
			in = append(in, d)
		}
	}
	if err := registergen.WriteFile(filepath.Join(base, "so-di.csv"), self, 2026, registergen.Out, out, registergen.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := registergen.WriteFile(filepath.Join(base, "so-den.csv"), self, 2026, registergen.In, in, registergen.Options{}); err != nil {
		t.Fatal(err)
	}
}

// syncSources reads the fixture's sources into st in the given order
// ("archive", "registers").
func syncSources(t *testing.T, st *warehouse.Store, base string, order ...string) {
	t.Helper()
	ctx := context.Background()
	org := generatedDirectory()
	for _, src := range order {
		var conns []connector.Connector
		var names []string
		switch src {
		case "archive":
			c := edxmldir.New()
			c.Path = filepath.Join(base, "archive")
			conns, names = append(conns, c), append(names, "qlvb-archive")
		case "registers":
			conns = append(conns, &Connector{Path: filepath.Join(base, "so-di.csv"), Direction: "out"},
				&Connector{Path: filepath.Join(base, "so-den.csv"), Direction: "in"})
			names = append(names, "so-di", "so-den")
		}
		for k, c := range conns {
			e := env(names[k], base)
			e.Org = org
			if err := c.Validate(e); err != nil {
				t.Fatalf("%s: %v", names[k], err)
			}
			if s, ok := c.(connector.EnvSetter); ok {
				s.SetEnv(e)
			}
			run, err := st.StartRun(ctx, names[k])
			if err != nil {
				t.Fatal(err)
			}
			if err := run.Finish(ctx, c.Sync(ctx, run)); err != nil {
				t.Fatalf("%s: %v", names[k], err)
			}
			if run.TotalRejected != 0 {
				t.Fatalf("%s: %d rejects", names[k], run.TotalRejected)
			}
		}
	}
}

// kpiText is every indicator of the commune for the spans of a report
// that concern documents.
func kpiText(t *testing.T, st *warehouse.Store) string {
	t.Helper()
	var b strings.Builder
	for _, span := range [][2]time.Time{{vnDay(1, 1), vnDay(6, 30)}, {vnDay(1, 1), vnDay(3, 31)}, {vnDay(4, 1), vnDay(6, 30)},
		{vnDay(1, 1), vnDay(12, 31)}, {vnDay(1, 1), vnDay(11, 30)}, {vnDay(12, 1), vnDay(12, 31)}} {
		from := time.Date(span[0].Year(), span[0].Month(), span[0].Day(), 0, 0, 0, 0, time.UTC)
		to := time.Date(span[1].Year(), span[1].Month(), span[1].Day(), 0, 0, 0, 0, time.UTC)
		rows, err := st.KPIBetween(context.Background(), from, to, self)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if !strings.Contains(r.Indicator, "exchange") && !strings.HasPrefix(r.Indicator, "doc") {
				continue
			}
			den := "-"
			if r.Denominator != nil {
				den = fmt.Sprint(*r.Denominator)
			}
			fmt.Fprintf(&b, "%s..%s %s %d/%s missing %d\n", from.Format(time.DateOnly), to.Format(time.DateOnly), r.Indicator, r.Numerator, den, r.Missing)
		}
	}
	return b.String()
}

func exchangeShare(t *testing.T, st *warehouse.Store, from, to time.Time) string {
	t.Helper()
	rows, err := st.KPIBetween(context.Background(), from, to, self)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Indicator == "electronic_exchange_share" && r.Denominator != nil {
			return fmt.Sprintf("%d/%d", r.Numerator, *r.Denominator)
		}
	}
	return "none"
}

// A copied archive (every file's mtime the time of the copy) gives the same
// numbers as the original, in either order of reading the archive and the
// registers: the electronic-exchange share of 2026-H1 is 28/30 each time.
func TestCopiedArchiveSameNumbers(t *testing.T) {
	f := newExchangeFixture()
	h1From, h1To := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	var want string
	for _, tc := range []struct {
		name   string
		copied bool
		order  []string
	}{
		{"original, archive first", false, []string{"archive", "registers"}},
		{"original, registers first", false, []string{"registers", "archive"}},
		{"copy, archive first", true, []string{"archive", "registers"}},
		{"copy, registers first", true, []string{"registers", "archive"}},
		{"copy, archive read again after the registers", true, []string{"archive", "registers", "archive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := warehousetest.New(t)
			base := t.TempDir()
			f.write(t, base, tc.copied)
			syncSources(t, st, base, tc.order...)
			share := exchangeShare(t, st, h1From, h1To)
			t.Logf("electronic_exchange_share 2026-H1 = %s", share)
			if share != "28/30" {
				t.Errorf("electronic_exchange_share 2026-H1 = %s, want 28/30", share)
			}
			got := kpiText(t, st)
			if want == "" {
				want = got
			} else if got != want {
				t.Errorf("indicators differ from the original archive read first:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// Each incoming document of the fixture is dated by its own rule (trace,
// status, register, issue date), in a copied archive read before or after
// the registers; explain says which.
func TestEachDatingRule(t *testing.T) {
	f := newExchangeFixture()
	for _, order := range [][]string{{"archive", "registers"}, {"registers", "archive"}} {
		t.Run(strings.Join(order, " then "), func(t *testing.T) {
			st := warehousetest.New(t)
			base := t.TempDir()
			f.write(t, base, true)
			syncSources(t, st, base, order...)
			var rows []struct {
				Code string  `db:"code"`
				On   string  `db:"event_on"`
				By   *string `db:"received_by"`
			}
			if err := st.DB.Select(&rows, `SELECT code_number || '/' || code_notation AS code, to_char(event_on, 'YYYY-MM-DD') AS event_on, received_by
				FROM documents WHERE direction = 'in' ORDER BY 1`); err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(f.rule) {
				t.Errorf("%d incoming documents, want %d", len(rows), len(f.rule))
			}
			rules := map[string]int{}
			for _, r := range rows {
				by := "<nil>"
				if r.By != nil {
					by = *r.By
				}
				rules[by]++
				if by != f.rule[r.Code] || r.On != f.on[r.Code] {
					t.Errorf("%s: received %s by %s, want %s by %s", r.Code, r.On, by, f.on[r.Code], f.rule[r.Code])
				}
			}
			t.Logf("incoming documents by evidence: %v", rules)
			recs, _, err := st.Explain(context.Background(), "electronic_exchange_in_share", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), self, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			explained := map[string]int{}
			for _, r := range recs {
				if r.DatedBy != nil {
					explained[*r.DatedBy]++
				}
			}
			if fmt.Sprint(explained) != fmt.Sprint(rules) {
				t.Errorf("explain dated_by %v, want %v", explained, rules)
			}
			// chiso explain prints it.
			if err := st.SyncOrgUnits(context.Background(), config.OrgUnits(generatedDirectory())); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := report.Explain(context.Background(), st, report.ExplainOptions{Indicator: "electronic_exchange_in_share",
				Period: "2026-H1", Unit: self, Format: "csv", PageSize: 100}, &b); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			if !strings.HasSuffix(lines[0], ",dated_by") || len(lines) != len(rows)+1 {
				t.Errorf("explain csv: %d lines, header %q", len(lines), lines[0])
			}
			printed := map[string]int{}
			for _, l := range lines[1:] {
				printed[l[strings.LastIndexByte(l, ',')+1:]]++
			}
			if fmt.Sprint(printed) != fmt.Sprint(rules) {
				t.Errorf("explain csv dated_by %v, want %v", printed, rules)
			}
		})
	}
}
