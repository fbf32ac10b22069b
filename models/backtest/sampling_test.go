package backtest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
)

func TestSampleRuleDraw(t *testing.T) {
	rule := SampleRule{NonDefaultRate: 0.1, Seed: 3}
	if err := rule.Validate(); err != nil {
		t.Fatal(err)
	}
	const n = 100000
	kept := 0
	for i := range n {
		o := Observation{CustomerID: fmt.Sprint(i / 12), AsOf: datasets.YMD(2023, time.Month(1+i%12), 1), Status: features.Labelled}
		w := rule.Weight(&o)
		if w != 0 && w != 10 {
			t.Fatalf("a non-default weighs %v; want 0 or 10", w)
		}
		if w > 0 {
			kept++
		}
		if again := rule.Weight(&o); again != w {
			t.Fatal("the same observation drawn twice gave two answers")
		}
		o.Label = 1
		if w := rule.Weight(&o); w != 1 {
			t.Fatalf("a default weighs %v; want 1, always kept", w)
		}
		o.Status = features.Censored
		if w := rule.Weight(&o); w != 0 {
			t.Fatalf("an unlabelled observation weighs %v; want 0", w)
		}
	}
	// Binomial(100000, 0.1): sd 95; 5 sd either side.
	if math.Abs(float64(kept)-0.1*n) > 475 {
		t.Errorf("kept %d of %d non-defaults at rate 0.1", kept, n)
	}
	// Another seed draws other rows.
	other, same := SampleRule{NonDefaultRate: 0.1, Seed: 4}, 0
	for i := range 1000 {
		o := Observation{CustomerID: fmt.Sprint(i), AsOf: datasets.YMD(2023, 1, 1), Status: features.Labelled}
		if (rule.Weight(&o) > 0) == (other.Weight(&o) > 0) {
			same++
		}
	}
	if same > 900 {
		t.Errorf("seeds 3 and 4 agree on %d of 1000 draws", same)
	}
	for _, bad := range []float64{0, -0.1, 1.5, math.NaN()} {
		if (SampleRule{NonDefaultRate: bad}).Validate() == nil {
			t.Errorf("rate %v accepted", bad)
		}
	}
	if got, want := rule.String(), "every default and 10% of the non-defaults, each weighing 10 (seed 3)"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}
