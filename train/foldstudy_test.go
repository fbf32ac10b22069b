package train

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/gbdt"
)

// The fold-scheme study is not a test: on a book with several as-of
// dates, it cross-validates a few GBDT configurations by the rolling-
// origin rounds selection uses and by folds of customers that ignore
// time, and prints each scheme's mean and per-round AUC, to see whether
// the two rank the configurations alike.
//
//	go test ./train -run TestStudyFoldSchemes -timeout 0 -v \
//	    -fold-study B/synth/dev [-fold-study-horizon 12mo]
var (
	foldStudyBook    = flag.String("fold-study", "", "book (a development book of cmd/bench/quality/run.sh) for the fold-scheme study")
	foldStudyHorizon = flag.String("fold-study-horizon", "", "label horizon of the study, e.g. 12mo (default: the book's hint)")
)

func TestStudyFoldSchemes(t *testing.T) {
	if *foldStudyBook == "" {
		t.Skip("a study, not a test: give -fold-study BOOK")
	}
	ctx := context.Background()
	book, err := datasets.Open(*foldStudyBook)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if *foldStudyHorizon != "" {
		if cfg.Observations.Horizon, err = features.ParseHorizon(*foldStudyHorizon); err != nil {
			t.Fatal(err)
		}
	}
	prep, err := backtest.Prepare(ctx, book, cfg.Observations)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := backtest.Collect(ctx, book, prep, 0)
	if err != nil {
		t.Fatal(err)
	}
	k := cfg.SelectionFolds
	rolling, method := selectionFolds(s, k, cfg.Seed)
	if method != FoldsRollingOrigin {
		t.Fatalf("%s: one as-of date or too few for %d rolling rounds", *foldStudyBook, k)
	}
	byCustomer := customerGroupFolds(customerFolds(s, k, cfg.Seed), customerFolds(s, 8, cfg.Seed+1), k)

	configured := gbdt.TrainingConfig()
	// The candidate tuning chooses on the generated ledgers.
	shallow := configured
	shallow.LearningRate, shallow.MaxDepth, shallow.MinChildWeight, shallow.Subsample, shallow.ColSample = 0.08, 2, 5, 0.5, 0.85
	// The setting the XGBoost peer chooses there (peers.py), with its
	// 300 trees and with early stopping.
	peer := configured
	peer.LearningRate, peer.MaxDepth, peer.MinChildWeight, peer.Trees, peer.EarlyStoppingRounds = 0.03, 4, 10, 300, 0
	peerStopped := peer
	peerStopped.Trees, peerStopped.EarlyStoppingRounds = configured.Trees, configured.EarlyStoppingRounds
	for _, c := range []struct {
		name string
		cfg  gbdt.Config
	}{{"configured", configured}, {"shallow", shallow}, {"peer", peer}, {"peer, stopped", peerStopped}} {
		config, err := json.Marshal(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, scheme := range []struct {
			name, method string
			folds        []fold
		}{{FoldsRollingOrigin, FoldsRollingOrigin, rolling}, {FoldsByCustomer, FoldsByCustomer, byCustomer}} {
			sel, err := crossValidateFolds(ctx, s, "gbdt", config, cfg.Seed, scheme.folds, scheme.method)
			if err != nil {
				t.Fatal(err)
			}
			var rounds []string
			for r, auc := range sel.AUC {
				rounds = append(rounds, fmt.Sprintf("%.4f (%d fitted, %d judged)", auc, len(scheme.folds[r].train), len(scheme.folds[r].test)))
			}
			t.Logf("%-13s %-14s mean %.4f: %s", c.name, scheme.name, sel.MeanAUC, strings.Join(rounds, ", "))
		}
	}
}
