package features

import (
	"bytes"
	"cmp"
	"encoding/gob"
	"fmt"
	"slices"

	"github.com/credence-risk/credence/datasets"
)

// otherLevel names the column of the values that are no level.
const otherLevel = "other"

// LevelCounter counts the levels of categorical customer attributes and of
// non-numeric statement status codes over a training book, so that NewSet
// can decide which levels get a one-hot column. Add each customer once, not
// once per observation. A LevelCounter is not safe for concurrent use; count
// shards separately and Merge them.
type LevelCounter struct {
	schema    datasets.CustomerSchema
	customers int              // customers rows counted
	levels    []map[string]int // per schema.Categorical
	statuses  int              // statements with a status code
	status    map[string]int   // non-numeric status codes
}

// NewLevelCounter returns an empty counter for customers laid out by schema.
func NewLevelCounter(schema datasets.CustomerSchema) *LevelCounter {
	c := &LevelCounter{
		schema: schema,
		levels: make([]map[string]int, len(schema.Categorical)),
		status: map[string]int{},
	}
	for i := range c.levels {
		c.levels[i] = map[string]int{}
	}
	return c
}

// Add counts the categorical values of one customers row. A nil customer
// (no row) is not counted; missing values ("") count towards the total but
// are never a level.
func (c *LevelCounter) Add(cust *datasets.Customer) {
	if cust == nil {
		return
	}
	c.customers++
	for i, v := range cust.Categorical {
		if i < len(c.levels) && v != "" {
			c.levels[i][v]++
		}
	}
}

// AddStatements counts the status codes of statements. Codes that read as
// numbers are counted in the total but are never levels: they are encoded as
// numbers.
func (c *LevelCounter) AddStatements(sts []datasets.Statement) {
	for i := range sts {
		s := sts[i].Status
		if s == "" {
			continue
		}
		c.statuses++
		if _, ok := parseStatus(s); !ok {
			c.status[s]++
		}
	}
}

// AddHistory counts the customers row and the statements of h.
func (c *LevelCounter) AddHistory(h *datasets.History) {
	c.Add(h.Customer)
	c.AddStatements(h.Statements)
}

// Merge adds the counts of o, which must count the same schema.
func (c *LevelCounter) Merge(o *LevelCounter) error {
	if !slices.Equal(c.schema.Categorical, o.schema.Categorical) {
		return fmt.Errorf("merge level counts: categorical attributes %q and %q differ", c.schema.Categorical, o.schema.Categorical)
	}
	c.customers += o.customers
	for i, m := range o.levels {
		for v, n := range m {
			c.levels[i][v] += n
		}
	}
	c.statuses += o.statuses
	for v, n := range o.status {
		c.status[v] += n
	}
	return nil
}

// chooseLevels keeps the levels whose share of total is at least minShare,
// the most frequent first (ties by name), at most maxLevels of them. A value
// spelled "other" is never a level: it is encoded in the "other" column.
func chooseLevels(counts map[string]int, total int, minShare float64, maxLevels int) []string {
	type level struct {
		name string
		n    int
	}
	var keep []level
	for v, n := range counts {
		if v != otherLevel && n > 0 && float64(n) >= minShare*float64(total) {
			keep = append(keep, level{v, n})
		}
	}
	slices.SortFunc(keep, func(a, b level) int {
		if a.n != b.n {
			return cmp.Compare(b.n, a.n)
		}
		return cmp.Compare(a.name, b.name)
	})
	if len(keep) > maxLevels {
		keep = keep[:maxLevels]
	}
	out := make([]string, len(keep))
	for i, l := range keep {
		out[i] = l.name
	}
	return out
}

// levelCounterWire is a LevelCounter as it travels between the workers of
// a pipeline that merges the counts of a book's parts.
type levelCounterWire struct {
	Categorical []string
	Customers   int
	Levels      []map[string]int
	Statuses    int
	Status      map[string]int
}

// MarshalBinary encodes the counts with the schema's categorical
// attributes.
func (c *LevelCounter) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(levelCounterWire{Categorical: c.schema.Categorical, Customers: c.customers,
		Levels: c.levels, Statuses: c.statuses, Status: c.status})
	if err != nil {
		return nil, fmt.Errorf("encode level counts: %w", err)
	}
	return b.Bytes(), nil
}

// UnmarshalBinary replaces the counts with those MarshalBinary encoded
// from a counter of the same categorical attributes (make c with
// NewLevelCounter first).
func (c *LevelCounter) UnmarshalBinary(data []byte) error {
	var w levelCounterWire
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&w); err != nil {
		return fmt.Errorf("decode level counts: %w", err)
	}
	if !slices.Equal(w.Categorical, c.schema.Categorical) || len(w.Levels) != len(c.levels) {
		return fmt.Errorf("decode level counts: categorical attributes %q; the counter counts %q", w.Categorical, c.schema.Categorical)
	}
	for i, m := range w.Levels {
		if m == nil {
			w.Levels[i] = map[string]int{}
		}
	}
	if w.Status == nil {
		w.Status = map[string]int{}
	}
	c.customers, c.levels, c.statuses, c.status = w.Customers, w.Levels, w.Statuses, w.Status
	return nil
}
