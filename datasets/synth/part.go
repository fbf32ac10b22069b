package synth

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"

	"github.com/credence-risk/credence/datasets"
)

// CustomerSchema is the attribute layout of a synthetic book's customers table.
var CustomerSchema = datasets.CustomerSchema{
	Numeric:     []string{"annual_revenue", "net_worth", "working_capital", "current_limit", "years_in_business"},
	Categorical: []string{"industry", "country", "size", "segment"},
}

// Rows handed to a writer at once: large enough to amortise the call, small
// enough to keep a worker's memory flat.
const (
	invoiceBatch  = 8192
	customerBatch = 1024
)

const amountSigma = 0.6 // log-sd of invoice amounts around the customer's mean

// partTruth is the truth of one part, kept compactly until the truth writer
// reaches it: customer first+j has rows[j] rows, for month ends 0, 1, ….
type partTruth struct {
	first  int
	rows   []uint16
	hazard []float64
	pd     []float64
}

// partResult is what a worker hands over when a part is complete.
type partResult struct {
	part      int
	customers int
	invoices  int
	defaults  int
	truth     *partTruth
}

// generator generates parts one at a time; each worker owns one.
type generator struct {
	md        *model
	outDir    string
	ext       string
	withTruth bool
	groupRows int // rows per Parquet row group (0: the writers')

	c   customer
	rng *rand.Rand

	invoiceIDs  []string // invoiceIDs[n] = invoiceID(n), shared by all customers
	invoices    []datasets.Invoice
	customers   []datasets.Customer
	numeric     []float64
	categorical []string
	defaults    []datasets.Default
	days        []int
}

func newGenerator(md *model, outDir, ext string, withTruth bool) *generator {
	g := &generator{md: md, outDir: outDir, ext: ext, withTruth: withTruth}
	g.c.z = make([]float64, md.months)
	g.rng = rand.New(&g.c.pcg)
	g.invoices = make([]datasets.Invoice, 0, invoiceBatch+64)
	g.numeric = make([]float64, customerBatch*len(CustomerSchema.Numeric))
	g.categorical = make([]string, customerBatch*len(CustomerSchema.Categorical))
	return g
}

// partPath returns the path of table's part k.
func partPath(outDir string, table datasets.Table, k int, ext string) string {
	return filepath.Join(outDir, string(table), fmt.Sprintf("part-%05d%s", k, ext))
}

// part writes part k, customers [first, last). Files are closed into place
// only once the whole part is generated; done receives the path of each file
// in place, so that a failure elsewhere can remove it.
func (g *generator) part(ctx context.Context, k, first, last int, done func(path string)) (res partResult, err error) {
	cw, err := datasets.NewCustomerWriter(partPath(g.outDir, datasets.Customers, k, g.ext), CustomerSchema)
	if err != nil {
		return res, err
	}
	defer cw.Abort()
	iw, err := datasets.NewInvoiceWriter(partPath(g.outDir, datasets.Invoices, k, g.ext))
	if err != nil {
		return res, err
	}
	defer iw.Abort()
	dw, err := datasets.NewDefaultWriter(partPath(g.outDir, datasets.Defaults, k, g.ext))
	if err != nil {
		return res, err
	}
	defer dw.Abort()

	res = partResult{part: k, customers: last - first}
	var truth *partTruth
	if g.withTruth {
		n := last - first
		truth = &partTruth{first: first, rows: make([]uint16, 0, n),
			hazard: make([]float64, 0, n*g.md.months), pd: make([]float64, 0, n*g.md.months)}
		res.truth = truth
	}
	var custRows, invRows, defRows int
	flushInvoices := func() error {
		res.invoices += len(g.invoices)
		err := writeGrouped(iw, g.invoices, g.groupRows, &invRows)
		g.invoices = g.invoices[:0]
		return err
	}
	g.customers, g.defaults = g.customers[:0], g.defaults[:0]
	for i := first; i < last; i++ {
		if (i-first)%256 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		c := &g.c
		g.md.draw(c, g.rng, i)
		g.appendCustomer(c)
		if len(g.customers) == customerBatch {
			if err := writeGrouped(cw, g.customers, g.groupRows, &custRows); err != nil {
				return res, err
			}
			g.customers = g.customers[:0]
		}
		if c.defaultDate != datasets.NoDate {
			g.defaults = append(g.defaults, datasets.Default{CustomerID: c.id, DefaultDate: c.defaultDate, Reason: c.reason})
		}
		if err := g.appendInvoices(c, flushInvoices); err != nil {
			return res, err
		}
		if truth != nil {
			g.md.appendTruth(truth, c)
		}
	}
	if err := writeGrouped(cw, g.customers, g.groupRows, &custRows); err != nil {
		return res, err
	}
	if err := flushInvoices(); err != nil {
		return res, err
	}
	if err := writeGrouped(dw, g.defaults, g.groupRows, &defRows); err != nil {
		return res, err
	}
	res.defaults = len(g.defaults)
	for _, w := range []struct {
		table datasets.Table
		w     interface{ Close() error }
	}{{datasets.Customers, cw}, {datasets.Invoices, iw}, {datasets.Defaults, dw}} {
		if err := w.w.Close(); err != nil {
			return res, err
		}
		done(partPath(g.outDir, w.table, k, g.ext))
	}
	return res, nil
}

// writeGrouped writes rows to w, ending a row group every n rows of the
// file (n = 0: where the writer ends them); written counts the file's rows.
func writeGrouped[T any](w *datasets.Writer[T], rows []T, n int, written *int) error {
	for len(rows) > 0 {
		k := len(rows)
		if n > 0 {
			k = min(k, n-*written%n)
		}
		if err := w.Write(rows[:k]); err != nil {
			return err
		}
		*written += k
		rows = rows[k:]
		if n > 0 && *written%n == 0 {
			if err := w.EndRowGroup(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *generator) appendCustomer(c *customer) {
	j := len(g.customers)
	nn, nc := len(CustomerSchema.Numeric), len(CustomerSchema.Categorical)
	num := g.numeric[j*nn : (j+1)*nn : (j+1)*nn]
	copy(num, []float64{c.revenue, c.netWorth, c.workingCapital, c.limit, c.years})
	cat := g.categorical[j*nc : (j+1)*nc : (j+1)*nc]
	copy(cat, []string{industries[c.industry].name, countries[c.country].code, sizes[c.size].name, c.segment})
	g.customers = append(g.customers, datasets.Customer{CustomerID: c.id, Numeric: num, Categorical: cat})
}

func (g *generator) invoiceID(n int) string {
	for len(g.invoiceIDs) <= n {
		g.invoiceIDs = append(g.invoiceIDs, invoiceID(len(g.invoiceIDs)))
	}
	return g.invoiceIDs[n]
}

// appendInvoices generates c's invoices in issue order, calling flush
// whenever a batch is full.
func (g *generator) appendInvoices(c *customer, flush func() error) error {
	md, r := g.md, g.rng
	seq := 0
	lastMonth := min(c.defaultMonth, md.months-1)
	for m := 0; m <= lastMonth; m++ {
		start := md.monthStart[m]
		days := int(md.monthStart[m+1] - start)
		season := math.Sqrt(seasonality(c.industry, md.moy[m])) // half in counts, half in amounts
		distress := c.distress(start + datasets.Date(days/2))
		n := poisson(r, c.invoicesPerMonth*season*(1-warningSales*distress))
		if n == 0 {
			continue
		}
		g.days = g.days[:0]
		for range n {
			g.days = append(g.days, r.IntN(days))
		}
		slices.Sort(g.days)
		mean := c.monthlySales / c.invoicesPerMonth * season
		for _, day := range g.days {
			issue := start + datasets.Date(day)
			if c.defaultDate != datasets.NoDate && issue >= c.defaultDate {
				break
			}
			seq++
			term := c.term
			if r.Float64() < otherTermShare {
				term = terms[r.IntN(len(terms))]
			}
			due := issue + datasets.Date(term)
			amount := cents(max(minInvoice, mean*math.Exp(amountSigma*r.NormFloat64()-amountSigma*amountSigma/2)))
			inv := datasets.Invoice{CustomerID: c.id, InvoiceID: g.invoiceID(seq), IssueDate: issue, DueDate: due, Amount: amount}
			g.pay(&inv, c, c.z[m])
			g.invoices = append(g.invoices, inv)
			if len(g.invoices) >= invoiceBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// cents rounds x to a whole cent.
func cents(x float64) datasets.Amount {
	return datasets.Amount(math.Round(x*100)) * (datasets.AmountScale / 100)
}

// pay sets inv's payment: when, how much, and whether it was disputed, for a
// customer whose creditworthiness was z when the invoice was issued.
func (g *generator) pay(inv *datasets.Invoice, c *customer, z float64) {
	r := g.rng
	late := countries[c.country].lateDays
	var delay float64
	if r.Float64() < logistic(onTimeBase+onTimeSlope*z-onTimePerLate*late) {
		if r.Float64() < earlyShare {
			delay = -float64(1 + r.IntN(10))
		} else {
			delay = float64(r.IntN(3))
		}
	} else {
		delay = 1 + r.ExpFloat64()*max(3, lateBase-lateSlope*z+late)
	}
	partial := partialBase * (1 + max(0, -z))
	dispute := disputeBase
	if z < -1 {
		dispute *= 2
	}
	if r.Float64() < dispute {
		inv.Disputed = true
		delay += 20 + 30*r.ExpFloat64()
		partial = 0.5
	}
	if d := c.distress(inv.DueDate); d > 0 {
		delay += d * (warningDelay + warningDelayExp*r.ExpFloat64())
		partial += warningPartial * d
	}
	isPartial := r.Float64() < partial
	share := 0.4 + 0.55*r.Float64()

	paid := max(inv.IssueDate, inv.DueDate+datasets.Date(math.Floor(delay)))
	if paid > g.md.end || (c.stopDate != datasets.NoDate && paid >= c.stopDate) {
		inv.PaidDate, inv.PaidAmount = datasets.NoDate, datasets.NoAmount
		return
	}
	inv.PaidDate, inv.PaidAmount = paid, inv.Amount
	if isPartial {
		inv.PaidAmount = min(inv.Amount-datasets.AmountScale/100, max(datasets.AmountScale/100, cents(inv.Amount.Float()*share)))
	}
}

// appendTruth appends c's truth rows: one per month end before its default.
func (md *model) appendTruth(t *partTruth, c *customer) {
	n := min(c.defaultMonth, md.months)
	f := md.cycleFactor[c.industry]
	for m := range n {
		base := md.hazardBase(c.industry, c.z[m])
		survive := 1.0
		for k := 1; k <= pdHorizon; k++ {
			h := 1 / (1 + base*f[m+k])
			if k == 1 {
				t.hazard = append(t.hazard, h)
			}
			survive *= 1 - h
		}
		t.pd = append(t.pd, 1-survive)
	}
	t.rows = append(t.rows, uint16(n))
}
