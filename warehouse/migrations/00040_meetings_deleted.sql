-- +goose Up
-- A meeting that disappears from its calendar feed (or meetings file) is
-- never deleted: the run that noticed it is recorded, so reports exclude it
-- and lineage can tell when it went away. It is restored (columns cleared)
-- if it comes back.
ALTER TABLE meetings
    ADD COLUMN deleted_run bigint,
    ADD COLUMN deleted_at  timestamptz;
COMMENT ON COLUMN meetings.deleted_run IS 'sync_runs.id of the run that found the meeting gone from its source; NULL while present';
CREATE INDEX meetings_source_starts ON meetings (source, starts_at);

-- +goose Down
DROP INDEX IF EXISTS meetings_source_starts;
ALTER TABLE meetings DROP COLUMN IF EXISTS deleted_at, DROP COLUMN IF EXISTS deleted_run;
