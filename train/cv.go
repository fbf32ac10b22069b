package train

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/backtest"
)

// CrossValidate cross-validates every configured family in k rounds
// (selectionFolds: grouped by customer, rolling over time where the book
// has several as-of dates) and reports each round's held-out AUC of the
// uncalibrated model; with the blend's members, the blend's too.
func CrossValidate(ctx context.Context, book *datasets.Book, cfg Config, k int) ([]*Selection, backtest.Counts, error) {
	if k < 2 {
		return nil, backtest.Counts{}, fmt.Errorf("cross-validation needs at least 2 folds, got %d", k)
	}
	prep, err := backtest.Prepare(ctx, book, cfg.Observations)
	if err != nil {
		return nil, backtest.Counts{}, err
	}
	sample, counts, err := backtest.Collect(ctx, book, prep, cfg.Observations.Workers)
	if err != nil {
		return nil, counts, err
	}
	if err := sample.Check(); err != nil {
		return nil, counts, err
	}
	families := cfg.Families
	if len(families) == 0 {
		families = Families
	}
	var out []*Selection
	for _, fam := range families {
		sel, err := crossValidate(ctx, sample, fam, cfg, k)
		if err != nil {
			return nil, counts, err
		}
		out = append(out, sel)
	}
	sel, err := crossValidateBlend(out, sample.Y, sample.W)
	if err != nil {
		return nil, counts, err
	}
	if sel != nil {
		out = append(out, sel)
	}
	return out, counts, nil
}

// hashedCustomer is a customer in a seeded pseudo-random order.
type hashedCustomer struct {
	id        string
	hash      uint64
	defaulted bool // has a row labelled 1
}

// hashedCustomers lists the customers of s ordered by a seeded hash of
// their id: the same seed gives the same order.
func hashedCustomers(s *backtest.Sample, seed uint64) []*hashedCustomer {
	byID := map[string]*hashedCustomer{}
	var custs []*hashedCustomer
	for i, id := range s.CustomerIDs {
		c, ok := byID[id]
		if !ok {
			h := fnv.New64a()
			fmt.Fprintf(h, "%d/%s", seed, id)
			c = &hashedCustomer{id: id, hash: h.Sum64()}
			byID[id] = c
			custs = append(custs, c)
		}
		if s.Y[i] == 1 {
			c.defaulted = true
		}
	}
	slices.SortFunc(custs, func(a, b *hashedCustomer) int {
		if a.hash != b.hash {
			if a.hash < b.hash {
				return -1
			}
			return 1
		}
		return cmpString(a.id, b.id)
	})
	return custs
}

// customerFolds assigns each row the fold of its customer: customers in
// hashed order are dealt round-robin within each label, so folds are
// balanced in defaults.
func customerFolds(s *backtest.Sample, k int, seed uint64) []int {
	foldOf := map[string]int{}
	var nDef, nGood int
	for _, c := range hashedCustomers(s, seed) {
		if c.defaulted {
			foldOf[c.id] = nDef % k
			nDef++
		} else {
			foldOf[c.id] = nGood % k
			nGood++
		}
	}
	out := make([]int, len(s.CustomerIDs))
	for i, id := range s.CustomerIDs {
		out[i] = foldOf[id]
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)))
}
