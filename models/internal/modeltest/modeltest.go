// Package modeltest holds what the model families' tests share: the
// uci-taiwan data as a dataset, numeric CSV fixtures and k-fold
// cross-validation.
package modeltest

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/credence-risk/credence/datasets/testenv"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/eval"
)

// Taiwan reads ../shared/data/uci-taiwan/train.csv: its 23 raw columns and
// the default label. The test skips when the file is absent.
func Taiwan(t testing.TB) *models.Dataset {
	t.Helper()
	path := testenv.SharedData(t, "uci-taiwan/train.csv")
	recs := testenv.CSVRecords(t, path)
	head := recs[0]
	names := head[1 : len(head)-1] // drop ID and the label
	d := &models.Dataset{X: models.NewMatrix(len(recs)-1, names), Y: make([]float64, len(recs)-1)}
	for i, rec := range recs[1:] {
		for j := 1; j < len(rec); j++ {
			v, err := strconv.ParseFloat(rec[j], 64)
			if err != nil {
				t.Fatalf("%s: row %d, %s: %v", path, i+2, head[j], err)
			}
			if j == len(rec)-1 {
				d.Y[i] = v
			} else {
				d.X.Row(i)[j-1] = v
			}
		}
	}
	return d
}

// CrossValidate returns the mean held-out AUC over k folds of a fixed
// random permutation of the rows.
func CrossValidate(t testing.TB, d *models.Dataset, k int, fitFold func(*models.Dataset) models.Model) float64 {
	t.Helper()
	perm := rand.New(rand.NewPCG(1, 2)).Perm(d.X.Rows)
	var sum float64
	for f := range k {
		var tr, te []int
		for pos, i := range perm {
			if pos%k == f {
				te = append(te, i)
			} else {
				tr = append(tr, i)
			}
		}
		m := fitFold(d.Subset(tr))
		test := d.Subset(te)
		pd := make([]float64, test.X.Rows)
		m.PDs(test.X, pd)
		sum += eval.AUC(test.Y, pd, nil)
	}
	return sum / float64(k)
}

// ReadCSV reads a numeric CSV fixture whose last column is the 0/1 label;
// empty fields are missing values.
func ReadCSV(t testing.TB, path string) *models.Dataset {
	t.Helper()
	recs := testenv.CSVRecords(t, path)
	head := recs[0]
	d := &models.Dataset{X: models.NewMatrix(len(recs)-1, head[:len(head)-1]), Y: make([]float64, len(recs)-1)}
	for i, rec := range recs[1:] {
		for j, s := range rec {
			v := math.NaN()
			if s != "" {
				var err error
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					t.Fatalf("%s: row %d: %v", path, i+2, err)
				}
			}
			if j == len(rec)-1 {
				d.Y[i] = v
			} else {
				d.X.Row(i)[j] = v
			}
		}
	}
	return d
}
