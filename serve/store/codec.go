package store

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/credence-risk/credence/datasets"
)

// The records are encoded by hand: a few varints and strings per row keep
// a history read (one range scan, tens of records) well under the cost of
// scoring it, which a general encoder would not.

var errCorrupt = errors.New("store: corrupt record")

type encoder struct{ b []byte }

func (e *encoder) int(x int64)          { e.b = binary.AppendVarint(e.b, x) }
func (e *encoder) uint(x uint64)        { e.b = binary.AppendUvarint(e.b, x) }
func (e *encoder) date(d datasets.Date) { e.int(int64(d)) }
func (e *encoder) amount(a datasets.Amount) {
	e.int(int64(a))
}
func (e *encoder) float(x float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(x)) }
func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) int() int64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) date() datasets.Date {
	x := d.int()
	if x < math.MinInt32 || x > math.MaxInt32 {
		d.err = errCorrupt
	}
	return datasets.Date(x)
}

func (d *decoder) amount() datasets.Amount { return datasets.Amount(d.int()) }

func (d *decoder) float() float64 {
	if d.err != nil || len(d.b) < 8 {
		d.err = errCorrupt
		return math.NaN()
	}
	x := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return x
}

func (d *decoder) str() string {
	n := d.uint()
	if d.err != nil || uint64(len(d.b)) < n {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) bool() bool {
	if d.err != nil || len(d.b) < 1 {
		d.err = errCorrupt
		return false
	}
	v := d.b[0] != 0
	d.b = d.b[1:]
	return v
}
