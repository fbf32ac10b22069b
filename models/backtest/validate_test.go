package backtest

import (
	"math"
	"testing"

	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/report"
)

// TestJudgeLeavesPortfolioContextOut checks that a shifted portfolio
// context, which moves with the book by design, raises no light, while a
// shifted feature of the customers still does.
func TestJudgeLeavesPortfolioContextOut(t *testing.T) {
	v := &Validation{DropP: math.NaN(), ScorePSI: math.NaN(), FeaturePSI: []report.Stability{
		{Feature: "port_industry_default_rate_12m", PSI: 2.2},
		{Feature: "port_book_dbt_median_1m", PSI: 1.1},
	}}
	v.judge()
	if v.Light != eval.Green || len(v.Reasons) != 0 {
		t.Fatalf("shifted context: light %s, reasons %q; want green", v.Light, v.Reasons)
	}
	v.FeaturePSI = append(v.FeaturePSI, report.Stability{Feature: "port_industry_dbt_gap", PSI: 0.3})
	v.judge()
	if v.Light != eval.Yellow || len(v.Reasons) != 1 {
		t.Fatalf("shifted gap: light %s, reasons %q; want yellow for the gap", v.Light, v.Reasons)
	}
}
