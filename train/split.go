package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/backtest"
)

// Split is how a sample was divided into training, validation (early
// stopping and calibration) and test (the reported metrics) rows.
type Split struct {
	Method                 string // "out-of-time" or "stratified"
	Train, Valid, Test     []int
	TrainDates, ValidDates [2]datasets.Date // first and last as_of of each part (out-of-time)
	TestDates              [2]datasets.Date
}

// SplitSample divides s. When s spans at least three as-of dates the split
// is out of time and out of sample: the earliest dates train, later ones
// validate, the latest test (each about its share of rows), and customers
// are dealt into three groups in the same shares, so that a part only
// holds its own group's customers. A model is then judged on customers it
// never saw, later than it was trained: a customer's attributes and
// overlapping outcome windows cannot leak from training into the test.
// Otherwise the split is stratified at random by label.
func SplitSample(s *backtest.Sample, validShare, testShare float64, seed uint64) (Split, error) {
	if s.X.Rows == 0 {
		return Split{}, fmt.Errorf("split: no labelled observations")
	}
	dates := slices.Clone(s.AsOf)
	slices.Sort(dates)
	dates = slices.Compact(dates)
	if len(dates) >= 3 {
		return splitOutOfTime(s, dates, validShare, testShare, seed)
	}
	return splitStratified(s, validShare, testShare, seed), nil
}

// customerGroups deals customers into train (0), valid (1) and test (2)
// groups by a seeded hash of their id, separately for customers with and
// without a default so each group holds its share of both.
func customerGroups(s *backtest.Sample, validShare, testShare float64, seed uint64) []int {
	custs := hashedCustomers(s, seed)
	group := map[string]int{}
	for _, defaulted := range []bool{false, true} {
		var ids []string
		for _, c := range custs {
			if c.defaulted == defaulted {
				ids = append(ids, c.id)
			}
		}
		nTest := int(math.Round(testShare * float64(len(ids))))
		nValid := int(math.Round(validShare * float64(len(ids))))
		for k, id := range ids {
			switch {
			case k < nTest:
				group[id] = 2
			case k < nTest+nValid:
				group[id] = 1
			}
		}
	}
	out := make([]int, len(s.CustomerIDs))
	for i, id := range s.CustomerIDs {
		out[i] = group[id]
	}
	return out
}

func splitOutOfTime(s *backtest.Sample, dates []datasets.Date, validShare, testShare float64, seed uint64) (Split, error) {
	// Walk dates from the latest back, giving whole dates to test, then
	// validation, until each holds its share of rows.
	perDate := map[datasets.Date]int{}
	for _, d := range s.AsOf {
		perDate[d]++
	}
	n := float64(s.X.Rows)
	testFrom := len(dates)
	acc := 0
	for testFrom > 2 && float64(acc) < testShare*n {
		testFrom--
		acc += perDate[dates[testFrom]]
	}
	acc = 0
	validFrom := testFrom
	for validFrom > 1 && float64(acc) < validShare*n {
		validFrom--
		acc += perDate[dates[validFrom]]
	}
	sp := Split{Method: "out-of-time"}
	group := customerGroups(s, validShare, testShare, seed)
	for i, d := range s.AsOf {
		switch {
		case d >= dates[testFrom] && group[i] == 2:
			sp.Test = append(sp.Test, i)
		case d >= dates[validFrom] && d < dates[testFrom] && group[i] == 1:
			sp.Valid = append(sp.Valid, i)
		case d < dates[validFrom] && group[i] == 0:
			sp.Train = append(sp.Train, i)
		}
	}
	sp.TrainDates = [2]datasets.Date{dates[0], dates[validFrom-1]}
	sp.ValidDates = [2]datasets.Date{dates[validFrom], dates[testFrom-1]}
	sp.TestDates = [2]datasets.Date{dates[testFrom], dates[len(dates)-1]}
	for _, part := range [][]int{sp.Train, sp.Valid, sp.Test} {
		if !hasBothLabels(s.Y, part) {
			return sp, fmt.Errorf("split: an out-of-time part (train %s–%s, valid %s–%s, test %s–%s) lacks defaults or non-defaults; the book needs more defaults (a lower --dpd-threshold, a longer history) or more customers",
				sp.TrainDates[0], sp.TrainDates[1], sp.ValidDates[0], sp.ValidDates[1], sp.TestDates[0], sp.TestDates[1])
		}
	}
	return sp, nil
}

func hasBothLabels(y []float64, idx []int) bool {
	var pos, neg bool
	for _, i := range idx {
		if y[i] == 1 {
			pos = true
		} else {
			neg = true
		}
	}
	return pos && neg
}

func splitStratified(s *backtest.Sample, validShare, testShare float64, seed uint64) Split {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	sp := Split{Method: "stratified"}
	for _, label := range []float64{0, 1} {
		var idx []int
		for i, y := range s.Y {
			if y == label {
				idx = append(idx, i)
			}
		}
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		nTest := int(math.Round(testShare * float64(len(idx))))
		nValid := int(math.Round(validShare * float64(len(idx))))
		sp.Test = append(sp.Test, idx[:nTest]...)
		sp.Valid = append(sp.Valid, idx[nTest:nTest+nValid]...)
		sp.Train = append(sp.Train, idx[nTest+nValid:]...)
	}
	for _, part := range [][]int{sp.Train, sp.Valid, sp.Test} {
		slices.Sort(part)
	}
	return sp
}
