package serve

import (
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/blend"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/serve/rescore"
	"github.com/credence-risk/credence/train"
)

// withoutDefaults copies a book leaving out its defaults table, as a
// ledger export without recorded defaults would be.
func withoutDefaults(t *testing.T, book *datasets.Book, dir string) *datasets.Book {
	t.Helper()
	err := filepath.WalkDir(book.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(book.Dir, path)
		if err != nil {
			return err
		}
		if rel == string(datasets.Defaults) || strings.HasPrefix(rel, string(datasets.Defaults)+string(filepath.Separator)) {
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := datasets.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Has(datasets.Defaults) {
		t.Fatal("the copy still has a defaults table")
	}
	return b
}

// Online equals batch by construction: a model trained on a book with a
// defaults table and one trained on the same book without it, each applied
// to each book, give over gRPC exactly the rescore row of every customer:
// PD bit for bit, grade, score, reasons and recommended limit.
func TestOnlineEqualsBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models")
	}
	ctx := context.Background()
	withTable, err := makeBook("parity-book", 600, 17, 0.06)
	if err != nil {
		t.Fatal(err)
	}
	books := map[string]*datasets.Book{
		"defaults table":    withTable,
		"no defaults table": withoutDefaults(t, withTable, filepath.Join(fixtureDir, "parity-book-ledger")),
	}
	// The GBDT, the scorecard, and the blend of the logistic regression
	// and the GBDT (registered as the blend candidate, as fitted on the
	// train part).
	specs := []struct {
		name, book string
		families   []string
		blend      bool
	}{
		{"defaults table", "defaults table", []string{"gbdt"}, false},
		{"no defaults table", "no defaults table", []string{"scorecard"}, false},
		{"defaults table, blended", "defaults table", []string{"logistic", "gbdt"}, true},
	}
	models := map[string]*registry.Registry{}
	for _, spec := range specs {
		name, book := spec.name, books[spec.book]
		tc := train.DefaultConfig()
		tc.Families = spec.families
		tc.TuneBudget = "0"
		tc.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
		// One model reads the portfolio context, the other does not.
		tc.Observations.Features.Portfolio = nil
		if spec.book == "defaults table" {
			tc.Observations.Features.Portfolio = &features.PortfolioConfig{}
		}
		res, err := train.Run(ctx, book, tc, nil)
		if err != nil {
			t.Fatalf("train on the book with %s: %v", name, err)
		}
		if spec.blend {
			c := res.Candidates[len(res.Candidates)-1]
			if c.Family != blend.Name {
				t.Fatalf("candidates end with %s; want the blend", c.Family)
			}
			res.Artifact.Family, res.Artifact.Model, res.Artifact.Calibrator = c.Family, c.Model, c.Calibrator
		}
		reg, err := registry.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Artifact.FeatureSet.HasPortfolio(), spec.book == "defaults table"; got != want ||
			want && res.Artifact.FeatureSet.Index("port_industry_default_rate_12m") < 0 {
			t.Fatalf("model of the book with %s: portfolio block %v; want %v, by industry", name, got, want)
		}
		v := addModel(t, reg, res.Artifact)
		if err := reg.Promote(v); err != nil {
			t.Fatal(err)
		}
		models[name] = reg
	}
	inDefault := map[bool]int{}
	for trainedOn, reg := range models {
		for scoredOn, book := range books {
			t.Run("model of the book with "+trainedOn+" scores the book with "+scoredOn, func(t *testing.T) {
				hs, err := book.ReadAll(ctx)
				if err != nil {
					t.Fatal(err)
				}
				art, err := catalog.Load(reg, registry.Champion)
				if err != nil {
					t.Fatal(err)
				}
				sc, err := scoring.New(art, book.Schema)
				if err != nil {
					t.Fatal(err)
				}
				srv, err := NewServer(testConfig(nil), reg, NewIndex(book, hs))
				if err != nil {
					t.Fatal(err)
				}
				r := startServer(t, srv, true)
				for _, asOf := range []datasets.Date{datasets.YMD(2024, 3, 1), book.Meta.ObservedUntil + 1} {
					var rows collectRows
					if _, err := rescore.Run(ctx, book, sc, rescore.DefaultConfig(asOf), &rows); err != nil {
						t.Fatal(err)
					}
					if len(rows) < len(hs)/2 {
						t.Fatalf("as of %s: %d rows for %d customers", asOf, len(rows), len(hs))
					}
					for _, row := range rows {
						got, err := r.client.RecommendLimit(ctxT(t), &creditpb.RecommendLimitRequest{
							CustomerId: row.CustomerID, AsOf: creditpb.DateOf(asOf), MaxReasons: rescore.Reasons})
						if err != nil {
							t.Fatalf("%s as of %s: %v", row.CustomerID, asOf, err)
						}
						s := got.GetScoring()
						var reasons, texts [rescore.Reasons]string
						for k, x := range s.GetReasons() {
							reasons[k], texts[k] = x.GetFeature(), x.GetDescription()+" (raises risk)"
						}
						if math.Float64bits(s.GetPd()) != math.Float64bits(row.PD) || int(s.GetGrade()) != row.Grade ||
							s.GetScore() != row.Score || reasons != row.Reasons || texts != row.ReasonTexts || s.GetModelVersion() != row.ModelVersion ||
							got.GetRecommendedLimit() != row.RecommendedLimit || dateString(s.GetAsOf()) != row.AsOf.String() {
							t.Fatalf("%s as of %s:\n online PD %v grade %d score %v reasons %q limit %v\n  batch PD %v grade %d score %v reasons %q limit %v",
								row.CustomerID, asOf, s.GetPd(), s.GetGrade(), s.GetScore(), reasons, got.GetRecommendedLimit(),
								row.PD, row.Grade, row.Score, row.Reasons, row.RecommendedLimit)
						}
						// Score and ScoreStream answer with the same score.
						one, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: row.CustomerID, AsOf: creditpb.DateOf(asOf), MaxReasons: rescore.Reasons})
						if err != nil {
							t.Fatal(err)
						}
						if math.Float64bits(one.GetPd()) != math.Float64bits(row.PD) || one.GetGrade() != s.GetGrade() || len(one.GetReasons()) != len(s.GetReasons()) {
							t.Fatalf("%s as of %s: Score gave PD %v grade %d; RecommendLimit %v grade %d", row.CustomerID, asOf, one.GetPd(), one.GetGrade(), s.GetPd(), s.GetGrade())
						}
						inDefault[row.Grade == 10]++
					}
				}
			})
		}
	}
	t.Logf("%d rows in default, %d performing compared", inDefault[true], inDefault[false])
	if inDefault[true] == 0 || inDefault[false] == 0 {
		t.Errorf("%d rows in default, %d performing: the comparison covered one path only", inDefault[true], inDefault[false])
	}
}

// collectRows is a rescore sink that keeps every row.
type collectRows []rescore.Row

func (c *collectRows) Write(rows []rescore.Row) error {
	*c = append(*c, rows...)
	return nil
}
