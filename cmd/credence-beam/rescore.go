package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/limit"
	"github.com/credence-risk/credence/serve/rescore"
)

// The rescore pipeline:
//
//	unit numbers ─ScorePart─┬─ shard k of n (staged) + the unit's summary ─merge─ summary.bin
//	                        └─ each customer's latest row ─┐
//	previous shards ─ReadPrevious─ latest earlier rows ────┴─CoGroupByKey─Moves─merge─ moves.bin
//
// A unit of work is a part of the book, or for a part of many row groups
// a range of its customers (datasets.Book.Units, --unit-customers); unit
// k of n writes shard k of n, in book order.
//
// For a model that reads the portfolio features, ScorePart gets the
// contexts of the whole book as a side input, merged from every unit's
// counts at the context dates of the whole book:
//
//	unit numbers ─PartDates─ context dates (of --as-of, or of the observations) ─▶ side input of
//	unit numbers ─AccumulatePart─ the unit's counts ─merge─▶ side input of ScorePart
//
// then, once every unit is scored, the launcher moves the shards into
// place and writes the report from the merged summary. A unit is scored
// by rescore.RunPart, the code `credence rescore` runs on the whole book,
// and written by rescore.Create, its writer.

func init() {
	register.DoFn6x1[context.Context, int, []byte, func([]byte), func(string, latestRow), func([]byte), error](&scorePartFn{})
	register.Combiner1[[]byte](&mergeSkipLogsFn{})
	register.DoFn3x1[context.Context, int, func(int32), error](&partDatesFn{})
	register.Emitter1[int32]()
	register.DoFn4x1[context.Context, int, func(*int32) bool, func([]byte), error](&accumulatePartFn{})
	register.Iter1[int32]()
	register.Combiner1[[]byte](&mergePortfoliosFn{})
	register.Emitter1[[]byte]()
	register.Emitter2[string, latestRow]()
	register.DoFn3x1[context.Context, previousShard, func(string, previousRow), error](&readPreviousFn{})
	register.Emitter2[string, previousRow]()
	register.Function4x1(joinMoves)
	register.Iter1[latestRow]()
	register.Iter1[previousRow]()
	register.Emitter1[move]()
	register.Combiner1[[]byte](&mergeSummariesFn{})
	register.Combiner3[movesAcc, move, []byte](&movesFn{})
	register.DoFn2x1[context.Context, []byte, error](&writeFileFn{})
	beam.RegisterCoder(reflect.TypeOf(movesAcc{}), encodeMoves, decodeMoves)
}

type rescoreOptions struct {
	registry, model, book, asOf, out, previous, report, limitPolicy *string
	workers, unitCustomers                                          *int
}

func rescoreFlags(fs *flag.FlagSet) *rescoreOptions {
	return &rescoreOptions{
		registry:      fs.String("registry", "", "model registry directory"),
		model:         fs.String("model", "champion", "model version or label"),
		book:          fs.String("book", "", "book directory (local, or gs://, s3://: any Beam filesystem linked in)"),
		asOf:          fs.String("as-of", "", "score every customer as of this date (YYYY-MM-DD; default: the day after the book's observed_until)"),
		out:           fs.String("out", "", "scores to write, as shards beside it: DIR/scores.parquet writes DIR/scores-00000-of-000NN.parquet … (.parquet, .csv or .csv.gz)"),
		previous:      fs.String("previous", "", "an earlier rescore output (a file or a shard set) to compare with: grade migration and largest PD rises"),
		report:        fs.String("report", "", "report path without extension: PATH.html and PATH.json (default: OUT.report)"),
		limitPolicy:   fs.String("limit-policy", "", "YAML file of the limit policy (keys as in limit.Policy; unset keys keep the defaults)"),
		workers:       fs.Int("workers", 0, "scoring goroutines per unit of work (0: one per core)"),
		unitCustomers: unitCustomersFlag(fs),
	}
}

// defaultUnitCustomers is about how many customers a unit of work holds.
const defaultUnitCustomers = 50_000

// unitCustomersFlag is --unit-customers, for every command.
func unitCustomersFlag(fs *flag.FlagSet) *int {
	return fs.Int("unit-customers", defaultUnitCustomers,
		"about how many customers a unit of work holds: a part of the book stored in many row groups is split at row-group starts of its customers table into ranges of customers, each a worker's element and a shard (0: whole parts). The launcher reads the customers tables to plan them; those of a book on a Beam filesystem it copies first")
}

// planUnits is the book's units of work for --unit-customers n.
func planUnits(ctx context.Context, book *datasets.Book, n int) ([]datasets.Unit, error) {
	if n < 0 {
		return nil, fmt.Errorf("--unit-customers %d: want 0 (whole parts) or more", n)
	}
	units, err := book.Units(ctx, n)
	if err != nil {
		return nil, err
	}
	if len(units) > maxShards {
		return nil, fmt.Errorf("--unit-customers %d makes %d units of work, more than the %d shards an output may have: give a larger one", n, len(units), maxShards)
	}
	return units, nil
}

// maxShards is the most shards of an output (datasets.ShardPath's five
// digits).
const maxShards = 99999

// wholeParts is one unit per part.
func wholeParts(parts int) []datasets.Unit {
	units := make([]datasets.Unit, parts)
	for k := range units {
		units[k].Part = k
	}
	return units
}

// rescoreJob is what the launcher resolved: every worker gets it whole.
type rescoreJob struct {
	Book    string
	Remote  *remoteBook // nil for a local book
	Parts   int
	Units   []datasets.Unit // element k is unit k, which writes shard k
	Model   []byte          // the artifact, so that workers need no registry
	Policy  limit.Policy
	AsOf    datasets.Date
	Workers int
	Out     string
	Staging string // where shards wait until every part is scored
	Compare bool   // a previous output is given: emit the latest rows
	// Portfolio: the model reads the portfolio context, which the
	// pipeline computes over every part first.
	Portfolio bool
	// Previous names the earlier output as given, for the report.
	Previous string
}

func (o *rescoreOptions) run(ctx context.Context, stdout io.Writer) error {
	if err := checkBookAndOut(*o.book, *o.out); err != nil {
		return err
	}
	if *o.registry == "" {
		return errors.New("--registry is required")
	}
	job := rescoreJob{Book: *o.book, Out: *o.out, Workers: *o.workers, Compare: *o.previous != "", Previous: *o.previous}
	reg, err := registry.Open(*o.registry)
	if err != nil {
		return err
	}
	art, err := catalog.Load(reg, *o.model)
	if err != nil {
		return err
	}
	job.Portfolio = art.FeatureSet != nil && art.FeatureSet.HasPortfolio()
	var model bytes.Buffer
	if err := artifact.Write(&model, art); err != nil {
		return err
	}
	job.Model = model.Bytes()
	if job.Policy, err = limit.ReadPolicyFile(*o.limitPolicy); err != nil {
		return err
	}
	var book *datasets.Book
	if isRemote(job.Book) {
		if job.Remote, err = listRemoteBook(ctx, job.Book); err != nil {
			return err
		}
		meta, err := job.Remote.meta(ctx)
		if err != nil {
			return err
		}
		book = &datasets.Book{Dir: job.Book, Meta: meta}
		job.Parts = len(job.Remote.Parts)
		if *o.unitCustomers < 0 {
			return fmt.Errorf("--unit-customers %d: want 0 (whole parts) or more", *o.unitCustomers)
		}
		if job.Units, err = job.Remote.units(ctx, *o.unitCustomers); err != nil {
			return err
		}
	} else {
		if book, err = openLaunched(job.Book); err != nil {
			return err
		}
		job.Parts = len(book.Partitions())
		if job.Units, err = planUnits(ctx, book, *o.unitCustomers); err != nil {
			return err
		}
	}
	if job.AsOf, err = o.resolveAsOf(ctx, book, job.Remote); err != nil {
		return err
	}
	var previous []string
	if job.Compare {
		if previous, err = outputFiles(ctx, *o.previous); err != nil {
			return fmt.Errorf("--previous: %w", err)
		}
	}
	job.Staging = stagingDir(job.Out)

	t0 := time.Now()
	p, err := rescorePipeline(job, art, previous)
	if err != nil {
		return err
	}
	if err := beamx.Run(ctx, p); err != nil {
		removeAll(ctx, job.Staging)
		return err
	}
	sum, skipped, err := finishRescore(ctx, job, previous)
	if err != nil {
		removeAll(ctx, job.Staging)
		return err
	}
	if book.Skipped == nil {
		book.Skipped = datasets.NewSkipLog()
	}
	book.Skipped.Merge(skipped)
	elapsed := time.Since(t0)
	base := *o.report
	if base == "" {
		base = job.Out + ".report"
	}
	report := rescore.NewReport(sum, book, job.Out, version, elapsed)
	var html, js bytes.Buffer
	if err := report.WriteHTML(&html); err != nil {
		return err
	}
	if err := report.WriteJSON(&js); err != nil {
		return err
	}
	if err := writeFile(ctx, base+".html", html.Bytes()); err != nil {
		return err
	}
	if err := writeFile(ctx, base+".json", js.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rescored %d customers in %d units of %d parts with model %s in %s: %d rows to %s\n",
		sum.Customers, len(job.Units), job.Parts, sum.ModelVersion, elapsed.Round(time.Millisecond), sum.Rows,
		mustShard(job.Out, 0, len(job.Units))+" …")
	book.Skipped.WriteText(stdout)
	fmt.Fprintf(stdout, "report: %s.html\n", base)
	return nil
}

// checkBookAndOut refuses a missing --book, or a missing --out or one
// of no known format.
func checkBookAndOut(book, out string) error {
	if book == "" {
		return errors.New("--book is required")
	}
	if out == "" {
		return errors.New("--out is required")
	}
	if _, err := datasets.ShardPath(out, 0, 1); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

// stagingDir is a new hidden folder beside out for its shards.
func stagingDir(out string) string {
	id := make([]byte, 6)
	rand.Read(id)
	return join(dirName(out), "."+baseName(out)+".beam-"+hex.EncodeToString(id))
}

func mustShard(out string, k, n int) string {
	p, err := datasets.ShardPath(out, k, n)
	if err != nil {
		panic(err)
	}
	return p
}

// resolveAsOf is `credence rescore`'s rule: --as-of, else the
// observations table, else the day after observed_until or the latest
// date of the book (a local book only: that needs a pass of its own).
func (o *rescoreOptions) resolveAsOf(ctx context.Context, book *datasets.Book, remote *remoteBook) (datasets.Date, error) {
	if *o.asOf != "" {
		d, err := datasets.ParseDate(*o.asOf)
		if err != nil {
			return datasets.NoDate, fmt.Errorf("--as-of: %w", err)
		}
		return d, nil
	}
	if remote != nil {
		for _, f := range remote.Parts[0] {
			if strings.Contains(f, "/"+string(datasets.Observations)) {
				return datasets.NoDate, nil
			}
		}
		if book.Meta.ObservedUntil == datasets.NoDate {
			return datasets.NoDate, fmt.Errorf("book %s: book.yaml gives no observed_until: give --as-of", book.Dir)
		}
		return book.Meta.ObservedUntil + 1, nil
	}
	if book.Has(datasets.Observations) {
		return datasets.NoDate, nil
	}
	d, _, err := rescore.DefaultAsOf(ctx, book, *o.workers)
	return d, err
}

// outputFiles lists the files of a scores output, a file or a shard set.
func outputFiles(ctx context.Context, out string) ([]string, error) {
	if !isRemote(out) {
		return datasets.Shards(out)
	}
	if names, err := list(ctx, out); err != nil || len(names) == 1 {
		return names, err
	}
	return shardSet(ctx, out)
}

// shardSet lists the complete shard set of out on a Beam filesystem.
func shardSet(ctx context.Context, out string) ([]string, error) {
	stem, ext := splitOut(out)
	i := len(stem)
	names, err := list(ctx, stem+"-*-of-*"+ext)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no such file, nor shards", out)
	}
	var n int
	if _, err := fmt.Sscanf(names[0][i:], "-00000-of-%05d", &n); err != nil {
		return nil, fmt.Errorf("%s: shard set incomplete: no shard 00000", out)
	}
	for k := range n {
		if k >= len(names) || names[k] != mustShard(out, k, n) {
			return nil, fmt.Errorf("%s: shard set incomplete: %s is missing", out, baseName(mustShard(out, k, n)))
		}
	}
	if len(names) != n {
		return nil, fmt.Errorf("%s: shards of different sets beside each other", out)
	}
	return names, nil
}

func rescorePipeline(job rescoreJob, art *artifact.Artifact, previous []string) (*beam.Pipeline, error) {
	p, s := beam.NewPipelineWithRoot()
	unitCol := unitNumbers(s, len(job.Units))
	// The portfolio contexts of the whole book: each unit's counts,
	// merged, given to every unit's scoring; none for a model that reads
	// none.
	contexts := beam.Create(s, []byte{})
	if job.Portfolio {
		rule, err := scoring.RuleOf(art)
		if err != nil {
			return nil, err
		}
		var dates beam.PCollection
		if job.AsOf != datasets.NoDate {
			dates = beam.Create(s, int32(features.PortfolioDate(job.AsOf)))
		} else {
			dates = beam.ParDo(s, &partDatesFn{Job: job}, unitCol)
		}
		counts := beam.ParDo(s, &accumulatePartFn{Job: job}, unitCol, beam.SideInput{Input: dates})
		contexts = beam.Combine(s, &mergePortfoliosFn{Set: art.FeatureSet, Rule: rule}, counts)
	}
	sums, latest, skips := beam.ParDo3(s, &scorePartFn{Job: job}, unitCol, beam.SideInput{Input: contexts})
	summary := beam.Combine(s, &mergeSummariesFn{}, sums)
	beam.ParDo0(s, &writeFileFn{Path: join(job.Staging, "summary.bin")}, summary)
	beam.ParDo0(s, &writeFileFn{Path: join(job.Staging, "skipped.bin")}, beam.Combine(s, &mergeSkipLogsFn{}, skips))
	if job.Compare {
		shards := make([]previousShard, len(previous))
		for i, f := range previous {
			shards[i] = previousShard{Index: i, Path: f}
		}
		prev := beam.ParDo(s, &readPreviousFn{}, beam.Reshuffle(s, beam.CreateList(s, shards)))
		moves := beam.ParDo(s, joinMoves, beam.CoGroupByKey(s, latest, prev))
		beam.ParDo0(s, &writeFileFn{Path: join(job.Staging, "moves.bin")}, beam.Combine(s, &movesFn{}, moves))
	}
	return p, nil
}

// latestRow is a customer's latest scored row, for the migration.
type latestRow struct {
	AsOf  int32
	PD    float64
	Grade int
}

// previousRow is a row of the earlier output; Seq orders the rows as the
// shards are read in order, so the later of two rows with the same as_of
// wins, as rescore.ReadPrevious has it.
type previousRow struct {
	AsOf  int32
	PD    float64
	Grade int
	Seq   int64
}

type previousShard struct {
	Index int
	Path  string
}

// unitNumbers is the collection 0 … n-1 of a job's units, spread over
// the workers.
func unitNumbers(s beam.Scope, n int) beam.PCollection {
	units := make([]int, n)
	for k := range units {
		units[k] = k
	}
	return beam.Reshuffle(s, beam.CreateList(s, units))
}

// scorePartFn scores one unit of the book into its shard.
type scorePartFn struct {
	Job rescoreJob
	partScorer
}

func (f *scorePartFn) Setup() error { return f.setup(&f.Job) }

// partScorer is what every stage that reads the book's units opens: the
// model, and on local disk the book and a scorer of it.
type partScorer struct {
	art    *artifact.Artifact
	book   *datasets.Book
	scorer *scoring.Scorer
}

func (p *partScorer) setup(job *rescoreJob) error {
	var err error
	if p.art, err = artifact.Read(bytes.NewReader(job.Model), catalog.Decoders(), catalog.Calibrator); err != nil {
		return err
	}
	if p.book, err = localBook(job); err != nil || p.book == nil {
		return err
	}
	p.scorer, err = scoring.New(p.art, p.book.Schema)
	return err
}

// open returns unit k of the job's book and a scorer of it: on local
// disk, of the book setup opened; on a Beam filesystem, of a copy of its
// part staged in tmp.
func (p *partScorer) open(ctx context.Context, job *rescoreJob, k int, tmp string) (*datasets.Book, *scoring.Scorer, error) {
	book, err := openUnit(ctx, p.book, job.Remote, job.Units[k], false, tmp)
	if err != nil || job.Remote == nil {
		return book, p.scorer, err
	}
	scorer, err := scoring.New(p.art, book.Schema)
	return book, scorer, err
}

// nameRemote names the book's file in an error about a copy of its part
// staged in tmp/book (remote nil: a local book, err as it is).
func nameRemote(remote *remoteBook, tmp string, err error) error {
	if remote == nil || err == nil {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), filepath.Join(tmp, "book"), remote.Dir))
}

func (f *scorePartFn) ProcessElement(ctx context.Context, k int, portfolio []byte, emitSummary func([]byte), emitLatest func(string, latestRow), emitSkips func([]byte)) error {
	job := &f.Job
	tmp, err := os.MkdirTemp("", "credence-beam-part-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	book, scorer, err := f.open(ctx, job, k, tmp)
	if err != nil {
		return err
	}
	shard := mustShard(join(job.Staging, baseName(job.Out)), k, len(job.Units))
	local := shard
	if isRemote(shard) {
		local = filepath.Join(tmp, baseName(shard))
	}
	w, err := rescore.Create(local)
	if err != nil {
		return err
	}
	cfg := rescore.DefaultConfig(job.AsOf)
	cfg.Policy, cfg.Workers = job.Policy, job.Workers
	if job.Portfolio {
		acc, err := scorer.Set.DecodePortfolioAcc(scorer.Rule, portfolio)
		if err != nil {
			w.Abort()
			return err
		}
		cfg.Portfolios = acc.Finish()
	}
	if job.Compare {
		cfg.Latest = func(r *rescore.Row) {
			emitLatest(r.CustomerID, latestRow{AsOf: int32(r.AsOf), PD: r.PD, Grade: r.Grade})
		}
	}
	sum, err := rescore.RunPart(ctx, book, scorer, cfg, w)
	if err != nil {
		w.Abort()
		return nameRemote(job.Remote, tmp, err)
	}
	if err := w.Close(); err != nil {
		return err
	}
	if local != shard {
		if err := upload(ctx, local, shard); err != nil {
			return err
		}
	}
	b, err := sum.MarshalBinary()
	if err != nil {
		return err
	}
	emitSummary(b)
	skips, err := book.Skipped.MarshalBinary()
	if err != nil {
		return err
	}
	if job.Remote != nil { // name the book's files, not their staged copies
		skips = bytes.ReplaceAll(skips, []byte(filepath.Join(tmp, "book")), []byte(job.Remote.Dir))
	}
	emitSkips(skips)
	return nil
}

// partDatesFn emits the portfolio context dates of one unit's
// observations, for a rescore of the observations table.
type partDatesFn struct {
	Job rescoreJob
	partScorer
}

func (f *partDatesFn) Setup() error { return f.setup(&f.Job) }

func (f *partDatesFn) ProcessElement(ctx context.Context, k int, emit func(int32)) error {
	tmp, err := os.MkdirTemp("", "credence-beam-part-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	book, _, err := f.open(ctx, &f.Job, k, tmp)
	if err != nil {
		return err
	}
	cfg := rescore.DefaultConfig(datasets.NoDate)
	cfg.Workers = f.Job.Workers
	dates, err := rescore.PortfolioDates(ctx, book, cfg)
	if err != nil {
		return nameRemote(f.Job.Remote, tmp, err)
	}
	for _, d := range dates {
		emit(int32(d))
	}
	return nil
}

// localBook opens a local book, checking that it has as many parts as
// when the pipeline started; nil for a book on a Beam filesystem.
func localBook(job *rescoreJob) (*datasets.Book, error) {
	if job.Remote != nil {
		return nil, nil
	}
	book, err := openOnWorker(job.Book)
	if err != nil {
		return nil, err
	}
	if n := len(book.Partitions()); n != job.Parts {
		return nil, fmt.Errorf("book %s has %d parts now, %d when the pipeline started", job.Book, n, job.Parts)
	}
	return book, nil
}

// accumulatePartFn counts one unit's customers into the portfolio
// contexts at every date of the side input, encoded.
type accumulatePartFn struct {
	Job rescoreJob
	partScorer
}

func (f *accumulatePartFn) Setup() error { return f.setup(&f.Job) }

func (f *accumulatePartFn) ProcessElement(ctx context.Context, k int, dates func(*int32) bool, emit func([]byte)) error {
	var asOfs []datasets.Date
	var d int32
	for dates(&d) {
		asOfs = append(asOfs, datasets.Date(d))
	}
	tmp, err := os.MkdirTemp("", "credence-beam-part-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	book, scorer, err := f.open(ctx, &f.Job, k, tmp)
	if err != nil {
		return err
	}
	b, err := accumulatePortfolios(ctx, book, scorer.Set, scorer.Rule, f.Job.Workers, asOfs)
	if err != nil {
		return nameRemote(f.Job.Remote, tmp, err)
	}
	emit(b)
	return nil
}

// mergePortfoliosFn merges the units' encoded portfolio counts.
type mergePortfoliosFn struct {
	Set  *features.Set
	Rule features.DefaultRule
}

func (f *mergePortfoliosFn) MergeAccumulators(a, b []byte) ([]byte, error) {
	x, err := f.Set.DecodePortfolioAcc(f.Rule, a)
	if err != nil {
		return nil, err
	}
	y, err := f.Set.DecodePortfolioAcc(f.Rule, b)
	if err != nil {
		return nil, err
	}
	if err := x.Merge(y); err != nil {
		return nil, err
	}
	return x.MarshalBinary()
}

// readPreviousFn reads one file of the earlier output.
type readPreviousFn struct{}

func (readPreviousFn) ProcessElement(ctx context.Context, sh previousShard, emit func(string, previousRow)) error {
	path := sh.Path
	if isRemote(path) {
		tmp, err := os.MkdirTemp("", "credence-beam-previous-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		path = filepath.Join(tmp, baseName(sh.Path))
		if err := download(ctx, sh.Path, path); err != nil {
			return err
		}
	}
	var row int64
	err := rescore.ReadFile(path, func(r *rescore.Row) error {
		emit(r.CustomerID, previousRow{AsOf: int32(r.AsOf), PD: r.PD, Grade: r.Grade, Seq: int64(sh.Index)<<40 | row})
		row++
		return nil
	})
	if err != nil && path != sh.Path {
		return errors.New(strings.ReplaceAll(err.Error(), path, sh.Path))
	}
	return err
}

// move is one customer's comparison: Kind says which side it is on.
type move struct {
	Kind     int // moveMatched, moveNew or moveGone
	ID       string
	Current  latestRow
	Previous previousRow
}

const (
	moveMatched = iota
	moveNew
	moveGone
)

// joinMoves compares a customer's latest rows in both outputs.
func joinMoves(id string, current func(*latestRow) bool, previous func(*previousRow) bool, emit func(move)) error {
	var m move
	m.ID = id
	var cur latestRow
	haveCur := false
	for current(&cur) {
		if haveCur {
			return fmt.Errorf("customer %s: two latest rows", id)
		}
		m.Current, haveCur = cur, true
	}
	var p previousRow
	havePrev := false
	for previous(&p) {
		if !havePrev || p.AsOf > m.Previous.AsOf || (p.AsOf == m.Previous.AsOf && p.Seq > m.Previous.Seq) {
			m.Previous, havePrev = p, true
		}
	}
	switch {
	case haveCur && havePrev:
		m.Kind = moveMatched
	case haveCur:
		m.Kind = moveNew
	default:
		m.Kind = moveGone
	}
	emit(m)
	return nil
}

// movesAcc accumulates rescore.Moves; it travels gob-encoded.
type movesAcc struct{ Moves *rescore.Moves }

func encodeMoves(a movesAcc) ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(a.Moves)
	return b.Bytes(), err
}

func decodeMoves(data []byte) (movesAcc, error) {
	mv := rescore.NewMoves()
	err := gob.NewDecoder(bytes.NewReader(data)).Decode(mv)
	return movesAcc{Moves: mv}, err
}

type movesFn struct{}

func (movesFn) CreateAccumulator() movesAcc { return movesAcc{Moves: rescore.NewMoves()} }

func (movesFn) AddInput(a movesAcc, m move) movesAcc {
	switch m.Kind {
	case moveNew:
		a.Moves.AddNew()
	case moveGone:
		a.Moves.AddGone()
	default:
		r := rescore.Row{CustomerID: m.ID, AsOf: datasets.Date(m.Current.AsOf), PD: m.Current.PD, Grade: m.Current.Grade}
		a.Moves.Add(&r, rescore.Latest{AsOf: datasets.Date(m.Previous.AsOf), PD: m.Previous.PD, Grade: m.Previous.Grade})
	}
	return a
}

func (movesFn) MergeAccumulators(a, b movesAcc) movesAcc {
	a.Moves.Merge(b.Moves)
	return a
}

func (movesFn) ExtractOutput(a movesAcc) ([]byte, error) { return encodeMoves(a) }

// mergeSummariesFn merges the units' encoded summaries.
// mergeSkipLogsFn merges the units' skip logs (datasets.SkipLog.MarshalBinary).
type mergeSkipLogsFn struct{}

func (mergeSkipLogsFn) MergeAccumulators(a, b []byte) ([]byte, error) { return mergeSkipLogs(a, b) }

type mergeSummariesFn struct{}

func (mergeSummariesFn) MergeAccumulators(a, b []byte) ([]byte, error) {
	var x, y rescore.Summary
	if err := x.UnmarshalBinary(a); err != nil {
		return nil, err
	}
	if err := y.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	x.Merge(&y)
	return x.MarshalBinary()
}

// writeFileFn writes its one element to Path.
type writeFileFn struct{ Path string }

func (f *writeFileFn) ProcessElement(ctx context.Context, data []byte) error {
	return writeFile(ctx, f.Path, data)
}

// finishRescore runs once every unit is scored: it moves the shards into
// place, replacing an earlier output of the same name, and returns the
// finished summary. Until the last shard is in place the set is
// incomplete, and readers refuse it.
func finishRescore(ctx context.Context, job rescoreJob, previous []string) (*rescore.Summary, *datasets.SkipLog, error) {
	b, err := readFile(ctx, join(job.Staging, "summary.bin"))
	if err != nil {
		return nil, nil, fmt.Errorf("the pipeline left no summary: %w", err)
	}
	var sum rescore.Summary
	if err := sum.UnmarshalBinary(b); err != nil {
		return nil, nil, err
	}
	sum.Finish()
	b, err = readFile(ctx, join(job.Staging, "skipped.bin"))
	if err != nil {
		return nil, nil, fmt.Errorf("the pipeline left no skip log: %w", err)
	}
	skipped, err := datasets.DecodeSkipLog(b)
	if err != nil {
		return nil, nil, err
	}
	if job.Compare {
		mv := rescore.NewMoves()
		if b, err := readFile(ctx, join(job.Staging, "moves.bin")); err == nil {
			if mv, err = decodeMovesBytes(b); err != nil {
				return nil, nil, err
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
		model, err := firstModel(ctx, previous)
		if err != nil {
			return nil, nil, err
		}
		sum.Migration = mv.Finish(job.Previous, model)
	}
	if err := publishShards(ctx, job.Staging, job.Out, len(job.Units)); err != nil {
		return nil, nil, err
	}
	return &sum, skipped, nil
}

// publishShards moves the n staged shards of out into place, replacing an
// earlier output of the same name (a single file, or a shard set of any
// size, which goes first), and removes the staging folder. Until the
// last shard is in place the set is incomplete, and readers refuse it.
func publishShards(ctx context.Context, staging, out string, n int) error {
	if err := remove(ctx, out); err != nil {
		return err
	}
	stem, ext := splitOut(out)
	var old []string
	var err error
	if isRemote(out) {
		old, err = list(ctx, stem+"-*-of-*"+ext)
	} else {
		old, err = filepath.Glob(stem + "-*-of-*" + ext)
	}
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := remove(ctx, f); err != nil {
			return err
		}
	}
	staged := join(staging, baseName(out))
	for k := n - 1; k >= 0; k-- {
		if err := rename(ctx, mustShard(staged, k, n), mustShard(out, k, n)); err != nil {
			return err
		}
	}
	return removeAll(ctx, staging)
}

func decodeMovesBytes(b []byte) (*rescore.Moves, error) {
	a, err := decodeMoves(b)
	return a.Moves, err
}

// firstModel is the model_version of the earlier output's first row.
func firstModel(ctx context.Context, files []string) (string, error) {
	stop := errors.New("stop")
	model := ""
	for _, f := range files {
		path := f
		if isRemote(f) {
			tmp, err := os.MkdirTemp("", "credence-beam-previous-")
			if err != nil {
				return "", err
			}
			defer os.RemoveAll(tmp)
			path = filepath.Join(tmp, baseName(f))
			if err := download(ctx, f, path); err != nil {
				return "", err
			}
		}
		err := rescore.ReadFile(path, func(r *rescore.Row) error { model = r.ModelVersion; return stop })
		if err != nil && err != stop {
			return "", err
		}
		if err == stop {
			return model, nil
		}
	}
	return model, nil
}

func splitOut(out string) (stem, ext string) {
	one := mustShard(out, 0, 1)
	i := strings.LastIndex(one, "-00000-of-00001")
	return one[:i], one[i+len("-00000-of-00001"):]
}
