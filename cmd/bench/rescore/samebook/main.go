// Command samebook checks that two books hold the same histories, for the
// rescoring benchmark: `credence synth` with the same seed in Parquet and
// in CSV must give the same book, so that both formats and the pandas peer
// (which reads the CSV) score the same customers. Customer attributes are
// compared by column name, since the formats order the columns
// differently. It streams both books in step, in bounded memory.
//
// usage: go run ./cmd/bench/rescore/samebook BOOK_A BOOK_B
package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"

	"github.com/credence-risk/credence/datasets"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: samebook BOOK_A BOOK_B")
		os.Exit(2)
	}
	n, err := compare(context.Background(), os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "samebook:", err)
		os.Exit(1)
	}
	fmt.Printf("%s and %s hold the same %d customers\n", os.Args[1], os.Args[2], n)
}

func compare(ctx context.Context, dirA, dirB string) (int, error) {
	a, err := datasets.Open(dirA)
	if err != nil {
		return 0, err
	}
	b, err := datasets.Open(dirB)
	if err != nil {
		return 0, err
	}
	if !sameNames(a.Schema.Numeric, b.Schema.Numeric) || !sameNames(a.Schema.Categorical, b.Schema.Categorical) {
		return 0, fmt.Errorf("customers columns differ: %v and %v", a.Schema, b.Schema)
	}
	ra, rb := a.Histories(ctx), b.Histories(ctx)
	defer ra.Close()
	defer rb.Close()
	for n := 0; ; n++ {
		ha, errA := ra.Next()
		hb, errB := rb.Next()
		if errA == io.EOF && errB == io.EOF {
			return n, nil
		}
		if errA != nil {
			return n, fmt.Errorf("%s: %w", dirA, errA)
		}
		if errB != nil {
			return n, fmt.Errorf("%s: %w", dirB, errB)
		}
		if why := differ(a.Schema, ha, b.Schema, hb); why != "" {
			return n, fmt.Errorf("customer %d (%s): %s differ", n+1, ha.CustomerID, why)
		}
	}
}

func sameNames(x, y []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(x)), slices.Sorted(slices.Values(y)))
}

// differ names the first part of two histories that differs, or "".
func differ(sa datasets.CustomerSchema, a *datasets.History, sb datasets.CustomerSchema, b *datasets.History) string {
	switch {
	case a.CustomerID != b.CustomerID:
		return "customer ids"
	case !reflect.DeepEqual(a.Invoices, b.Invoices):
		return "invoices"
	case !reflect.DeepEqual(a.Statements, b.Statements):
		return "statements"
	case !reflect.DeepEqual(a.Defaults, b.Defaults):
		return "defaults"
	case !reflect.DeepEqual(a.Observations, b.Observations):
		return "observations"
	case (a.Customer == nil) != (b.Customer == nil):
		return "customers rows"
	}
	if a.Customer == nil {
		return ""
	}
	for _, name := range sa.Numeric {
		x, y := a.Customer.Number(sa, name), b.Customer.Number(sb, name)
		if x != y && !(math.IsNaN(x) && math.IsNaN(y)) {
			return "attribute " + name
		}
	}
	for i, name := range sa.Categorical {
		if a.Customer.Categorical[i] != b.Customer.Categorical[sb.CategoricalIndex(name)] {
			return "attribute " + name
		}
	}
	return ""
}
