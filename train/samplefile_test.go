package train

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/backtest"
)

// A model trained on every default and a fifth of the non-defaults,
// weighted, gives the PDs of the whole book: on every observation of the
// book its mean PD passes the Jeffreys test against the default rate,
// which the sample's own default rate, three times the book's, would fail.
func TestRunSampleStandsForTheBook(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three families")
	}
	ctx := context.Background()
	b := synthBook(t, 8000)
	obs := backtest.ObservationConfig{Features: features.DefaultConfig(), Horizon: features.Horizon{N: 12, Unit: features.Months},
		Plan: features.Plan{Start: datasets.YMD(2023, 7, 1), End: datasets.YMD(2023, 12, 1), EveryMonths: 1}}
	prep, err := backtest.Prepare(ctx, b, obs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sample.parquet")
	rule := backtest.SampleRule{NonDefaultRate: 0.2, Seed: 5}
	w, err := NewSampleWriter(path, NewSampleMeta(b.Dir, prep, obs, rule))
	if err != nil {
		t.Fatal(err)
	}
	counts, err := backtest.Observe(ctx, b, prep, 0, false, w.Write)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(counts); err != nil {
		t.Fatal(err)
	}
	s, meta, err := ReadSample(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Defaults != counts.Defaults || meta.Counts != counts || int64(len(s.Y)) != meta.Defaults+meta.NonDefaults {
		t.Fatalf("sample of %d rows: %d defaults, %d non-defaults; book counts %+v, stored %+v", len(s.Y), meta.Defaults, meta.NonDefaults, counts, meta.Counts)
	}
	bookRate := float64(counts.Defaults) / float64(counts.Labelled)
	sampleRate := float64(meta.Defaults) / float64(len(s.Y))
	t.Logf("book: %d observations, default rate %.4f; sample: %d rows, default rate %.4f", counts.Labelled, bookRate, len(s.Y), sampleRate)

	cfg := DefaultConfig()
	cfg.TuneBudget = "0"
	cfg.SelectionFolds = 3
	cfg.Observations.Horizon = features.Horizon{N: 3, Unit: features.Months} // replaced by the sample's
	res, err := RunSample(ctx, path, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Refit || res.Artifact.Notes["sample"] != rule.String() || res.Artifact.Notes["horizon"] != "12mo" {
		t.Fatalf("refit %v, notes %v", res.Refit, res.Artifact.Notes)
	}
	if !strings.Contains(strings.Join(res.Report.Notes, " "), "Trained on a sample of the book") {
		t.Errorf("the report does not say the model was trained on a sample: %q", res.Report.Notes)
	}
	if tw := res.Champion.Test.Weight; !(tw > float64(res.Champion.Test.N)) {
		t.Errorf("the test metrics weigh %v for %d rows; want the population they stand for", tw, res.Champion.Test.N)
	}
	art := *res.Artifact
	art.Version = "v0001"
	v, err := backtest.Validate(ctx, b, &art, backtest.ObservationConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m := v.Metrics
	t.Logf("on the whole book: AUC %.4f, default rate %.4f, mean PD %.4f (Jeffreys p %.3f)", m.AUC, m.DefaultRate, m.MeanPD, m.JeffreysP)
	if !(m.AUC > 0.7) {
		t.Errorf("AUC %.4f on the whole book; want > 0.7", m.AUC)
	}
	if m.MeanPD > 1.5*m.DefaultRate || m.MeanPD < m.DefaultRate/1.5 || v.Portfolio.Light == "red" {
		t.Errorf("mean PD %.4f against the book's default rate %.4f (%s); the sample's rate was %.4f", m.MeanPD, m.DefaultRate, v.Portfolio.Light, sampleRate)
	}
}

func TestSampleFileRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	set, err := features.NewSet(features.DefaultConfig(), datasets.CustomerSchema{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	meta := SampleMeta{Book: "book", Rule: backtest.SampleRule{NonDefaultRate: 0.5, Seed: 1}, Set: set,
		Observations: backtest.ObservationConfig{Horizon: features.DefaultHorizon()}}
	if _, err := NewSampleWriter(filepath.Join(dir, "s.csv"), meta); err == nil || !strings.Contains(err.Error(), "Parquet") {
		t.Errorf("a CSV sample: %v", err)
	}
	if _, err := NewSampleWriter(filepath.Join(dir, "s.parquet"), SampleMeta{Set: set}); err == nil {
		t.Error("a sample without a rate was started")
	}

	// A feature matrix is not a sample.
	matrix := filepath.Join(dir, "m.parquet")
	mw, err := NewMatrixWriter(matrix, set.Names())
	if err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadSample(ctx, matrix); err == nil || !strings.Contains(err.Error(), "not a training sample") {
		t.Errorf("a matrix read as a sample: %v", err)
	}

	// A bad weight is named by file, row and column.
	bad := filepath.Join(dir, "bad.parquet")
	writeRawSample(t, bad, meta, []float64{2, 0, 2})
	_, _, err = ReadSample(ctx, bad)
	var ie *datasets.InputError
	if !errors.As(err, &ie) || ie.File != bad || ie.Row != 2 || ie.Column != "weight" {
		t.Errorf("a zero weight: %v; want %s, row 2, column weight", err, bad)
	}
	// Rows the metadata does not account for.
	short := filepath.Join(dir, "short.parquet")
	writeRawSample(t, short, meta, []float64{2, 2})
	if _, _, err := ReadSample(ctx, short); err == nil || !strings.Contains(err.Error(), "were drawn") {
		t.Errorf("a sample with fewer rows than drawn: %v", err)
	}
}

// writeRawSample writes a sample file of non-default rows with the given
// weights and meta claiming three rows drawn, bypassing the writer.
func writeRawSample(t *testing.T, path string, meta SampleMeta, weights []float64) {
	t.Helper()
	fields := []arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}, {Name: "as_of", Type: arrow.FixedWidthTypes.Date32},
		{Name: "label", Type: arrow.PrimitiveTypes.Int8}, {Name: "weight", Type: arrow.PrimitiveTypes.Float64}}
	for _, n := range meta.Set.Names() {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	}
	sc := arrow.NewSchema(fields, nil)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := pqarrow.NewFileWriter(sc, f, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer rb.Release()
	for i, w := range weights {
		rb.Field(0).(*array.StringBuilder).Append(string(rune('A' + i)))
		rb.Field(1).(*array.Date32Builder).Append(arrow.Date32(datasets.YMD(2024, 1, 1)))
		rb.Field(2).(*array.Int8Builder).Append(0)
		rb.Field(3).(*array.Float64Builder).Append(w)
		for j := range meta.Set.Names() {
			rb.Field(4 + j).AppendNull()
		}
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	if err := pw.Write(rec); err != nil {
		t.Fatal(err)
	}
	meta.NonDefaults = 3
	b, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.AppendKeyValueMetadata(SampleKey, string(b)); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
}
