package registers

// TEMPORARY: a stand-in for mapping/documents.DocKey (being written by
// another engineer); deleted when it lands.

import (
	"strconv"
	"strings"
)

func docKey(issuer string, year int, series, number, notation string) string {
	return strings.Join([]string{strings.ToUpper(issuer), strconv.Itoa(year), series, strings.TrimLeft(number, "0"), strings.ToUpper(notation)}, "|")
}
