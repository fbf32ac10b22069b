package rescore

import (
	"context"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// discard is a Sink that keeps nothing.
type discard struct{}

func (discard) Write([]Row) error { return nil }

// BenchmarkRun scores the test book: reading, features, PD, reasons and
// the limit of every customer.
func BenchmarkRun(b *testing.B) {
	f := testFixture(b)
	cfg := DefaultConfig(datasets.YMD(2025, 1, 1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(context.Background(), f.book, f.scorer, cfg, discard{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(f.hs)), "ns/customer")
}
