// Package vntime is the one definition of Vietnam time (architecture.md
// rule 10): UTC+7, no daylight saving. It imports nothing of chiso, so every
// layer (adapters, mapping, sync, warehouse, report, cmd) may use it.
package vntime

import "time"

// Name is the IANA name of Vietnam time, as configs and iCal feeds spell it
// (TZID=Asia/Ho_Chi_Minh); it resolves to Location.
const Name = "Asia/Ho_Chi_Minh"

// Location is Vietnam time, UTC+7 without daylight saving. Wire times that
// carry no zone are read in it; periods and dates are Vietnam dates.
var Location = time.FixedZone("ICT", 7*3600)
