-- +goose Up
-- Alert deliveries (issue 16): one row per event and channel, claimed by the
-- unique key, so that two daemons on one warehouse deliver each event once.
-- The message is stored when the event is raised, and sent as stored.
CREATE TABLE alert_deliveries (
    id              bigserial PRIMARY KEY,
    event_key       text NOT NULL,        -- e.g. weekly/2026-W23, deadline/2026-06-05
    channel         text NOT NULL CHECK (channel IN ('email', 'webhook')),
    kind            text NOT NULL,        -- weekly | connector | target | deadline
    subject         text NOT NULL,
    body            text NOT NULL,        -- the e-mail text, as sent
    payload         jsonb NOT NULL,       -- the webhook body, as sent
    recipients      text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_error      text,
    claimed_by      text,                 -- the daemon sending it now
    claimed_until   timestamptz,          -- its lease; after it another daemon may take over
    sent_at         timestamptz,
    sent_by         text,
    UNIQUE (event_key, channel)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE sent_at IS NULL;

-- The last early-warning status seen per target, to raise "turned at risk" once.
CREATE TABLE alert_target_status (
    year       integer NOT NULL,
    unit_code  text NOT NULL,
    indicator  text NOT NULL,
    status     text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, unit_code, indicator)
);

-- +goose Down
DROP TABLE alert_target_status;
DROP TABLE alert_deliveries;
