package features

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// fuzzBytes reads values from fuzz input, zeros once it runs out.
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) u8() byte {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return c
}

func (f *fuzzBytes) u64() uint64 {
	var buf [8]byte
	for i := range buf {
		buf[i] = f.u8()
	}
	return binary.LittleEndian.Uint64(buf[:])
}

func (f *fuzzBytes) i16() int { return int(int16(uint16(f.u8()) | uint16(f.u8())<<8)) }

// date is near genStart mostly, and now and then missing or extreme.
func (f *fuzzBytes) date() datasets.Date {
	switch f.u8() % 16 {
	case 0:
		return datasets.NoDate
	case 1:
		return math.MinInt32 + 1
	case 2:
		return math.MaxInt32
	}
	return genStart + datasets.Date(f.i16()/16)
}

// amount is a plausible amount mostly, and now and then missing, zero,
// negative or extreme.
func (f *fuzzBytes) amount() datasets.Amount {
	switch f.u8() % 8 {
	case 0:
		return datasets.NoAmount
	case 1:
		return math.MaxInt64
	case 2:
		return datasets.Amount(f.u64())
	case 3:
		return -datasets.Amount(f.u8())
	}
	return datasets.Amount(f.u64() % (1 << 40))
}

func (f *fuzzBytes) history() *datasets.History {
	h := &datasets.History{}
	if f.u8()%2 == 0 {
		h.Customer = &datasets.Customer{
			Numeric:     []float64{math.Float64frombits(f.u64()), float64(f.i16())},
			Categorical: []string{genIndustries[int(f.u8())%len(genIndustries)], genCountries[int(f.u8())%len(genCountries)]},
		}
		h.Customer.Numeric = h.Customer.Numeric[:f.u8()%3]
	}
	for range f.u8() % 32 {
		issue := f.date()
		h.Invoices = append(h.Invoices, datasets.Invoice{
			IssueDate:  issue,
			DueDate:    f.date(),
			Amount:     f.amount(),
			PaidDate:   f.date(),
			PaidAmount: f.amount(),
			Disputed:   f.u8()%2 == 0,
		})
	}
	for range f.u8() % 32 {
		h.Statements = append(h.Statements, datasets.Statement{
			PeriodEnd:   f.date(),
			DaysPastDue: int32(f.i16()),
			Status:      genStatuses[int(f.u8())%len(genStatuses)],
			Balance:     f.amount(),
			CreditLimit: f.amount(),
			Payment:     f.amount(),
		})
	}
	return h
}

// FuzzBuild checks that every feature is finite or NaN, never ±Inf, that
// counts, balances and shares are never negative, and that Build is
// deterministic, on arbitrary (also out-of-contract) histories.
func FuzzBuild(f *testing.F) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 8 {
		seed := make([]byte, 600)
		for i := range seed {
			seed[i] = byte(r.Uint32())
		}
		f.Add(seed)
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0, 3, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	levels := NewLevelCounter(testSchema)
	levels.Add(&datasets.Customer{Categorical: []string{"retail", "DE"}})
	levels.AddStatements([]datasets.Statement{{Status: "C"}})
	s := mustSet(f, DefaultConfig(), testSchema, levels)
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &fuzzBytes{data}
		asOf := in.date()
		h := in.history()
		got := s.Build(h, asOf, nil)
		if len(got) != s.Len() {
			t.Fatalf("got %d values; want %d", len(got), s.Len())
		}
		for i, x := range got {
			if math.IsInf(x, 0) {
				t.Errorf("%s = %v", s.names[i], x)
			}
			if s.nonNegative[i] && x < 0 {
				t.Errorf("%s = %v; want >= 0", s.names[i], x)
			}
		}
		if again := s.Build(h, asOf, nil); !sameBits(got, again) {
			t.Errorf("second Build differs at %s", firstDiff(s, got, again))
		}
	})
}

// FuzzParseHorizon checks that ParseHorizon accepts only what it writes back
// the same way.
func FuzzParseHorizon(f *testing.F) {
	for _, s := range []string{"12mo", "90d", "1y", "6m", "2w", "0d", "-1y", "12", "mo", "1 Month", "99999999999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHorizon(s)
		if err != nil {
			return
		}
		if !h.Valid() {
			t.Fatalf("ParseHorizon(%q) = %+v without error; want a valid horizon", s, h)
		}
		back, err := ParseHorizon(h.String())
		if err != nil || back != h {
			t.Fatalf("ParseHorizon(%q) = %v; its String %q parses as %v, %v", s, h, h.String(), back, err)
		}
	})
}
