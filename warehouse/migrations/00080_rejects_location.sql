-- +goose Up
-- A reject says where its record is and which field is at fault, and keeps
-- a hash of the original bytes instead of (or next to) an allow-listed copy,
-- so that an admin can find the original without chiso storing personal data.
ALTER TABLE rejects ADD COLUMN location text;
ALTER TABLE rejects ADD COLUMN field text;
ALTER TABLE rejects ADD COLUMN raw_sha256 text;

-- +goose Down
ALTER TABLE rejects DROP COLUMN raw_sha256;
ALTER TABLE rejects DROP COLUMN field;
ALTER TABLE rejects DROP COLUMN location;
