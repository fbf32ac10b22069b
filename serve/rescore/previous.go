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

// ReadPrevious reads an earlier output (Parquet or CSV, a file or a shard
// set) for comparison.
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

// migration accumulates a Migration as rows stream by, looking each
// customer up in the earlier output.
type migration struct {
	prev *Previous
	mv   Moves
}

func newMigration(p *Previous) *migration { return &migration{prev: p, mv: *NewMoves()} }

// add compares a customer's latest current row.
func (mg *migration) add(r *Row) {
	old, ok := mg.prev.byID[r.CustomerID]
	if !ok {
		mg.mv.AddNew()
		return
	}
	mg.mv.Add(r, Latest{AsOf: old.asOf, PD: old.pd, Grade: int(old.grade)})
}

func (mg *migration) finish() *Migration {
	mg.mv.M.Gone = int64(mg.prev.Customers()) - mg.mv.M.Matched
	return mg.mv.Finish(mg.prev.Path, mg.prev.model)
}

// Latest is a customer's latest row in an earlier output, as the
// migration compares it.
type Latest struct {
	AsOf  datasets.Date
	PD    float64
	Grade int
}

// Moves counts the grade migration customer by customer. Moves of
// different customers merge in any order to the same Migration, so a
// pipeline can join the current and earlier rows by customer on many
// machines and merge the counts.
type Moves struct {
	M Migration // Rises held as a heap until Finish
}

// NewMoves starts empty counts.
func NewMoves() *Moves {
	mv := &Moves{M: Migration{Matrix: make([][]int64, gradeCount)}}
	for i := range mv.M.Matrix {
		mv.M.Matrix[i] = make([]int64, gradeCount)
	}
	return mv
}

// AddNew counts a customer only in the current output.
func (mv *Moves) AddNew() { mv.M.New++ }

// AddGone counts a customer only in the earlier output.
func (mv *Moves) AddGone() { mv.M.Gone++ }

// Add compares r, a customer's latest current row, with old, its latest
// row in the earlier output.
func (mv *Moves) Add(r *Row, old Latest) {
	mv.M.Matched++
	from := old.Grade
	mv.M.Matrix[from-1][r.Grade-1]++
	switch {
	case r.Grade < from:
		mv.M.Upgrades++
	case r.Grade > from:
		mv.M.Downgrades++
	default:
		mv.M.Unchanged++
	}
	c := Change{CustomerID: r.CustomerID, PreviousAsOf: old.AsOf, AsOf: r.AsOf,
		PreviousPD: old.PD, PD: r.PD, PreviousGrade: from, Grade: r.Grade}
	if !(c.Rise() > 0) || r.Grade == gradeCount {
		return
	}
	mv.addRise(c)
}

func (mv *Moves) addRise(c Change) {
	h := (*risesHeap)(&mv.M.Rises)
	if len(*h) < EarlyWarnings {
		heap.Push(h, c)
	} else if lessRise((*h)[0], c) {
		(*h)[0] = c
		heap.Fix(h, 0)
	}
}

// Merge adds the counts of o, moves of other customers.
func (mv *Moves) Merge(o *Moves) {
	m := &mv.M
	m.Matched += o.M.Matched
	m.New += o.M.New
	m.Gone += o.M.Gone
	m.Upgrades += o.M.Upgrades
	m.Downgrades += o.M.Downgrades
	m.Unchanged += o.M.Unchanged
	for i, row := range o.M.Matrix {
		for j, n := range row {
			m.Matrix[i][j] += n
		}
	}
	for _, c := range o.M.Rises {
		mv.addRise(c)
	}
}

// Finish returns the migration against the earlier output previous, whose
// first row was scored by previousModel; mv is not used after.
func (mv *Moves) Finish(previous, previousModel string) *Migration {
	m := mv.M
	m.Previous, m.PreviousModel = previous, previousModel
	m.Rises = slices.Clone(m.Rises)
	slices.SortFunc(m.Rises, func(a, b Change) int {
		if lessRise(a, b) {
			return 1
		}
		if lessRise(b, a) {
			return -1
		}
		return 0
	})
	return &m
}

// lessRise orders changes by rise, a smaller rise first; on a tie the
// larger customer_id first, so the list keeps the smallest ids.
func lessRise(a, b Change) bool {
	if c := cmp.Compare(a.Rise(), b.Rise()); c != 0 {
		return c < 0
	}
	return datasets.CompareIDs(a.CustomerID, b.CustomerID) > 0
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
