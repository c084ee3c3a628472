-- +goose Up
-- The core tables of contracts.md §3. Every fact table carries unit_code in
-- its primary key (the distribution column on a distributed PostgreSQL).

CREATE TABLE org_units (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    parent_code text,
    relation    text NOT NULL CHECK (relation IN ('self','internal','higher','peer','lower','external')),
    merged_into text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sync_runs (
    id          bigserial PRIMARY KEY,
    connector   text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL CHECK (status IN ('running','ok','failed','partial')),
    fetched     bigint NOT NULL DEFAULT 0,
    upserted    bigint NOT NULL DEFAULT 0,
    rejected    bigint NOT NULL DEFAULT 0,
    error       text,
    host        text,
    window_from date,
    window_to   date
);
CREATE INDEX sync_runs_connector ON sync_runs (connector, started_at DESC);

CREATE TABLE sync_state (
    connector  text NOT NULL,
    stream     text NOT NULL,
    checkpoint text NOT NULL,
    run_id     bigint,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, stream)
);

-- One row per (connector, source_key): re-reading the same bad record
-- replaces its reject instead of adding a duplicate.
CREATE TABLE rejects (
    id         bigserial PRIMARY KEY,
    connector  text NOT NULL,
    source_key text NOT NULL,
    reason     text NOT NULL,
    raw        bytea,
    run_id     bigint REFERENCES sync_runs(id),
    at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (connector, source_key)
);

CREATE TABLE documents (
    unit_code            text NOT NULL,
    direction            text NOT NULL CHECK (direction IN ('out','in')),
    doc_key              text NOT NULL,
    document_id          text,
    issuer_code          text,
    code_number          text,
    code_notation        text,
    series               text NOT NULL DEFAULT 'regular' CHECK (series IN ('regular','secret')),
    doc_type             text NOT NULL DEFAULT 'khac',
    family               text NOT NULL DEFAULT 'unknown'
                         CHECK (family IN ('hanh_chinh','qppl','chuyen_nganh','dang','ban_sao','unknown')),
    is_secret            boolean NOT NULL DEFAULT false,
    medium               text NOT NULL CHECK (medium IN ('electronic','paper')),
    issued_on            date,
    event_on             date,
    counterparts         text[] NOT NULL DEFAULT '{}',
    counterpart_relation text,
    subject              text,
    priority             integer,
    latest_status        text,
    latest_status_at     timestamptz,
    revoked              boolean NOT NULL DEFAULT false,
    revoked_at           timestamptz,
    first_seen_run       bigint,
    last_seen_run        bigint,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, direction, doc_key)
);
CREATE INDEX documents_doc_key ON documents (doc_key);
CREATE INDEX documents_event ON documents (unit_code, event_on);
CREATE INDEX documents_issued ON documents (unit_code, issued_on) WHERE direction = 'out';

CREATE TABLE document_sightings (
    source     text NOT NULL,
    source_key text NOT NULL,
    unit_code  text NOT NULL,
    direction  text NOT NULL,
    doc_key    text NOT NULL,
    medium     text NOT NULL,
    seen_at    timestamptz NOT NULL,
    run_id     bigint,
    PRIMARY KEY (unit_code, direction, doc_key, source, source_key)
);

-- Status reports per recipient (history), keyed by the target's logical key.
CREATE TABLE document_statuses (
    doc_key     text NOT NULL,
    reporter    text NOT NULL,
    status_code text NOT NULL,
    status_at   timestamptz NOT NULL,
    document_id text,
    description text,
    source_key  text,
    run_id      bigint,
    PRIMARY KEY (doc_key, reporter, status_code, status_at)
);

CREATE TABLE document_revocations (
    doc_key     text NOT NULL,
    kind        smallint NOT NULL,
    at          timestamptz NOT NULL,
    document_id text,
    reason      text,
    source_key  text NOT NULL,
    run_id      bigint,
    PRIMARY KEY (doc_key, kind, source_key)
);

CREATE TABLE procedures (
    ma_tthc         text PRIMARY KEY,
    name            text,
    level           text CHECK (level IN ('toan_trinh','mot_phan','none')),
    requires_result boolean NOT NULL DEFAULT true,
    max_days        integer,
    source          text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dossiers (
    unit_code         text NOT NULL,
    ma_ho_so          text NOT NULL,
    ma_tthc           text,
    procedure_level   text CHECK (procedure_level IN ('toan_trinh','mot_phan')),
    channel           text CHECK (channel IN ('direct','online','postal')),
    status            smallint CHECK (status BETWEEN 1 AND 10),
    received_at       timestamptz,
    due_at            timestamptz,
    finished_at       timestamptz,
    returned_at       timestamptz,
    refused_at        timestamptz,
    result_method     text CHECK (result_method IN ('counter','postal')),
    input_digitized   boolean NOT NULL DEFAULT false,
    result_electronic boolean NOT NULL DEFAULT false,
    reused_data       boolean NOT NULL DEFAULT false,
    supplements       integer NOT NULL DEFAULT 0,
    source            text,
    source_updated_at timestamptz,
    first_seen_run    bigint,
    last_seen_run     bigint,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, ma_ho_so)
);
CREATE INDEX dossiers_received ON dossiers (unit_code, received_at);
CREATE INDEX dossiers_finished ON dossiers (unit_code, finished_at);

CREATE TABLE dossier_steps (
    unit_code text NOT NULL,
    ma_ho_so  text NOT NULL,
    at        timestamptz NOT NULL,
    status    smallint,
    actor     text,
    action    text,
    PRIMARY KEY (unit_code, ma_ho_so, at, action)
);

CREATE TABLE dossier_sightings (
    source     text NOT NULL,
    source_key text NOT NULL,
    unit_code  text NOT NULL,
    ma_ho_so   text NOT NULL,
    raw        jsonb,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    run_id     bigint,
    PRIMARY KEY (unit_code, ma_ho_so, source, source_key)
);

CREATE TABLE meetings (
    unit_code          text NOT NULL,
    source             text NOT NULL,
    uid                text NOT NULL,
    title              text,
    kind               text,
    scope              text,
    organized_by_self  boolean NOT NULL DEFAULT true,
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz NOT NULL,
    sessions           integer NOT NULL DEFAULT 1,
    online             boolean NOT NULL DEFAULT false,
    paperless          boolean NOT NULL DEFAULT false,
    materials_sent_at  timestamptz,
    discussion_minutes integer,
    total_minutes      integer NOT NULL DEFAULT 0,
    cancelled          boolean NOT NULL DEFAULT false,
    first_seen_run     bigint,
    last_seen_run      bigint,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, source, uid)
);
CREATE INDEX meetings_starts ON meetings (unit_code, starts_at);

-- +goose Down
DROP TABLE meetings, dossier_sightings, dossier_steps, dossiers, procedures,
    document_revocations, document_statuses, document_sightings, documents,
    rejects, sync_state, sync_runs, org_units;
