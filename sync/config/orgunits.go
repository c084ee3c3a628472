package config

import (
	"chiso/mapping/orgdir"
	"chiso/warehouse"
)

// OrgUnits returns the units of the org directory as the warehouse's
// org_units rows (Store.SyncOrgUnits): code, name, relation, level, parent
// and the unit a predecessor was merged into.
func OrgUnits(dir *orgdir.Directory) []warehouse.OrgUnit {
	if dir == nil {
		return nil
	}
	units := make([]warehouse.OrgUnit, 0, len(dir.Units))
	for _, u := range dir.Units {
		ou := warehouse.OrgUnit{Code: u.Code, Name: u.Name, Relation: u.Relation, Level: u.Level}
		if u.Parent != "" {
			p := u.Parent
			ou.ParentCode = &p
		}
		if u.MergedInto != "" {
			m := u.MergedInto
			ou.MergedInto = &m
		}
		units = append(units, ou)
	}
	return units
}
