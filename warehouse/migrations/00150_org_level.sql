-- +goose Up
-- The level of an org unit (issue 17): a provincial deployment marks the
-- province and its communes, so that the league table (chiso report
-- --by-unit) knows which direct children of a province or district are the
-- communes it compares. '' is an ordinary unit (a commune's own
-- deployment needs no level at all).
ALTER TABLE org_units ADD COLUMN level text NOT NULL DEFAULT ''
    CHECK (level IN ('', 'province', 'district', 'commune'));

-- +goose Down
ALTER TABLE org_units DROP COLUMN level;
