// Command quality is the Go half of the model-quality benchmark
// (cmd/bench/quality/run.sh): it splits a book into a development book
// and a held-out book by customer, turns the held-out feature matrix into
// an observations table so that `credence rescore` scores exactly the
// labelled rows, and computes every held-out AUC with its DeLong interval,
// for Credence and the peers alike, with models/eval.
//
//	quality split -book BOOK -dev DEV -held HELD [-seed 1] [-held-share 0.2] [-dev-keep 1]
//	quality observe -book HELD -features HELD.csv -out HELD_OBS
//	quality auc -in PREDICTIONS.csv [-level 0.95]
//
// split assigns each customer to the held-out book when a seeded
// hash of its customer_id falls below -held-share, so the same customers
// are held out on every run and every table of the book (invoices,
// statements, customers, defaults, observations) follows its customer;
// book.yaml is copied to both. -dev-keep below 1 keeps that share of the
// development customers (by a second hash) for a book too large to train
// on in the time allowed; the held-out book is never subsampled.
//
// observe copies a book's tables and writes its observations table from
// the (customer_id, as_of) columns of a `credence features` matrix.
//
// auc reads a CSV whose columns are customer_id, as_of, label and then one
// score per model, and prints each model's AUC with its DeLong interval,
// then the difference between the first model and each other one with its
// paired DeLong interval and p-value; where a customer has several rows
// (a panel), each interval also clustered by customer (Obuchowski), since
// one customer's rows are not independent.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mathext"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/eval"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "split":
		err = runSplit(args)
	case "observe":
		err = runObserve(args)
	case "auc":
		err = runAUC(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quality:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: quality split|observe|auc [flags]")
	os.Exit(2)
}

func runSplit(args []string) error {
	fs := flag.NewFlagSet("split", flag.ExitOnError)
	book := fs.String("book", "", "book to split")
	dev := fs.String("dev", "", "development book to write")
	held := fs.String("held", "", "held-out book to write")
	seed := fs.Uint64("seed", 1, "seed of the customer hash")
	share := fs.Float64("held-share", 0.2, "share of customers held out")
	keep := fs.Float64("dev-keep", 1, "share of development customers kept")
	fs.Parse(args)
	if *book == "" || *dev == "" || *held == "" {
		return errors.New("split: -book, -dev and -held are required")
	}
	b, err := datasets.Open(*book)
	if err != nil {
		return err
	}
	bw, err := newBookWriter(b, *dev)
	if err != nil {
		return err
	}
	hw, err := newBookWriter(b, *held)
	if err != nil {
		bw.abort()
		return err
	}
	r := b.Histories(context.Background())
	defer r.Close()
	var nDev, nHeld, nDropped int
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			bw.abort()
			hw.abort()
			return err
		}
		switch {
		case unit(*seed, "held", h.CustomerID) < *share:
			err = hw.add(h)
			nHeld++
		case *keep >= 1 || unit(*seed, "keep", h.CustomerID) < *keep:
			err = bw.add(h)
			nDev++
		default:
			nDropped++
		}
		if err != nil {
			bw.abort()
			hw.abort()
			return err
		}
	}
	if err := errors.Join(bw.close(b.Meta), hw.close(b.Meta)); err != nil {
		return err
	}
	fmt.Printf("split %s: %d development customers, %d held out, %d development customers left out (-dev-keep %g)\n",
		*book, nDev, nHeld, nDropped, *keep)
	return nil
}

// unit maps (seed, purpose, customer id) to [0, 1): FNV-1a, whose high
// bits barely change with the last bytes of an id, then the SplitMix64
// finaliser to spread them.
func unit(seed uint64, purpose, id string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%s", seed, purpose, id)
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// bookWriter writes the tables a source book has, in its customer order.
type bookWriter struct {
	dir  string
	inv  *datasets.Writer[datasets.Invoice]
	st   *datasets.Writer[datasets.Statement]
	cust *datasets.Writer[datasets.Customer]
	def  *datasets.Writer[datasets.Default]
	obs  *datasets.Writer[datasets.Observation]
}

func newBookWriter(src *datasets.Book, dir string) (*bookWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := &bookWriter{dir: dir}
	path := func(t datasets.Table) string { return filepath.Join(dir, string(t)+".parquet") }
	var err error
	if src.Has(datasets.Invoices) && err == nil {
		w.inv, err = datasets.NewInvoiceWriter(path(datasets.Invoices))
	}
	if src.Has(datasets.Statements) && err == nil {
		w.st, err = datasets.NewStatementWriter(path(datasets.Statements))
	}
	if src.Has(datasets.Customers) && err == nil {
		w.cust, err = datasets.NewCustomerWriter(path(datasets.Customers), src.Schema)
	}
	if src.Has(datasets.Defaults) && err == nil {
		w.def, err = datasets.NewDefaultWriter(path(datasets.Defaults))
	}
	if src.Has(datasets.Observations) && err == nil {
		w.obs, err = datasets.NewObservationWriter(path(datasets.Observations))
	}
	if err != nil {
		w.abort()
		return nil, err
	}
	return w, nil
}

func (w *bookWriter) add(h *datasets.History) error {
	var errs []error
	if w.inv != nil && len(h.Invoices) > 0 {
		errs = append(errs, w.inv.Write(h.Invoices))
	}
	if w.st != nil && len(h.Statements) > 0 {
		errs = append(errs, w.st.Write(h.Statements))
	}
	if w.cust != nil && h.Customer != nil {
		errs = append(errs, w.cust.Write([]datasets.Customer{*h.Customer}))
	}
	if w.def != nil && len(h.Defaults) > 0 {
		errs = append(errs, w.def.Write(h.Defaults))
	}
	if w.obs != nil && len(h.Observations) > 0 {
		rows := make([]datasets.Observation, len(h.Observations))
		for i, d := range h.Observations {
			rows[i] = datasets.Observation{CustomerID: h.CustomerID, AsOf: d}
		}
		errs = append(errs, w.obs.Write(rows))
	}
	return errors.Join(errs...)
}

func (w *bookWriter) close(meta datasets.Meta) error {
	var errs []error
	closeIf := func(c interface{ Close() error }, ok bool) {
		if ok {
			errs = append(errs, c.Close())
		}
	}
	closeIf(w.inv, w.inv != nil)
	closeIf(w.st, w.st != nil)
	closeIf(w.cust, w.cust != nil)
	closeIf(w.def, w.def != nil)
	closeIf(w.obs, w.obs != nil)
	errs = append(errs, datasets.WriteMeta(w.dir, meta))
	return errors.Join(errs...)
}

func (w *bookWriter) abort() {
	if w.inv != nil {
		w.inv.Abort()
	}
	if w.st != nil {
		w.st.Abort()
	}
	if w.cust != nil {
		w.cust.Abort()
	}
	if w.def != nil {
		w.def.Abort()
	}
	if w.obs != nil {
		w.obs.Abort()
	}
}

func runObserve(args []string) error {
	fs := flag.NewFlagSet("observe", flag.ExitOnError)
	book := fs.String("book", "", "book whose tables to copy")
	matrix := fs.String("features", "", "feature matrix (credence features) whose rows become the observations")
	out := fs.String("out", "", "book to write")
	fs.Parse(args)
	if *book == "" || *matrix == "" || *out == "" {
		return errors.New("observe: -book, -features and -out are required")
	}
	b, err := datasets.Open(*book)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, t := range datasets.AllTables {
		if t == datasets.Observations {
			continue
		}
		for _, f := range b.Files(t) {
			rel, err := filepath.Rel(b.Dir, f)
			if err != nil {
				return err
			}
			if err := copyFile(f, filepath.Join(*out, rel)); err != nil {
				return err
			}
		}
	}
	tf, err := datasets.OpenTable(context.Background(), *matrix, []string{"customer_id", "as_of"})
	if err != nil {
		return err
	}
	defer tf.Close()
	if err := tf.Require(2); err != nil {
		return err
	}
	var rows []datasets.Observation
	for tf.Next() {
		id, err := tf.String(0)
		if err != nil {
			return err
		}
		d, err := tf.Date(1)
		if err != nil {
			return err
		}
		rows = append(rows, datasets.Observation{CustomerID: id, AsOf: d})
	}
	if err := tf.Err(); err != nil {
		return err
	}
	slices.SortStableFunc(rows, func(a, b datasets.Observation) int {
		if c := strings.Compare(a.CustomerID, b.CustomerID); c != 0 {
			return c
		}
		return int(a.AsOf) - int(b.AsOf)
	})
	w, err := datasets.NewObservationWriter(filepath.Join(*out, string(datasets.Observations)+".parquet"))
	if err != nil {
		return err
	}
	if err := w.Write(rows); err != nil {
		w.Abort()
		return err
	}
	if err := errors.Join(w.Close(), datasets.WriteMeta(*out, b.Meta)); err != nil {
		return err
	}
	fmt.Printf("observe: %s with %d observations from %s\n", *out, len(rows), *matrix)
	return nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

func runAUC(args []string) error {
	fs := flag.NewFlagSet("auc", flag.ExitOnError)
	in := fs.String("in", "", "CSV: customer_id, as_of, label, then one score column per model")
	level := fs.Float64("level", 0.95, "confidence level of the DeLong interval")
	fs.Parse(args)
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("read %s: %w", *in, err)
	}
	if len(recs) < 2 || len(recs[0]) < 4 || recs[0][2] != "label" {
		return fmt.Errorf("%s: want a header customer_id,as_of,label,MODEL... and rows", *in)
	}
	header, rows := recs[0], recs[1:]
	y := make([]float64, len(rows))
	for i, r := range rows {
		if y[i], err = strconv.ParseFloat(r[2], 64); err != nil {
			return fmt.Errorf("%s row %d: label: %w", *in, i+2, err)
		}
	}
	pos := 0
	for _, v := range y {
		if v == 1 {
			pos++
		}
	}
	// A panel has several rows of some customer: its rows are not
	// independent, and intervals clustered by customer are printed too.
	customers := make([]string, len(rows))
	for i, r := range rows {
		customers[i] = r[0]
	}
	distinct := len(slices.Compact(slices.Sorted(slices.Values(customers))))
	panel := distinct < len(rows)
	fmt.Printf("%s: %d rows, %d customers, %d positive (%.2f%%)\n", *in, len(y), distinct, pos, 100*float64(pos)/float64(len(y)))
	scores := make([][]float64, len(header))
	for j := 3; j < len(header); j++ {
		s := make([]float64, len(rows))
		for i, r := range rows {
			if s[i], err = strconv.ParseFloat(r[j], 64); err != nil || math.IsNaN(s[i]) {
				return fmt.Errorf("%s row %d: %s: %q is not a score", *in, i+2, header[j], r[j])
			}
		}
		if err := eval.Check(y, s, nil); err != nil {
			fmt.Printf("%-24s no AUC: %v\n", header[j], err)
			continue
		}
		scores[j] = s
		auc, se := eval.DeLong(y, s)
		lo, hi := eval.AUCInterval(y, s, *level)
		fmt.Printf("%-24s AUC %.4f [%.4f, %.4f] (DeLong se %.4f)", header[j], auc, lo, hi, se)
		if panel {
			_, se := eval.ClusteredDeLong(y, s, customers)
			lo, hi := eval.AUCIntervalClustered(y, s, customers, *level)
			fmt.Printf("; by customer [%.4f, %.4f] (se %.4f)", lo, hi, se)
		}
		fmt.Println()
	}
	// The first model against each other on the same rows: DeLong's paired
	// test, and where customers have several rows, the same clustered by
	// customer.
	if scores[3] == nil {
		return nil
	}
	z := mathext.NormalQuantile(1 - (1-*level)/2)
	for j := 4; j < len(header); j++ {
		if scores[j] == nil {
			continue
		}
		fmt.Printf("%s − %-14s", header[3], header[j])
		for _, cluster := range [][]string{nil, customers} {
			if cluster != nil && !panel {
				continue
			}
			d, se := eval.PairedDeLong(y, scores[3], scores[j], cluster)
			p := math.Erfc(math.Abs(d/se) / math.Sqrt2)
			if se == 0 { // the same ranking of every default against every non-default
				p = 1
			}
			what := "paired DeLong"
			if cluster != nil {
				what = "by customer"
			}
			fmt.Printf(" %+.4f [%+.4f, %+.4f], p = %.3f (%s)", d, d-z*se, d+z*se, p, what)
		}
		fmt.Println()
	}
	return nil
}
