package datasets

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// IDRange is a range [Lo, Hi) of customer ids in book order (see
// CompareIDs); a bound not set is open.
type IDRange struct {
	Lo, Hi       string
	HasLo, HasHi bool
}

// Contains reports whether id lies in the range.
func (r IDRange) Contains(id string) bool {
	return (!r.HasLo || CompareIDs(id, r.Lo) >= 0) && (!r.HasHi || CompareIDs(id, r.Hi) < 0)
}

// Open reports whether the range holds every id.
func (r IDRange) Open() bool { return !r.HasLo && !r.HasHi }

func (r IDRange) String() string {
	lo, hi := "…", "…"
	if r.HasLo {
		lo = strconv.Quote(r.Lo)
	}
	if r.HasHi {
		hi = strconv.Quote(r.Hi)
	}
	return "[" + lo + ", " + hi + ")"
}

// Unit is a unit of work of a book: the customers of part Part (an index
// into Partitions) whose ids lie in Range. The units of a book, read one
// after the other, give its histories in book order.
type Unit struct {
	Part  int
	Range IDRange
}

// Units plans the book's units of work: each part (see Partitions) split
// at row-group starts of its customers table into ranges of about
// maxCustomers customers (at least that many, but for a part's last,
// which holds at least half as many: a smaller tail joins the unit
// before it). A part stored as CSV, one without a customers table or
// with a single row group, and every part when maxCustomers <= 0, is one
// unit. The first
// unit of a part is open below and the last open above, so customers
// found only in other tables are read too.
func (b *Book) Units(ctx context.Context, maxCustomers int) ([]Unit, error) {
	var units []Unit
	for k, p := range b.Partitions() {
		var starts []string
		if maxCustomers > 0 {
			var err error
			if starts, err = p.unitStarts(ctx, int64(maxCustomers)); err != nil {
				return nil, err
			}
		}
		var r IDRange
		for _, s := range starts {
			r.Hi, r.HasHi = s, true
			units = append(units, Unit{Part: k, Range: r})
			r = IDRange{Lo: s, HasLo: true}
		}
		units = append(units, Unit{Part: k, Range: r})
	}
	return units, nil
}

// OpenUnit returns the book that reads unit u of b (see Units).
func (b *Book) OpenUnit(u Unit) (*Book, error) {
	parts := b.Partitions()
	if u.Part < 0 || u.Part >= len(parts) {
		return nil, fmt.Errorf("book %s: unit of part %d, but the book has %d parts", b.Dir, u.Part, len(parts))
	}
	if u.Range.Open() {
		return parts[u.Part], nil
	}
	return parts[u.Part].Range(u.Range), nil
}

// Range returns a view of the book whose readers see only the customers
// with ids in r, of every table: Parquet row groups wholly outside r are
// not read, and the rows outside it in the others are dropped before
// they are checked, so a bad row is reported (or, tolerant, counted) only
// by the range that holds it. Row numbers in errors stay the file's.
func (b *Book) Range(r IDRange) *Book {
	v := *b
	v.part = true // a range may hold no row of a table
	v.ids = &r
	return &v
}

// unitStarts lists the ids at which the part's units start after its
// first: row-group starts of the customers table, each once the groups
// since the last start hold maxCustomers rows.
func (b *Book) unitStarts(ctx context.Context, maxCustomers int64) ([]string, error) {
	var groups []groupStart
	for _, path := range b.files[Customers] {
		if f, err := FormatOf(path); err != nil || f != FormatParquet {
			return nil, nil
		}
		rdr, err := file.OpenParquetFile(path, false)
		if err != nil {
			return nil, &InputError{File: path, Err: err}
		}
		gs, err := groupStarts(ctx, path, rdr)
		rdr.Close()
		if err != nil {
			return nil, err
		}
		groups = append(groups, gs...)
	}
	var starts []string
	var rows int64
	floor, haveFloor := "", false // the part's first id, then the last start
	for _, g := range groups {
		if g.ok && haveFloor && rows >= maxCustomers && CompareIDs(g.id, floor) > 0 {
			starts = append(starts, g.id)
			floor, rows = g.id, 0
		}
		if g.ok && !haveFloor {
			floor, haveFloor = g.id, true
		}
		rows += g.rows
	}
	if len(starts) > 0 && rows < maxCustomers/2 {
		starts = starts[:len(starts)-1] // a small tail joins the unit before it
	}
	return starts, nil
}

// groupStart is a Parquet row group's row count and first customer_id
// (ok false when every id of the group is null or unreadable).
type groupStart struct {
	rows int64
	id   string
	ok   bool
}

// groupStarts finds the first customer_id of each row group: from the
// statistics of a signed integer column, where the least value is the
// first of a sorted group; else from the data, since a string column's
// min/max statistics order bytes, not ids (see CompareIDs). The starts of
// a file are kept for the next range of it read by this process.
func groupStarts(ctx context.Context, path string, rdr *file.Reader) ([]groupStart, error) {
	key, keyed := startsKey(path)
	if keyed {
		if gs, ok := startsCache.get(key); ok {
			return gs, nil
		}
	}
	gs, err := readGroupStarts(ctx, path, rdr)
	if err == nil && keyed {
		startsCache.put(key, gs)
	}
	return gs, err
}

func readGroupStarts(ctx context.Context, path string, rdr *file.Reader) ([]groupStart, error) {
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 256}, memory.DefaultAllocator)
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	sc, err := fr.Schema()
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	idx := sc.FieldIndices("customer_id")
	if len(idx) == 0 {
		return nil, &InputError{File: path, Column: "customer_id", Err: ErrMissingColumn}
	}
	leaf := leafIndex(fr, idx[0])
	out := make([]groupStart, rdr.NumRowGroups())
	for g := range out {
		out[g].rows = rdr.MetaData().RowGroup(g).NumRows()
		if out[g].id, out[g].ok = statsStart(rdr, g, leaf); out[g].ok {
			continue
		}
		rr, err := fr.GetRecordReader(ctx, []int{leaf}, []int{g})
		if err != nil {
			return nil, &InputError{File: path, Err: err}
		}
		decided := false
		for !decided && rr.Next() {
			rec := rr.RecordBatch()
			col := arrowColumn(rec.Column(0))
			for i := 0; i < int(rec.NumRows()); i++ {
				if col.Null(i) {
					continue
				}
				// An unreadable id leaves the start unknown: the table
				// reader names it.
				if s, err := col.String(i); err == nil {
					out[g].id, out[g].ok = strings.Clone(s), true
				}
				decided = true
				break
			}
		}
		rr.Release()
	}
	return out, nil
}

// statsStart is row group g's first id from the statistics of column
// leaf, when it is a signed integer column that has them: its ids compare
// as numbers, as CompareIDs orders them.
func statsStart(rdr *file.Reader, g, leaf int) (string, bool) {
	switch lt := rdr.MetaData().Schema.Column(leaf).LogicalType().(type) {
	case schema.NoLogicalType:
	case schema.IntLogicalType:
		if !lt.IsSigned() {
			return "", false
		}
	default:
		return "", false
	}
	cc, err := rdr.MetaData().RowGroup(g).ColumnChunk(leaf)
	if err != nil {
		return "", false
	}
	if set, err := cc.StatsSet(); err != nil || !set {
		return "", false
	}
	st, err := cc.Statistics()
	if err != nil || st == nil || !st.HasMinMax() {
		return "", false
	}
	switch s := st.(type) {
	case *metadata.Int64Statistics:
		return strconv.FormatInt(s.Min(), 10), true
	case *metadata.Int32Statistics:
		return strconv.FormatInt(int64(s.Min()), 10), true
	}
	return "", false
}

// startsKey names a file's content for the cache of group starts: its
// path, size and modification time.
func startsKey(path string) (string, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("%s\x00%d\x00%d", path, st.Size(), st.ModTime().UnixNano()), true
}

// startsCacheFiles bounds the files whose group starts a process keeps.
const startsCacheFiles = 4096

var startsCache = &groupStartsCache{m: map[string][]groupStart{}}

// groupStartsCache keeps the group starts of the files read by range, so
// that a worker reading many ranges of a part finds them once.
type groupStartsCache struct {
	mu sync.Mutex
	m  map[string][]groupStart
}

func (c *groupStartsCache) get(key string) ([]groupStart, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	gs, ok := c.m[key]
	return gs, ok
}

func (c *groupStartsCache) put(key string, gs []groupStart) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= startsCacheFiles {
		clear(c.m)
	}
	c.m[key] = gs
}

// groupsIn picks the contiguous row groups that may hold ids in r (group
// g holds ids from its start to the next group's, both included, in a
// sorted table) and the rows of the groups before them. A group whose
// start is unknown is read.
func groupsIn(starts []groupStart, r IDRange) (groups []int, before int64) {
	first := 0
	for r.HasLo && first+1 < len(starts) && starts[first+1].ok && CompareIDs(starts[first+1].id, r.Lo) < 0 {
		before += starts[first].rows
		first++
	}
	for g := first; g < len(starts); g++ {
		if r.HasHi && starts[g].ok && CompareIDs(starts[g].id, r.Hi) >= 0 {
			break
		}
		groups = append(groups, g)
	}
	return groups, before
}
