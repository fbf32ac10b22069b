package features

import (
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
)

// TestAddMonthsMatchesDatasets holds the fast month arithmetic equal to the
// book's own definition, for every day of four centuries around today.
func TestAddMonthsMatchesDatasets(t *testing.T) {
	shifts := []int{-120, -24, -12, -6, -3, -1, 0, 1, 12, 25}
	for d := datasets.YMD(1850, time.January, 1); d < datasets.YMD(2250, time.January, 1); d++ {
		for _, n := range shifts {
			if got, want := addMonths(d, n), d.AddMonths(n); got != want {
				t.Fatalf("addMonths(%s, %d) = %s; want %s", d, n, got, want)
			}
		}
	}
}
