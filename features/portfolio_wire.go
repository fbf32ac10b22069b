package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/credence-risk/credence/datasets"
)

// portfolioWireVersion starts an encoded PortfolioAcc, so that a worker of
// another build refuses what it cannot read.
const portfolioWireVersion = 1

// MarshalBinary encodes the accumulator's counts (not its feature set nor
// its rule), for a pipeline to ship the accumulators of a book's parts to
// where they are merged. The encoding is deterministic: groups and
// histogram days are written in sorted order.
func (a *PortfolioAcc) MarshalBinary() ([]byte, error) {
	b := []byte{portfolioWireVersion}
	b = binary.AppendUvarint(b, uint64(len(a.dates)))
	for _, d := range a.dates {
		b = binary.AppendVarint(b, int64(d))
	}
	b = binary.AppendUvarint(b, uint64(len(a.set.portKeys)))
	for i := range a.at {
		at := &a.at[i]
		b = at.book.append(b)
		for _, m := range at.groups {
			b = binary.AppendUvarint(b, uint64(len(m)))
			for _, v := range slices.Sorted(maps.Keys(m)) {
				b = binary.AppendUvarint(b, uint64(len(v)))
				b = append(b, v...)
				b = m[v].append(b)
			}
		}
	}
	return b, nil
}

func (g *groupAcc) append(b []byte) []byte {
	b = binary.AppendVarint(b, g.customers)
	b = binary.AppendVarint(b, g.atRisk)
	b = binary.AppendVarint(b, g.defaulted)
	return g.then.append(g.now.append(b))
}

func (h *dbtHist) append(b []byte) []byte {
	b = binary.AppendVarint(b, h.customers)
	b = binary.AppendUvarint(b, uint64(len(h.days)))
	days := make([]int32, 0, len(h.days))
	for d := range h.days {
		days = append(days, d)
	}
	slices.Sort(days)
	for _, d := range days {
		b = binary.AppendVarint(b, int64(d))
		b = binary.AppendVarint(b, h.days[d])
	}
	return b
}

// UnmarshalBinary replaces the accumulator's counts with those encoded by
// MarshalBinary from an accumulator of the same feature set and dates
// (make a with Set.NewPortfolioAcc first); it refuses counts of other
// dates or groupings.
func (a *PortfolioAcc) UnmarshalBinary(data []byte) error {
	r := wireReader{b: data}
	if v := r.byte(); r.err == nil && v != portfolioWireVersion {
		return fmt.Errorf("decode portfolio context: encoding version %d; want %d", v, portfolioWireVersion)
	}
	dates := make([]datasets.Date, r.count())
	for i := range dates {
		dates[i] = datasets.Date(r.varint())
	}
	keys := r.count()
	if r.err == nil && (!slices.Equal(dates, a.dates) || keys != len(a.set.portKeys)) {
		return fmt.Errorf("decode portfolio context: dates %v and %d groupings; the accumulator counts dates %v and %d groupings",
			dates, keys, a.dates, len(a.set.portKeys))
	}
	at := make([]dateAcc, len(a.dates))
	for i := range at {
		if r.err != nil {
			break
		}
		r.group(&at[i].book)
		at[i].groups = make([]map[string]*groupAcc, keys)
		for k := range at[i].groups {
			n := r.count()
			m := make(map[string]*groupAcc, n)
			for range n {
				v := r.string()
				g := &groupAcc{}
				r.group(g)
				if r.err != nil {
					break
				}
				m[v] = g
			}
			at[i].groups[k] = m
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes after the end", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("decode portfolio context: %w", r.err)
	}
	a.at = at
	return nil
}

// DecodePortfolioAcc returns the accumulator MarshalBinary encoded from
// one of s (or of s for another customers schema with the same grouping
// attributes) with defaults dated by rule, at the dates the encoding gives.
func (s *Set) DecodePortfolioAcc(rule DefaultRule, data []byte) (*PortfolioAcc, error) {
	r := wireReader{b: data}
	r.byte()
	dates := make([]datasets.Date, r.count())
	for i := range dates {
		dates[i] = datasets.Date(r.varint())
	}
	if r.err != nil {
		return nil, fmt.Errorf("decode portfolio context: %w", r.err)
	}
	a := s.NewPortfolioAcc(rule, dates...)
	if a == nil {
		return nil, fmt.Errorf("decode portfolio context: feature set %s has no portfolio block", s.Version)
	}
	return a, a.UnmarshalBinary(data)
}

// wireReader reads varints until the first error, which it keeps.
type wireReader struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated")

func (r *wireReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errTruncated
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *wireReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length, refusing one longer than the bytes left could
// hold, so that a corrupt length allocates nothing large.
func (r *wireReader) count() int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > uint64(len(r.b)) {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *wireReader) string() string {
	n := r.count()
	if r.err != nil || n > len(r.b) {
		r.err = errTruncated
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *wireReader) group(g *groupAcc) {
	g.customers, g.atRisk, g.defaulted = r.varint(), r.varint(), r.varint()
	r.hist(&g.now)
	r.hist(&g.then)
}

func (r *wireReader) hist(h *dbtHist) {
	h.customers = r.varint()
	n := r.count()
	if n > 0 && r.err == nil {
		h.days = make(map[int32]int64, n)
	}
	for range n {
		d, c := r.varint(), r.varint()
		if r.err != nil {
			return
		}
		h.days[int32(d)] = c
	}
}
