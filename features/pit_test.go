package features

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// sameBits reports whether a and b hold the same bits, any NaN equal to any
// NaN.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// firstDiff names the first feature that differs, for messages.
func firstDiff(s *Set, a, b []float64) string {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return s.names[i]
		}
	}
	return ""
}

// A mutation changes h; it returns false when h offers nothing to change.
type mutation struct {
	name  string
	apply func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool
}

func randomPayment(r *rand.Rand, inv *datasets.Invoice, from datasets.Date) {
	inv.PaidDate = from + datasets.Date(r.IntN(300))
	switch r.IntN(3) {
	case 0:
		inv.PaidAmount = datasets.NoAmount
	case 1:
		inv.PaidAmount = inv.Amount
	default:
		inv.PaidAmount = inv.Amount * datasets.Amount(r.IntN(10)) / 10
	}
}

// pick returns the index of a random element satisfying ok, or -1.
func pick[T any](r *rand.Rand, xs []T, ok func(*T) bool) int {
	var idx []int
	for i := range xs {
		if ok(&xs[i]) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return -1
	}
	return idx[r.IntN(len(idx))]
}

// futureMutations change or add only facts dated on or after as_of.
var futureMutations = []mutation{
	{"add an invoice issued on or after as_of", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		h.Invoices = append(h.Invoices, randomInvoice(r, asOf+datasets.Date(r.IntN(400))))
		return true
	}},
	{"pay an item open at as_of on or after as_of", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		i := pick(r, h.Invoices, func(inv *datasets.Invoice) bool {
			return inv.IssueDate < asOf && (inv.PaidDate == datasets.NoDate || inv.PaidDate >= asOf)
		})
		if i < 0 {
			return false
		}
		randomPayment(r, &h.Invoices[i], asOf)
		return true
	}},
	{"reopen an item paid on or after as_of", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		i := pick(r, h.Invoices, func(inv *datasets.Invoice) bool {
			return inv.PaidDate != datasets.NoDate && inv.PaidDate >= asOf
		})
		if i < 0 {
			return false
		}
		h.Invoices[i].PaidDate = datasets.NoDate
		h.Invoices[i].PaidAmount = h.Invoices[i].Amount * datasets.Amount(r.IntN(10)) / 10
		return true
	}},
	{"change an invoice issued on or after as_of", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		i := pick(r, h.Invoices, func(inv *datasets.Invoice) bool { return inv.IssueDate >= asOf })
		if i < 0 {
			return false
		}
		h.Invoices[i] = randomInvoice(r, asOf+datasets.Date(r.IntN(100)))
		return true
	}},
	{"add a statement ending on or after as_of", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		h.Statements = append(h.Statements, randomStatement(r, asOf+datasets.Date(r.IntN(400))))
		return true
	}},
	{"change a statement ending on or after as_of", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		i := pick(r, h.Statements, func(st *datasets.Statement) bool { return st.PeriodEnd >= asOf })
		if i < 0 {
			return false
		}
		h.Statements[i] = randomStatement(r, h.Statements[i].PeriodEnd+datasets.Date(r.IntN(3)))
		return true
	}},
	{"add a default and an observation", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		h.Defaults = append(h.Defaults, datasets.Default{DefaultDate: asOf - datasets.Date(r.IntN(100))})
		h.Observations = append(h.Observations, asOf)
		return true
	}},
}

// pastMutations change a fact dated before as_of: they must show, or the
// property test could not fail.
var pastMutations = []mutation{
	{"add an invoice issued the day before as_of", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		inv := randomInvoice(r, asOf-1)
		inv.PaidDate, inv.PaidAmount = datasets.NoDate, datasets.NoAmount
		h.Invoices = append(h.Invoices, inv)
		return true
	}},
	{"pay an open item the day before as_of", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		i := pick(r, h.Invoices, func(inv *datasets.Invoice) bool {
			return inv.IssueDate < asOf-1 && (inv.PaidDate == datasets.NoDate || inv.PaidDate >= asOf)
		})
		if i < 0 {
			return false
		}
		h.Invoices[i].PaidDate, h.Invoices[i].PaidAmount = asOf-1, datasets.NoAmount
		return true
	}},
	{"add a statement ending the day before as_of", func(r *rand.Rand, h *datasets.History, asOf datasets.Date) bool {
		h.Statements = append(h.Statements, randomStatement(r, asOf-1))
		return true
	}},
}

// TestPointInTime checks, over random books, that no fact dated on or after
// as_of changes the features as of it, while a fact dated the day before
// does.
func TestPointInTime(t *testing.T) {
	r := rand.New(rand.NewPCG(20240701, 1))
	var hs []*datasets.History
	for range 400 {
		hs = append(hs, randomHistory(r))
	}
	s := mustSet(t, DefaultConfig(), testSchema, levelsOf(hs...))
	applied := map[string]int{}
	var before, after []float64
	for _, h := range hs {
		for range 5 {
			asOf := genStart + datasets.Date(r.IntN(1300)-60)
			before = s.Build(h, asOf, before)

			m := cloneHistory(h)
			for range 1 + r.IntN(4) {
				mu := futureMutations[r.IntN(len(futureMutations))]
				if mu.apply(r, m, asOf) {
					applied[mu.name]++
				}
			}
			after = s.Build(m, asOf, after)
			if !sameBits(before, after) {
				t.Fatalf("as of %s, a fact dated on or after it changed %s", asOf, firstDiff(s, before, after))
			}

			p := cloneHistory(h)
			mu := pastMutations[r.IntN(len(pastMutations))]
			if !mu.apply(r, p, asOf) {
				continue
			}
			applied[mu.name]++
			if after = s.Build(p, asOf, after); sameBits(before, after) {
				t.Fatalf("as of %s, %q changed no feature", asOf, mu.name)
			}
		}
	}
	for _, mu := range append(futureMutations, pastMutations...) {
		if applied[mu.name] < 20 {
			t.Errorf("%q applied %d times; want at least 20", mu.name, applied[mu.name])
		}
	}
}

// TestRowOrder checks that the order of rows does not matter. Sums of
// amounts weighted in float64 may differ in the last bits when added in
// another order, hence the tolerance.
func TestRowOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	s := mustSet(t, DefaultConfig(), testSchema, nil)
	for range 300 {
		h := randomHistory(r)
		asOf := genStart + datasets.Date(r.IntN(1300))
		want := s.Build(h, asOf, nil)
		m := cloneHistory(h)
		r.Shuffle(len(m.Invoices), func(i, j int) { m.Invoices[i], m.Invoices[j] = m.Invoices[j], m.Invoices[i] })
		r.Shuffle(len(m.Statements), func(i, j int) { m.Statements[i], m.Statements[j] = m.Statements[j], m.Statements[i] })
		got := s.Build(m, asOf, nil)
		for i := range got {
			if !closeTo(got[i], want[i]) {
				t.Fatalf("shuffled rows: %s = %v; want %v", s.names[i], got[i], want[i])
			}
		}
	}
}
