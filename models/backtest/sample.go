package backtest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models"
)

// Sample is a labelled feature matrix with the (customer, as_of) of each row.
type Sample struct {
	models.Dataset
	CustomerIDs []string
	AsOf        []datasets.Date
}

// Collect builds the labelled observations of the book into a Sample.
func Collect(ctx context.Context, book *datasets.Book, p *Prepared, workers int) (*Sample, Counts, error) {
	s := &Sample{Dataset: models.Dataset{X: &models.Matrix{Cols: p.Set.Len(), Names: p.Set.Names()}}}
	counts, err := Observe(ctx, book, p, workers, false, func(obs []Observation) error {
		for i := range obs {
			o := &obs[i]
			s.X.Data = append(s.X.Data, o.X...)
			s.Y = append(s.Y, float64(o.Label))
			s.CustomerIDs = append(s.CustomerIDs, o.CustomerID)
			s.AsOf = append(s.AsOf, o.AsOf)
		}
		return nil
	})
	s.X.Rows = len(s.Y)
	return s, counts, err
}

// Fingerprint is a SHA-256 over every row's customer, date, label,
// weight (when the sample has weights) and feature bits: the same data
// gives the same fingerprint.
func (s *Sample) Fingerprint() string {
	h := sha256.New()
	var b [8]byte
	for i := range s.Y {
		h.Write([]byte(s.CustomerIDs[i]))
		binary.LittleEndian.PutUint32(b[:4], uint32(s.AsOf[i]))
		h.Write(b[:4])
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(s.Y[i]))
		h.Write(b[:])
		if s.W != nil {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(s.W[i]))
			h.Write(b[:])
		}
		for _, x := range s.X.Row(i) {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Subset returns the rows idx of s.
func (s *Sample) Subset(idx []int) *Sample {
	out := &Sample{Dataset: *s.Dataset.Subset(idx)}
	for _, i := range idx {
		out.CustomerIDs = append(out.CustomerIDs, s.CustomerIDs[i])
		out.AsOf = append(out.AsOf, s.AsOf[i])
	}
	return out
}

// Column returns the values of feature j, one per row.
func (s *Sample) Column(j int) []float64 {
	out := make([]float64, s.X.Rows)
	for i := range out {
		out[i] = s.X.At(i, j)
	}
	return out
}
