package train

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/logistic"
)

func TestParseTuneBudget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		rows int
		want time.Duration
	}{
		{"0", 1_000_000, 0},
		{"", 1_000_000, 0},
		{"90s", 10, 90 * time.Second},
		{TuneAuto, 5_000, autoBudgetMin},
		{TuneAuto, 1_000_000, 2 * time.Minute},
	} {
		got, err := ParseTuneBudget(tc.in, tc.rows)
		if err != nil || got != tc.want {
			t.Errorf("ParseTuneBudget(%q, %d) = %v, %v; want %v", tc.in, tc.rows, got, err, tc.want)
		}
	}
	for _, bad := range []string{"-1s", "fast", "10"} {
		if _, err := ParseTuneBudget(bad, 100); err == nil {
			t.Errorf("ParseTuneBudget(%q) succeeded; want an error", bad)
		}
	}
}

// planHalving sizes the search to the budget: never over it, the last
// rung on all rows when it pays for enough candidates, no search when
// two candidates do not fit.
func TestPlanHalving(t *testing.T) {
	cost := func(share float64) float64 { return share } // one second per cross-validation on all rows
	for _, tc := range []struct {
		budget     float64
		ok         bool
		minN, maxN int
		rungs      int
	}{
		{budget: 0.5, ok: false}, // not even the configured one and one other on all rows
		{budget: 1.5, ok: true, minN: 2, maxN: 8},
		{budget: 10, ok: true, minN: 9, maxN: 81},
		{budget: 100, ok: true, minN: 81, maxN: 81, rungs: 1},
	} {
		plan, ok := planHalving(tc.budget, 81, cost, 1.0/9)
		if ok != tc.ok {
			t.Errorf("budget %v: ok %v; want %v (%+v)", tc.budget, ok, tc.ok, plan)
			continue
		}
		if !ok {
			continue
		}
		if plan.cost > tc.budget || plan.shares[len(plan.shares)-1] != 1 || plan.n < tc.minN || plan.n > tc.maxN || plan.shares[0] < 1.0/9-1e-12 {
			t.Errorf("budget %v: plan %+v; want cost within it, the last rung on all rows, %d to %d candidates", tc.budget, plan, tc.minN, tc.maxN)
		}
		if tc.rungs > 0 && len(plan.shares) != tc.rungs {
			t.Errorf("budget %v: %d rungs; want %d", tc.budget, len(plan.shares), tc.rungs)
		}
	}
}

func tuningSample(t *testing.T, customers int) (*backtest.Sample, Config) {
	t.Helper()
	b := synthBook(t, customers)
	cfg := DefaultConfig()
	cfg.SelectionFolds = 3
	cfg.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	prep, err := backtest.Prepare(context.Background(), b, cfg.Observations)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := backtest.Collect(context.Background(), b, prep, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s, cfg
}

// The same seed, data and budget choose the same configurations; the
// configured configuration is among the candidates, so the one chosen is
// never worse than it on the selection folds; and the cross-validation
// handed to selection is the one selection would make.
func TestTune(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-validates candidates")
	}
	s, cfg := tuningSample(t, 1000)
	families := []string{"logistic", "gbdt"}
	budget := 2 * time.Second
	cfg.TuneBudget = budget.String()
	first, err := tune(context.Background(), s, cfg, families, budget, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	again, err := tune(context.Background(), s, cfg, families, budget, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	var planned float64
	for i := range first.records {
		a, b := first.records[i], again.records[i]
		a.Seconds, b.Seconds = 0, 0 // the only measured figure
		if !reflect.DeepEqual(a, b) {
			t.Errorf("two searches differ:\n%+v\n%+v", a, b)
		}
		t.Logf("%s: %d candidates (%s), CV AUC %.4f configured, %.4f chosen; planned %.2f s of %.2f s, took %.2f s; %s",
			a.Family, a.Candidates, a.RungText(), a.DefaultAUC, a.BestAUC, a.PlannedSeconds, a.BudgetSeconds, first.records[i].Seconds, a.Note)
		if len(a.Rungs) == 0 {
			t.Errorf("%s not tuned within %v: %s", a.Family, budget, a.Note)
			continue
		}
		if a.BestAUC < a.DefaultAUC {
			t.Errorf("%s: chosen CV AUC %.4f below the configured %.4f", a.Family, a.BestAUC, a.DefaultAUC)
		}
		if a.PlannedSeconds > a.BudgetSeconds {
			t.Errorf("%s: planned %.2f s over its share %.2f s", a.Family, a.PlannedSeconds, a.BudgetSeconds)
		}
		planned += a.PlannedSeconds
		if !bytes.Equal(first.configs[a.Family], again.configs[a.Family]) {
			t.Errorf("%s: chosen\n%s\nthen\n%s", a.Family, first.configs[a.Family], again.configs[a.Family])
		}
	}
	if planned > budget.Seconds() {
		t.Errorf("planned %.2f s in all; budget %v", planned, budget)
	}
	for fam, sel := range first.cv {
		tuned := cfg
		tuned.FamilyConfig = map[string]json.RawMessage{fam: first.configs[fam]}
		want, err := crossValidate(context.Background(), s, fam, tuned, cfg.SelectionFolds)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sel.AUC, want.AUC) {
			t.Errorf("%s: tuning's cross-validation %v; selection's %v", fam, sel.AUC, want.AUC)
		}
		configured, err := crossValidate(context.Background(), s, fam, cfg, cfg.SelectionFolds)
		if err != nil {
			t.Fatal(err)
		}
		if sel.MeanAUC < configured.MeanAUC {
			t.Errorf("%s: tuned CV AUC %.4f below the configured %.4f on the selection folds", fam, sel.MeanAUC, configured.MeanAUC)
		}
	}
}

// An automatic budget grows to the whole search where that costs at most
// autoWholeSearchMax; a budget given as a duration does not.
func TestTuneAutoWholeSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-validates candidates")
	}
	s, cfg := tuningSample(t, 1000)
	families := []string{"logistic"}
	small := 10 * time.Millisecond // not enough to compare two candidates
	cfg.TuneBudget = "10ms"
	given, err := tune(context.Background(), s, cfg, families, small, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if r := given.records[0]; len(r.Rungs) != 0 || given.budget != small {
		t.Errorf("budget 10ms: %d candidates, budget %v; want no search within 10ms", r.Candidates, given.budget)
	}
	cfg.TuneBudget = TuneAuto
	auto, err := tune(context.Background(), s, cfg, families, small, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	space := logistic.Family.Tuning.Space
	if r := auto.records[0]; r.Candidates != space || len(r.Rungs) != 1 || r.Rungs[0].RowShare != 1 {
		t.Errorf("auto: %d candidates (%s); want the whole space, %d on all rows", r.Candidates, r.RungText(), space)
	}
	if !auto.whole || given.whole {
		t.Errorf("whole search: auto %v, 10ms %v; want true and false", auto.whole, given.whole)
	}
	if auto.budget <= small || auto.budget > autoWholeSearchMax {
		t.Errorf("auto: budget %v; want the whole search's cost, above %v and at most %v", auto.budget, small, autoWholeSearchMax)
	}
}

// A budget of 0 leaves the configurations as they are; a run that tunes
// stores the tuned configurations with tuning off, and that stored
// configuration trains the same model again.
func TestRunTuneBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	b := synthBook(t, 1000)
	cfg := DefaultConfig()
	cfg.Families = []string{"logistic"}
	cfg.SelectionFolds = 3
	cfg.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}

	cfg.TuneBudget = "0"
	off, err := Run(context.Background(), b, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var stored Config
	if err := json.Unmarshal(off.Artifact.TrainingConfig, &stored); err != nil {
		t.Fatal(err)
	}
	if len(off.Tuning) != 0 || len(stored.Tuning) != 0 || !bytes.Equal(stored.FamilyConfig["logistic"], cfg.FamilyConfig["logistic"]) {
		t.Errorf("budget 0: tuning %+v, stored logistic configuration %s; want none and %s", off.Tuning, stored.FamilyConfig["logistic"], cfg.FamilyConfig["logistic"])
	}

	cfg.TuneBudget = "1s"
	on, err := Run(context.Background(), b, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(on.Tuning) != 1 || on.Tuning[0].Candidates < 2 || len(on.Report.Tuning) != 1 {
		t.Fatalf("budget 1s: tuning %+v, report %+v", on.Tuning, on.Report.Tuning)
	}
	stored = DefaultConfig()
	if err := json.Unmarshal(on.Artifact.TrainingConfig, &stored); err != nil {
		t.Fatal(err)
	}
	if stored.TuneBudget != "0" || len(stored.Tuning) != 1 {
		t.Errorf("stored configuration: tune budget %q, tuning %+v; want 0 and the search", stored.TuneBudget, stored.Tuning)
	}
	rebuilt, err := Run(context.Background(), b, stored, nil)
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := json.Marshal(on.Artifact.Model)
	m2, _ := json.Marshal(rebuilt.Artifact.Model)
	if !bytes.Equal(m1, m2) || len(rebuilt.Tuning) != 0 {
		t.Error("the stored configuration of a tuned run does not rebuild its model")
	}
	if on.TuneWhole {
		t.Error("a budget given as a duration reported as grown to the whole search")
	}

	// The automatic budget on this small book pays for every candidate,
	// and the report says so.
	cfg.TuneBudget = TuneAuto
	auto, err := Run(context.Background(), b, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !auto.TuneWhole || auto.Tuning[0].Candidates != logistic.Family.Tuning.Space || !strings.Contains(auto.Report.TuningBudget, "every candidate") {
		t.Errorf("auto: whole %v, %d candidates, report %q; want the whole search, said", auto.TuneWhole, auto.Tuning[0].Candidates, auto.Report.TuningBudget)
	}
}

// A small rung keeps every defaulting customer and draws the rest from
// the others, each weighted by the inverse of its class's rate, so the
// rung stands for the fold; rungs nest.
func TestCaseControlRungs(t *testing.T) {
	if qd, qn := rungRates(0.1, 50, 950); qd != 1 || math.Abs(qn-50.0/950) > 1e-12 {
		t.Errorf("rungRates(0.1, 50, 950) = %v, %v; want 1 and 50/950", qd, qn)
	}
	if qd, qn := rungRates(0.1, 500, 500); qd != 0.1 || qn != 0.1 {
		t.Errorf("rungRates(0.1, 500, 500) = %v, %v; want half the rung from each class: 0.1, 0.1", qd, qn)
	}
	if qd, qn := rungRates(1, 50, 950); qd != 1 || qn != 1 {
		t.Errorf("the last rung keeps everything: %v, %v", qd, qn)
	}
	s, cfg := tuningSample(t, 3000)
	rank, defaulter := subsampleRanks(s, cfg.Seed)
	folds, _ := selectionFolds(s, cfg.SelectionFolds, cfg.Seed)
	var defaulterRows float64
	for _, d := range defaulter {
		if d {
			defaulterRows++
		}
	}
	// A rung of 2.5 times the defaulting customers' rows keeps them all.
	share := 2.5 * defaulterRows / float64(len(defaulter))
	t.Logf("defaulting customers hold %.1f%% of the rows; rung share %.3f", 100*defaulterRows/float64(len(defaulter)), share)
	if share > 0.5 {
		t.Fatalf("the sample's defaulting customers hold too many rows for a small rung: %v", share)
	}
	small, larger := subsampleFolds(folds, rank, defaulter, share), subsampleFolds(folds, rank, defaulter, 2*share)
	for f, fd := range folds {
		var defaults, keptDefaults, weight float64
		for _, i := range fd.train {
			defaults += s.Y[i]
		}
		for k, i := range small[f].train {
			keptDefaults += s.Y[i]
			weight += small[f].trainW[k]
		}
		if keptDefaults != defaults {
			t.Errorf("fold %d: the small rung keeps %v of the %v defaults", f, keptDefaults, defaults)
		}
		if n := float64(len(fd.train)); math.Abs(weight-n) > 0.15*n {
			t.Errorf("fold %d: the rung's rows weigh %.0f; the fold has %.0f", f, weight, n)
		}
		if len(small[f].train) >= len(larger[f].train) || len(small[f].test) != len(fd.test) {
			t.Errorf("fold %d: rungs of %d and %d rows, held out %d of %d", f, len(small[f].train), len(larger[f].train), len(small[f].test), len(fd.test))
		}
		in := map[int]bool{}
		for _, i := range larger[f].train {
			in[i] = true
		}
		for _, i := range small[f].train {
			if !in[i] {
				t.Fatalf("fold %d: row %d is in the small rung but not the larger", f, i)
			}
		}
	}
}
