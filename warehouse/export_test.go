package warehouse

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
