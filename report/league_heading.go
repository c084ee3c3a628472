package report

// LeagueHeading is the short heading of indicator id's column in the league
// table (the one the table, csv, md and xlsx formats print), or label when
// the indicator has none; the web page's league table uses it too.
func LeagueHeading(id, label string) string {
	if h := leagueShort[id]; h != "" {
		return h
	}
	return label
}
