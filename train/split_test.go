package train

import (
	"fmt"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/backtest"
)

func sampleOf(dates []datasets.Date, y []float64) *backtest.Sample {
	s := &backtest.Sample{Dataset: models.Dataset{X: models.NewMatrix(len(y), []string{"x"}), Y: y}, AsOf: dates}
	for i := range y {
		s.CustomerIDs = append(s.CustomerIDs, "C")
		s.X.Data[i] = float64(i)
	}
	return s
}

func TestSplitOutOfTime(t *testing.T) {
	var dates []datasets.Date
	var y []float64
	for m := 0; m < 10; m++ {
		for i := 0; i < 100; i++ {
			dates = append(dates, datasets.YMD(2023, 1+0, 1).AddMonths(m))
			y = append(y, float64(i%10/9))
		}
	}
	s := sampleOf(dates, y)
	for i := range s.CustomerIDs {
		s.CustomerIDs[i] = fmt.Sprintf("C%03d", i%100)
	}
	sp, err := SplitSample(s, 0.2, 0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 60% of customers at 60% of dates train, 20% of customers at 20% of dates validate and test.
	if sp.Method != "out-of-time" || len(sp.Train) != 360 || len(sp.Valid) != 40 || len(sp.Test) != 40 {
		t.Fatalf("split %s %d/%d/%d; want out-of-time 360/40/40", sp.Method, len(sp.Train), len(sp.Valid), len(sp.Test))
	}
	seen := map[string]string{}
	for part, idx := range map[string][]int{"train": sp.Train, "valid": sp.Valid, "test": sp.Test} {
		for _, i := range idx {
			if p, ok := seen[s.CustomerIDs[i]]; ok && p != part {
				t.Fatalf("customer %s is in both %s and %s", s.CustomerIDs[i], p, part)
			}
			seen[s.CustomerIDs[i]] = part
		}
	}
	if !(sp.TrainDates[1] < sp.ValidDates[0] && sp.ValidDates[1] < sp.TestDates[0]) {
		t.Errorf("parts overlap in time: %v %v %v", sp.TrainDates, sp.ValidDates, sp.TestDates)
	}
}

func TestSplitStratified(t *testing.T) {
	d := datasets.YMD(2005, 10, 1)
	var dates []datasets.Date
	var y []float64
	for i := 0; i < 1000; i++ {
		dates = append(dates, d)
		y = append(y, float64(i%5/4)) // 20% defaults
	}
	s := sampleOf(dates, y)
	a, err := SplitSample(s, 0.2, 0.2, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SplitSample(s, 0.2, 0.2, 7)
	if a.Method != "stratified" || len(a.Test) != 200 || len(a.Valid) != 200 || len(a.Train) != 600 {
		t.Fatalf("split %s %d/%d/%d; want stratified 600/200/200", a.Method, len(a.Train), len(a.Valid), len(a.Test))
	}
	defaults := 0
	for _, i := range a.Test {
		defaults += int(y[i])
	}
	if defaults != 40 {
		t.Errorf("test part has %d defaults; want 40 (stratified)", defaults)
	}
	for i := range a.Test {
		if a.Test[i] != b.Test[i] {
			t.Fatal("the same seed split differently")
		}
	}
}
