package facts

// Levels of an org unit in a provincial deployment (org directory key
// level:, column org_units.level): the province and its communes are
// marked so that the league table (chiso report --by-unit) knows which
// children of a province or district are the communes it compares; ""
// is any other unit.
const (
	LevelProvince = "province"
	LevelDistrict = "district"
	LevelCommune  = "commune"
)

// ValidLevel reports whether l is "" or one of the level values.
func ValidLevel(l string) bool {
	switch l {
	case "", LevelProvince, LevelDistrict, LevelCommune:
		return true
	}
	return false
}
