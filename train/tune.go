package train

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/credence-risk/credence/models/backtest"
)

// TuneAuto is the tuning budget scaled to the book: autoBudgetPerRow per
// labelled observation, at least autoBudgetMin, and the whole search where
// that costs at most autoWholeSearchMax.
const TuneAuto = "auto"

const (
	// autoBudgetPerRow gives about two minutes on a million observations.
	autoBudgetPerRow = 120 * time.Microsecond
	// autoBudgetMin is the least automatic budget, a few seconds of wall
	// time on a small book, where a fit costs little and the GBDT needs
	// candidates of strong regularisation: on german's 800 observations
	// 5 s tried 8 GBDT candidates, 15 s 25, and the champion ranked better
	// held out on german, ibm-ar and uci-taiwan (BENCHMARKS.md).
	autoBudgetMin = 15 * time.Second
	// autoWholeSearchMax is the most an automatic budget grows to search
	// every family's whole space on all the rows: on a book of a few
	// thousand observations that is under a minute, and a partial search
	// chooses among few candidates on folds whose noise exceeds their
	// differences. On german's 800 observations the GBDT's 81 candidates
	// in place of 25 ranked the held-out customers 0.0041 better alone
	// and 0.0020 better in the blend, over 20 splits (BENCHMARKS.md).
	autoWholeSearchMax = time.Minute
	// halving: each rung promotes the best third of its candidates to a
	// rung with three times the rows.
	halving = 3
	// maxRungs bounds the rungs of one search.
	maxRungs = 4
	// wantCandidates is the fewest candidates worth judging on all the
	// rows; a smaller budget judges on a share of them instead.
	wantCandidates = 9
	// minRungRows and minRungDefaults are the fewest fitted rows and
	// defaults a fold may keep at the smallest rung.
	minRungRows, minRungDefaults = 2000, 40
)

// ParseTuneBudget resolves a tuning budget for a book of rows labelled
// observations: TuneAuto scales it to the book, "0" (or "") turns tuning
// off, and a duration ("90s", "2m") sets it.
func ParseTuneBudget(budget string, rows int) (time.Duration, error) {
	switch b := strings.TrimSpace(budget); {
	case b == "" || b == "0":
		return 0, nil
	case isAutoBudget(budget):
		return max(autoBudgetMin, time.Duration(rows)*autoBudgetPerRow), nil
	default:
		d, err := time.ParseDuration(b)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("tune budget %q: want %s, 0 or a duration such as 90s", budget, TuneAuto)
		}
		return d, nil
	}
}

// isAutoBudget reports whether budget asks for the automatic budget
// (TuneAuto), which tune may grow to the whole search.
func isAutoBudget(budget string) bool { return strings.TrimSpace(budget) == TuneAuto }

// Tuning is how one family's configuration was tuned.
type Tuning struct {
	Family string `json:"family"`
	// BudgetSeconds is the family's share of the budget, PlannedSeconds
	// the work the search planned within it, both in seconds of the
	// family's cost model on the reference machine; Seconds is the wall
	// time the search took on this machine, reported and never used to
	// decide anything.
	BudgetSeconds  float64 `json:"budget_s"`
	PlannedSeconds float64 `json:"planned_s"`
	Seconds        float64 `json:"seconds"`
	// Candidates is the number of configurations tried, the configured
	// one included; Rungs the rounds of successive halving.
	Candidates int          `json:"candidates"`
	Rungs      []TuningRung `json:"rungs,omitempty"`
	// DefaultAUC and BestAUC are the mean held-out AUC on the selection
	// folds (the last rung fits all rows) of the configuration as
	// configured and of the one chosen; Changed says they differ.
	DefaultAUC float64 `json:"default_auc"`
	BestAUC    float64 `json:"best_auc"`
	Changed    bool    `json:"changed"`
	// Note says why a family was not tuned.
	Note string `json:"note,omitempty"`
}

// TuningRung is one round of successive halving: every candidate fitted
// on RowShare of each fold's customers and judged on all its held-out
// rows.
type TuningRung struct {
	RowShare   float64 `json:"row_share"`
	Candidates int     `json:"candidates"`
}

// RungText lists the rungs of the search: "27 on 11%, 10 on 33%, 4 on
// 100%" (candidates on a share of the rows).
func (t Tuning) RungText() string {
	parts := make([]string, len(t.Rungs))
	for i, r := range t.Rungs {
		parts[i] = fmt.Sprintf("%d on %.0f%%", r.Candidates, 100*r.RowShare)
	}
	return strings.Join(parts, ", ")
}

// halvingPlan is a search sized to a budget before any fit: rungs of
// increasing row shares, the last always on all rows, starting from n
// candidates; cost is the work it adds to training, in the cost model's
// seconds.
type halvingPlan struct {
	shares []float64
	n      int
	cost   float64
}

// rungSizes is how many candidates each rung of a search from n judges:
// the best third of the rung before, and the configured one when it is
// not among them.
func rungSizes(n, rungs int) []int {
	sizes := []int{n}
	for len(sizes) < rungs {
		prev := sizes[len(sizes)-1]
		sizes = append(sizes, min(prev, (prev+halving-1)/halving+1))
	}
	return sizes
}

// planHalving sizes a search within budget seconds: space candidates at
// most, cost(share) the modelled seconds of cross-validating one candidate
// on share of the rows, minShare the smallest share a rung may fit on.
//
// Rungs three times apart in rows end at a top share, and a search whose
// top is below all rows ends with one more rung on all of them, so that
// the configured configuration and the best of the others are always
// compared on the selection folds as selection will see them. The
// cross-validation of the one chosen there is the one selection makes
// anyway, so it is not charged to the budget. The plan judges its top
// rung on all rows when that leaves room for at least wantCandidates (or
// the whole space), else on the largest share that does (a third, a
// ninth... of the rows, or minShare); then it takes the most candidates,
// then the fewest rungs. ok is false when not even two candidates fit.
func planHalving(budget float64, space int, cost func(share float64) float64, minShare float64) (plan halvingPlan, ok bool) {
	want := min(space, wantCandidates)
	var tops []float64
	for top := 1.0; top >= minShare; top /= halving {
		tops = append(tops, top)
	}
	if tops[len(tops)-1] > minShare {
		tops = append(tops, minShare)
	}
	var best halvingPlan
	for _, top := range tops {
		var atTop halvingPlan
		for rungs := 1; rungs <= maxRungs; rungs++ {
			shares := make([]float64, rungs)
			for r := range shares {
				shares[r] = top / math.Pow(halving, float64(rungs-1-r))
			}
			if shares[0] < minShare {
				break
			}
			if top < 1 {
				shares = append(shares, 1)
			}
			for n := space; n >= 2 && n > atTop.n; n-- {
				if rungs > 1 && n <= int(math.Pow(halving, float64(rungs-1))) {
					break // too few to halve that often
				}
				var c float64
				sizes := rungSizes(n, len(shares))
				for r, k := range sizes {
					if r == len(sizes)-1 {
						k-- // selection's own cross-validation
					}
					c += float64(k) * cost(shares[r])
				}
				if c <= budget {
					atTop = halvingPlan{shares: shares, n: n, cost: c}
					break
				}
			}
		}
		if atTop.n >= want {
			return atTop, true
		}
		if atTop.n > best.n {
			best = atTop
		}
	}
	return best, best.n >= 2
}

// tuned is the outcome of tuning: each family's chosen configuration,
// how it was found, and the chosen configuration's cross-validation on
// the selection folds, which selection reuses rather than fitting it
// again.
type tuned struct {
	configs map[string]json.RawMessage
	records []Tuning
	cv      map[string]*Selection
	// budget is the budget tuning had: an automatic one grows to the whole
	// search where that costs at most autoWholeSearchMax, and whole says
	// it did (or needed not).
	budget time.Duration
	whole  bool
}

// tune searches the hyperparameters of every family that declares a
// search (models.Family.Tuning), within budget, by successive halving on
// the selection folds of s. The budget is turned into work before any
// fit: each family's share (an equal split, what a family cannot use
// passing to the others) buys, through the family's cost model, a number
// of candidates and the row shares they are fitted on; the same seed, data
// and budget therefore choose the same configurations on any machine. The
// configured configuration is always a candidate and is never eliminated,
// and the last rung fits all rows, so the one chosen is never worse than
// it on the selection folds.
func tune(ctx context.Context, s *backtest.Sample, cfg Config, families []string, budget time.Duration, progress func(string)) (*tuned, error) {
	out := &tuned{configs: map[string]json.RawMessage{}, cv: map[string]*Selection{}, budget: budget}
	k := cfg.SelectionFolds
	if k < 2 {
		for _, fam := range families {
			out.records = append(out.records, Tuning{Family: fam, Candidates: 1, Note: "not tuned: tuning judges candidates by cross-validation, and selection folds are below 2"})
		}
		return out, nil
	}
	folds, method := selectionFolds(s, k, cfg.Seed)
	rank, defaulter := subsampleRanks(s, cfg.Seed)
	var trainRows, defaults float64
	for _, fd := range folds {
		trainRows += float64(len(fd.train))
		for _, i := range fd.train {
			defaults += s.Y[i]
		}
	}
	kf := float64(len(folds))
	// The smallest rung must keep minRungRows fitted rows and, through its
	// share of the defaulting customers (rungRates), minRungDefaults.
	var defaulterRows float64
	for _, d := range defaulter {
		if d {
			defaulterRows++
		}
	}
	needDefaulters := minRungDefaults / (defaults / kf)
	minShare := min(1, max(minRungRows/(trainRows/kf), needDefaulters*2*defaulterRows/float64(len(defaulter))))
	if needDefaulters >= 1 {
		minShare = 1
	}

	// Draw every family's candidates and model their cost.
	type search struct {
		fam      string
		cands    []json.RawMessage
		cost     func(share float64) float64
		full     float64 // the whole space on all rows
		budget   float64
		plan     halvingPlan
		planned  bool
		untuned  string
		original json.RawMessage
	}
	var searches []*search
	for _, fam := range families {
		f, err := lookupFamily(fam)
		if err != nil {
			return nil, err
		}
		sr := &search{fam: fam, original: familyConfig(cfg, fam)}
		searches = append(searches, sr)
		if f.Tuning == nil {
			sr.untuned = "not tuned: the family declares no search"
			continue
		}
		cands, err := f.Tuning.Candidates(sr.original, f.Tuning.Space, cfg.Seed)
		if err != nil {
			return nil, fmt.Errorf("tune %s: %w", fam, err)
		}
		sr.cands = cands
		memo := map[float64]float64{}
		sr.cost = func(share float64) float64 {
			if c, ok := memo[share]; ok {
				return c
			}
			var c float64
			for _, cand := range cands {
				for _, fd := range folds {
					c += f.Tuning.Cost(cand, int(share*float64(len(fd.train))), int(share*float64(len(fd.stop))), s.X.Cols)
				}
			}
			memo[share] = c / float64(len(cands))
			return memo[share]
		}
		sr.full = float64(len(cands)) * sr.cost(1)
	}
	if isAutoBudget(cfg.TuneBudget) {
		var whole float64
		for _, sr := range searches {
			if len(sr.cands) >= 2 {
				whole += sr.full
			}
		}
		if w := time.Duration(whole * float64(time.Second)); w <= autoWholeSearchMax {
			budget = max(budget, w)
			out.budget, out.whole = budget, true
		}
	}
	// Share the budget: families that need least first, each taking an
	// equal share of what is left.
	order := slices.Clone(searches)
	slices.SortStableFunc(order, func(a, b *search) int { return cmp.Compare(a.full, b.full) })
	left, pending := budget.Seconds(), 0
	for _, sr := range order {
		if sr.cands != nil {
			pending++
		}
	}
	for _, sr := range order {
		if sr.cands == nil {
			continue
		}
		sr.budget = left / float64(pending)
		pending--
		if len(sr.cands) < 2 {
			sr.untuned = "not tuned: the search has no candidate beside the configuration"
			continue
		}
		sr.plan, sr.planned = planHalving(sr.budget, len(sr.cands), sr.cost, minShare)
		if !sr.planned {
			sr.untuned = fmt.Sprintf("not tuned: its share of the budget, %.1f s, does not pay for comparing two candidates on all rows (one cross-validation costs about %.1f s)",
				sr.budget, sr.cost(1))
			continue
		}
		left -= sr.plan.cost
	}

	for _, sr := range searches {
		rec := Tuning{Family: sr.fam, BudgetSeconds: sr.budget, Candidates: 1, Note: sr.untuned}
		if !sr.planned {
			out.records = append(out.records, rec)
			continue
		}
		t0 := time.Now()
		best, sel, err := halve(ctx, s, sr.fam, sr.cands[:sr.plan.n], sr.plan.shares, cfg.Seed, folds, method, rank, defaulter, progress, &rec)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			rec.Note = fmt.Sprintf("not tuned: %v", err)
			rec.Rungs = nil
			out.records = append(out.records, rec)
			continue
		}
		rec.Seconds = time.Since(t0).Seconds()
		rec.PlannedSeconds = sr.plan.cost
		rec.Candidates = sr.plan.n
		rec.Changed = best != 0
		out.cv[sr.fam] = sel
		out.configs[sr.fam] = sr.cands[best]
		out.records = append(out.records, rec)
	}
	return out, nil
}

// halve runs successive halving over cands (cands[0] the configured
// configuration) on the given row shares, and returns the index of the
// best candidate at the last rung with its cross-validation. Ties go to
// the candidate drawn first, so the configured one wins a tie.
func halve(ctx context.Context, s *backtest.Sample, fam string, cands []json.RawMessage, shares []float64, seed uint64, folds []fold, method string, rank []float64, defaulter []bool, progress func(string), rec *Tuning) (int, *Selection, error) {
	active := make([]int, len(cands))
	for i := range active {
		active[i] = i
	}
	for r, share := range shares {
		progress(fmt.Sprintf("tuning %s: %d candidates on %.0f%% of the rows", fam, len(active), 100*share))
		rec.Rungs = append(rec.Rungs, TuningRung{RowShare: share, Candidates: len(active)})
		sub := subsampleFolds(folds, rank, defaulter, share)
		auc := map[int]float64{}
		// The last rung keeps the leader's cross-validation only: each
		// holds its rounds' models, and a whole search has hundreds.
		var lead *Selection
		leadAUC := math.Inf(-1)
		for _, i := range active {
			sel, err := crossValidateFolds(ctx, s, fam, cands[i], seed, sub, method)
			if err == nil && i == 0 && math.IsNaN(sel.MeanAUC) {
				err = fmt.Errorf("the configured %s has no AUC on the folds", fam)
			}
			switch {
			case err != nil && (i == 0 || ctx.Err() != nil):
				return 0, nil, err
			case err != nil || math.IsNaN(sel.MeanAUC):
				auc[i] = math.Inf(-1) // a candidate that cannot be fitted drops out
			default:
				auc[i] = sel.MeanAUC
				if r == len(shares)-1 && (lead == nil || sel.MeanAUC > leadAUC) {
					lead, leadAUC = sel, sel.MeanAUC // active is in index order: ties stay with the first
				}
			}
		}
		slices.SortStableFunc(active, func(a, b int) int {
			return cmp.Or(cmp.Compare(auc[b], auc[a]), cmp.Compare(a, b))
		})
		if r == len(shares)-1 {
			rec.DefaultAUC, rec.BestAUC = auc[0], auc[active[0]]
			return active[0], lead, nil
		}
		keep := active[:(len(active)+halving-1)/halving]
		if !slices.Contains(keep, 0) {
			keep = append(keep, 0)
		}
		active = slices.Clone(keep)
		slices.Sort(active)
	}
	panic("unreachable: a plan has at least one rung")
}

// subsampleRanks places every row's customer in a seeded order within
// the customers of its class (those with a default among them, or the
// others): a rung fits on the customers of each class ranked below that
// class's rate (rungRates), so its subsample keeps each customer's rows
// together and holds every smaller rung's. It returns each row's rank
// and whether its customer defaults.
func subsampleRanks(s *backtest.Sample, seed uint64) (rank []float64, defaulter []bool) {
	custs := hashedCustomers(s, seed+2)
	var nDef, nGood int
	for _, c := range custs {
		if c.defaulted {
			nDef++
		} else {
			nGood++
		}
	}
	rankOf := map[string]float64{}
	isDef := map[string]bool{}
	var iDef, iGood int
	for _, c := range custs {
		if c.defaulted {
			rankOf[c.id] = float64(iDef) / float64(nDef)
			iDef++
		} else {
			rankOf[c.id] = float64(iGood) / float64(nGood)
			iGood++
		}
		isDef[c.id] = c.defaulted
	}
	rank, defaulter = make([]float64, len(s.CustomerIDs)), make([]bool, len(s.CustomerIDs))
	for i, id := range s.CustomerIDs {
		rank[i], defaulter[i] = rankOf[id], isDef[id]
	}
	return rank, defaulter
}

// rungRates are the shares of the defaulting customers and of the others
// that a rung on share of the rows keeps, given the rows of each class: a
// case-control draw, every defaulting customer as long as their rows are
// at most half the rung, the rest of the rung from the others. The
// ranking a low-default book's candidates are compared on is learnt from
// its defaults, so a small rung keeps them all rather than the share of
// them a stratified draw would; the weights 1/rate (rungWeights) keep
// each fit's PDs those of the book.
func rungRates(share, defaulterRows, otherRows float64) (qd, qn float64) {
	if share >= 1 || defaulterRows == 0 || otherRows == 0 {
		return 1, 1
	}
	r := share * (defaulterRows + otherRows)
	qd = min(1, r/(2*defaulterRows))
	qn = min(1, max(r-qd*defaulterRows, 0)/otherRows)
	return qd, qn
}

// subsampleFolds keeps the fitted and stopping rows of each fold that a
// rung on share of the rows draws (rungRates), weighted by the inverse
// of their class's rate; the held-out rows stay whole, so every rung is
// judged on the same rows.
func subsampleFolds(folds []fold, rank []float64, defaulter []bool, share float64) []fold {
	if share >= 1 {
		return folds
	}
	var dRows, oRows float64
	for _, d := range defaulter {
		if d {
			dRows++
		} else {
			oRows++
		}
	}
	qd, qn := rungRates(share, dRows, oRows)
	rate := func(i int) float64 {
		if defaulter[i] {
			return qd
		}
		return qn
	}
	keep := func(rows []int) ([]int, []float64) {
		kept := slices.DeleteFunc(slices.Clone(rows), func(i int) bool { return rank[i] >= rate(i) })
		w := make([]float64, len(kept))
		for k, i := range kept {
			w[k] = 1 / rate(i)
		}
		return kept, w
	}
	out := make([]fold, len(folds))
	for f, fd := range folds {
		out[f] = fold{test: fd.test}
		out[f].train, out[f].trainW = keep(fd.train)
		out[f].stop, out[f].stopW = keep(fd.stop)
	}
	return out
}
