-- +goose Up
-- Snapshots (chốt số liệu, issue 18): a report as it was frozen, the keys
-- of the records behind each indicator, chained per (unit, period) by the
-- previous snapshot's id. The id is the SHA-256 of the canonical
-- serialisation (docs/chot-so-lieu.md), computed by chiso from these rows.
-- Nothing may change or remove a snapshot: no UPDATE, DELETE or TRUNCATE
-- privilege (not even for the owner, who could grant it back, so also) a
-- trigger that raises on each of them, whoever runs it.
CREATE TABLE snapshots (
    id             text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    prev_id        text REFERENCES snapshots(id),
    seq            integer NOT NULL CHECK (seq >= 1),
    unit_code      text NOT NULL,
    period_id      text NOT NULL,
    period_from    date NOT NULL,
    period_to      date NOT NULL,
    frozen_at      timestamptz NOT NULL,
    frozen_by      text NOT NULL,
    note           text NOT NULL DEFAULT '',
    config_sha256  text NOT NULL,
    targets_sha256 text NOT NULL,
    report         jsonb NOT NULL,          -- the report's title block, sheets and sources (without the indicator rows)
    UNIQUE (unit_code, period_id, seq),
    CHECK ((seq = 1) = (prev_id IS NULL))
);

-- One row per indicator row of the report, as the report had it.
CREATE TABLE snapshot_rows (
    snapshot_id text NOT NULL REFERENCES snapshots(id),
    ord         integer NOT NULL,
    indicator   text NOT NULL,
    row         jsonb NOT NULL,
    PRIMARY KEY (snapshot_id, ord)
);

-- One row per record in an indicator's numerator or denominator (explain
-- roles numerator, denominator, period, baseline) at freeze time.
CREATE TABLE snapshot_records (
    snapshot_id text NOT NULL REFERENCES snapshots(id),
    n           integer NOT NULL,
    indicator   text NOT NULL,
    role        text NOT NULL,
    kind        text NOT NULL,
    unit_code   text NOT NULL,
    key         text NOT NULL,
    on_date     date NOT NULL,
    missing     boolean NOT NULL,
    reason      text,
    PRIMARY KEY (snapshot_id, n)
);
CREATE INDEX snapshot_records_indicator ON snapshot_records (snapshot_id, indicator);

-- +goose StatementBegin
CREATE FUNCTION snapshot_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'snapshots are immutable: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'a frozen report cannot be altered or deleted; freeze a new snapshot instead';
END $$;
-- +goose StatementEnd

CREATE TRIGGER snapshot_immutable BEFORE UPDATE OR DELETE ON snapshots
    FOR EACH ROW EXECUTE FUNCTION snapshot_refuse_change();
CREATE TRIGGER snapshot_immutable_truncate BEFORE TRUNCATE ON snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION snapshot_refuse_change();
CREATE TRIGGER snapshot_immutable BEFORE UPDATE OR DELETE ON snapshot_rows
    FOR EACH ROW EXECUTE FUNCTION snapshot_refuse_change();
CREATE TRIGGER snapshot_immutable_truncate BEFORE TRUNCATE ON snapshot_rows
    FOR EACH STATEMENT EXECUTE FUNCTION snapshot_refuse_change();
CREATE TRIGGER snapshot_immutable BEFORE UPDATE OR DELETE ON snapshot_records
    FOR EACH ROW EXECUTE FUNCTION snapshot_refuse_change();
CREATE TRIGGER snapshot_immutable_truncate BEFORE TRUNCATE ON snapshot_records
    FOR EACH STATEMENT EXECUTE FUNCTION snapshot_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON snapshots, snapshot_rows, snapshot_records FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON snapshots, snapshot_rows, snapshot_records FROM CURRENT_USER;

-- +goose Down
DROP TABLE snapshot_records, snapshot_rows, snapshots;
DROP FUNCTION snapshot_refuse_change();
