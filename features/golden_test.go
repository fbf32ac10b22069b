package features

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenSet is the feature set of the golden files: default windows, the
// test schema, and levels counted over a few customers and statements.
func goldenSet(t *testing.T) *Set {
	c := NewLevelCounter(testSchema)
	for _, cat := range [][]string{{"retail", "DE"}, {"retail", "FR"}, {"mining", "DE"}} {
		c.Add(&datasets.Customer{Categorical: cat})
	}
	c.AddStatements([]datasets.Statement{{Status: "C"}, {Status: "X"}, {Status: "0"}})
	return mustSet(t, DefaultConfig(), testSchema, c)
}

// uciStatements are six monthly statements laid out as the UCI Taiwan
// importer writes them: status = the PAY code, dpd = max(PAY, 0) × 30.
func uciStatements() []datasets.Statement {
	pay := []int{-1, 0, 0, 1, 2, 2} // April … September 2005
	bill := []float64{3102, 689, 0, 2000, 3500, 3900}
	paid := []float64{689, 0, 0, 0, 200, 0}
	var out []datasets.Statement
	for i, p := range pay {
		out = append(out, datasets.Statement{
			PeriodEnd:   ymd(2005, 4, 30).AddMonths(i).MonthEnd(),
			DaysPastDue: int32(30 * max(p, 0)),
			Status:      strconv.Itoa(p),
			Balance:     amt(bill[i]),
			CreditLimit: amt(20000),
			Payment:     amt(paid[i]),
		})
	}
	return out
}

// cardStatements are monthly statements with the codes of the credit card
// approval data: 0 … 5 by 30 days past due, C paid off, X no loan.
func cardStatements() []datasets.Statement {
	codes := []string{"X", "C", "C", "0", "1", "0", "C", "2", "3", "X", "C", "4", "5", "C"}
	var out []datasets.Statement
	for i, c := range codes {
		dpd := datasets.UnknownDaysPastDue
		switch c {
		case "C":
			dpd = 0
		case "X":
		default:
			n, _ := strconv.Atoi(c)
			dpd = int32(30*n + 1) // 1–29 is "0", 30–59 is "1", …
		}
		out = append(out, datasets.Statement{
			PeriodEnd:   ymd(2023, 1, 31).AddMonths(i).MonthEnd(),
			DaysPastDue: dpd,
			Status:      c,
			Balance:     datasets.NoAmount,
			CreditLimit: datasets.NoAmount,
			Payment:     datasets.NoAmount,
		})
	}
	return out
}

type goldenCase struct {
	name string
	h    *datasets.History
	asOf datasets.Date
}

func goldenCases() []goldenCase {
	r := rand.New(rand.NewPCG(42, 42))
	random := randomHistory(r)
	for len(random.Invoices) < 10 || len(random.Statements) < 10 || random.Customer == nil {
		random = randomHistory(r)
	}
	return []goldenCase{
		{"no_history", nil, ymd(2024, 7, 1)},
		{"ledger", &datasets.History{
			Customer: &datasets.Customer{Numeric: []float64{2.5e6, math.NaN()}, Categorical: []string{"construction", "DE"}},
			Invoices: handInvoices(),
		}, ymd(2024, 7, 1)},
		{"ledger_before_first_invoice", &datasets.History{Invoices: handInvoices()}, ymd(2023, 3, 1)},
		{"ledger_all_paid_long_ago", &datasets.History{Invoices: handInvoices()[:2]}, ymd(2026, 1, 1)},
		{"uci_statements", &datasets.History{
			Customer:   &datasets.Customer{Numeric: []float64{math.NaN(), 20000}, Categorical: []string{"", ""}},
			Statements: uciStatements(),
		}, ymd(2005, 10, 1)},
		{"uci_statements_month_end", &datasets.History{Statements: uciStatements()}, ymd(2005, 9, 30)},
		{"card_statements", &datasets.History{Statements: cardStatements()}, ymd(2024, 3, 1)},
		{"card_statements_paid_off", &datasets.History{Statements: cardStatements()[:4]}, ymd(2023, 5, 1)},
		{"random", random, genStart.AddMonths(26)},
	}
}

func formatGolden(s *Set, c goldenCase, v []float64) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s as of %s, feature set %s\n", c.name, c.asOf, s.Version)
	for i, name := range s.names {
		x := "NaN"
		if !math.IsNaN(v[i]) {
			x = strconv.FormatFloat(v[i], 'f', 6, 64)
		}
		fmt.Fprintf(&b, "%-32s %s\n", name, x)
	}
	return b.Bytes()
}

// TestGolden pins every feature of small hand-made histories. Run
// go test ./features -run TestGolden -update to rewrite the files after a
// deliberate change, and review the diff.
func TestGolden(t *testing.T) {
	s := goldenSet(t)
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			got := formatGolden(s, c, s.Build(c.h, c.asOf, nil))
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("features differ from %s (run with -update after a deliberate change):\n%s", path, lineDiff(want, got))
			}
		})
	}
}

// lineDiff lists the lines that differ, by line number.
func lineDiff(want, got []byte) string {
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	var b bytes.Buffer
	for i := range max(len(w), len(g)) {
		var wl, gl []byte
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if !bytes.Equal(wl, gl) {
			fmt.Fprintf(&b, "line %d:\n  got  %s\n  want %s\n", i+1, gl, wl)
		}
	}
	return b.String()
}
