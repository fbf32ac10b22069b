package rescore

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"math"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/backtest"
)

// summaryWire is a Summary not yet finished, as it travels between the
// workers of a pipeline that merges the summaries of a book's parts.
type summaryWire struct {
	ModelVersion, Family, FeatureSet string
	AsOf                             datasets.Date
	Customers, Observations, Rows    int64
	InDefault, LimitErrors           int64
	Skipped                          map[string]int64
	FirstLimitError                  string
	FirstErrAt                       rowKey
	GradeRows                        [gradeCount]int64
	Sums                             [gradeCount]gradeSums
	LGD                              float64
	PDCounts                         []float64
	Reference                        *backtest.Binned
}

// MarshalBinary encodes a summary that is not finished (see RunPart), for
// a pipeline to ship to where it is merged, with the model's reference
// distribution of the PD, so that the merged summary can be finished
// where no model is loaded.
func (sum *Summary) MarshalBinary() ([]byte, error) {
	w := summaryWire{ModelVersion: sum.ModelVersion, Family: sum.Family, FeatureSet: sum.FeatureSet, AsOf: sum.AsOf,
		Customers: sum.Customers, Observations: sum.Observations, Rows: sum.Rows, InDefault: sum.InDefault,
		LimitErrors: sum.LimitErrors, Skipped: sum.Skipped, FirstErrAt: sum.firstErrAt, Sums: sum.sums,
		LGD: sum.LGD, PDCounts: sum.pdCounts, Reference: sum.reference}
	if sum.FirstLimitError != nil {
		w.FirstLimitError = sum.FirstLimitError.Error()
	}
	for g := range sum.Grades {
		w.GradeRows[g] = sum.Grades[g].Rows
	}
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(&w); err != nil {
		return nil, fmt.Errorf("encode rescore summary: %w", err)
	}
	return b.Bytes(), nil
}

// UnmarshalBinary decodes what MarshalBinary encoded.
func (sum *Summary) UnmarshalBinary(data []byte) error {
	var w summaryWire
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&w); err != nil {
		return fmt.Errorf("decode rescore summary: %w", err)
	}
	*sum = Summary{ModelVersion: w.ModelVersion, Family: w.Family, FeatureSet: w.FeatureSet, AsOf: w.AsOf,
		Customers: w.Customers, Observations: w.Observations, Rows: w.Rows, InDefault: w.InDefault,
		LimitErrors: w.LimitErrors, Skipped: w.Skipped, firstErrAt: w.FirstErrAt, sums: w.Sums,
		LGD: w.LGD, PSI: math.NaN(), pdCounts: w.PDCounts, reference: w.Reference}
	if sum.Skipped == nil {
		sum.Skipped = map[string]int64{}
	}
	if w.FirstLimitError != "" {
		sum.FirstLimitError = errors.New(w.FirstLimitError)
	}
	for g := range sum.Grades {
		sum.Grades[g].Rows = w.GradeRows[g]
	}
	return nil
}
