package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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
// beside --out. The book's categorical levels and date range, which fix
// the feature set and the plan, are read first by backtest.Prepare on the
// launching machine, as the single-machine command does.

func init() {
	register.DoFn3x1[context.Context, int, func(backtest.Counts), error](&observePartFn{})
	register.Emitter1[backtest.Counts]()
	register.Function2x1(addCounts)
	register.DoFn2x1[context.Context, backtest.Counts, error](&writeCountsFn{})
}

type featuresOptions struct {
	book, horizon, planStart, planEnd, out *string
	dpd, planEvery, workers                *int
	deriveDefaults, tolerant, unlabelled   *bool
}

// featuresFlags are `credence features`'s flags.
func featuresFlags(fs *flag.FlagSet) *featuresOptions {
	return &featuresOptions{
		book:           fs.String("book", "", "book directory (local, or on a filesystem every worker sees)"),
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
	}
}

// observationConfig is `credence features`'s reading of the flags.
func (o *featuresOptions) observationConfig() (backtest.ObservationConfig, error) {
	cfg := backtest.ObservationConfig{Features: features.DefaultConfig(), DPDThreshold: *o.dpd,
		DeriveDefaults: *o.deriveDefaults, Workers: *o.workers}
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
	Prepared   []byte // backtest.Prepared as JSON (its feature set, plan, horizon and label rule)
	Workers    int
	Unlabelled bool
	Out        string
	Staging    string
}

func (o *featuresOptions) run(ctx context.Context, stdout io.Writer) error {
	if err := checkBookAndOut(*o.book, *o.out); err != nil {
		return err
	}
	if isRemote(*o.book) {
		return fmt.Errorf("--book %s: features reads a book on local disk or a filesystem every worker mounts", *o.book)
	}
	book, err := datasets.Open(*o.book)
	if err != nil {
		return err
	}
	book.Tolerant = *o.tolerant
	cfg, err := o.observationConfig()
	if err != nil {
		return err
	}
	t0 := time.Now()
	prep, err := backtest.Prepare(ctx, book, cfg)
	if err != nil {
		return err
	}
	job := featuresJob{Book: book.Dir, Tolerant: book.Tolerant, Parts: len(book.Partitions()), Workers: *o.workers,
		Unlabelled: *o.unlabelled, Out: *o.out, Staging: stagingDir(*o.out)}
	if job.Prepared, err = json.Marshal(preparedWire{Set: prep.Set, Plan: prep.Plan, Horizon: prep.Horizon,
		ObservedUntil: prep.ObservedUntil, DPDThreshold: prep.DPDThreshold, First: prep.First, Last: prep.Last}); err != nil {
		return err
	}
	p, s := beam.NewPipelineWithRoot()
	parts := make([]int, job.Parts)
	for k := range parts {
		parts[k] = k
	}
	counts := beam.ParDo(s, &observePartFn{Job: job}, beam.Reshuffle(s, beam.CreateList(s, parts)))
	beam.ParDo0(s, &writeCountsFn{Path: join(job.Staging, "counts.json")}, beam.Combine(s, addCounts, counts))
	if err := beamx.Run(ctx, p); err != nil {
		removeAll(ctx, job.Staging)
		return err
	}
	b, err := readFile(ctx, join(job.Staging, "counts.json"))
	if err != nil {
		removeAll(ctx, job.Staging)
		return fmt.Errorf("the pipeline left no counts: %w", err)
	}
	var c backtest.Counts
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	if err := publishShards(ctx, job.Staging, job.Out, job.Parts); err != nil {
		return err
	}
	rows := c.Labelled
	if job.Unlabelled {
		rows += c.Censored + c.AlreadyDefaulted
	}
	fmt.Fprintf(stdout, "wrote %s … in %s: %d rows × %d features (feature set %s) in %d shards\n",
		mustShard(job.Out, 0, job.Parts), time.Since(t0).Round(time.Millisecond), rows, prep.Set.Len(), prep.Set.Version, job.Parts)
	fmt.Fprintf(stdout, "%d customers; %d observations labelled (%d defaults, %.2f%%), %d censored, %d after default; horizon %s, observed until %s\n",
		c.Customers, c.Labelled, c.Defaults, 100*float64(c.Defaults)/max(1, float64(c.Labelled)),
		c.Censored, c.AlreadyDefaulted, prep.Horizon, prep.ObservedUntil)
	return nil
}

// observePartFn writes the matrix of one part of the book.
type observePartFn struct {
	Job featuresJob

	prep  *backtest.Prepared
	parts []*datasets.Book
}

// preparedWire is backtest.Prepared without its progress callback.
type preparedWire struct {
	Set           *features.Set
	Plan          features.Plan
	Horizon       features.Horizon
	ObservedUntil datasets.Date
	DPDThreshold  int
	First, Last   datasets.Date
}

func (f *observePartFn) Setup() error {
	var w preparedWire
	if err := json.Unmarshal(f.Job.Prepared, &w); err != nil {
		return err
	}
	f.prep = &backtest.Prepared{Set: w.Set, Plan: w.Plan, Horizon: w.Horizon, ObservedUntil: w.ObservedUntil,
		DPDThreshold: w.DPDThreshold, First: w.First, Last: w.Last}
	book, err := datasets.Open(f.Job.Book)
	if err != nil {
		return err
	}
	book.Tolerant = f.Job.Tolerant
	if f.parts = book.Partitions(); len(f.parts) != f.Job.Parts {
		return fmt.Errorf("book %s has %d parts now, %d when the pipeline started", f.Job.Book, len(f.parts), f.Job.Parts)
	}
	return nil
}

func (f *observePartFn) ProcessElement(ctx context.Context, k int, emit func(backtest.Counts)) error {
	shard := mustShard(join(f.Job.Staging, baseName(f.Job.Out)), k, f.Job.Parts)
	if err := os.MkdirAll(f.Job.Staging, 0o755); err != nil {
		return err
	}
	w, err := train.NewMatrixWriter(shard, f.prep.Set.Names())
	if err != nil {
		return err
	}
	c, err := backtest.Observe(ctx, f.parts[k], f.prep, f.Job.Workers, f.Job.Unlabelled, w.Write)
	if err != nil {
		w.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	emit(c)
	return nil
}

func addCounts(a, b backtest.Counts) backtest.Counts {
	a.Customers += b.Customers
	a.Labelled += b.Labelled
	a.Defaults += b.Defaults
	a.Censored += b.Censored
	a.AlreadyDefaulted += b.AlreadyDefaulted
	return a
}

// writeCountsFn writes the merged counts to Path.
type writeCountsFn struct{ Path string }

func (f *writeCountsFn) ProcessElement(ctx context.Context, c backtest.Counts) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return writeFile(ctx, f.Path, b)
}
