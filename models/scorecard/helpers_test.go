package scorecard

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/credence-risk/credence/models"
)

func fit(t testing.TB, cfg Config, d *models.Dataset) *Model {
	t.Helper()
	m, err := Trainer{cfg}.Fit(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m.(*Model)
}

// readCSV reads a numeric CSV whose last column is the 0/1 label; empty
// fields are missing values.
func readCSV(t testing.TB, path string) *models.Dataset {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	head := recs[0]
	d := &models.Dataset{X: models.NewMatrix(len(recs)-1, head[:len(head)-1]), Y: make([]float64, len(recs)-1)}
	for i, rec := range recs[1:] {
		for j, s := range rec {
			v := math.NaN()
			if s != "" {
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

// taiwan reads the UCI Taiwan training file: its 23 raw columns and the
// default label.
func taiwan(t testing.TB) *models.Dataset {
	t.Helper()
	path := filepath.Join(repoRoot(t), "..", "shared", "data", "uci-taiwan", "train.csv")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("UCI Taiwan data absent (%s); skipping", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
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

func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// crossValidate returns the mean held-out AUC over k folds.
func crossValidate(t testing.TB, d *models.Dataset, k int, fitFold func(*models.Dataset) models.Model) float64 {
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
		sum += auc(pd, test.Y)
	}
	return sum / float64(k)
}

// auc is the Mann-Whitney probability that a default outranks a
// non-default, ties counting half.
func auc(score, y []float64) float64 {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case score[a] < score[b]:
			return -1
		case score[a] > score[b]:
			return 1
		}
		return 0
	})
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // average 1-based rank of the tie group
		for _, k := range idx[i:j] {
			if y[k] == 1 {
				pos++
				rankSum += mid
			} else {
				neg++
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
