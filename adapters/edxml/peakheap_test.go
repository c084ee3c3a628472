package edxml_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// heapPeak collects garbage, then samples HeapInuse every 2 ms until the
// returned stop is called; stop returns the peak in bytes. It measures what
// one parse holds at once (B/op counts what it allocates over time).
func heapPeak() (stop func() uint64) {
	runtime.GC()
	runtime.GC() // pooled objects live through one collection
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak.Load() {
			peak.Store(ms.HeapInuse)
		}
	}
	go func() {
		defer wg.Done()
		for {
			sample()
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		sample()
		return peak.Load()
	}
}

// mb is bytes in MiB.
func mb(n uint64) float64 { return float64(n) / (1 << 20) }
