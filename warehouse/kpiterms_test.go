package warehouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"chiso/warehouse"
	"chiso/warehouse/warehousetest"
)

// kpiTermsFacts covers every combination the classification looks at,
// over two units of the commune and two years: documents of each
// direction, family, secrecy, medium and counterpart, with and without
// dates; meetings held or not, online or not, with and without materials,
// durations and a cap; dossiers of each channel, status and procedure,
// with and without a due date, finished on time, late or not at all, and
// some with supplement pauses.
const kpiTermsFacts = `
INSERT INTO procedures (ma_tthc, name, level, requires_result, max_days) VALUES
 ('1.001', 'Toàn trình', 'toan_trinh', true, 5),
 ('1.002', 'Một phần', 'mot_phan', true, 10),
 ('1.003', 'Không có kết quả', 'toan_trinh', false, NULL);
INSERT INTO documents (unit_code, direction, doc_key, family, is_secret, series, medium, issued_on, event_on, counterpart_relation, doc_type)
SELECT u, dir, 'g' || row_number() OVER (), fam, sec, ser, med, day, CASE WHEN ev THEN day + 2 END, rel, 'cong_van'
FROM unnest(ARRAY['000.25.31.H99', '001.25.31.H99']) u, unnest(ARRAY['out', 'in']) dir,
     unnest(ARRAY['hanh_chinh', 'qppl', 'unknown']) fam, unnest(ARRAY[false, true]) sec,
     unnest(ARRAY['regular', 'secret']) ser, unnest(ARRAY['electronic', 'paper']) med,
     unnest(ARRAY['higher', 'lower', NULL]) rel,
     unnest(ARRAY[DATE '2025-03-10', DATE '2026-03-10', DATE '2026-08-20', NULL]) day, unnest(ARRAY[true, false]) ev;
INSERT INTO meetings (unit_code, source, uid, title, kind, scope, organized_by_self, starts_at, ends_at, sessions,
                      online, paperless, materials_sent_at, discussion_minutes, total_minutes, cancelled, deleted_run, deleted_at)
SELECT CASE WHEN i % 2 = 0 THEN '000.25.31.H99' ELSE '001.25.31.H99' END, 'cal', 'm' || i, 'Họp',
       (ARRAY['giao-ban', 'quan-triet', 'khong-ro'])[1 + i % 3], CASE WHEN i % 5 = 0 THEN 'toan-xa' END,
       i % 7 <> 0, s, s + interval '3 hours', 1 + i % 4, i % 3 = 0, i % 11 = 0,
       (ARRAY[NULL, s - interval '48 hours', s - interval '2 hours'])[1 + i % 13 % 3],
       (ARRAY[NULL, 150, 60])[1 + i % 17 % 3], (ARRAY[180, 180, 0])[1 + i % 19 % 3],
       i % 23 = 0, CASE WHEN i % 29 = 0 THEN 5 END, CASE WHEN i % 29 = 0 THEN now() END
FROM generate_series(1, 600) i,
     LATERAL (SELECT (ARRAY[TIMESTAMPTZ '2025-04-10 08:00+07', '2026-04-10 08:00+07', '2026-06-30 23:30+07',
                            '2026-09-01 08:00+07'])[1 + i % 31 % 4] AS s) x;
INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, procedure_level, channel, status, received_at, due_at, finished_at,
                      result_method, input_digitized, result_electronic, reused_data, supplements)
SELECT CASE WHEN i % 2 = 0 THEN '000.25.31.H99' ELSE '001.25.31.H99' END, 'h' || i,
       (ARRAY['1.001', '1.002', '1.003', '9.999'])[1 + i % 4], (ARRAY[NULL, NULL, 'toan_trinh', 'mot_phan'])[1 + i % 7 % 4],
       (ARRAY['online', 'direct', 'postal', NULL])[1 + i % 5 % 4], (ARRAY[4, 3, 7, 9, 10, 10])[1 + i % 11 % 6],
       r, CASE WHEN i % 3 <> 0 THEN r + interval '7 days' END,
       CASE i % 13 % 3 WHEN 0 THEN NULL WHEN 1 THEN r + interval '2 days' ELSE r + interval '20 days' END,
       (ARRAY[NULL, 'postal', 'counter'])[1 + i % 17 % 3], i % 19 % 2 = 0, i % 23 % 2 = 0, i % 29 % 2 = 0,
       CASE WHEN i % 31 = 0 THEN 2 ELSE 0 END
FROM generate_series(1, 1200) i,
     LATERAL (SELECT (ARRAY[TIMESTAMPTZ '2025-05-05 09:00+07', '2026-05-05 09:00+07', '2026-06-29 09:00+07',
                            '2026-11-25 09:00+07', NULL])[1 + i % 37 % 5] AS r) x;
INSERT INTO dossier_steps (unit_code, ma_ho_so, at, status)
SELECT d.unit_code, d.ma_ho_so, d.received_at + interval '1 day', 5
FROM dossiers d WHERE d.received_at IS NOT NULL AND d.ma_ho_so ~ '[05]$'
UNION ALL
SELECT d.unit_code, d.ma_ho_so, d.received_at + interval '4 days', 2
FROM dossiers d WHERE d.received_at IS NOT NULL AND d.ma_ho_so ~ '0$';
`

// kpiTermsSpans are the spans the terms are checked over: years, a half,
// the nd09 year (from 15 December) and a span ending in the
// future (dossiers not yet late).
var kpiTermsSpans = [][2]string{
	{"2025-01-01", "2025-12-31"}, {"2026-01-01", "2026-12-31"}, {"2026-01-01", "2026-06-30"},
	{"2025-12-15", "2026-12-14"}, {"2026-11-01", "2027-03-31"},
}

// kpiTermsCheck compares, for every indicator of sources (all when
// nil), unit and span, the kpi's numbers with the records explain lists
// (and, when reasons, that each record left out says why), and returns
// the kpi rows as text by indicator (one line per span and unit).
func kpiTermsCheck(t *testing.T, st *warehouse.Store, where string, spans [][2]string, sources map[string]bool, reasons bool) map[string]string {
	t.Helper()
	ctx := context.Background()
	inds, err := st.Indicators(ctx)
	if err != nil {
		t.Fatal(err)
	}
	source := map[string]string{}
	for _, i := range inds {
		source[i.ID] = i.Source
	}
	out := map[string]string{}
	for _, sp := range spans {
		from, _ := time.Parse(time.DateOnly, sp[0])
		to, _ := time.Parse(time.DateOnly, sp[1])
		for _, unit := range []string{"000.25.31.H99", "001.25.31.H99"} {
			rows, err := st.KPIBetween(ctx, from, to, unit)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.UnitCode != unit || (sources != nil && !sources[source[r.Indicator]]) {
					continue
				}
				out[r.Indicator] += fmt.Sprintf("%s %s..%s %s\n", unit, sp[0], sp[1], kpiGot(r))
				here := fmt.Sprintf("%s: %s %s..%s %s", where, r.Indicator, sp[0], sp[1], unit)
				e := kpiExpect{from: from, to: to, unit: unit, indicator: r.Indicator}
				if reasons {
					kpiCheckExplain(t, st, here, e, r)
					continue
				}
				kpiTermsSums(t, st, here, e, r)
			}
		}
	}
	return out
}

// kpiTermsSums is kpiCheckExplain without the check of the reasons (a
// changed term leaves records out that no reason was written for).
func kpiTermsSums(t *testing.T, st *warehouse.Store, where string, e kpiExpect, row warehouse.KPIRow) {
	t.Helper()
	recs, _, err := st.Explain(context.Background(), e.indicator, e.from, e.to, e.unit, 100000, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int64{}
	var missing int64
	for _, r := range recs {
		n[r.Role]++
		if r.Missing {
			missing++
		}
	}
	var num, den int64
	switch {
	case strings.HasSuffix(e.indicator, "_reduction"):
		num, den = n[warehouse.RoleBaseline]-n[warehouse.RolePeriod], n[warehouse.RoleBaseline]
	case row.Denominator == nil:
		num = n[warehouse.RoleNumerator]
	default:
		num, den = n[warehouse.RoleNumerator], n[warehouse.RoleNumerator]+n[warehouse.RoleDenominator]
	}
	if num != row.Numerator || (row.Denominator != nil && den != *row.Denominator) || missing != row.Missing {
		t.Errorf("%s: explain gives num=%d den=%d missing=%d, kpi says %s (roles %v)", where, num, den, missing, kpiGot(row), n)
	}
}

// TestKPITermsOneDefinition: the indicator terms are defined once
// (sql/25_terms.sql), and both the kpi (through the per-day summaries) and
// chiso explain read them. On facts covering every combination the
// classification looks at, the records explain lists add up to the kpi's
// numbers for every indicator; then each of several terms is changed in
// that one file alone, and the kpi of the indicators it belongs to moves
// while explain still adds up to it. A term stated again anywhere else
// (a summary or a terms function with conditions of its own) makes this
// fail.
func TestKPITermsOneDefinition(t *testing.T) {
	ctx := context.Background()
	st := warehousetest.New(t)
	kpiExec(t, st, "testdata/kpi/org.sql")
	if _, err := st.DB.ExecContext(ctx, kpiTermsFacts); err != nil {
		t.Fatal(err)
	}
	base := kpiTermsCheck(t, st, "the embedded files", kpiTermsSpans, nil, true)
	for ind, rows := range base {
		if !strings.Contains(rows, "num=") {
			t.Fatalf("%s: no rows", ind)
		}
	}
	files := warehouse.KPISQLFiles()
	mutations := []struct {
		old, new   string
		source     string   // the facts the term is about
		indicators []string // whose kpi must move
	}{
		{"counts_issued AS num", "direction = 'out' AS num", "documents", []string{"documents_issued", "doc_reduction"}},
		{"ex_scope AND electronic AS num", "ex_scope AND electronic AND counts_issued AS num", "documents",
			[]string{"electronic_exchange_share", "electronic_exchange_out_share", "electronic_exchange_in_share"}},
		{"ex_scope AS den, ex_unknown AS miss", "(ex_scope OR ex_unknown) AS den, ex_unknown AS miss", "documents",
			[]string{"electronic_exchange_share", "electronic_exchange_out_share", "electronic_exchange_in_share"}},
		{"(SELECT counted AS num) h", "(SELECT counted AND NOT online_or_paperless AS num) h", "meetings",
			[]string{"meetings_held", "meeting_reduction", "meeting_online_share", "meeting_duration_share", "meeting_materials_ahead_share"}},
		{"LATERAL (SELECT h.num AND materials_known AS den) mat", "LATERAL (SELECT h.num AND materials_ahead AS den) mat", "meetings",
			[]string{"meeting_materials_ahead_share"}},
		{"h.num AND duration_ok", "h.num AND NOT duration_ok", "meetings", []string{"meeting_duration_share"}},
		{"full_online, true, level_unknown", "full_online AND input_digitized, true, level_unknown", "dossiers", []string{"dossier_full_online_share"}},
		{"coalesce(channel = 'online', false), true, channel IS NULL", "coalesce(channel = 'direct', false), true, channel IS NULL", "dossiers",
			[]string{"dossier_online_share"}},
		{"on_time_scope AND late_on IS NOT NULL AS den, on_time_scope AND late_on IS NULL AS miss",
			"late_on IS NOT NULL AS den, late_on IS NULL AS miss", "dossiers", []string{"dossier_on_time_share"}},
		{"result_scope AND result_electronic,", "result_scope AND NOT result_electronic,", "dossiers", []string{"result_digitized_share"}},
	}
	for _, m := range mutations {
		t.Run(m.new, func(t *testing.T) {
			changed := append([]warehouse.KPISQLFile(nil), files...)
			n := 0
			for i, f := range changed {
				c := strings.Count(f.Text, m.old)
				if c > 0 && f.Name != "25_terms.sql" {
					t.Fatalf("%q is written in %s too: a term belongs in 25_terms.sql only", m.old, f.Name)
				}
				n += c
				changed[i].Text = strings.Replace(f.Text, m.old, m.new, 1)
			}
			if n != 1 {
				t.Fatalf("%q is in the kpi files %d times, want once (in 25_terms.sql)", m.old, n)
			}
			if _, err := st.ApplyKPISQLFiles(ctx, changed); err != nil {
				t.Fatal(err)
			}
			got := kpiTermsCheck(t, st, "changed", kpiTermsSpans[:2], map[string]bool{m.source: true}, false)
			for _, ind := range m.indicators {
				if got[ind] == firstLines(base[ind], strings.Count(got[ind], "\n")) {
					t.Errorf("%s: the kpi did not move with its term", ind)
				}
			}
		})
	}
	if _, err := st.ApplyKPISQLFiles(ctx, files); err != nil {
		t.Fatal(err)
	}
	if got := kpiTermsCheck(t, st, "the embedded files again", kpiTermsSpans, nil, false); fmt.Sprint(got) != fmt.Sprint(base) {
		t.Errorf("the kpi differs after applying the embedded files again")
	}
}

// firstLines returns the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if n > len(lines) {
		n = len(lines)
	}
	return strings.Join(lines[:n], "")
}
