package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/serve/creditpb"
)

func (a *app) ingestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest --addr HOST:PORT DELTA [--tolerant] [--batch 1000]",
		Short: "Send a day's changed rows of a book to a live Credence server as events",
		Long: "Read DELTA, a directory in the book layout holding any of the tables invoices, statements,\n" +
			"customers and defaults (new and changed rows, in any order), and send every row to the server's\n" +
			"live book: an invoices row is an invoice_row event (a row that reappears with paid_date is the\n" +
			"invoice's payment), a statements row statement_posted, a customers row attributes_updated (empty\n" +
			"values leave an attribute as it was), a defaults row default_recorded. Events are idempotent: a\n" +
			"retried delta changes nothing. Prints what was accepted, unchanged and refused, with the file,\n" +
			"row and column of each refusal; exits 1 when a row was refused unless --tolerant.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			batch := a.v.GetInt("batch")
			if batch < 1 {
				return usagef("--batch: %d; want at least 1", batch)
			}
			d, err := openDelta(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var res *ingestResult
			err = a.callFor(cmd.Context(), a.v.GetDuration("timeout"), func(ctx context.Context, c creditpb.CredenceServiceClient) error {
				res, err = d.send(ctx, c, batch)
				return err
			})
			if res == nil {
				return err
			}
			a.printIngest(args[0], res)
			if err != nil {
				return err
			}
			if n := len(res.refusals); n > 0 && !a.v.GetBool("tolerant") {
				return fmt.Errorf("%d of %d rows refused", n, res.rows)
			}
			return nil
		},
	}
	a.clientFlagsTimeout(cmd, 10*time.Minute)
	f := cmd.Flags()
	f.Bool("tolerant", false, "exit 0 even when rows were refused (each is still reported)")
	f.Int("batch", 1000, "events per message of the stream")
	return cmd
}

// deltaTables are the tables ingest reads, in the order it sends them.
var deltaTables = []datasets.Table{datasets.Customers, datasets.Invoices, datasets.Statements, datasets.Defaults}

// delta is a directory of changed rows.
type delta struct {
	ctx    context.Context
	dir    string
	files  map[datasets.Table][]string
	schema datasets.CustomerSchema
}

// openDelta finds the tables of dir and checks that each file opens with
// its required columns, so that a malformed delta sends nothing.
func openDelta(ctx context.Context, dir string) (*delta, error) {
	d := &delta{ctx: ctx, dir: dir, files: map[datasets.Table][]string{}}
	n := 0
	for _, t := range deltaTables {
		files, err := datasets.TableFiles(dir, t)
		if err != nil {
			return nil, err
		}
		d.files[t] = files
		n += len(files)
	}
	if n == 0 {
		return nil, fmt.Errorf("ingest %s: no invoices, statements, customers or defaults table (want e.g. invoices.csv or invoices/part-00000.parquet)", dir)
	}
	if len(d.files[datasets.Customers]) > 0 {
		b, err := datasets.Open(dir)
		if err != nil {
			return nil, err
		}
		d.schema = b.Schema
	}
	for _, t := range deltaTables {
		for _, path := range d.files[t] {
			cols, required := tableColumns(t)
			tf, err := datasets.OpenTable(ctx, path, cols)
			if err != nil {
				return nil, err
			}
			err = tf.Require(required)
			tf.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// tableColumns are the columns read of table t (nil: all) and how many of
// the first are required.
func tableColumns(t datasets.Table) ([]string, int) {
	switch t {
	case datasets.Invoices:
		return datasets.InvoiceColumns, 5
	case datasets.Statements:
		return datasets.StatementColumns, 3
	case datasets.Defaults:
		return []string{"customer_id", "default_date", "reason"}, 2
	}
	return []string{"customer_id"}, 1
}

// rowRef locates the row an event came from.
type rowRef struct {
	file int // index in ingestResult.files
	row  int64
}

// refusal is a row that was not applied: unreadable here, or refused by
// the server.
type refusal struct {
	rowRef
	column, customer, message string
}

type ingestResult struct {
	files               []string
	rows                int64
	accepted, unchanged int64
	dataDate            string
	refusals            []refusal
}

// send reads every row and streams the events in batches.
func (d *delta) send(ctx context.Context, c creditpb.CredenceServiceClient, batchSize int) (*ingestResult, error) {
	res := &ingestResult{}
	stream, err := c.IngestStream(ctx)
	if err != nil {
		return nil, err
	}
	var refs []rowRef // refs[i]: the row of the stream's event i
	batch := make([]*creditpb.Event, 0, batchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := stream.Send(&creditpb.IngestStreamRequest{Events: batch})
		batch = batch[:0]
		return err
	}
	// A file that cannot be read to its end stops the reading; what was
	// sent is still answered for, then the error is returned.
	var readErr, sendErr error
tables:
	for _, t := range deltaTables {
		for _, path := range d.files[t] {
			res.files = append(res.files, path)
			file := len(res.files) - 1
			readErr = d.readTable(t, path, func(row int64, ev *creditpb.Event, rerr error) error {
				res.rows++
				if rerr != nil {
					var ie *datasets.InputError
					r := refusal{rowRef: rowRef{file, row}, message: rerr.Error()}
					if errors.As(rerr, &ie) {
						r.column, r.message = ie.Column, ie.Err.Error()
					}
					res.refusals = append(res.refusals, r)
					return nil
				}
				refs = append(refs, rowRef{file, row})
				batch = append(batch, ev)
				if len(batch) == batchSize {
					if sendErr = flush(); sendErr != nil {
						return errStop
					}
				}
				return nil
			})
			if readErr != nil {
				break tables
			}
		}
	}
	if errors.Is(readErr, errStop) {
		readErr = nil
	}
	if sendErr == nil {
		sendErr = flush()
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		// A failed Send says io.EOF; the stream's status says why.
		return nil, err
	}
	if sendErr != nil {
		return nil, sendErr
	}
	res.accepted, res.unchanged, res.dataDate = resp.GetAccepted(), resp.GetUnchanged(), creditpb.DateString(resp.GetDataDate())
	for _, r := range resp.GetRefusals() {
		ref := rowRef{file: -1}
		if i := r.GetIndex(); i >= 0 && i < int64(len(refs)) {
			ref = refs[i]
		}
		res.refusals = append(res.refusals, refusal{rowRef: ref, column: columnOf(r.GetField()), customer: r.GetCustomerId(), message: r.GetMessage()})
	}
	slices.SortStableFunc(res.refusals, func(x, y refusal) int {
		return cmp.Or(cmp.Compare(x.file, y.file), cmp.Compare(x.row, y.row))
	})
	return res, readErr
}

// errStop ends reading when the stream failed.
var errStop = errors.New("stop")

var bracketed = regexp.MustCompile(`\[\"?([^"\]]*)\"?\]$`)

// columnOf turns an event field the server names ("invoice_row.due_date",
// `attributes_updated.numeric_attributes[net_worth]`) into the delta's
// column.
func columnOf(field string) string {
	if m := bracketed.FindStringSubmatch(field); m != nil {
		return m[1]
	}
	if _, rest, ok := strings.Cut(field, "."); ok {
		return rest
	}
	return field
}

// readTable calls fn with each row of path as an event, or with the error
// that made the row unreadable (an *datasets.InputError naming its column).
// An error of the file as a whole, or one fn returns, stops it.
func (d *delta) readTable(t datasets.Table, path string, fn func(row int64, ev *creditpb.Event, err error) error) error {
	cols, _ := tableColumns(t)
	if t == datasets.Customers {
		cols = nil
	}
	tf, err := datasets.OpenTable(d.ctx, path, cols)
	if err != nil {
		return err
	}
	defer tf.Close()
	for tf.Next() {
		ev, err := d.event(t, tf)
		if err := fn(tf.Row(), ev, err); err != nil {
			return err
		}
	}
	return tf.Err()
}

// event converts the current row of tf, a row of table t.
func (d *delta) event(t datasets.Table, tf *datasets.TableFile) (*creditpb.Event, error) {
	r := &rowReader{tf: tf}
	switch t {
	case datasets.Invoices:
		inv := &creditpb.Invoice{InvoiceId: r.str(1), IssueDate: r.date(2), DueDate: r.date(3), PaidDate: r.date(5), CurrencyCode: r.str(7)}
		if x := r.amount(4); x != nil {
			inv.Amount = *x
		}
		inv.PaidAmount = r.amount(6)
		if r.err == nil {
			inv.Disputed, r.err = tf.Bool(8)
		}
		return &creditpb.Event{CustomerId: r.str(0), Kind: &creditpb.Event_InvoiceRow{InvoiceRow: inv}}, r.err
	case datasets.Statements:
		st := &creditpb.Statement{PeriodEnd: r.date(1), Status: r.str(3), Balance: r.amount(4), CreditLimit: r.amount(5), Payment: r.amount(6)}
		if r.err == nil && !tf.Null(2) {
			var dpd int64
			if dpd, r.err = tf.Int(2); r.err == nil {
				if dpd < math.MinInt32 || dpd > math.MaxInt32 {
					r.err = tf.Errorf(2, "%d is out of range", dpd)
				}
				st.DaysPastDue = proto.Int32(int32(dpd))
			}
		}
		return &creditpb.Event{CustomerId: r.str(0), Kind: &creditpb.Event_StatementPosted{StatementPosted: st}}, r.err
	case datasets.Defaults:
		def := &creditpb.Default{DefaultDate: r.date(1), Reason: r.str(2)}
		return &creditpb.Event{CustomerId: r.str(0), Kind: &creditpb.Event_DefaultRecorded{DefaultRecorded: def}}, r.err
	}
	// customers: every column but customer_id, numeric or categorical as
	// the delta's customers table says; empty values are left out.
	attrs := &creditpb.Attributes{Numeric: map[string]float64{}, Categorical: map[string]string{}}
	id := ""
	for j, name := range tf.Columns() {
		if r.err != nil || tf.Null(j) {
			continue
		}
		switch {
		case name == "customer_id":
			id = r.str(j)
		case d.schema.NumericIndex(name) >= 0:
			var x float64
			if x, r.err = tf.Float(j); r.err == nil && !math.IsNaN(x) {
				attrs.Numeric[name] = x
			}
		default:
			attrs.Categorical[name] = r.str(j)
		}
	}
	return &creditpb.Event{CustomerId: id, Kind: &creditpb.Event_AttributesUpdated{AttributesUpdated: attrs}}, r.err
}

// rowReader reads values of one row, keeping the first error.
type rowReader struct {
	tf  *datasets.TableFile
	err error
}

func (r *rowReader) str(j int) string {
	if r.err != nil {
		return ""
	}
	var s string
	s, r.err = r.tf.String(j)
	return s
}

func (r *rowReader) date(j int) *date.Date {
	if r.err != nil {
		return nil
	}
	var d datasets.Date
	d, r.err = r.tf.Date(j)
	return creditpb.DateOf(d)
}

// amount is nil when the value is null.
func (r *rowReader) amount(j int) *float64 {
	if r.err != nil {
		return nil
	}
	var x datasets.Amount
	if x, r.err = r.tf.Amount(j); r.err != nil || x == datasets.NoAmount {
		return nil
	}
	return proto.Float64(x.Float())
}

func (a *app) printIngest(dir string, r *ingestResult) {
	refused := len(r.refusals)
	fmt.Fprintf(a.stdout, "ingested %s: %d rows, %d accepted, %d unchanged, %d refused", dir, r.rows, r.accepted, r.unchanged, refused)
	if r.dataDate != "" {
		fmt.Fprintf(a.stdout, "; data date %s", r.dataDate)
	}
	fmt.Fprintln(a.stdout)
	for _, x := range r.refusals {
		e := &datasets.InputError{File: "stream", Row: x.row, Column: x.column, Err: errors.New(x.message)}
		if x.file >= 0 {
			e.File = r.files[x.file]
		}
		line := "  " + e.Error()
		if x.customer != "" {
			line += " (customer " + x.customer + ")"
		}
		fmt.Fprintln(a.stdout, line)
	}
}
