package warehousetest

import (
	"fmt"
	"time"
)

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
