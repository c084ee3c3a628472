package meetingssim

import (
	"testing"

	wire "chiso/adapters/meetings"
)

// BenchmarkParseCommuneFeed parses and expands the commune's two-year
// generated feed (a weekly series with exceptions and ~100 single events).
func BenchmarkParseCommuneFeed(b *testing.B) {
	data := Generate(Options{Seed: 1})[0].ICS()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wire.ParseICS(data, wire.ParseOptions{From: from2025, To: to2027}); err != nil {
			b.Fatal(err)
		}
	}
}
