package backtest

import (
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models"
)

func sampleOf(dates []datasets.Date, y []float64) *Sample {
	s := &Sample{Dataset: models.Dataset{X: models.NewMatrix(len(y), []string{"x"}), Y: y}, AsOf: dates}
	for i := range y {
		s.CustomerIDs = append(s.CustomerIDs, "C")
		s.X.Data[i] = float64(i)
	}
	return s
}

func TestFingerprintChangesWithData(t *testing.T) {
	d := datasets.YMD(2005, 10, 1)
	s := sampleOf([]datasets.Date{d, d}, []float64{0, 1})
	f1 := s.Fingerprint()
	if f1 != s.Fingerprint() {
		t.Fatal("fingerprint not deterministic")
	}
	s.X.Data[1] = 2.5
	if s.Fingerprint() == f1 {
		t.Error("fingerprint did not change with a feature value")
	}
}
