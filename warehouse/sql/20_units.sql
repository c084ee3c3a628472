-- The reporting tree: root = every self or internal unit that was not
-- merged away; member = the root, its internal descendants, and the
-- predecessors merged into any of them (with their internal descendants).

CREATE OR REPLACE VIEW kpi_unit_edges AS
SELECT code AS child, parent_code AS parent FROM org_units
 WHERE relation = 'internal' AND parent_code IS NOT NULL AND merged_into IS NULL
UNION ALL
SELECT code, merged_into FROM org_units WHERE merged_into IS NOT NULL;

CREATE OR REPLACE VIEW kpi_unit_closure AS
WITH RECURSIVE c(root, member) AS (
    SELECT code, code FROM org_units WHERE relation IN ('self', 'internal') AND merged_into IS NULL
  UNION
    SELECT c.root, e.child FROM c JOIN kpi_unit_edges e ON e.parent = c.member
)
SELECT root, member FROM c;

-- kpi_unit_members lists a unit and everything that rolls up into it.
CREATE OR REPLACE FUNCTION kpi_unit_members(p_root text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE c(member) AS (
      SELECT p_root
    UNION
      SELECT e.child FROM c JOIN kpi_unit_edges e ON e.parent = c.member
  ) SELECT member FROM c $$;
