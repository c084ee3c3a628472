-- +goose Up
-- Alert deliveries belong to a commune (issue 17): in a warehouse shared by
-- many commune daemons, each commune's weekly digest and deadline messages
-- have the same event key (weekly/2026-W23, deadline/2026-06-05), so the
-- key is unique per commune, a daemon claims only its commune's deliveries,
-- and a commune's reader sees only its own (row-level security covers every
-- table with a commune column). Existing rows get the warehouse's commune,
-- as in 00140: the org unit with relation self ('' when none).
ALTER TABLE alert_deliveries ADD COLUMN commune text NOT NULL DEFAULT '';
UPDATE alert_deliveries SET commune = coalesce((SELECT code FROM org_units WHERE relation = 'self' ORDER BY code LIMIT 1), '');
ALTER TABLE alert_deliveries DROP CONSTRAINT alert_deliveries_event_key_channel_key;
ALTER TABLE alert_deliveries ADD CONSTRAINT alert_deliveries_commune_event_channel_key UNIQUE (commune, event_key, channel);

-- +goose Down
ALTER TABLE alert_deliveries DROP CONSTRAINT alert_deliveries_commune_event_channel_key;
ALTER TABLE alert_deliveries ADD CONSTRAINT alert_deliveries_event_key_channel_key UNIQUE (event_key, channel);
ALTER TABLE alert_deliveries DROP COLUMN commune;
