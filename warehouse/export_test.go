package warehouse

import "context"

// ArrayLiteral exposes the array encoder (pgArray) to the tests of
// package warehouse_test: the literal of vals, each written with text, or
// with textOrNull ("" as NULL) when orNull.
func ArrayLiteral(vals []string, orNull bool) string {
	var a pgArray
	a.start()
	for _, v := range vals {
		if orNull {
			a.textOrNull(v)
		} else {
			a.text(v)
		}
	}
	return string(a.end())
}

// ApplyKPISQLFiles applies files as Migrate applies the embedded kpi
// files (tests of the checksum rule).
func (s *Store) ApplyKPISQLFiles(ctx context.Context, files []KPISQLFile) (bool, error) {
	return s.applyKPISQLFiles(ctx, files)
}
