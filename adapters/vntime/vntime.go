// Package vntime is the one definition of Vietnam time (architecture.md
// rule 10): UTC+7, no daylight saving. It imports nothing of chiso, so every
// layer (adapters, mapping, sync, warehouse, report, cmd) may use it.
package vntime

import "time"

// Location is Vietnam time, UTC+7 without daylight saving. Wire times that
// carry no zone are read in it; periods and dates are Vietnam dates.
var Location = time.FixedZone("ICT", 7*3600)
