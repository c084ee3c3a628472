//go:build unix

package edxml_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used: a rate per
// CPU-second stays meaningful on a busy machine where wall time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
