package serve

import (
	"context"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/serve/rescore"
	"github.com/credence-risk/credence/serve/store"
)

// liveServer serves the fixture's model over a live store loaded with the
// fixture's book.
func liveServer(t *testing.T) (*running, *store.Store, *registry.Registry) {
	t.Helper()
	st := loadedStore(t, getFixture(t).book)
	reg := newRegistry(t, 1)
	srv, err := NewServer(testConfig(nil), reg, NewLive(st))
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, srv, true), st, reg
}

// loadedStore is a live store, closed at the test's end, loaded with book.
func loadedStore(t *testing.T, book *datasets.Book) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Load(context.Background(), book, nil); err != nil {
		t.Fatal(err)
	}
	return st
}

func invoiceIssued(customer, id string, issue, due datasets.Date, amount float64) *creditpb.Event {
	return &creditpb.Event{CustomerId: customer, Kind: &creditpb.Event_InvoiceIssued{InvoiceIssued: &creditpb.Invoice{
		InvoiceId: id, IssueDate: creditpb.DateOf(issue), DueDate: creditpb.DateOf(due), Amount: amount}}}
}

func TestLiveBook(t *testing.T) {
	f := getFixture(t)
	r, st, reg := liveServer(t)
	ctx := ctxT(t)
	id := f.hs[3].CustomerID
	d0 := st.DataDate()

	before, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: id, MaxReasons: 3})
	if err != nil {
		t.Fatal(err)
	}
	if dateString(before.DataDate) != d0.String() || dateString(before.AsOf) != (d0+1).String() {
		t.Fatalf("data date %s as of %s; want %s and the day after", before.DataDate, before.AsOf, d0)
	}

	// A large invoice long overdue, then a statement that moves the data
	// date: the score moves, an overdue alert is raised.
	d1 := d0 + 3
	batch := []*creditpb.Event{
		invoiceIssued(id, "LATE-1", d0-120, d0-100, 250_000),
		{CustomerId: id, EventId: "st-1", Kind: &creditpb.Event_InvoiceIssued{InvoiceIssued: &creditpb.Invoice{
			InvoiceId: "NEW-1", IssueDate: creditpb.DateOf(d1), DueDate: creditpb.DateOf((d1 + 30)), Amount: 1000}}},
	}
	resp, err := r.client.Ingest(ctx, &creditpb.IngestRequest{Events: batch})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Accepted != 2 || resp.Unchanged != 0 || resp.Refused != 0 || dateString(resp.DataDate) != d1.String() {
		t.Fatalf("ingest: %+v; want 2 accepted, data date %s", resp, d1)
	}
	// A retried batch changes nothing.
	if resp, err = r.client.Ingest(ctx, &creditpb.IngestRequest{Events: batch}); err != nil || resp.Unchanged != 2 || resp.Accepted != 0 {
		t.Fatalf("retry: %+v, %v; want 2 unchanged", resp, err)
	}
	// Bad events are refused, naming the field, and change nothing.
	bad := []*creditpb.Event{
		invoiceIssued(id, "BAD-1", d1, d1-1, 10),
		invoiceIssued(id, "BAD-2", d1, d1+1, -10),
		{CustomerId: id, Kind: &creditpb.Event_PaymentReceived{PaymentReceived: &creditpb.Payment{InvoiceId: "NEW-1"}}},
		{Kind: &creditpb.Event_PaymentReceived{PaymentReceived: &creditpb.Payment{InvoiceId: "NEW-1", Date: creditpb.DateOf(d1)}}},
		{CustomerId: id, Kind: &creditpb.Event_PaymentReceived{PaymentReceived: &creditpb.Payment{InvoiceId: "NEW-1", Date: creditpb.DateOf(d1), Amount: proto.Float64(math.NaN())}}},
		{CustomerId: id, Kind: &creditpb.Event_StatementPosted{StatementPosted: &creditpb.Statement{PeriodEnd: creditpb.DateOf(d1), Balance: proto.Float64(math.Inf(1))}}},
		{CustomerId: id, Kind: &creditpb.Event_InvoiceDisputed{InvoiceDisputed: &creditpb.InvoiceChange{InvoiceId: "NEW-1", Date: &date.Date{Year: 24, Month: 2, Day: 1}}}},
		// Calendar dates, but not plausible ones: the data date would move
		// to 9999.
		invoiceIssued(id, "BAD-3", datasets.YMD(9999, 12, 1), datasets.YMD(9999, 12, 31), 10),
		{CustomerId: id, Kind: &creditpb.Event_DefaultRecorded{DefaultRecorded: &creditpb.Default{DefaultDate: &date.Date{Year: 1900, Month: 1, Day: 1}}}},
	}
	resp, err = r.client.Ingest(ctx, &creditpb.IngestRequest{Events: bad})
	if err != nil {
		t.Fatal(err)
	}
	wantFields := []string{"invoice_issued.due_date", "invoice_issued.amount", "payment_received.date", "customer_id",
		"payment_received.amount", "statement_posted.balance", "invoice_disputed.date", "invoice_issued.issue_date",
		"default_recorded.default_date"}
	if resp.Refused != int64(len(bad)) || len(resp.Refusals) != len(bad) {
		t.Fatalf("bad events: %+v", resp)
	}
	for i, ref := range resp.Refusals {
		if ref.Index != int64(i) || ref.Field != wantFields[i] {
			t.Errorf("refusal %d: %+v; want field %s", i, ref, wantFields[i])
		}
	}

	after, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: id, MaxReasons: 3})
	if err != nil {
		t.Fatal(err)
	}
	if dateString(after.DataDate) != d1.String() || after.Pd == before.Pd {
		t.Errorf("after the events: data date %s, PD %v; want %s and a PD other than %v", after.DataDate, after.Pd, d1, before.Pd)
	}

	// The alert arrives on WatchAlerts.
	var got []*creditpb.Alert
	waitFor(t, "an overdue alert", func() bool {
		got = listAlerts(t, r, "")
		for _, a := range got {
			if a.Kind == AlertOverdue && a.CustomerId == id && a.InvoiceId == "LATE-1" {
				return true
			}
		}
		return false
	})
	for _, a := range got {
		if a.After == nil || a.Cursor == "" || a.Detail == "" || a.Cause == "" {
			t.Errorf("alert lacks fields: %+v", a)
		}
	}
	// Resuming after the last cursor gives nothing new.
	if more := listAlerts(t, r, got[len(got)-1].Cursor); len(more) != 0 {
		t.Errorf("after the last cursor: %d alerts", len(more))
	}

	// Events then scores equal a batch rescore of the exported book.
	out := filepath.Join(t.TempDir(), "export")
	if err := st.Export(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	exported, err := datasets.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	art, err := catalog.Load(reg, registry.Champion)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scoring.New(art, exported.Schema)
	if err != nil {
		t.Fatal(err)
	}
	asOf, _, err := rescore.DefaultAsOf(context.Background(), exported, 0)
	if err != nil {
		t.Fatal(err)
	}
	var rows collectRows
	if _, err := rescore.Run(context.Background(), exported, sc, rescore.DefaultConfig(asOf), &rows); err != nil {
		t.Fatal(err)
	}
	if asOf != d1+1 || len(rows) < 100 {
		t.Fatalf("rescore of the export: as of %s, %d rows; want as of %s", asOf, len(rows), d1+1)
	}
	for _, row := range rows {
		s, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: row.CustomerID, MaxReasons: rescore.Reasons})
		if err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(s.Pd) != math.Float64bits(row.PD) || int(s.Grade) != row.Grade || dateString(s.AsOf) != row.AsOf.String() {
			t.Fatalf("%s: live PD %v grade %d as of %s; batch of the export %v grade %d as of %s",
				row.CustomerID, s.Pd, s.Grade, s.AsOf, row.PD, row.Grade, row.AsOf)
		}
	}
}

func listAlerts(t *testing.T, r *running, cursor string) []*creditpb.Alert {
	t.Helper()
	stream, err := r.client.WatchAlerts(ctxT(t), &creditpb.WatchAlertsRequest{Cursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	var out []*creditpb.Alert
	for {
		a, err := stream.Recv()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a.GetAlert())
	}
}

func TestIngestNeedsLiveStore(t *testing.T) {
	r := start(t, testConfig(nil), newRegistry(t, 1), true)
	_, err := r.client.Ingest(ctxT(t), &creditpb.IngestRequest{})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "--store") {
		t.Errorf("ingest without a store: %v; want FailedPrecondition naming --store", err)
	}
}
