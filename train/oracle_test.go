package train

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/synth"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/eval"
)

type truthRow struct {
	CustomerID string  `parquet:"customer_id"`
	MonthEnd   int32   `parquet:"month_end,date"`
	PD12M      float64 `parquet:"pd_12m"`
}

// TestGBDTNearOracle trains on a synthetic book and compares the GBDT's
// test AUC with the AUC of the true 12-month PDs the generator wrote for
// the same test observations: the best ranking any model could reach.
func TestGBDTNearOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 12,000 customers")
	}
	ctx := context.Background()
	dir := t.TempDir()
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Months, cfg.Seed = 12000, 36, 11
	truthPath := filepath.Join(dir, "truth.parquet")
	if _, err := synth.Generate(ctx, cfg, filepath.Join(dir, "book"), truthPath, nil); err != nil {
		t.Fatal(err)
	}
	book, err := datasets.Open(filepath.Join(dir, "book"))
	if err != nil {
		t.Fatal(err)
	}
	tc := DefaultConfig()
	tc.Families = []string{"gbdt"}
	tc.TuneBudget = "0" // the figure in BENCHMARKS.md is the default configuration's
	tc.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	tc.Observations.Plan = features.Plan{Start: datasets.YMD(2023, 7, 1), End: datasets.YMD(2024, 12, 1), EveryMonths: 3}
	// Reproduce Run's split to know which observations are the test part.
	prep, err := backtest.Prepare(ctx, book, tc.Observations)
	if err != nil {
		t.Fatal(err)
	}
	sample, _, err := backtest.Collect(ctx, book, prep, 0)
	if err != nil {
		t.Fatal(err)
	}
	split, err := SplitSample(sample, tc.ValidShare, tc.TestShare, tc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, book, tc, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(truthPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type key struct {
		id string
		d  datasets.Date
	}
	truth := map[key]float64{}
	r := parquet.NewGenericReader[truthRow](f)
	buf := make([]truthRow, 4096)
	for {
		n, err := r.Read(buf)
		for _, row := range buf[:n] {
			truth[key{row.CustomerID, datasets.Date(row.MonthEnd)}] = row.PD12M
		}
		if err != nil {
			break
		}
	}
	var y, oracle []float64
	for _, i := range split.Test {
		// As of the 1st, the model sees up to the month end before it.
		pd, ok := truth[key{sample.CustomerIDs[i], sample.AsOf[i] - 1}]
		if !ok {
			t.Fatalf("no true PD for %s at %s", sample.CustomerIDs[i], sample.AsOf[i]-1)
		}
		y, oracle = append(y, sample.Y[i]), append(oracle, pd)
	}
	oracleAUC := eval.AUC(y, oracle, nil)
	modelAUC := res.Champion.Test.AUC
	t.Logf("test observations %d (%d defaults): GBDT AUC %.4f, oracle AUC %.4f, gap %.4f", len(y), int(res.Champion.Test.Defaults), modelAUC, oracleAUC, oracleAUC-modelAUC)
	if oracleAUC-modelAUC > 0.01 {
		t.Errorf("GBDT test AUC %.4f is more than 0.01 below the oracle's %.4f", modelAUC, oracleAUC)
	}
}
