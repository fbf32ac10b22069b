package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/train"
)

// The features pipeline: the labelled matrix over a plan of as-of dates,
// built part by part by backtest.Observe, the code `credence features`
// runs, and written by train.NewMatrixWriter, its writer, as shard k of n
// beside --out:
//
//	part numbers ─TallyPart─ levels, dates ─merge─▶ side input ─┬─▶ AccumulatePart ─ portfolio counts ─merge─┐
//	part numbers ─ObservePart (shard k of n) ◀──────────────────┴──────────────── side input ◀──────────────┘
//
// The book's categorical levels and date range, which fix the feature set
// and the plan (backtest.FinishPrepare), are counted part by part
// (backtest.TallyBook) and merged; with --portfolio, the portfolio
// contexts at the plan's dates likewise. Every part's matrix is built
// with the whole book's.

func init() {
	register.DoFn5x1[context.Context, int, []byte, []byte, func(unitCounts), error](&observePartFn{})
	register.DoFn3x1[context.Context, int, func([]byte), error](&tallyPartFn{})
	register.DoFn4x1[context.Context, int, []byte, func([]byte), error](&featurePortfolioFn{})
	register.Combiner1[[]byte](&mergeTalliesFn{})
	register.Emitter1[unitCounts]()
	register.Function2x2(addCounts)
	register.DoFn2x1[context.Context, unitCounts, error](&writeCountsFn{})
}

type featuresOptions struct {
	book, horizon, planStart, planEnd, out *string
	dpd, planEvery, workers, unitCustomers *int
	deriveDefaults, tolerant, unlabelled   *bool
	portfolio                              *bool
	// rule draws a training sample (credence-beam sample); nil: the matrix.
	rule *backtest.SampleRule
}

// featuresFlags are `credence features`'s flags.
func featuresFlags(fs *flag.FlagSet) *featuresOptions {
	return &featuresOptions{
		book:           fs.String("book", "", "book directory (local, or gs://, s3://: any Beam filesystem linked in)"),
		horizon:        fs.String("horizon", "", "label horizon, e.g. 12mo, 90d, 1y (default: the book's hint, else 12mo)"),
		dpd:            fs.Int("dpd-threshold", 0, "days past due that make a default under the default rule (default: the book's hint, else 90)"),
		deriveDefaults: fs.Bool("derive-defaults", false, "apply the default rule even when the book has a defaults table"),
		planStart:      fs.String("plan-start", "", "first as-of date of the snapshot plan (YYYY-MM-DD)"),
		planEnd:        fs.String("plan-end", "", "last as-of date of the snapshot plan"),
		planEvery:      fs.Int("plan-every", 1, "months between as-of dates of the snapshot plan"),
		workers:        fs.Int("workers", 0, "feature-building goroutines per part (0: one per core)"),
		tolerant:       fs.Bool("tolerant", false, "skip and count bad rows instead of stopping at the first"),
		out:            fs.String("out", "", "matrix to write, as shards beside it: DIR/features.parquet writes DIR/features-00000-of-000NN.parquet … (.parquet, .csv or .csv.gz)"),
		unlabelled:     fs.Bool("unlabelled", false, "also write censored and already-defaulted observations, with a null label"),
		portfolio:      fs.Bool("portfolio", false, "add the features that see the portfolio (as credence train --portfolio)"),
		unitCustomers:  unitCustomersFlag(fs),
	}
}

// sampleFlags are `credence sample`'s flags: those of features, the
// sampling rule's, and no --unlabelled.
func sampleFlags(fs *flag.FlagSet) *featuresOptions {
	o := featuresFlags(fs)
	o.rule = &backtest.SampleRule{}
	fs.Float64Var(&o.rule.NonDefaultRate, "non-default-rate", 0, "share of the non-defaults kept, in (0, 1]; each weighs 1/rate (every default is kept)")
	fs.Uint64Var(&o.rule.Seed, "seed", 1, "seed of the draw: the same seed keeps the same rows as credence sample")
	fs.Lookup("out").Usage = "training sample to write, as shards beside it: DIR/sample.parquet writes DIR/sample-00000-of-000NN.parquet … (.parquet)"
	return o
}

// observationConfig is `credence features`'s reading of the flags.
func (o *featuresOptions) observationConfig() (backtest.ObservationConfig, error) {
	cfg := backtest.ObservationConfig{Features: features.DefaultConfig(), DPDThreshold: *o.dpd,
		DeriveDefaults: *o.deriveDefaults, Workers: *o.workers}
	if *o.portfolio {
		cfg.Features.Portfolio = &features.PortfolioConfig{}
	}
	if *o.horizon != "" {
		h, err := features.ParseHorizon(*o.horizon)
		if err != nil {
			return cfg, fmt.Errorf("--horizon: %w", err)
		}
		cfg.Horizon = h
	}
	if (*o.planStart == "") != (*o.planEnd == "") {
		return cfg, errors.New("--plan-start and --plan-end go together")
	}
	if *o.planStart != "" {
		var err error
		if cfg.Plan.Start, err = datasets.ParseDate(*o.planStart); err != nil {
			return cfg, fmt.Errorf("--plan-start: %w", err)
		}
		if cfg.Plan.End, err = datasets.ParseDate(*o.planEnd); err != nil {
			return cfg, fmt.Errorf("--plan-end: %w", err)
		}
		cfg.Plan.EveryMonths = *o.planEvery
	}
	return cfg, nil
}

// featuresJob is what every worker gets.
type featuresJob struct {
	Book       string
	Tolerant   bool
	Parts      int
	Units      []datasets.Unit // element k is unit k, which writes shard k
	Config     []byte          // backtest.ObservationConfig as JSON
	Workers    int
	Unlabelled bool
	Out        string
	Staging    string
	// Rule draws a training sample instead of the matrix.
	Rule *backtest.SampleRule
	// Remote is the book on a Beam filesystem; nil for a local one.
	Remote *remoteBook
}

func (o *featuresOptions) run(ctx context.Context, stdout io.Writer) error {
	if err := checkBookAndOut(*o.book, *o.out); err != nil {
		return err
	}
	if o.rule != nil {
		if err := o.rule.Validate(); err != nil {
			return fmt.Errorf("--non-default-rate: %w", err)
		}
		if !strings.HasSuffix(*o.out, ".parquet") {
			return fmt.Errorf("--out %s: a training sample is written as Parquet (.parquet)", *o.out)
		}
		if *o.unlabelled {
			return errors.New("--unlabelled: a training sample holds labelled observations only")
		}
	}
	cfg, err := o.observationConfig()
	if err != nil {
		return err
	}
	t0 := time.Now()
	job := featuresJob{Book: *o.book, Tolerant: *o.tolerant, Workers: *o.workers,
		Unlabelled: *o.unlabelled, Out: *o.out, Staging: stagingDir(*o.out), Rule: o.rule}
	// book fixes the feature set on the launcher: the whole local book,
	// or, on a Beam filesystem, its first part (any part has the tables
	// and book.yaml that backtest.FinishPrepare reads).
	var book *datasets.Book
	if isRemote(*o.book) {
		if job.Remote, err = listRemoteBook(ctx, *o.book); err != nil {
			return err
		}
		job.Book, job.Parts = job.Remote.Dir, len(job.Remote.Parts)
		tmp, err := os.MkdirTemp("", "credence-beam-launch-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if book, err = job.Remote.stage(ctx, 0, filepath.Join(tmp, "book")); err != nil {
			return nameRemote(job.Remote, tmp, err)
		}
		if job.Units, err = job.Remote.units(ctx, *o.unitCustomers); err != nil {
			return err
		}
	} else {
		if book, err = openLaunched(*o.book); err != nil {
			return err
		}
		job.Book, job.Parts = book.Dir, len(book.Partitions())
		if job.Units, err = planUnits(ctx, book, *o.unitCustomers); err != nil {
			return err
		}
	}
	if job.Config, err = json.Marshal(cfg); err != nil {
		return err
	}
	p, s := beam.NewPipelineWithRoot()
	unitCol := unitNumbers(s, len(job.Units))
	tally := beam.Combine(s, &mergeTalliesFn{Schema: book.Schema}, beam.ParDo(s, &tallyPartFn{Job: job}, unitCol))
	beam.ParDo0(s, &writeFileFn{Path: join(job.Staging, "tally.bin")}, tally)
	contexts := beam.Create(s, []byte{})
	if cfg.Features.Portfolio != nil {
		// A set only to decode the counts with: the grouping attributes
		// come from the configuration and the schema, not the levels.
		set, err := features.NewSet(cfg.Features, book.Schema, nil)
		if err != nil {
			return err
		}
		counts := beam.ParDo(s, &featurePortfolioFn{Job: job}, unitCol, beam.SideInput{Input: tally})
		contexts = beam.Combine(s, &mergePortfoliosFn{Set: set}, counts)
	}
	counts := beam.ParDo(s, &observePartFn{Job: job}, unitCol, beam.SideInput{Input: tally}, beam.SideInput{Input: contexts})
	beam.ParDo0(s, &writeCountsFn{Path: join(job.Staging, "counts.json")}, beam.Combine(s, addCounts, counts))
	if err := beamx.Run(ctx, p); err != nil {
		removeAll(ctx, job.Staging)
		return err
	}
	prep, uc, err := finishFeatures(ctx, book, cfg, job)
	c := uc.Observed
	if err != nil {
		removeAll(ctx, job.Staging)
		return err
	}
	if err := publishShards(ctx, job.Staging, job.Out, len(job.Units)); err != nil {
		return err
	}
	rows := c.Labelled
	if job.Unlabelled {
		rows += c.Censored + c.AlreadyDefaulted
	}
	if job.Rule != nil {
		rows = uc.DrawnDefaults + uc.DrawnNonDefaults
	}
	fmt.Fprintf(stdout, "wrote %s … in %s: %d rows × %d features (feature set %s) in %d shards (units of %d parts)\n",
		mustShard(job.Out, 0, len(job.Units)), time.Since(t0).Round(time.Millisecond), rows, prep.Set.Len(), prep.Set.Version, len(job.Units), job.Parts)
	if job.Rule != nil {
		fmt.Fprintf(stdout, "sample: %s; %d defaults and %d non-defaults drawn\n", job.Rule, uc.DrawnDefaults, uc.DrawnNonDefaults)
	}
	if uc.Skipped != nil {
		skipped, err := datasets.DecodeSkipLog(uc.Skipped)
		if err != nil {
			return err
		}
		skipped.WriteText(stdout)
	}
	fmt.Fprintf(stdout, "%d customers; %d observations labelled (%d defaults, %.2f%%), %d censored, %d after default; horizon %s, observed until %s\n",
		c.Customers, c.Labelled, c.Defaults, 100*float64(c.Defaults)/max(1, float64(c.Labelled)),
		c.Censored, c.AlreadyDefaulted, prep.Horizon, prep.ObservedUntil)
	return nil
}

// finishFeatures reads what the pipeline left: the book's tally, which
// fixes the feature set and the plan as the workers fixed them, and the
// matrix's counts.
func finishFeatures(ctx context.Context, book *datasets.Book, cfg backtest.ObservationConfig, job featuresJob) (*backtest.Prepared, unitCounts, error) {
	var c unitCounts
	t, err := readFile(ctx, join(job.Staging, "tally.bin"))
	if err != nil {
		return nil, c, fmt.Errorf("the pipeline left no tally of the book: %w", err)
	}
	prep, err := prepareFrom(book, cfg, t)
	if err != nil {
		return nil, c, err
	}
	b, err := readFile(ctx, join(job.Staging, "counts.json"))
	if err != nil {
		return nil, c, fmt.Errorf("the pipeline left no counts: %w", err)
	}
	return prep, c, json.Unmarshal(b, &c)
}

// prepareFrom is backtest.Prepare from the book's merged tally, without
// the portfolio contexts.
func prepareFrom(book *datasets.Book, cfg backtest.ObservationConfig, tally []byte) (*backtest.Prepared, error) {
	t, err := backtest.DecodeTally(book.Schema, tally)
	if err != nil {
		return nil, err
	}
	return backtest.FinishPrepare(book, cfg, t)
}

// featureParts is what each stage of the pipeline opens: the book (a
// local one; on a Beam filesystem each unit stages its part) and the
// configuration.
type featureParts struct {
	book *datasets.Book
	cfg  backtest.ObservationConfig
}

func (f *featureParts) open(job *featuresJob) error {
	if err := json.Unmarshal(job.Config, &f.cfg); err != nil {
		return err
	}
	f.cfg.Workers = job.Workers
	if job.Remote != nil {
		return nil
	}
	var err error
	if f.book, err = openOnWorker(job.Book); err != nil {
		return err
	}
	f.book.Tolerant = job.Tolerant
	if n := len(f.book.Partitions()); n != job.Parts {
		return fmt.Errorf("book %s has %d parts now, %d when the pipeline started", job.Book, n, job.Parts)
	}
	return nil
}

// unit opens unit k of the job's book (openUnit) and the temporary folder
// a staged copy goes in, which the caller removes (also after an error).
func (f *featureParts) unit(ctx context.Context, job *featuresJob, k int) (book *datasets.Book, tmp string, err error) {
	if tmp, err = os.MkdirTemp("", "credence-beam-unit-"); err != nil {
		return nil, "", err
	}
	book, err = openUnit(ctx, f.book, job.Remote, job.Units[k], job.Tolerant, tmp)
	return book, tmp, err
}

// tallyPartFn counts one part's levels and dates.
type tallyPartFn struct {
	Job featuresJob
	featureParts
}

func (f *tallyPartFn) Setup() error { return f.open(&f.Job) }

func (f *tallyPartFn) ProcessElement(ctx context.Context, k int, emit func([]byte)) error {
	unit, tmp, err := f.unit(ctx, &f.Job, k)
	defer os.RemoveAll(tmp)
	if err != nil {
		return err
	}
	t, err := backtest.TallyBook(ctx, unit, f.Job.Workers, nil)
	if err != nil {
		return nameRemote(f.Job.Remote, tmp, err)
	}
	b, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	emit(b)
	return nil
}

// mergeTalliesFn merges the parts' encoded tallies.
type mergeTalliesFn struct{ Schema datasets.CustomerSchema }

func (f *mergeTalliesFn) MergeAccumulators(a, b []byte) ([]byte, error) {
	x, err := backtest.DecodeTally(f.Schema, a)
	if err != nil {
		return nil, err
	}
	y, err := backtest.DecodeTally(f.Schema, b)
	if err != nil {
		return nil, err
	}
	if err := x.Merge(y); err != nil {
		return nil, err
	}
	return x.MarshalBinary()
}

// featurePortfolioFn counts one part's customers into the portfolio
// contexts at the plan's dates, fixed by the book's tally.
type featurePortfolioFn struct {
	Job featuresJob
	featureParts
}

func (f *featurePortfolioFn) Setup() error { return f.open(&f.Job) }

func (f *featurePortfolioFn) ProcessElement(ctx context.Context, k int, tally []byte, emit func([]byte)) error {
	unit, tmp, err := f.unit(ctx, &f.Job, k)
	defer os.RemoveAll(tmp)
	if err != nil {
		return err
	}
	prep, err := prepareFrom(unit, f.cfg, tally)
	if err != nil {
		return err
	}
	b, err := accumulatePortfolios(ctx, unit, prep.Set, features.DefaultRule{DPDThreshold: prep.DPDThreshold}, f.Job.Workers, prep.PortfolioDates())
	if err != nil {
		return nameRemote(f.Job.Remote, tmp, err)
	}
	emit(b)
	return nil
}

// observePartFn writes the matrix of one part of the book.
type observePartFn struct {
	Job featuresJob
	featureParts
}

func (f *observePartFn) Setup() error { return f.open(&f.Job) }

func (f *observePartFn) ProcessElement(ctx context.Context, k int, tally, portfolio []byte, emit func(unitCounts)) error {
	unit, tmp, err := f.unit(ctx, &f.Job, k)
	defer os.RemoveAll(tmp)
	if err != nil {
		return err
	}
	prep, err := prepareFrom(unit, f.cfg, tally)
	if err != nil {
		return err
	}
	if prep.Set.HasPortfolio() {
		acc, err := prep.Set.DecodePortfolioAcc(features.DefaultRule{DPDThreshold: prep.DPDThreshold}, portfolio)
		if err != nil {
			return err
		}
		prep.Portfolios = map[datasets.Date]*features.Portfolio{}
		for _, c := range acc.Finish() {
			prep.Portfolios[c.Date] = c
		}
	}
	shard := mustShard(join(f.Job.Staging, baseName(f.Job.Out)), k, len(f.Job.Units))
	local := shard
	if isRemote(shard) {
		local = filepath.Join(tmp, baseName(shard))
	} else if err := os.MkdirAll(f.Job.Staging, 0o755); err != nil {
		return err
	}
	var w *train.MatrixWriter
	if f.Job.Rule != nil {
		prep.Draw = f.Job.Rule
		w, err = train.NewSampleWriter(local, train.NewSampleMeta(f.Job.Book, prep, f.cfg, *f.Job.Rule))
	} else {
		w, err = train.NewMatrixWriter(local, prep.Set.Names())
	}
	if err != nil {
		return err
	}
	c, err := backtest.Observe(ctx, unit, prep, f.Job.Workers, f.Job.Unlabelled, w.Write)
	if err != nil {
		w.Abort()
		return nameRemote(f.Job.Remote, tmp, err)
	}
	uc := unitCounts{Observed: c}
	if !unit.Skipped.Empty() {
		if uc.Skipped, err = unit.Skipped.MarshalBinary(); err != nil {
			return err
		}
		if f.Job.Remote != nil { // name the book's files, not their staged copies
			uc.Skipped = bytes.ReplaceAll(uc.Skipped, []byte(filepath.Join(tmp, "book")), []byte(f.Job.Remote.Dir))
		}
	}
	if f.Job.Rule != nil {
		err = w.Finish(c)
		uc.DrawnDefaults, uc.DrawnNonDefaults = w.Sample().Defaults, w.Sample().NonDefaults
	} else {
		err = w.Close()
	}
	if err != nil {
		return err
	}
	if local != shard {
		if err := upload(ctx, local, shard); err != nil {
			return err
		}
	}
	emit(uc)
	return nil
}

// unitCounts are what one unit's matrix holds: the observations built
// and, for a sample, the rows drawn.
type unitCounts struct {
	Observed                        backtest.Counts
	DrawnDefaults, DrawnNonDefaults int64
	// Skipped is the unit's skip log (datasets.SkipLog.MarshalBinary):
	// the rows --tolerant left out.
	Skipped []byte
}

func addCounts(a, b unitCounts) (unitCounts, error) {
	a.Observed.Add(b.Observed)
	a.DrawnDefaults += b.DrawnDefaults
	a.DrawnNonDefaults += b.DrawnNonDefaults
	var err error
	a.Skipped, err = mergeSkipLogs(a.Skipped, b.Skipped)
	return a, err
}

// mergeSkipLogs merges two encoded skip logs (nil: empty).
func mergeSkipLogs(a, b []byte) ([]byte, error) {
	if b == nil {
		return a, nil
	}
	if a == nil {
		return b, nil
	}
	x, err := datasets.DecodeSkipLog(a)
	if err != nil {
		return nil, err
	}
	y, err := datasets.DecodeSkipLog(b)
	if err != nil {
		return nil, err
	}
	x.Merge(y)
	return x.MarshalBinary()
}

// writeCountsFn writes the merged counts to Path.
type writeCountsFn struct{ Path string }

func (f *writeCountsFn) ProcessElement(ctx context.Context, c unitCounts) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return writeFile(ctx, f.Path, b)
}
