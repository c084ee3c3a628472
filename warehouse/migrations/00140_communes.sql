-- +goose Up
-- Many communes in one warehouse (issue 17). A connector is named by
-- (commune, connector name), commune = the org.self of the config of the
-- daemon that runs it: its checkpoints (sync_state), runs (sync_runs),
-- rejects and unresolved register names carry the commune, and a run is
-- identified by (commune, id), which stays unique when the warehouses of
-- two provinces are merged (each commune writes into one warehouse). Org
-- units, targets and named report periods remember which commune wrote
-- them (written_by), so that one commune's daemon never changes another's.
--
-- Existing rows (a warehouse of one commune) get the commune of the
-- warehouse: the code of its org unit whose relation is 'self' (the
-- org.self of the config that last loaded the directory), '' when there is
-- none (a warehouse that no config has loaded). A daemon whose org.self is
-- that code then finds its checkpoints, runs and rejects as before.

CREATE FUNCTION pg_temp.chiso_self() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT COALESCE((SELECT code FROM org_units WHERE relation = 'self' AND merged_into IS NULL ORDER BY code LIMIT 1), '') $$;

ALTER TABLE sync_runs ADD COLUMN commune text NOT NULL DEFAULT '';
ALTER TABLE sync_state ADD COLUMN commune text NOT NULL DEFAULT '';
ALTER TABLE rejects ADD COLUMN commune text NOT NULL DEFAULT '';
ALTER TABLE register_unresolved_names ADD COLUMN commune text NOT NULL DEFAULT '';
ALTER TABLE org_units ADD COLUMN written_by text NOT NULL DEFAULT '';
ALTER TABLE kpi_report_periods ADD COLUMN written_by text NOT NULL DEFAULT '';
ALTER TABLE kpi_targets ADD COLUMN written_by text NOT NULL DEFAULT '';

UPDATE sync_runs SET commune = pg_temp.chiso_self();
UPDATE sync_state SET commune = pg_temp.chiso_self();
UPDATE rejects SET commune = pg_temp.chiso_self();
UPDATE register_unresolved_names SET commune = pg_temp.chiso_self();
UPDATE org_units SET written_by = pg_temp.chiso_self();
UPDATE kpi_report_periods SET written_by = pg_temp.chiso_self();
UPDATE kpi_targets SET written_by = pg_temp.chiso_self() WHERE source IS DISTINCT FROM 'default';

COMMENT ON COLUMN sync_runs.commune IS 'org.self of the daemon that ran it; a run is (commune, id)';
COMMENT ON COLUMN org_units.written_by IS 'org.self of the daemon whose directory wrote the row; only it updates or removes it';
COMMENT ON COLUMN kpi_targets.written_by IS 'org.self of the daemon whose targets file wrote the row; '''' for the built-in defaults';
COMMENT ON COLUMN kpi_report_periods.written_by IS 'org.self of the daemon whose config defined the period; '''' for the built-in defaults';

ALTER TABLE rejects DROP CONSTRAINT rejects_run_id_fkey;
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_pkey;
ALTER TABLE sync_runs ADD PRIMARY KEY (commune, id);
ALTER TABLE rejects ADD CONSTRAINT rejects_run_id_fkey FOREIGN KEY (commune, run_id) REFERENCES sync_runs (commune, id);
DROP INDEX sync_runs_connector;
CREATE INDEX sync_runs_connector ON sync_runs (commune, connector, started_at DESC);

ALTER TABLE sync_state DROP CONSTRAINT sync_state_pkey;
ALTER TABLE sync_state ADD PRIMARY KEY (commune, connector, stream);

ALTER TABLE rejects DROP CONSTRAINT rejects_connector_source_key_key;
ALTER TABLE rejects ADD CONSTRAINT rejects_connector_source_key_key UNIQUE (commune, connector, source_key);

ALTER TABLE register_unresolved_names DROP CONSTRAINT register_unresolved_names_pkey;
ALTER TABLE register_unresolved_names ADD PRIMARY KEY (commune, connector, file, role, name_key);

-- +goose Down
ALTER TABLE register_unresolved_names DROP CONSTRAINT register_unresolved_names_pkey;
ALTER TABLE register_unresolved_names ADD PRIMARY KEY (connector, file, role, name_key);
ALTER TABLE rejects DROP CONSTRAINT rejects_connector_source_key_key;
ALTER TABLE rejects ADD CONSTRAINT rejects_connector_source_key_key UNIQUE (connector, source_key);
ALTER TABLE sync_state DROP CONSTRAINT sync_state_pkey;
ALTER TABLE sync_state ADD PRIMARY KEY (connector, stream);
DROP INDEX sync_runs_connector;
CREATE INDEX sync_runs_connector ON sync_runs (connector, started_at DESC);
ALTER TABLE rejects DROP CONSTRAINT rejects_run_id_fkey;
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_pkey;
ALTER TABLE sync_runs ADD PRIMARY KEY (id);
ALTER TABLE rejects ADD CONSTRAINT rejects_run_id_fkey FOREIGN KEY (run_id) REFERENCES sync_runs (id);
ALTER TABLE kpi_targets DROP COLUMN written_by;
ALTER TABLE kpi_report_periods DROP COLUMN written_by;
ALTER TABLE org_units DROP COLUMN written_by;
ALTER TABLE register_unresolved_names DROP COLUMN commune;
ALTER TABLE rejects DROP COLUMN commune;
ALTER TABLE sync_state DROP COLUMN commune;
ALTER TABLE sync_runs DROP COLUMN commune;
