-- +goose Up
-- A reader of one commune in a shared warehouse (issue 17): the role that
-- `chiso reader grant --unit CODE` creates sees the rows of CODE's tree
-- only (row-level security, warehouse/sql/80_row_security.sql). A role not
-- listed here (chiso_reader, the province's reader) sees every row.
CREATE TABLE reader_scopes (
    role       name PRIMARY KEY,
    unit_code  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE reader_scopes;
