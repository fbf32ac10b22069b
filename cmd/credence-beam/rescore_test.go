package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/synth"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/rescore"
	"github.com/credence-risk/credence/train"
)

// fixture is a partitioned synthetic book and a registry with a model
// trained on it, shared by the tests.
type fixture struct {
	dir, book, registry string
	version             string
	scorer              *scoring.Scorer
	opened              *datasets.Book
}

var (
	fixtureOnce sync.Once
	shared      fixture
	fixtureErr  error
)

const fixtureCustomers = 1200

func TestMain(m *testing.M) {
	// Prism's loopback worker leaves a file in the temporary folder per
	// run: keep them, and everything the tests write, in one folder.
	tmp, err := os.MkdirTemp("", "credence-beam-tests-")
	if err != nil {
		panic(err)
	}
	os.Setenv("TMPDIR", tmp)
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

func testFixture(t *testing.T) *fixture {
	t.Helper()
	fixtureOnce.Do(func() { fixtureErr = shared.build() })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return &shared
}

func (f *fixture) build() error {
	ctx := context.Background()
	var err error
	if f.dir, err = os.MkdirTemp("", "credence-beam-test-"); err != nil {
		return err
	}
	f.book, f.registry = filepath.Join(f.dir, "book"), filepath.Join(f.dir, "registry")
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Months, cfg.Seed, cfg.CustomersPerPart = fixtureCustomers, 24, 5, fixtureCustomers/4
	// Row groups of 64 rows, so that --unit-customers 100 splits each
	// part of 300 customers in two (128 and 172: a tail of 44 joins the
	// unit before it).
	cfg.RowGroupRows = 64
	if _, err := synth.Generate(ctx, cfg, f.book, "", nil); err != nil {
		return err
	}
	if f.opened, err = datasets.Open(f.book); err != nil {
		return err
	}
	tc := train.DefaultConfig()
	tc.Families = []string{"logistic"}
	tc.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	res, err := train.Run(ctx, f.opened, tc, nil)
	if err != nil {
		return err
	}
	reg, err := registry.Open(f.registry)
	if err != nil {
		return err
	}
	if f.version, err = reg.Add(res.Artifact); err != nil {
		return err
	}
	art, err := catalog.Load(reg, f.version)
	if err != nil {
		return err
	}
	f.scorer, err = scoring.New(art, f.opened.Schema)
	return err
}

// smallUnits is a --unit-customers that splits the fixture's parts.
const smallUnits = "100"

// fixtureUnits is how many units --unit-customers smallUnits makes of
// the fixture book: at least 8 of its 4 parts.
func fixtureUnits(t *testing.T, f *fixture) int {
	t.Helper()
	units, err := f.opened.Units(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(units) < 8 {
		t.Fatalf("--unit-customers %s makes %d units of the fixture's 4 parts; want at least 8", smallUnits, len(units))
	}
	return len(units)
}

// pipeline runs `credence-beam rescore` with args on Prism.
func pipeline(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"--registry", shared.registry, "--model", shared.version}, args...)
	code := runCommand(context.Background(), "rescore", args, &stdout, &stderr)
	if code != 0 {
		return stdout.String(), &commandError{stderr.String()}
	}
	return stdout.String(), nil
}

type commandError struct{ msg string }

func (e *commandError) Error() string { return e.msg }

// single is `credence rescore`: the same package call the command makes.
func single(t *testing.T, f *fixture, asOf datasets.Date, out, previous string) *rescore.Report {
	t.Helper()
	cfg := rescore.DefaultConfig(asOf)
	if previous != "" {
		var err error
		if cfg.Previous, err = rescore.ReadPrevious(previous); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := rescore.File(context.Background(), f.opened, f.scorer, cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	return rescore.NewReport(sum, f.opened, out, version, 0)
}

func readRows(t *testing.T, path string) []rescore.Row {
	t.Helper()
	var rows []rescore.Row
	if err := rescore.Read(path, func(r *rescore.Row) error { rows = append(rows, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	return rows
}

// sameRows compares rows bit for bit (NaN limits equal).
func sameRows(t *testing.T, got, want []rescore.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows; the single-machine command writes %d", len(got), len(want))
	}
	bits := math.Float64bits
	for i := range got {
		a, b := got[i], want[i]
		if a.CustomerID != b.CustomerID || a.AsOf != b.AsOf || bits(a.PD) != bits(b.PD) || a.Grade != b.Grade ||
			bits(a.Score) != bits(b.Score) || bits(a.RecommendedLimit) != bits(b.RecommendedLimit) ||
			a.Reasons != b.Reasons || a.ModelVersion != b.ModelVersion {
			t.Fatalf("row %d: pipeline %+v; single machine %+v", i, a, b)
		}
	}
}

// reportJSON is a report's JSON without what differs between any two
// runs: when it was made, how long it took and where it was written.
func reportJSON(t *testing.T, r *rescore.Report) map[string]any {
	t.Helper()
	c := *r
	c.Created, c.Output, c.Notes = "", "", nil
	if c.Migration != nil {
		m := *c.Migration
		mig := *m.Migration
		mig.Previous = ""
		m.Migration = &mig
		c.Migration = &m
	}
	var b bytes.Buffer
	if err := c.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func readReport(t *testing.T, path string) *rescore.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r rescore.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// On a partitioned book the pipeline on Prism writes, shard by shard,
// exactly the rows of `credence rescore`, and the same report: grades,
// totals, PSI and, against an earlier output given as a shard set, the
// migration and early-warning list; in units of whole parts, and of
// ranges of customers of each part.
func TestRescoreMatchesSingleMachine(t *testing.T) {
	f := testFixture(t)
	if n := len(f.opened.Partitions()); n != 4 {
		t.Fatalf("the fixture book has %d parts; want 4", n)
	}
	dir := t.TempDir()
	before, now := datasets.YMD(2023, 6, 1), datasets.YMD(2025, 1, 1)

	singlePrev := filepath.Join(dir, "single", "scores-2023-06.parquet")
	single(t, f, before, singlePrev, "")
	beamPrev := filepath.Join(dir, "beam", "scores-2023-06.parquet")
	if _, err := pipeline(t, "--book", f.book, "--as-of", before.String(), "--out", beamPrev); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(beamPrev); err == nil {
		t.Errorf("the pipeline wrote %s; want only its shards", beamPrev)
	}
	sameRows(t, readRows(t, beamPrev), readRows(t, singlePrev))

	singleOut := filepath.Join(dir, "single", "scores.csv")
	want := single(t, f, now, singleOut, singlePrev)
	beamOut := filepath.Join(dir, "beam", "scores.csv")
	// An earlier output of the same name, a file and a larger shard set,
	// is replaced.
	for _, stale := range []string{beamOut, filepath.Join(dir, "beam", "scores-00008-of-00009.csv")} {
		if err := os.WriteFile(stale, []byte("customer_id,pd,grade\nX,0.5,5\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if shards, err := datasets.Shards(beamPrev); err != nil || len(shards) != 4 {
		t.Fatalf("shards %v, %v; want 4, one per part", shards, err)
	}
	units := fixtureUnits(t, f)
	stdout, err := pipeline(t, "--book", f.book, "--as-of", now.String(), "--out", beamOut, "--previous", beamPrev, "--unit-customers", smallUnits)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, fmt.Sprintf("scores-00000-of-%05d.csv", units)) {
		t.Errorf("stdout %q does not name the shards", stdout)
	}
	shards, err := datasets.Shards(beamOut)
	if err != nil || len(shards) != units {
		t.Fatalf("shards %v, %v; want %d, one per unit", shards, err, units)
	}
	sameRows(t, readRows(t, beamOut), readRows(t, singleOut))
	got := readReport(t, beamOut+".report.json")
	if want.Migration == nil || want.Migration.Matched == 0 || want.PSI == nil {
		t.Fatalf("the single-machine report has no migration or PSI to compare: %+v", want)
	}
	if g, w := reportJSON(t, got), reportJSON(t, want); !reflect.DeepEqual(g, w) {
		gb, _ := json.MarshalIndent(g, "", " ")
		wb, _ := json.MarshalIndent(w, "", " ")
		t.Errorf("pipeline report:\n%s\nsingle machine:\n%s", gb, wb)
	}
	if got.Migration.Previous != beamPrev {
		t.Errorf("the migration names %q; want the path given, %q", got.Migration.Previous, beamPrev)
	}
	if _, err := os.Stat(beamOut + ".report.html"); err != nil {
		t.Error(err)
	}
	// Nothing of the run's staging is left.
	left, _ := filepath.Glob(filepath.Join(dir, "beam", ".*"))
	if len(left) > 0 {
		t.Errorf("staging left behind: %v", left)
	}
}

// A bad row stops the pipeline with the file, row and column the
// single-machine command names, and no output that looks complete.
func TestRescoreBadRowStops(t *testing.T) {
	f := testFixture(t)
	dir := t.TempDir()
	book := bookWithBadAmounts(t, dir, 12, 5)
	opened, err := datasets.Open(book)
	if err != nil {
		t.Fatal(err)
	}
	_, want := rescore.File(context.Background(), opened, f.scorer, rescore.DefaultConfig(datasets.YMD(2024, 1, 1)), filepath.Join(dir, "single.parquet"))
	var ie *datasets.InputError
	if want == nil || !errors.As(want, &ie) {
		t.Fatalf("the single-machine rescore gives %v; want an InputError", want)
	}
	out := filepath.Join(dir, "out", "scores.parquet")
	_, err = pipeline(t, "--book", book, "--as-of", "2024-01-01", "--out", out)
	if err == nil {
		t.Fatal("the pipeline scored a book with a bad row")
	}
	if !strings.Contains(err.Error(), ie.Error()) {
		t.Errorf("pipeline error %q does not say %q", err, ie.Error())
	}
	left, _ := filepath.Glob(filepath.Join(dir, "out", "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, "out", ".*"))
	if len(left)+len(hidden) > 0 {
		t.Errorf("a failed run left %v %v", left, hidden)
	}
}

// bookWithBadAmounts writes a 300-customer CSV book of months months in
// 3 parts under dir, whose invoices of part 1 have an amount that is not
// a number at the given data rows, and returns its directory.
func bookWithBadAmounts(t *testing.T, dir string, months int, rows ...int) string {
	t.Helper()
	book := filepath.Join(dir, "book")
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Months, cfg.Seed, cfg.CustomersPerPart, cfg.Format = 300, months, 3, 100, "csv"
	if _, err := synth.Generate(context.Background(), cfg, book, "", nil); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(book, "invoices", "part-00001.csv")
	b, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	col := slices.Index(strings.Split(lines[0], ","), "amount")
	if col < 0 {
		t.Fatalf("no amount column in %q", lines[0])
	}
	for _, row := range rows {
		fields := strings.Split(lines[row], ",")
		fields[col] = "12.5x"
		lines[row] = strings.Join(fields, ",")
	}
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return book
}

// A book and an output on a Beam filesystem (memfs://, in this process,
// as gs:// or s3:// would be with credentials) give the same rows, in
// units of ranges of customers and of whole parts.
func TestRescoreOnBeamFilesystem(t *testing.T) {
	f := testFixture(t)
	copyToMemfs(t, f.book, "memfs://book")
	asOf := datasets.YMD(2024, 9, 1)
	dir := t.TempDir()
	want := filepath.Join(dir, "single.parquet")
	single(t, f, asOf, want, "")
	if _, err := pipeline(t, "--book", "memfs://book", "--as-of", asOf.String(), "--out", "memfs://out/scores.parquet",
		"--unit-customers", smallUnits); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	files, err := shardSet(ctx, "memfs://out/scores.parquet")
	if units := fixtureUnits(t, f); err != nil || len(files) != units {
		t.Fatalf("shards on memfs %v, %v; want %d, one per unit", files, err, units)
	}
	sameRows(t, readRemoteRows(t, files, dir), readRows(t, want))
	if _, err := readFile(ctx, "memfs://out/scores.parquet.report.json"); err != nil {
		t.Error(err)
	}

	// The portfolio model: each worker stages its part to count the
	// context, then again to score it.
	model, scorer := portfolioModel(t, f)
	want = filepath.Join(dir, "single-portfolio.parquet")
	if _, err := rescore.File(ctx, f.opened, scorer, rescore.DefaultConfig(asOf), want); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := runCommand(ctx, "rescore", []string{"--registry", f.registry, "--model", model, "--book", "memfs://book",
		"--as-of", asOf.String(), "--out", "memfs://out/portfolio.parquet"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("credence-beam rescore: %s", stderr.String())
	}
	if files, err = shardSet(ctx, "memfs://out/portfolio.parquet"); err != nil || len(files) != 4 {
		t.Fatalf("shards on memfs %v, %v; want 4", files, err)
	}
	sameRows(t, readRemoteRows(t, files, dir), readRows(t, want))
}

// readRemoteRows reads the rows of shards on a Beam filesystem, copied to
// dir first.
func readRemoteRows(t *testing.T, files []string, dir string) []rescore.Row {
	t.Helper()
	var rows []rescore.Row
	for _, f := range files {
		local := filepath.Join(dir, baseName(f))
		if err := download(context.Background(), f, local); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, readRows(t, local)...)
	}
	return rows
}

var (
	portfolioOnce    sync.Once
	portfolioVersion string
	portfolioScorer  *scoring.Scorer
	portfolioErr     error
)

// portfolioModel adds to the fixture's registry a model trained with the
// portfolio features, which read the context of the whole book.
func portfolioModel(t *testing.T, f *fixture) (string, *scoring.Scorer) {
	t.Helper()
	portfolioOnce.Do(func() {
		ctx := context.Background()
		tc := train.DefaultConfig()
		tc.Families = []string{"logistic"}
		tc.TuneBudget = "0"
		tc.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
		tc.Observations.Features.Portfolio = &features.PortfolioConfig{}
		res, err := train.Run(ctx, f.opened, tc, nil)
		if err != nil {
			portfolioErr = err
			return
		}
		if !res.Artifact.FeatureSet.HasPortfolio() {
			portfolioErr = errors.New("the model trained with the portfolio features has no portfolio block")
			return
		}
		reg, err := registry.Open(f.registry)
		if err != nil {
			portfolioErr = err
			return
		}
		if portfolioVersion, portfolioErr = reg.Add(res.Artifact); portfolioErr != nil {
			return
		}
		art, err := catalog.Load(reg, portfolioVersion)
		if err != nil {
			portfolioErr = err
			return
		}
		portfolioScorer, portfolioErr = scoring.New(art, f.opened.Schema)
	})
	if portfolioErr != nil {
		t.Fatal(portfolioErr)
	}
	return portfolioVersion, portfolioScorer
}

// A model that reads the portfolio context scores, part by part on Prism,
// exactly the rows and report of `credence rescore`, which computes the
// context over the whole book: the parts' counts are merged in a combine
// and given to every part as a side input.
func TestRescorePortfolioMatchesSingleMachine(t *testing.T) {
	f := testFixture(t)
	model, scorer := portfolioModel(t, f)
	dir := t.TempDir()
	asOf := datasets.YMD(2024, 9, 12)

	singleOut := filepath.Join(dir, "single.parquet")
	sum, err := rescore.File(context.Background(), f.opened, scorer, rescore.DefaultConfig(asOf), singleOut)
	if err != nil {
		t.Fatal(err)
	}
	want := rescore.NewReport(sum, f.opened, singleOut, version, 0)

	out := filepath.Join(dir, "beam", "scores.parquet")
	var stdout, stderr bytes.Buffer
	code := runCommand(context.Background(), "rescore", []string{"--registry", f.registry, "--model", model,
		"--book", f.book, "--as-of", asOf.String(), "--out", out, "--unit-customers", smallUnits}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("credence-beam rescore: %s", stderr.String())
	}
	if shards, err := datasets.Shards(out); err != nil || len(shards) != fixtureUnits(t, f) {
		t.Fatalf("shards %v, %v; want one per unit", shards, err)
	}
	wantRows := readRows(t, singleOut)
	if len(wantRows) < fixtureCustomers/2 {
		t.Fatalf("the single machine scored %d rows: too few to compare", len(wantRows))
	}
	sameRows(t, readRows(t, out), wantRows)
	if g, w := reportJSON(t, readReport(t, out+".report.json")), reportJSON(t, want); !reflect.DeepEqual(g, w) {
		gb, _ := json.MarshalIndent(g, "", " ")
		wb, _ := json.MarshalIndent(w, "", " ")
		t.Errorf("pipeline report:\n%s\nsingle machine:\n%s", gb, wb)
	}
}

// Over the observations table (no --as-of), the pipeline finds the
// context dates of every part's observations, merges them, and scores the
// portfolio model exactly as `credence rescore` does.
func TestRescorePortfolioObservationsMatchSingleMachine(t *testing.T) {
	f := testFixture(t)
	model, scorer := portfolioModel(t, f)
	ctx := context.Background()
	dir := t.TempDir()
	book := filepath.Join(dir, "book")
	err := filepath.Walk(f.book, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(f.book, path)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(book, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(book, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each part observes its customers in two months of its own, so that
	// a context date a part lacks must come from the others.
	if err := os.MkdirAll(filepath.Join(book, "observations"), 0o755); err != nil {
		t.Fatal(err)
	}
	for k, part := range f.opened.Partitions() {
		hs, err := part.ReadAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lines := []string{"customer_id,as_of"}
		for i, h := range hs {
			asOf := datasets.YMD(2024, time.Month(1+2*k+i%2), 10+i%15)
			lines = append(lines, h.CustomerID+","+asOf.String())
		}
		name := filepath.Join(book, "observations", fmt.Sprintf("part-%05d.csv", k))
		if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opened, err := datasets.Open(book)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(opened.Partitions()); n != 4 {
		t.Fatalf("the book with observations has %d parts; want 4", n)
	}
	singleOut := filepath.Join(dir, "single.parquet")
	if _, err := rescore.File(ctx, opened, scorer, rescore.DefaultConfig(datasets.NoDate), singleOut); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "beam", "scores.parquet")
	var stdout, stderr bytes.Buffer
	code := runCommand(ctx, "rescore", []string{"--registry", f.registry, "--model", model, "--book", book, "--out", out,
		"--unit-customers", smallUnits}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("credence-beam rescore: %s", stderr.String())
	}
	wantRows := readRows(t, singleOut)
	if len(wantRows) < fixtureCustomers/2 {
		t.Fatalf("the single machine scored %d rows: too few to compare", len(wantRows))
	}
	sameRows(t, readRows(t, out), wantRows)
}
