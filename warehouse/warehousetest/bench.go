package warehousetest

import (
	"fmt"
	"time"
)

// BenchProvince is the code of the province of the generated warehouses
// (BenchFacts); commune c is 000.<c>.31.H99, its units 00<u>.<c>.31.H99.
const BenchProvince = "000.00.00.H99"

// BenchFacts returns the statements that generate the org directory and
// the facts of the benchmarks' warehouses: communes communes under the
// province BenchProvince, each with three internal units, 200 procedures,
// and per commune docs documents, docs dossiers and meetings meetings over
// 2025–2026, spread over the commune's four units and the days of the two
// years. provincial: a provincial deployment (the province self, level
// province; the communes internal units of level commune, the rows of the
// league table); otherwise the province is a higher agency and every
// commune its own root (self), side by side.
func BenchFacts(communes, docs, meetings int, provincial bool) []string {
	n := communes
	province, commune := "'higher', ''", "'self', ''"
	if provincial {
		province, commune = "'self', 'province'", "'internal', 'commune'"
	}
	return []string{
		fmt.Sprintf(`INSERT INTO org_units (code, name, parent_code, relation, level) VALUES ('%s', 'UBND tỉnh', NULL, %s)`, BenchProvince, province),
		fmt.Sprintf(`INSERT INTO org_units (code, name, parent_code, relation, level)
		 SELECT format('000.%%s.31.H99', lpad(c::text, 3, '0')), 'UBND xã ' || c, '%s', %s FROM generate_series(1, %d) c`, BenchProvince, commune, n),
		fmt.Sprintf(`INSERT INTO org_units (code, name, parent_code, relation)
		 SELECT format('%%s.%%s.31.H99', lpad(u::text, 3, '0'), lpad(c::text, 3, '0')), 'Đơn vị ' || u || ' xã ' || c,
		        format('000.%%s.31.H99', lpad(c::text, 3, '0')), 'internal'
		 FROM generate_series(1, %d) c, generate_series(1, 3) u`, n),
		`INSERT INTO procedures (ma_tthc, level, requires_result, max_days)
		 SELECT '1.' || lpad(p::text, 6, '0'), CASE WHEN p % 3 = 0 THEN 'mot_phan' ELSE 'toan_trinh' END, p % 7 <> 0, 5 + p % 10
		 FROM generate_series(1, 200) p`,
		fmt.Sprintf(`INSERT INTO documents (unit_code, direction, doc_key, doc_type, family, is_secret, medium, issued_on, event_on, counterpart_relation)
		 SELECT format('%%s.%%s.31.H99', lpad((i %% 4)::text, 3, '0'), lpad((1 + i %% %d)::text, 3, '0')),
		        CASE WHEN i %% 3 = 0 THEN 'in' ELSE 'out' END, 'k' || i,
		        (ARRAY['cong_van','quyet_dinh','bao_cao','ke_hoach','thong_bao','to_trinh','giay_moi'])[1 + i %% 7],
		        (ARRAY['hanh_chinh','hanh_chinh','hanh_chinh','hanh_chinh','qppl','unknown'])[1 + i %% 6],
		        i %% 97 = 0, CASE WHEN i %% 5 = 0 THEN 'paper' ELSE 'electronic' END,
		        DATE '2025-01-01' + (i::bigint * 7919 %% 730)::int, DATE '2025-01-01' + (i::bigint * 7919 %% 730)::int,
		        (ARRAY['higher','lower','peer','higher',NULL])[1 + i %% 5]
		 FROM generate_series(1, %d) i`, n, n*docs),
		fmt.Sprintf(`INSERT INTO dossiers (unit_code, ma_ho_so, ma_tthc, channel, status, received_at, due_at, finished_at, result_method,
		        input_digitized, result_electronic, reused_data, supplements)
		 SELECT format('%%s.%%s.31.H99', lpad((i %% 4)::text, 3, '0'), lpad((1 + i %% %d)::text, 3, '0')), 'h' || i,
		        '1.' || lpad((1 + i %% 210)::text, 6, '0'),
		        (ARRAY['online','online','direct','postal',NULL])[1 + i %% 5],
		        CASE WHEN i %% 10 = 0 THEN 4 WHEN i %% 10 = 1 THEN 9 ELSE 10 END,
		        r, CASE WHEN i %% 13 = 0 THEN NULL ELSE r + interval '7 days' END,
		        CASE WHEN i %% 10 = 0 THEN NULL ELSE r + (i %% 9) * interval '1 day' END,
		        CASE WHEN i %% 4 = 0 THEN 'postal' ELSE 'counter' END,
		        i %% 3 <> 0, i %% 4 <> 0, i %% 5 = 0, (i %% 31 = 0)::int * 2
		 FROM generate_series(1, %d) i, LATERAL (SELECT TIMESTAMPTZ '2025-01-01 08:00+07' + (i::bigint * 7919 %% 730)::int * interval '1 day' + (i %% 9) * interval '1 hour' AS r) x`, n, n*docs),
		fmt.Sprintf(`INSERT INTO meetings (unit_code, source, uid, kind, scope, organized_by_self, starts_at, ends_at, sessions, online, paperless,
		        materials_sent_at, discussion_minutes, total_minutes, cancelled)
		 SELECT format('%%s.%%s.31.H99', lpad((i %% 4)::text, 3, '0'), lpad((1 + i %% %d)::text, 3, '0')), 'cal', 'm' || i,
		        (ARRAY['giao-ban','chuyen-mon','quan-triet','tap-huan','khac',''])[1 + i %% 6], CASE WHEN i %% 50 = 0 THEN 'toan-xa' END,
		        i %% 11 <> 0, s, s + interval '3 hours', 1 + i %% 3, i %% 2 = 0, i %% 3 = 0,
		        CASE WHEN i %% 4 = 0 THEN NULL ELSE s - (i %% 3) * interval '1 day' END, CASE WHEN i %% 5 = 0 THEN NULL ELSE 100 + i %% 80 END, 180, i %% 17 = 0
		 FROM generate_series(1, %d) i, LATERAL (SELECT TIMESTAMPTZ '2025-01-01 08:00+07' + (i::bigint * 7919 %% 730)::int * interval '1 day' AS s) x`, n, n*meetings),
	}
}

// Bench connectors: the sources the generated warehouses of the benchmarks
// (warehouse's kpiBenchWarehouse, report/web's benchStoreSized) give their
// facts, as a real commune's daemon writes them.
const (
	BenchDocumentSource = "edxml-dir:qlvb-archive"
	BenchDossierSource  = "dvc:cong-dvc"
	BenchMeetingSource  = "cal"
)

// BenchSightingsAndRuns returns the statements that give a generated
// warehouse what a real one has beside its facts, so that the coverage
// (70_coverage.sql) works as hard as on real data: a sighting per document
// (BenchDocumentSource, source_key the document's key, its medium, seen the
// day after its date) and per dossier (BenchDossierSource), and for every
// commune (communes: a query of their codes) a successful run of each
// connector (qlvb-archive, cong-dvc, cal) finishing an hour after the end
// of each Vietnam month from January 2025 to the last month closed before
// until, so that the coverage of the closed months reads "ok".
func BenchSightingsAndRuns(communes string, until time.Time) []string {
	return []string{
		fmt.Sprintf(`INSERT INTO document_sightings (source, source_key, unit_code, direction, doc_key, medium, seen_at)
		 SELECT '%s', d.doc_key, d.unit_code, d.direction, d.doc_key, d.medium,
		        coalesce(d.event_on, d.issued_on, DATE '2025-01-01')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh' + interval '1 day'
		 FROM documents d`, BenchDocumentSource),
		fmt.Sprintf(`INSERT INTO dossier_sightings (source, source_key, unit_code, ma_ho_so, seen_at)
		 SELECT '%s', d.ma_ho_so, d.unit_code, d.ma_ho_so, coalesce(d.received_at, TIMESTAMPTZ '2025-01-01 08:00+07') + interval '1 hour'
		 FROM dossiers d`, BenchDossierSource),
		fmt.Sprintf(`INSERT INTO sync_runs (commune, connector, started_at, finished_at, status, fetched, upserted)
		 SELECT c.code, k.connector, e - interval '10 minutes' + interval '1 hour', e + interval '1 hour', 'ok', 100, 100
		 FROM (%s) c(code)
		 CROSS JOIN (VALUES ('qlvb-archive'), ('cong-dvc'), ('%s')) k(connector)
		 CROSS JOIN LATERAL (SELECT (m + interval '1 month') AT TIME ZONE 'Asia/Ho_Chi_Minh' AS e
		                     FROM generate_series(TIMESTAMP '2025-01-01', TIMESTAMP '2030-01-01', interval '1 month') m) x
		 WHERE x.e + interval '1 hour' <= '%s'::timestamptz`, communes, BenchMeetingSource, until.UTC().Format(time.RFC3339)),
	}
}
