package grade

import (
	"math"
	"testing"
)

func TestPoints(t *testing.T) {
	p := DefaultPoints()
	tests := []struct{ pd, want float64 }{
		{1.0 / 51, 600},  // odds 50:1
		{1.0 / 101, 620}, // odds 100:1: one doubling
		{1.0 / 26, 580},  // odds 25:1
	}
	for _, tt := range tests {
		if got := p.Score(tt.pd); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Score(%v) = %v; want %v", tt.pd, got, tt.want)
		}
	}
}
