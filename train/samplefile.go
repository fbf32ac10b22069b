package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/parquet/file"

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
// the file's feature set when nil) and returns its metadata, read from
// the footer; the rows are read by datasets.OpenTable, the reader of every
// table file.
func readSampleFile(ctx context.Context, path string, s **backtest.Sample) (*SampleMeta, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, &datasets.InputError{File: path, Err: fmt.Errorf("not a Parquet file: %w", err)}
	}
	meta, err := sampleMeta(path, pf)
	pf.Close()
	if err != nil {
		return nil, err
	}
	names := meta.Set.Names()
	if *s == nil {
		*s = &backtest.Sample{Dataset: models.Dataset{X: &models.Matrix{Cols: len(names), Names: names}, W: []float64{}}}
	} else if !slices.Equal((*s).X.Names, names) {
		return nil, &datasets.InputError{File: path, Err: errors.New("its features differ from the first shard's")}
	}
	out := *s
	const id, asOf, label, weight, first = 0, 1, 2, 3, 4
	t, err := datasets.OpenTable(ctx, path, append([]string{"customer_id", "as_of", "label", "weight"}, names...))
	if err != nil {
		return nil, err
	}
	defer t.Close()
	if err := t.Require(len(t.Columns())); err != nil {
		return nil, err
	}
	for t.Next() {
		switch {
		case t.Null(id):
			return nil, t.Errorf(id, "%w", datasets.ErrNull)
		case t.Null(asOf):
			return nil, t.Errorf(asOf, "%w", datasets.ErrNull)
		}
		cid, err := t.String(id)
		if err != nil {
			return nil, err
		}
		d, err := t.Date(asOf)
		if err != nil {
			return nil, err
		}
		y, err := t.Float(label)
		if err != nil {
			return nil, err
		}
		if y != 0 && y != 1 {
			return nil, t.Errorf(label, "a training sample's label must be 0 or 1")
		}
		w, err := t.Float(weight)
		if err != nil {
			return nil, err
		}
		if !(w > 0) || math.IsInf(w, 1) {
			return nil, t.Errorf(weight, "weight must be a finite number > 0")
		}
		out.CustomerIDs, out.AsOf, out.Y, out.W = append(out.CustomerIDs, cid), append(out.AsOf, d), append(out.Y, y), append(out.W, w)
		for j := range names {
			x, err := t.Float(first + j)
			if err != nil {
				return nil, err
			}
			if math.IsInf(x, 0) {
				return nil, t.Errorf(first+j, "%w", datasets.ErrNotFinite)
			}
			out.X.Data = append(out.X.Data, x)
		}
	}
	if err := t.Err(); err != nil {
		return nil, err
	}
	out.X.Rows = len(out.Y)
	return meta, nil
}
