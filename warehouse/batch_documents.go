package warehouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"chiso/warehouse/facts"
)

// Document writes are buffered in the Run and written in multi-row
// statements (one round trip per few hundred documents instead of one per
// document). Statuses and revocations are buffered too; the buffers are
// written in the order statuses → documents → revocations, which gives the
// same rows as writing each call at once: every step is an upsert whose
// result does not depend on the order of the others (a status written
// before its document is taken by the document's insert; one written
// before a document's later sighting stays, as that upsert leaves
// latest_status alone).

const docBatchSize = 400

type pendingDoc struct {
	d facts.Document
	s facts.Sighting
}

// UpsertDocument buffers one sighting of a logical document; it merges
// into the documents row when the buffer is written (at most docBatchSize
// calls later, and always before Flush commits): medium is electronic when
// any sighting says so, counterparts are the union, known values replace
// unknown ones, and revocations or statuses that arrived before the
// document apply to it.
func (r *Run) UpsertDocument(ctx context.Context, d facts.Document, s facts.Sighting) error {
	if d.UnitCode == "" || d.DocKey == "" || (d.Direction != "out" && d.Direction != "in") {
		return fmt.Errorf("warehouse: document %q of unit %q: unit, direction and key are required", d.DocKey, d.UnitCode)
	}
	if s.Medium == "" {
		s.Medium = d.Medium
	}
	if d.Medium == "" {
		d.Medium = s.Medium
	}
	if d.Medium != "electronic" && d.Medium != "paper" {
		return fmt.Errorf("warehouse: document %s: medium %q is not electronic or paper", d.DocKey, d.Medium)
	}
	if d.Series == "" {
		d.Series = "regular"
	}
	if d.DocType == "" {
		d.DocType = "khac"
	}
	if d.Family == "" {
		d.Family = "unknown"
	}
	if s.SeenAt.IsZero() {
		s.SeenAt = time.Now()
	}
	if d.Counterparts == nil {
		d.Counterparts = []string{}
	}
	r.docs = append(r.docs, pendingDoc{d, s})
	r.pUpserted++
	if len(r.docs) >= docBatchSize {
		return r.writePending(ctx)
	}
	return nil
}

// ApplyStatus buffers a status report; when written it is kept in the
// history per recipient and moves the outgoing document's latest_status
// forward.
func (r *Run) ApplyStatus(ctx context.Context, st facts.DocumentStatus) error {
	if st.Target.DocKey == "" {
		return fmt.Errorf("warehouse: status %s from %s: no target document", st.Code, st.Reporter)
	}
	r.statuses = append(r.statuses, st)
	r.pUpserted++
	if len(r.statuses) >= docBatchSize {
		return r.writePending(ctx)
	}
	return nil
}

// Revoke buffers a revocation, update or replacement; a revocation (kind 1)
// marks the target revoked in every unit and direction (it still counts as
// issued).
func (r *Run) Revoke(ctx context.Context, v facts.Revocation) error {
	if v.Target.DocKey == "" {
		return fmt.Errorf("warehouse: revocation %s: no target document", v.SourceKey)
	}
	r.revocations = append(r.revocations, v)
	r.pUpserted++
	if len(r.revocations) >= docBatchSize {
		return r.writePending(ctx)
	}
	return nil
}

// writePending writes the buffered documents, statuses and revocations.
func (r *Run) writePending(ctx context.Context) error {
	docs, sts, revs := r.docs, r.statuses, r.revocations
	r.docs, r.statuses, r.revocations = nil, nil, nil
	r.docsWritten += len(docs) + len(sts)
	// Statuses first: a document inserted by this batch then takes its
	// latest status in the insert, instead of being updated right after.
	if len(sts) > 0 {
		if err := r.writeStatuses(ctx, sts); err != nil {
			return err
		}
	}
	// A multi-row upsert may not touch one row twice: cut the batch where a
	// key repeats, keeping the calls' order.
	for len(docs) > 0 {
		seen := map[string]bool{}
		n := 0
		for n < len(docs) {
			k := docs[n].d.UnitCode + "\x00" + docs[n].d.Direction + "\x00" + docs[n].d.DocKey
			if seen[k] {
				break
			}
			seen[k] = true
			n++
		}
		if err := r.writeDocuments(ctx, docs[:n]); err != nil {
			return err
		}
		docs = docs[n:]
	}
	// As for documents, cut where a revocation's key repeats.
	for len(revs) > 0 {
		type revKey struct {
			doc, source string
			kind        int
		}
		seen := map[revKey]bool{}
		n := 0
		for n < len(revs) {
			k := revKey{revs[n].Target.DocKey, revs[n].SourceKey, int(revs[n].Kind)}
			if seen[k] {
				break
			}
			seen[k] = true
			n++
		}
		if err := r.writeRevocations(ctx, revs[:n]); err != nil {
			return err
		}
		revs = revs[n:]
	}
	return r.writeCheckpoints(ctx)
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (r *Run) writeDocuments(ctx context.Context, batch []pendingDoc) error {
	// Columns travel as one text[] parameter each and are zipped by unnest:
	// one short statement to parse and plan, whatever the batch size.
	sight := newTextColumns(9, len(batch))
	docs := newTextColumns(20, len(batch))
	for _, p := range batch {
		d := p.d
		received, by := "", ""
		if d.Direction == "in" && p.s.ReceivedBy != "" && !p.s.ReceivedAt.IsZero() {
			received, by = p.s.ReceivedAt.UTC().Format(time.RFC3339Nano), p.s.ReceivedBy
		}
		sight.add(d.UnitCode, d.Direction, d.DocKey, p.s.Source, p.s.SourceKey, p.s.Medium, p.s.SeenAt.UTC().Format(time.RFC3339Nano), received, by)
		priority := ""
		if d.Priority != nil {
			priority = strconv.Itoa(*d.Priority)
		}
		docs.add(d.UnitCode, d.Direction, d.DocKey, d.DocumentID, d.IssuerCode, d.CodeNumber, d.CodeNotation,
			d.Series, d.DocType, d.Family, strconv.FormatBool(d.IsSecret), d.Medium, dateText(d.IssuedOn), dateText(d.EventOn),
			strings.Join(d.Counterparts, "\x1f"), d.CounterpartRelation, d.Subject, priority, received, by)
	}
	if err := r.exec(ctx, `INSERT INTO document_sightings (source, source_key, unit_code, direction, doc_key, medium, seen_at,
		       received_at, received_by, run_id)
		SELECT DISTINCT ON (v.unit_code, v.direction, v.doc_key, v.source, v.source_key)
		       v.source, v.source_key, v.unit_code, v.direction, v.doc_key, v.medium, CAST(v.seen_at AS timestamptz),
		       CAST(v.received_at AS timestamptz), v.received_by, $10
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
		  AS v(unit_code, direction, doc_key, source, source_key, medium, seen_at, received_at, received_by)
		ON CONFLICT (unit_code, direction, doc_key, source, source_key)
		DO UPDATE SET medium = EXCLUDED.medium, seen_at = EXCLUDED.seen_at, received_at = EXCLUDED.received_at,
		       received_by = EXCLUDED.received_by, run_id = EXCLUDED.run_id`,
		append(sight.args(), r.id)...); err != nil {
		return fmt.Errorf("warehouse: %d document sightings (first %s): %w", len(batch), batch[0].d.DocKey, err)
	}
	q := `
INSERT INTO documents AS d (unit_code, direction, doc_key, document_id, issuer_code, code_number, code_notation,
  series, doc_type, family, is_secret, medium, issued_on, event_on, counterparts, counterpart_relation,
  subject, priority, revoked, revoked_at, latest_status, latest_status_at, first_seen_run, last_seen_run, updated_at, received_by)
SELECT v.unit_code, v.direction, v.doc_key, v.document_id, v.issuer_code, v.code_number, v.code_notation,
  v.series, v.doc_type, v.family, v.is_secret,
  CASE WHEN v.medium = 'electronic' OR EXISTS (SELECT 1 FROM document_sightings x WHERE x.unit_code = v.unit_code
       AND x.direction = v.direction AND x.doc_key = v.doc_key AND x.medium = 'electronic') THEN 'electronic' ELSE 'paper' END,
  v.issued_on, COALESCE(rcv.received_on, v.event_on), v.counterparts, v.counterpart_relation, v.subject, v.priority,
  EXISTS (SELECT 1 FROM document_revocations rv WHERE rv.doc_key = v.doc_key AND rv.kind = 1),
  (SELECT min(rv.at) FROM document_revocations rv WHERE rv.doc_key = v.doc_key AND rv.kind = 1),
  st.status_code, st.status_at, $21::bigint, $21::bigint, now(), rcv.received_by
FROM (SELECT u.unit_code, u.direction, u.doc_key, u.document_id, u.issuer_code, u.code_number, u.code_notation,
        COALESCE(u.series, 'regular') AS series, COALESCE(u.doc_type, 'khac') AS doc_type, COALESCE(u.family, 'unknown') AS family,
        CAST(u.is_secret AS boolean) AS is_secret, u.medium,
        CAST(u.issued_on AS date) AS issued_on, CAST(u.event_on AS date) AS event_on,
        COALESCE(string_to_array(u.counterparts, chr(31)), CAST('{}' AS text[])) AS counterparts,
        u.counterpart_relation, u.subject, CAST(u.priority AS integer) AS priority,
        CAST(u.received_at AS timestamptz) AS received_at, u.received_by
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                  $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                  $17::text[], $18::text[], $19::text[], $20::text[])
        AS u(unit_code, direction, doc_key, document_id, issuer_code, code_number, code_notation, series, doc_type,
             family, is_secret, medium, issued_on, event_on, counterparts, counterpart_relation, subject, priority,
             received_at, received_by)) v
LEFT JOIN LATERAL (SELECT s.status_code, s.status_at FROM document_statuses s WHERE s.doc_key = v.doc_key AND v.direction = 'out'
                   ORDER BY s.status_at DESC, s.status_code DESC LIMIT 1) st ON true
LEFT JOIN LATERAL (SELECT kpi_vn_date(e.at) AS received_on, e.by AS received_by
                   FROM (SELECT v.received_at AS at, v.received_by AS by WHERE v.received_by IS NOT NULL
                         UNION ALL
                         SELECT s.status_at, 'status' FROM document_statuses s
                         WHERE s.doc_key = v.doc_key AND s.reporter = v.unit_code AND s.status_code IN ('01', '03') AND NOT s.undated) e
                   WHERE v.direction = 'in'
                   ORDER BY document_evidence_rank(e.by), e.at LIMIT 1) rcv ON true
ON CONFLICT (unit_code, direction, doc_key) DO UPDATE SET
  document_id   = COALESCE(EXCLUDED.document_id, d.document_id),
  issuer_code   = COALESCE(EXCLUDED.issuer_code, d.issuer_code),
  code_number   = COALESCE(EXCLUDED.code_number, d.code_number),
  code_notation = COALESCE(EXCLUDED.code_notation, d.code_notation),
  doc_type      = CASE WHEN EXCLUDED.doc_type <> 'khac' THEN EXCLUDED.doc_type ELSE d.doc_type END,
  family        = CASE WHEN EXCLUDED.family <> 'unknown' THEN EXCLUDED.family ELSE d.family END,
  is_secret     = d.is_secret OR EXCLUDED.is_secret,
  medium        = CASE WHEN d.medium = 'electronic' OR EXCLUDED.medium = 'electronic' THEN 'electronic' ELSE 'paper' END,
  issued_on     = COALESCE(EXCLUDED.issued_on, d.issued_on),
  event_on      = CASE WHEN EXCLUDED.received_by IS NULL THEN COALESCE(EXCLUDED.event_on, d.event_on)
                       ELSE COALESCE((SELECT r.received_on FROM document_received(d.doc_key, d.unit_code) r), EXCLUDED.event_on) END,
  received_by   = CASE WHEN EXCLUDED.received_by IS NULL THEN d.received_by
                       ELSE COALESCE((SELECT r.received_by FROM document_received(d.doc_key, d.unit_code) r), EXCLUDED.received_by) END,
  counterparts  = ARRAY(SELECT DISTINCT c FROM unnest(d.counterparts || EXCLUDED.counterparts) c ORDER BY c),
  counterpart_relation = (` + relationRank + `)[GREATEST(array_position(` + relationRank + `, d.counterpart_relation),
                                                 array_position(` + relationRank + `, EXCLUDED.counterpart_relation))],
  subject       = COALESCE(EXCLUDED.subject, d.subject),
  priority      = COALESCE(EXCLUDED.priority, d.priority),
  last_seen_run = EXCLUDED.last_seen_run,
  updated_at    = now()`
	if err := r.exec(ctx, q, append(docs.args(), r.id)...); err != nil {
		return fmt.Errorf("warehouse: %d documents (first %s of %s): %w", len(batch), batch[0].d.DocKey, batch[0].d.UnitCode, err)
	}
	return nil
}

func dateText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format("2006-01-02")
}

func (r *Run) writeStatuses(ctx context.Context, sts []facts.DocumentStatus) error {
	cols := newTextColumns(8, len(sts))
	for _, st := range sts {
		cols.add(st.Target.DocKey, st.Reporter, st.Code, st.At.UTC().Format(time.RFC3339Nano), st.Target.DocumentID, st.Description, st.SourceKey,
			strconv.FormatBool(st.Undated))
	}
	if err := r.exec(ctx, `INSERT INTO document_statuses (doc_key, reporter, status_code, status_at, document_id, description, source_key, undated, run_id)
		SELECT v.doc_key, COALESCE(v.reporter, ''), v.status_code, CAST(v.status_at AS timestamptz), v.document_id, v.description, v.source_key,
		       CAST(v.undated AS boolean), $9
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
		  AS v(doc_key, reporter, status_code, status_at, document_id, description, source_key, undated)
		ON CONFLICT DO NOTHING`, append(cols.args(), r.id)...); err != nil {
		return fmt.Errorf("warehouse: %d statuses (first %s of %s): %w", len(sts), sts[0].Code, sts[0].Target.DocKey, err)
	}
	keys := make([]string, 0, len(sts))
	for _, st := range sts {
		keys = append(keys, st.Target.DocKey)
	}
	// The latest status per key is looked up key by key (an index probe
	// each): a plain doc_key = ANY($1) over the whole history is planned as
	// a sequential scan of document_statuses per batch, which grows with
	// the table.
	if err := r.exec(ctx, `UPDATE documents d SET latest_status = l.status_code, latest_status_at = l.status_at, updated_at = now()
		FROM (SELECT DISTINCT k.doc_key FROM unnest($1::text[]) AS k(doc_key)) k
		CROSS JOIN LATERAL (SELECT s.status_code, s.status_at FROM document_statuses s WHERE s.doc_key = k.doc_key
		      ORDER BY s.status_at DESC, s.status_code DESC LIMIT 1) l
		WHERE d.doc_key = k.doc_key AND d.direction = 'out'
		  AND ($2::text[] IS NULL OR d.unit_code = ANY($2))
		  AND (d.latest_status_at IS DISTINCT FROM l.status_at OR d.latest_status IS DISTINCT FROM l.status_code)`, pq.Array(keys), r.store.treeArg()); err != nil {
		return fmt.Errorf("warehouse: latest statuses: %w", err)
	}
	// A status 01/03 from an incoming document's unit may be better
	// evidence of its arrival than what dated it so far.
	// Key by key (an index probe each), like the latest statuses above:
	// most statuses answer outgoing documents and find no incoming one.
	if err := r.exec(ctx, `WITH t AS MATERIALIZED (
		  SELECT d.doc_key, d.unit_code, rc.received_on, rc.received_by
		  FROM (SELECT DISTINCT k.doc_key FROM unnest($1::text[]) AS k(doc_key)) k
		  CROSS JOIN LATERAL (SELECT x.doc_key, x.unit_code, x.event_on, x.received_by FROM documents x
		                      WHERE x.doc_key = k.doc_key AND x.direction = 'in'
		                        AND ($2::text[] IS NULL OR x.unit_code = ANY($2))) d
		  CROSS JOIN LATERAL document_received(d.doc_key, d.unit_code) rc
		  WHERE d.event_on IS DISTINCT FROM rc.received_on OR d.received_by IS DISTINCT FROM rc.received_by)
		UPDATE documents d SET event_on = t.received_on, received_by = t.received_by, updated_at = now()
		FROM t WHERE d.doc_key = t.doc_key AND d.direction = 'in' AND d.unit_code = t.unit_code`, pq.Array(receivedKeys(sts)), r.store.treeArg()); err != nil {
		return fmt.Errorf("warehouse: dating incoming documents by statuses: %w", err)
	}
	return nil
}

// receivedKeys are the documents whose arrival statuses (01, 03) may date.
func receivedKeys(sts []facts.DocumentStatus) []string {
	var keys []string
	for _, st := range sts {
		if !st.Undated && (st.Code == "01" || st.Code == "03") {
			keys = append(keys, st.Target.DocKey)
		}
	}
	return keys
}

// writeRevocations writes revocations whose (doc_key, kind, source_key)
// are distinct: one upsert for the batch, then one update marking the
// revoked documents, where the first revocation of a document in the batch
// sets revoked_at if it was not set (as writing them one by one would).
func (r *Run) writeRevocations(ctx context.Context, revs []facts.Revocation) error {
	cols := newTextColumns(6, len(revs))
	var keys, ats []string
	first := map[string]bool{}
	for _, v := range revs {
		at := v.At.UTC().Format(time.RFC3339Nano)
		cols.add(v.Target.DocKey, strconv.Itoa(int(v.Kind)), at, v.Target.DocumentID, v.Reason, v.SourceKey)
		if v.Kind == 1 && !first[v.Target.DocKey] {
			first[v.Target.DocKey] = true
			keys = append(keys, v.Target.DocKey)
			ats = append(ats, at)
		}
	}
	if err := r.exec(ctx, `INSERT INTO document_revocations (doc_key, kind, at, document_id, reason, source_key, run_id)
		SELECT v.doc_key, CAST(v.kind AS smallint), CAST(v.at AS timestamptz), v.document_id, v.reason, COALESCE(v.source_key, ''), $7
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
		  AS v(doc_key, kind, at, document_id, reason, source_key)
		ON CONFLICT (doc_key, kind, source_key) DO UPDATE SET at = EXCLUDED.at, reason = EXCLUDED.reason, run_id = EXCLUDED.run_id`,
		append(cols.args(), r.id)...); err != nil {
		return fmt.Errorf("warehouse: %d revocations (first of %s): %w", len(revs), revs[0].Target.DocKey, err)
	}
	if len(keys) == 0 {
		return nil
	}
	if err := r.exec(ctx, `UPDATE documents d SET revoked = true, revoked_at = COALESCE(d.revoked_at, CAST(v.at AS timestamptz)), updated_at = now()
		FROM unnest($1::text[], $2::text[]) AS v(doc_key, at) WHERE d.doc_key = v.doc_key
		  AND ($3::text[] IS NULL OR d.unit_code = ANY($3))`, pq.Array(keys), pq.Array(ats), r.store.treeArg()); err != nil {
		return fmt.Errorf("warehouse: %d revocations (first of %s): %w", len(keys), keys[0], err)
	}
	return nil
}
