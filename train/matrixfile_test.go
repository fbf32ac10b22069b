package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/testenv"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/backtest"
)

func TestMatrixWriterCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "m.csv") // the folder is made
	w, err := NewMatrixWriter(path, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	nan := func() float64 { z := 0.0; return z / z }()
	obs := []backtest.Observation{
		{CustomerID: "C1", AsOf: datasets.YMD(2024, 1, 1), Label: 1, Status: features.Labelled, X: []float64{1.5, nan}},
		{CustomerID: "C2", AsOf: datasets.YMD(2024, 2, 1), Status: features.Censored, X: []float64{-2, 0}},
	}
	if err := w.Write(obs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs := testenv.CSVRecords(t, path)
	want := [][]string{{"customer_id", "as_of", "label", "a", "b"}, {"C1", "2024-01-01", "1", "1.5", ""}, {"C2", "2024-02-01", "", "-2", "0"}}
	for i := range want {
		for j := range want[i] {
			if recs[i][j] != want[i][j] {
				t.Errorf("cell (%d,%d) = %q; want %q", i, j, recs[i][j], want[i][j])
			}
		}
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind")
	}
}
