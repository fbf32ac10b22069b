package scorecard

import (
	"context"
	"encoding/csv"
	"math"
	"os"
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
