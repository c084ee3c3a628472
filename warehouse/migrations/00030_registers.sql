-- +goose Up
-- Document registers (sổ đăng ký văn bản đi / đến): which rows each register
-- file had, so that a row missing from a later export is reported (not
-- deleted), and the agency names a register used that the org directory
-- could not resolve (listed by `chiso status`).

CREATE TABLE register_rows (
    unit_code      text NOT NULL,
    connector      text NOT NULL,
    file           text NOT NULL,          -- path relative to the connector's path
    direction      text NOT NULL CHECK (direction IN ('out','in')),
    doc_key        text NOT NULL,
    sheet          text NOT NULL DEFAULT '',
    line           integer NOT NULL,       -- row number in the latest export that had it
    code           text,                   -- số, ký hiệu as written
    row_hash       text NOT NULL,          -- SHA-256 of the row's cells
    first_seen_run bigint,
    last_seen_run  bigint,
    changed_run    bigint,                 -- last run that saw the row change
    removed_run    bigint,                 -- run that found it missing; NULL while present
    removed_at     timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, connector, file, doc_key)
);
CREATE INDEX register_rows_removed ON register_rows (connector) WHERE removed_run IS NOT NULL;

CREATE TABLE register_unresolved_names (
    connector  text NOT NULL,
    file       text NOT NULL,
    role       text NOT NULL CHECK (role IN ('issuer','recipient')),
    name_key   text NOT NULL,              -- folded name (case/diacritics)
    name       text NOT NULL,              -- as first written
    rows       integer NOT NULL,           -- rows of the file's latest read that used it
    example    text,                       -- source key of one such row
    run_id     bigint,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, file, role, name_key)
);

-- +goose Down
DROP TABLE register_unresolved_names, register_rows;
