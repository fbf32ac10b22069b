package rescore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/synth"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/train"
)

// fixtureDir holds the book and registry every test shares: training a
// model once keeps the package's tests fast.
var fixtureDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rescore-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type fixture struct {
	book    *datasets.Book
	scorer  *scoring.Scorer
	version string
	hs      []*datasets.History
}

var (
	fixtureOnce sync.Once
	shared      fixture
	fixtureErr  error
)

// fixtureCustomers is the size of the synthetic book, written in three
// parts so that scanning runs several readers.
const fixtureCustomers = 1200

// testFixture generates a synthetic book, trains a logistic model on it,
// registers the model and loads it back as the command would.
func testFixture(t testing.TB) *fixture {
	t.Helper()
	fixtureOnce.Do(func() { shared, fixtureErr = buildFixture() })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return &shared
}

func buildFixture() (fixture, error) {
	ctx := context.Background()
	dir := filepath.Join(fixtureDir, "book")
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Months, cfg.Seed, cfg.CustomersPerPart = fixtureCustomers, 24, 11, fixtureCustomers/3
	if _, err := synth.Generate(ctx, cfg, dir, "", nil); err != nil {
		return fixture{}, err
	}
	book, err := datasets.Open(dir)
	if err != nil {
		return fixture{}, err
	}
	tc := train.DefaultConfig()
	tc.Families = []string{"logistic"}
	tc.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	res, err := train.Run(ctx, book, tc, nil)
	if err != nil {
		return fixture{}, fmt.Errorf("train: %w", err)
	}
	reg, err := registry.Open(filepath.Join(fixtureDir, "registry"))
	if err != nil {
		return fixture{}, err
	}
	version, err := reg.Add(res.Artifact)
	if err != nil {
		return fixture{}, err
	}
	art, err := catalog.Load(reg, version)
	if err != nil {
		return fixture{}, err
	}
	s, err := scoring.New(art, book.Schema)
	if err != nil {
		return fixture{}, err
	}
	hs, err := book.ReadAll(ctx)
	if err != nil {
		return fixture{}, err
	}
	return fixture{book: book, scorer: s, version: version, hs: hs}, nil
}

// collect is a Sink that keeps every row.
type collect struct{ rows []Row }

func (c *collect) Write(rows []Row) error {
	c.rows = append(c.rows, rows...)
	return nil
}

// runAll scores the fixture's book into memory.
func runAll(t *testing.T, f *fixture, cfg Config) (*Summary, []Row) {
	t.Helper()
	var c collect
	sum, err := Run(context.Background(), f.book, f.scorer, cfg, &c)
	if err != nil {
		t.Fatal(err)
	}
	return sum, c.rows
}

// hasHistoryBefore is the rule for a row as the spec states it: an
// invoice issued or a statement period ended before asOf.
func hasHistoryBefore(h *datasets.History, asOf datasets.Date) bool {
	for _, inv := range h.Invoices {
		if inv.IssueDate < asOf {
			return true
		}
	}
	for _, st := range h.Statements {
		if st.PeriodEnd < asOf {
			return true
		}
	}
	return false
}
