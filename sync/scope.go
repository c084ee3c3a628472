package sync

import (
	"context"
	"fmt"
	"strings"

	"chiso/sync/connector"
	"chiso/warehouse"
	"chiso/warehouse/facts"
)

// treeSink lets a connector write facts only for the units of its
// commune's tree (org.self and the units under it): in a warehouse shared
// by many communes a daemon never writes another commune's facts. A fact
// of any other unit is not written; it is rejected instead, the reason
// naming the unit and the commune (a connector pointed at another
// commune's unit, a unit missing from the directory).
type treeSink struct {
	connector.Sink
	commune string
	in      func(unit string) bool
}

// scopeSink wraps sink for the commune of store; a store not scoped to a
// commune (one commune per warehouse, tests) gets sink itself.
func scopeSink(store *warehouse.Store, sink connector.Sink) connector.Sink {
	if store.Commune() == "" {
		return sink
	}
	return &treeSink{Sink: sink, commune: store.Commune(), in: store.InTree}
}

// outside is the reason a fact of unit is not written.
func (t *treeSink) outside(unit string) string {
	return fmt.Sprintf("unit %s is not in the tree of commune %s (org.self): a daemon writes only the facts of its own commune's units", unit, t.commune)
}

func (t *treeSink) ours(unit string) bool { return t.in(strings.ToUpper(strings.TrimSpace(unit))) }

func (t *treeSink) reject(ctx context.Context, key, unit string) error {
	return t.Sink.Reject(ctx, facts.Reject{SourceKey: key, Field: "unit_code", Reason: t.outside(unit)})
}

func (t *treeSink) UpsertDocument(ctx context.Context, d facts.Document, s facts.Sighting) error {
	if !t.ours(d.UnitCode) {
		return t.reject(ctx, s.SourceKey, d.UnitCode)
	}
	return t.Sink.UpsertDocument(ctx, d, s)
}

func (t *treeSink) UpsertDossier(ctx context.Context, d facts.Dossier, steps []facts.DossierStep, s facts.DossierSighting) error {
	if !t.ours(d.UnitCode) {
		return t.reject(ctx, s.SourceKey, d.UnitCode)
	}
	return t.Sink.UpsertDossier(ctx, d, steps, s)
}

func (t *treeSink) UpsertDossiers(ctx context.Context, batch []facts.DossierWrite) error {
	keep := batch[:0:0]
	for _, w := range batch {
		if !t.ours(w.Dossier.UnitCode) {
			if err := t.reject(ctx, w.Sighting.SourceKey, w.Dossier.UnitCode); err != nil {
				return err
			}
			continue
		}
		keep = append(keep, w)
	}
	if len(keep) == 0 {
		return nil
	}
	return t.Sink.UpsertDossiers(ctx, keep)
}

func (t *treeSink) UpsertDossierSteps(ctx context.Context, unit, maHoSo string, steps []facts.DossierStep) error {
	if !t.ours(unit) {
		return t.reject(ctx, maHoSo, unit)
	}
	return t.Sink.UpsertDossierSteps(ctx, unit, maHoSo, steps)
}

func (t *treeSink) DossierSource(ctx context.Context, unit, maHoSo string) ([]byte, []facts.DossierStep, bool, error) {
	if !t.ours(unit) {
		return nil, nil, false, nil
	}
	return t.Sink.DossierSource(ctx, unit, maHoSo)
}

func (t *treeSink) UpsertMeeting(ctx context.Context, m facts.Meeting) error {
	if !t.ours(m.UnitCode) {
		return t.reject(ctx, m.Source+":"+m.UID, m.UnitCode)
	}
	return t.Sink.UpsertMeeting(ctx, m)
}

// TrackRegisterRows keeps the rows of the tree's units: the documents of
// the others were rejected when written.
func (t *treeSink) TrackRegisterRows(ctx context.Context, rows []facts.RegisterRow) (facts.RowCounts, error) {
	keep := rows[:0:0]
	for _, r := range rows {
		if t.ours(r.UnitCode) {
			keep = append(keep, r)
		}
	}
	if len(keep) == 0 {
		return facts.RowCounts{}, nil
	}
	return t.Sink.TrackRegisterRows(ctx, keep)
}

// ApplyStatus keeps the statuses of the tree's documents: those of a
// document one of its units issued (the doc_key's issuer) or reported by
// one of its units (on a document it received).
func (t *treeSink) ApplyStatus(ctx context.Context, st facts.DocumentStatus) error {
	issuer, _, _ := strings.Cut(st.Target.DocKey, "|")
	if !t.ours(issuer) && !t.ours(st.Reporter) {
		return t.Sink.Reject(ctx, facts.Reject{SourceKey: st.SourceKey, Field: "unit_code",
			Reason: fmt.Sprintf("status %s of document %s: unit %s (its issuer) and unit %s (its reporter) are not in the tree of commune %s (org.self): a daemon writes only the facts of its own commune's units",
				st.Code, st.Target.DocKey, issuer, st.Reporter, t.commune)})
	}
	return t.Sink.ApplyStatus(ctx, st)
}
