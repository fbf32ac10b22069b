package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/backtest"
)

// SampleKey is the Parquet key-value metadata key under which a training
// sample keeps its SampleMeta, as JSON.
const SampleKey = "credence.sample"

// SampleMeta is what a training sample carries besides its rows: the
// book's feature set and observation rules as resolved when it was drawn,
// the sampling rule, and how many observations the rows stand for. A
// shard of a sample drawn part by part keeps its own part's counts; the
// counts of the set are their sums.
type SampleMeta struct {
	Book string              `json:"book"`
	Rule backtest.SampleRule `json:"rule"`
	// Observations holds the horizon, plan and default rule as resolved
	// from the book.
	Observations  backtest.ObservationConfig `json:"observations"`
	Set           *features.Set              `json:"feature_set"`
	ObservedUntil datasets.Date              `json:"observed_until"`
	First         datasets.Date              `json:"first"`
	Last          datasets.Date              `json:"last"`
	// Counts are the observations the rows were drawn from.
	Counts backtest.Counts `json:"counts"`
	// Defaults and NonDefaults are the rows drawn.
	Defaults    int64 `json:"defaults"`
	NonDefaults int64 `json:"non_defaults"`
}

// NewSampleMeta describes the sample rule draws from the observations
// prep fixes on the book at dir.
func NewSampleMeta(dir string, prep *backtest.Prepared, cfg backtest.ObservationConfig, rule backtest.SampleRule) SampleMeta {
	cfg.Horizon, cfg.Plan, cfg.DPDThreshold = prep.Horizon, prep.Plan, prep.DPDThreshold
	return SampleMeta{Book: dir, Rule: rule, Observations: cfg, Set: prep.Set,
		ObservedUntil: prep.ObservedUntil, First: prep.First, Last: prep.Last}
}

// Prepared is what backtest.Prepare fixed on the book when the sample was
// drawn (without portfolio contexts: the sample's rows already hold their
// features).
func (m *SampleMeta) Prepared() *backtest.Prepared {
	return &backtest.Prepared{Set: m.Set, Plan: m.Observations.Plan, Horizon: m.Observations.Horizon,
		ObservedUntil: m.ObservedUntil, DPDThreshold: m.Observations.DPDThreshold, First: m.First, Last: m.Last}
}

// join adds the metadata of another shard of the same sample.
func (m *SampleMeta) join(o *SampleMeta) error {
	switch {
	case o.Rule != m.Rule:
		return fmt.Errorf("sampling rule %q, not %q as in the first shard", o.Rule, m.Rule)
	case o.Set.Version != m.Set.Version:
		return fmt.Errorf("feature set %s, not %s as in the first shard", o.Set.Version, m.Set.Version)
	case o.Observations.Horizon != m.Observations.Horizon || o.ObservedUntil != m.ObservedUntil:
		return fmt.Errorf("horizon %s observed until %s, not %s until %s as in the first shard",
			o.Observations.Horizon, o.ObservedUntil, m.Observations.Horizon, m.ObservedUntil)
	}
	m.Counts.Add(o.Counts)
	m.Defaults += o.Defaults
	m.NonDefaults += o.NonDefaults
	return nil
}

// ReadSample reads the training sample at path, a file or its shard set
// (datasets.Shards), as NewSampleWriter wrote it: the rows with their
// weights, and the metadata, shards' counts summed.
func ReadSample(ctx context.Context, path string) (*backtest.Sample, *SampleMeta, error) {
	files, err := datasets.Shards(path)
	if err != nil {
		return nil, nil, err
	}
	var meta *SampleMeta
	var s *backtest.Sample
	for _, f := range files {
		m, err := readSampleFile(ctx, f, &s)
		if err != nil {
			return nil, nil, err
		}
		if meta == nil {
			meta = m
		} else if err := meta.join(m); err != nil {
			return nil, nil, &datasets.InputError{File: f, Err: err}
		}
	}
	if drawn := meta.Defaults + meta.NonDefaults; int64(len(s.Y)) != drawn {
		return nil, nil, fmt.Errorf("%s: %d rows, but the metadata says %d were drawn", path, len(s.Y), drawn)
	}
	return s, meta, nil
}

// sampleMeta decodes the metadata of the sample file path.
func sampleMeta(path string, pf *file.Reader) (*SampleMeta, error) {
	bad := func(err error) error { return &datasets.InputError{File: path, Err: err} }
	v := pf.MetaData().KeyValueMetadata().FindValue(SampleKey)
	if v == nil {
		return nil, bad(errors.New("not a training sample (no " + SampleKey + " metadata); write one with credence sample"))
	}
	var meta SampleMeta
	if err := json.Unmarshal([]byte(*v), &meta); err != nil || meta.Set == nil {
		return nil, bad(fmt.Errorf("sample metadata: %v", err))
	}
	if err := meta.Rule.Validate(); err != nil {
		return nil, bad(err)
	}
	return &meta, nil
}

// readSampleFile appends the rows of one sample file to *s (created from
// the file's feature set when nil) and returns its metadata.
func readSampleFile(ctx context.Context, path string, s **backtest.Sample) (*SampleMeta, error) {
	bad := func(row int64, column string, err error) error {
		return &datasets.InputError{File: path, Row: row, Column: column, Err: err}
	}
	osf, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer osf.Close()
	pf, err := file.NewParquetReader(osf)
	if err != nil {
		return nil, bad(0, "", fmt.Errorf("not a Parquet file: %w", err))
	}
	defer pf.Close()
	meta, err := sampleMeta(path, pf)
	if err != nil {
		return nil, err
	}
	names := meta.Set.Names()
	if *s == nil {
		*s = &backtest.Sample{Dataset: models.Dataset{X: &models.Matrix{Cols: len(names), Names: names}, W: []float64{}}}
	} else if !slices.Equal((*s).X.Names, names) {
		return nil, bad(0, "", errors.New("its features differ from the first shard's"))
	}
	out := *s
	rd, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 * 1024}, memory.DefaultAllocator)
	if err != nil {
		return nil, bad(0, "", err)
	}
	sc, err := rd.Schema()
	if err != nil {
		return nil, bad(0, "", err)
	}
	want := append([]string{"customer_id", "as_of", "label", "weight"}, names...)
	if sc.NumFields() != len(want) {
		return nil, bad(0, "", fmt.Errorf("%d columns, want %d (customer_id, as_of, label, weight and the feature set's %d features)", sc.NumFields(), len(want), len(names)))
	}
	for j, n := range want {
		if got := sc.Field(j).Name; got != n {
			return nil, bad(0, "", fmt.Errorf("column %d is %s, want %s", j+1, got, n))
		}
	}
	rr, err := rd.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return nil, bad(0, "", err)
	}
	defer rr.Release()
	var row int64
	for rr.Next() {
		rec := rr.RecordBatch()
		ids, ok1 := rec.Column(0).(*array.String)
		asOf, ok2 := rec.Column(1).(*array.Date32)
		label, ok3 := rec.Column(2).(*array.Int8)
		weight, ok4 := rec.Column(3).(*array.Float64)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, bad(0, "", errors.New("customer_id, as_of, label and weight must be STRING, DATE, INT8 and DOUBLE"))
		}
		cols := make([]*array.Float64, len(names))
		for j := range cols {
			if cols[j], ok1 = rec.Column(4 + j).(*array.Float64); !ok1 {
				return nil, bad(0, names[j], errors.New("feature columns must be DOUBLE"))
			}
		}
		for i := range int(rec.NumRows()) {
			row++
			switch {
			case ids.IsNull(i):
				return nil, bad(row, "customer_id", datasets.ErrNull)
			case asOf.IsNull(i):
				return nil, bad(row, "as_of", datasets.ErrNull)
			case label.IsNull(i) || (label.Value(i) != 0 && label.Value(i) != 1):
				return nil, bad(row, "label", errors.New("a training sample's label must be 0 or 1"))
			case weight.IsNull(i) || !(weight.Value(i) > 0) || math.IsInf(weight.Value(i), 1):
				return nil, bad(row, "weight", errors.New("weight must be a finite number > 0"))
			}
			out.CustomerIDs = append(out.CustomerIDs, ids.Value(i))
			out.AsOf = append(out.AsOf, datasets.Date(asOf.Value(i)))
			out.Y = append(out.Y, float64(label.Value(i)))
			out.W = append(out.W, weight.Value(i))
			for j, c := range cols {
				x := math.NaN()
				if !c.IsNull(i) {
					if x = c.Value(i); math.IsInf(x, 0) {
						return nil, bad(row, names[j], datasets.ErrNotFinite)
					}
				}
				out.X.Data = append(out.X.Data, x)
			}
		}
	}
	if err := rr.Err(); err != nil {
		return nil, bad(0, "", err)
	}
	out.X.Rows = len(out.Y)
	return meta, nil
}
