package main

import "time"

var nowFunc = time.Now

func boolExit(ok bool) int {
	if ok {
		return 0
	}
	return 1
}
