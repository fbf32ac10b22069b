package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/train"
)

// The labelled matrix over a plan of twelve as-of dates, built range by
// range of each part's customers on Prism, holds exactly the rows of `credence features`, in order:
// the feature set fixed by the levels and dates of the whole book, merged
// from its parts'.
func TestFeaturesMatchSingleMachine(t *testing.T) { sameMatrix(t, false) }

// With --portfolio, every part's matrix carries the portfolio context of
// the whole book at each date of the plan, merged from the parts' counts.
func TestFeaturesPortfolioMatchSingleMachine(t *testing.T) { sameMatrix(t, true) }

func sameMatrix(t *testing.T, portfolio bool) {
	f := testFixture(t)
	dir := t.TempDir()
	ctx := context.Background()

	// `credence features`: the same package calls the command makes.
	cfg := backtest.ObservationConfig{Features: features.DefaultConfig(), Horizon: features.Horizon{N: 6, Unit: features.Months},
		Plan: features.Plan{Start: datasets.YMD(2023, 1, 1), End: datasets.YMD(2023, 12, 1), EveryMonths: 1}}
	args := []string{"--book", f.book, "--horizon", "6mo", "--plan-start", "2023-01-01", "--plan-end", "2023-12-01",
		"--unit-customers", smallUnits}
	if portfolio {
		cfg.Features.Portfolio = &features.PortfolioConfig{}
		args = append(args, "--portfolio")
	}
	prep, err := backtest.Prepare(ctx, f.opened, cfg)
	if err != nil {
		t.Fatal(err)
	}
	singleOut := filepath.Join(dir, "single.csv")
	w, err := train.NewMatrixWriter(singleOut, prep.Set.Names())
	if err != nil {
		t.Fatal(err)
	}
	want, err := backtest.Observe(ctx, f.opened, prep, 0, false, w.Write)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "beam", "features.csv")
	var stdout, stderr bytes.Buffer
	code := runCommand(ctx, "features", append(args, "--out", out), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("credence-beam features: %s", stderr.String())
	}
	shards, err := datasets.Shards(out)
	if units := fixtureUnits(t, f); err != nil || len(shards) != units {
		t.Fatalf("shards %v, %v; want %d, one per unit", shards, err, units)
	}
	single, err := os.ReadFile(singleOut)
	if err != nil {
		t.Fatal(err)
	}
	wantLines := strings.Split(strings.TrimSuffix(string(single), "\n"), "\n")
	if got := strings.Contains(wantLines[0], "port_book_default_rate_12m"); got != portfolio {
		t.Fatalf("the matrix's header %q: portfolio features %v; want %v", wantLines[0], got, portfolio)
	}
	gotLines := []string{}
	for _, s := range shards {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if lines[0] != wantLines[0] {
			t.Fatalf("%s: header %q; want %q", s, lines[0], wantLines[0])
		}
		gotLines = append(gotLines, lines[1:]...)
	}
	if int64(len(wantLines)-1) != want.Labelled || want.Labelled < 1000 || want.Defaults == 0 {
		t.Fatalf("the single-machine matrix has %d rows, %d labelled, %d defaults: too few to compare", len(wantLines)-1, want.Labelled, want.Defaults)
	}
	if len(gotLines) != len(wantLines)-1 {
		t.Fatalf("the pipeline wrote %d rows; the single machine %d", len(gotLines), len(wantLines)-1)
	}
	for i, l := range gotLines {
		if l != wantLines[i+1] {
			t.Fatalf("row %d:\npipeline %s\nsingle   %s", i, l, wantLines[i+1])
		}
	}
	if !strings.Contains(stdout.String(), "12 ") && !strings.Contains(stdout.String(), "labelled") {
		t.Errorf("stdout %q", stdout.String())
	}
	if s := stdout.String(); !strings.Contains(s, " observations labelled (") {
		t.Errorf("stdout %q does not give the counts", s)
	}
}

// The training sample drawn unit by unit on Prism holds exactly the rows
// and weights `credence sample` draws from the whole book, and its shards'
// metadata add up to the single file's.
func TestSampleMatchesSingleMachine(t *testing.T) {
	f := testFixture(t)
	dir := t.TempDir()
	ctx := context.Background()
	rule := backtest.SampleRule{NonDefaultRate: 0.25, Seed: 7}

	cfg := backtest.ObservationConfig{Features: features.DefaultConfig(), Horizon: features.Horizon{N: 6, Unit: features.Months},
		Plan: features.Plan{Start: datasets.YMD(2023, 1, 1), End: datasets.YMD(2023, 12, 1), EveryMonths: 1}}
	prep, err := backtest.Prepare(ctx, f.opened, cfg)
	if err != nil {
		t.Fatal(err)
	}
	singleOut := filepath.Join(dir, "single.parquet")
	w, err := train.NewSampleWriter(singleOut, train.NewSampleMeta(f.opened.Dir, prep, cfg, rule))
	if err != nil {
		t.Fatal(err)
	}
	counts, err := backtest.Observe(ctx, f.opened, prep, 0, false, w.Write)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(counts); err != nil {
		t.Fatal(err)
	}
	want, wantMeta, err := train.ReadSample(ctx, singleOut)
	if err != nil {
		t.Fatal(err)
	}
	if wantMeta.Defaults != counts.Defaults || wantMeta.NonDefaults == 0 || wantMeta.NonDefaults >= counts.Labelled-counts.Defaults {
		t.Fatalf("single machine drew %d defaults of %d and %d non-defaults of %d", wantMeta.Defaults, counts.Defaults,
			wantMeta.NonDefaults, counts.Labelled-counts.Defaults)
	}

	out := filepath.Join(dir, "beam", "sample.parquet")
	var stdout, stderr bytes.Buffer
	args := []string{"--book", f.book, "--horizon", "6mo", "--plan-start", "2023-01-01", "--plan-end", "2023-12-01",
		"--non-default-rate", "0.25", "--seed", "7", "--unit-customers", smallUnits, "--out", out}
	if code := runCommand(ctx, "sample", args, &stdout, &stderr); code != 0 {
		t.Fatalf("credence-beam sample: %s", stderr.String())
	}
	if shards, err := datasets.Shards(out); err != nil || len(shards) != fixtureUnits(t, f) {
		t.Fatalf("shards %v, %v; want one per unit", shards, err)
	}
	got, gotMeta, err := train.ReadSample(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if gotMeta.Counts != wantMeta.Counts || gotMeta.Defaults != wantMeta.Defaults || gotMeta.NonDefaults != wantMeta.NonDefaults ||
		gotMeta.Rule != rule || gotMeta.Set.Version != wantMeta.Set.Version || gotMeta.Observations.Horizon != wantMeta.Observations.Horizon {
		t.Fatalf("pipeline's metadata %+v\nsingle machine's %+v", gotMeta, wantMeta)
	}
	if got.Fingerprint() != want.Fingerprint() {
		t.Fatalf("the pipeline's %d rows differ from the single machine's %d (fingerprints)", len(got.Y), len(want.Y))
	}
	if s := stdout.String(); !strings.Contains(s, "non-defaults drawn") {
		t.Errorf("stdout %q does not say what was drawn", s)
	}
	if code := runCommand(ctx, "sample", append(args[:len(args)-1], filepath.Join(dir, "x.csv")), &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "Parquet") {
		t.Errorf("a CSV sample: exit %d, %q", code, stderr.String())
	}

	// A book and a sample on a Beam filesystem (memfs://, as gs:// or s3://
	// would be): every stage of a worker stages its part, the shards are
	// uploaded, and the rows are the same.
	copyToMemfs(t, f.book, "memfs://sample-book")
	stdout.Reset()
	remoteArgs := append([]string{"--book", "memfs://sample-book"}, args[2:len(args)-1]...)
	if code := runCommand(ctx, "sample", append(remoteArgs, "memfs://sample-out/sample.parquet"), &stdout, &stderr); code != 0 {
		t.Fatalf("credence-beam sample on memfs: %s", stderr.String())
	}
	files, err := shardSet(ctx, "memfs://sample-out/sample.parquet")
	if err != nil || len(files) != fixtureUnits(t, f) {
		t.Fatalf("shards on memfs %v, %v; want one per unit", files, err)
	}
	local := filepath.Join(dir, "from-memfs")
	for _, file := range files {
		if err := download(ctx, file, filepath.Join(local, baseName(file))); err != nil {
			t.Fatal(err)
		}
	}
	remote, remoteMeta, err := train.ReadSample(ctx, filepath.Join(local, "sample.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if remote.Fingerprint() != want.Fingerprint() || remoteMeta.Counts != wantMeta.Counts || remoteMeta.Book != "memfs://sample-book" {
		t.Fatalf("the sample of the book on memfs: %d rows, %+v; want %d rows, %+v", len(remote.Y), remoteMeta, len(want.Y), wantMeta)
	}
	if s := stdout.String(); !strings.Contains(s, fmt.Sprintf("%d defaults and %d non-defaults drawn", wantMeta.Defaults, wantMeta.NonDefaults)) {
		t.Errorf("stdout %q does not give the rows drawn", s)
	}
}

// copyToMemfs copies the files under dir to the Beam in-memory
// filesystem at url.
func copyToMemfs(t *testing.T, dir, url string) {
	t.Helper()
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		memfs.Write(url+"/"+filepath.ToSlash(rel), b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A negative --unit-customers is refused before anything runs.
func TestNegativeUnitCustomersRefused(t *testing.T) {
	f := testFixture(t)
	out := filepath.Join(t.TempDir(), "features.csv")
	var stdout, stderr bytes.Buffer
	code := runCommand(context.Background(), "features", []string{"--book", f.book, "--unit-customers", "-1", "--out", out}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "--unit-customers -1") {
		t.Errorf("exit %d, %q; want 1 and a word on --unit-customers", code, stderr.String())
	}
	if _, err := pipeline(t, "--book", f.book, "--unit-customers", "-1", "--out", out); err == nil || !strings.Contains(err.Error(), "--unit-customers -1") {
		t.Errorf("rescore: %v; want a word on --unit-customers", err)
	}
}

// With --tolerant a bad row is skipped and counted, as by the single
// machine: the units' skip logs merge in the pipeline's combine and the
// launcher prints the whole book's.
func TestFeaturesTolerantCountsSkippedRows(t *testing.T) {
	dir := t.TempDir()
	book := bookWithBadAmounts(t, dir, 18, 5, 9)
	opened, err := datasets.Open(book)
	if err != nil {
		t.Fatal(err)
	}
	opened.Tolerant = true
	ctx := context.Background()
	obs := backtest.ObservationConfig{Features: features.DefaultConfig(), Horizon: features.Horizon{N: 6, Unit: features.Months}}
	prep, err := backtest.Prepare(ctx, opened, obs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backtest.Observe(ctx, opened, prep, 0, false, func([]backtest.Observation) error { return nil }); err != nil {
		t.Fatal(err)
	}
	want := opened.Skipped.Skipped()
	if want != 2 {
		t.Fatalf("the single machine skipped %d rows; want the 2 made bad", want)
	}
	var stdout, stderr bytes.Buffer
	code := runCommand(ctx, "features", []string{"--book", book, "--horizon", "6mo", "--tolerant", "--out", filepath.Join(dir, "m.csv")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("credence-beam features --tolerant: %s", stderr.String())
	}
	if s := stdout.String(); !strings.Contains(s, fmt.Sprintf("skipped %d rows:", want)) || !strings.Contains(s, "part-00001.csv: row 5") {
		t.Errorf("stdout %q does not give the %d skipped rows with the first's file and row", s, want)
	}
}
