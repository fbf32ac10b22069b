package rescore

import (
	"cmp"
	"container/heap"
	"slices"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/grade"
)

// gradeCount is the number of grades on the master scale, the default
// grade included.
const gradeCount = grade.DefaultGrade

// EarlyWarnings is the number of customers in the early-warning list.
const EarlyWarnings = 50

// Previous is an earlier rescore output, held as each customer's latest
// row (largest as_of; the later row of the file on a tie).
type Previous struct {
	Path  string
	Rows  int64 // rows read
	byID  map[string]previousRow
	model string // model_version of the first row
}

type previousRow struct {
	asOf  datasets.Date
	pd    float64
	grade int8
}

// ReadPrevious reads an earlier output (Parquet or CSV) for comparison.
// It holds one small entry per customer.
func ReadPrevious(path string) (*Previous, error) {
	p := &Previous{Path: path, byID: map[string]previousRow{}}
	err := Read(path, func(r *Row) error {
		p.Rows++
		if p.model == "" {
			p.model = r.ModelVersion
		}
		if old, ok := p.byID[r.CustomerID]; ok && old.asOf > r.AsOf {
			return nil
		}
		p.byID[r.CustomerID] = previousRow{asOf: r.AsOf, pd: r.PD, grade: int8(r.Grade)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Customers is the number of customers in the earlier output.
func (p *Previous) Customers() int { return len(p.byID) }

// Migration compares each customer's latest current row with its latest
// row in an earlier output.
type Migration struct {
	Previous      string `json:"previous"`
	PreviousModel string `json:"previous_model_version,omitempty"`
	// Matched customers are in both; New only in the current output, Gone
	// only in the earlier one.
	Matched int64 `json:"matched"`
	New     int64 `json:"new"`
	Gone    int64 `json:"gone"`
	// Upgrades moved to a better (lower) grade, Downgrades to a worse one.
	Upgrades   int64 `json:"upgrades"`
	Downgrades int64 `json:"downgrades"`
	Unchanged  int64 `json:"unchanged"`
	// Matrix[i][j] counts matched customers from grade i+1 to grade j+1.
	Matrix [][]int64 `json:"matrix"`
	// Rises are the largest PD increases of customers not (yet) in
	// default, largest first (ties by customer_id): the early-warning
	// list. Customers who moved into default are in the matrix's last
	// column instead.
	Rises []Change `json:"early_warning"`
}

// Change is one customer's move between two outputs.
type Change struct {
	CustomerID    string        `json:"customer_id"`
	PreviousAsOf  datasets.Date `json:"previous_as_of"`
	AsOf          datasets.Date `json:"as_of"`
	PreviousPD    float64       `json:"previous_pd"`
	PD            float64       `json:"pd"`
	PreviousGrade int           `json:"previous_grade"`
	Grade         int           `json:"grade"`
}

// Rise is the increase of the PD.
func (c Change) Rise() float64 { return c.PD - c.PreviousPD }

// migration accumulates a Migration as rows stream by.
type migration struct {
	prev  *Previous
	m     Migration
	rises risesHeap
}

func newMigration(p *Previous) *migration {
	mg := &migration{prev: p, m: Migration{Previous: p.Path, PreviousModel: p.model, Matrix: make([][]int64, gradeCount)}}
	for i := range mg.m.Matrix {
		mg.m.Matrix[i] = make([]int64, gradeCount)
	}
	return mg
}

// add compares a customer's latest current row.
func (mg *migration) add(r *Row) {
	old, ok := mg.prev.byID[r.CustomerID]
	if !ok {
		mg.m.New++
		return
	}
	mg.m.Matched++
	from := int(old.grade)
	mg.m.Matrix[from-1][r.Grade-1]++
	switch {
	case r.Grade < from:
		mg.m.Upgrades++
	case r.Grade > from:
		mg.m.Downgrades++
	default:
		mg.m.Unchanged++
	}
	c := Change{CustomerID: r.CustomerID, PreviousAsOf: old.asOf, AsOf: r.AsOf,
		PreviousPD: old.pd, PD: r.PD, PreviousGrade: from, Grade: r.Grade}
	if !(c.Rise() > 0) || r.Grade == gradeCount {
		return
	}
	if len(mg.rises) < EarlyWarnings {
		heap.Push(&mg.rises, c)
	} else if lessRise(mg.rises[0], c) {
		mg.rises[0] = c
		heap.Fix(&mg.rises, 0)
	}
}

func (mg *migration) finish() *Migration {
	mg.m.Gone = int64(mg.prev.Customers()) - mg.m.Matched
	mg.m.Rises = slices.Clone(mg.rises)
	slices.SortFunc(mg.m.Rises, func(a, b Change) int {
		if lessRise(a, b) {
			return 1
		}
		if lessRise(b, a) {
			return -1
		}
		return 0
	})
	return &mg.m
}

// lessRise orders changes by rise, a smaller rise first; on a tie the
// larger customer_id first, so the list keeps the smallest ids.
func lessRise(a, b Change) bool {
	if c := cmp.Compare(a.Rise(), b.Rise()); c != 0 {
		return c < 0
	}
	return a.CustomerID > b.CustomerID
}

// risesHeap is a min-heap of the largest rises seen.
type risesHeap []Change

func (h risesHeap) Len() int           { return len(h) }
func (h risesHeap) Less(i, j int) bool { return lessRise(h[i], h[j]) }
func (h risesHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *risesHeap) Push(x any)        { *h = append(*h, x.(Change)) }
func (h *risesHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
