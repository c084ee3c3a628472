-- +goose Up
-- Coverage confirmations belong to a commune (issue 17): in a warehouse
-- shared by many commune daemons the same connector name (qlvb-archive)
-- is a different source in each commune, so a confirmation is kept per
-- (commune, connector, month), and the coverage judgement (70_coverage.sql)
-- matches a month of a unit with the runs and confirmations of the
-- communes whose tree holds the unit. Existing rows get the warehouse's
-- commune, as in 00140: the org unit with relation self ('' when none).
ALTER TABLE coverage_confirmations ADD COLUMN commune text NOT NULL DEFAULT '';
UPDATE coverage_confirmations SET commune = coalesce((SELECT code FROM org_units WHERE relation = 'self' ORDER BY code LIMIT 1), '');
ALTER TABLE coverage_confirmations DROP CONSTRAINT coverage_confirmations_pkey;
ALTER TABLE coverage_confirmations ADD PRIMARY KEY (commune, connector, month);

-- +goose Down
ALTER TABLE coverage_confirmations DROP CONSTRAINT coverage_confirmations_pkey;
DELETE FROM coverage_confirmations a USING coverage_confirmations b
  WHERE a.connector = b.connector AND a.month = b.month AND a.commune > b.commune;
ALTER TABLE coverage_confirmations ADD PRIMARY KEY (connector, month);
ALTER TABLE coverage_confirmations DROP COLUMN commune;
