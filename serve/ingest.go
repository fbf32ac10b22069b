package serve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"google.golang.org/genproto/googleapis/type/date"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/serve/store"
)

// Ingest applies a batch of events to the live store.
func (s *Server) Ingest(ctx context.Context, req *creditpb.IngestRequest) (*creditpb.IngestResponse, error) {
	resp := &creditpb.IngestResponse{}
	if err := s.ingest(req.GetEvents(), 0, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// IngestStream applies each batch of the stream as it arrives.
func (s *Server) IngestStream(stream creditpb.CredenceService_IngestStreamServer) error {
	resp := &creditpb.IngestResponse{}
	var offset int64
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(&creditpb.IngestStreamResponse{Accepted: resp.Accepted, Unchanged: resp.Unchanged,
				Refused: resp.Refused, Refusals: resp.Refusals, DataDate: resp.DataDate})
		}
		if err != nil {
			return err
		}
		if err := s.ingest(req.GetEvents(), offset, resp); err != nil {
			return err
		}
		offset += int64(len(req.GetEvents()))
	}
}

// ingest converts, applies and counts events; offset is the position of
// the first in the caller's stream.
func (s *Server) ingest(events []*creditpb.Event, offset int64, resp *creditpb.IngestResponse) error {
	first := len(resp.Refusals)
	defer func() {
		// Refusals in event order, whichever check refused them.
		slices.SortStableFunc(resp.Refusals[first:], func(a, b *creditpb.Refusal) int { return cmp.Compare(a.Index, b.Index) })
	}()
	if s.live == nil {
		return &kindError{kind: ErrNotLive, msg: "the server reads a book held in memory: start it with --store to take events"}
	}
	evs := make([]store.Event, 0, len(events))
	pos := make([]int, 0, len(events)) // evs[k] is events[pos[k]]
	refuse := func(i int, ev *creditpb.Event, field, msg string) {
		resp.Refused++
		resp.Refusals = append(resp.Refusals, &creditpb.Refusal{Index: offset + int64(i), EventId: ev.GetEventId(),
			CustomerId: truncate(ev.GetCustomerId(), 256), Field: field, Message: msg})
	}
	plausible := s.live.Meta().Book.PlausibleDates(datasets.DateOf(time.Now()))
	for i, ev := range events {
		err := finite("", ev)
		var e store.Event
		if err == nil {
			e, err = eventOf(ev)
		}
		if err == nil {
			err = plausibleEvent(ev, &e, plausible)
		}
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				refuse(i, ev, fe.Field, fe.Reason)
				continue
			}
			return err
		}
		evs = append(evs, e)
		pos = append(pos, i)
	}
	applied, err := s.live.Apply(evs)
	if err != nil {
		return err
	}
	accepted := make([]*store.Event, 0, len(applied.Outcomes))
	var unchanged, refused int
	for k, o := range applied.Outcomes {
		switch o.Status {
		case store.Accepted:
			resp.Accepted++
			accepted = append(accepted, &evs[k])
		case store.Unchanged:
			resp.Unchanged++
			unchanged++
		case store.Refused:
			refused++
			i := pos[k]
			field := o.Err.Field
			if prefix := eventField(events[i]); prefix != "" && field != "customer_id" {
				field = prefix + "." + trimKindPrefix(field)
			}
			refuse(i, events[i], field, o.Err.Err.Error())
		}
	}
	s.alerts.note(accepted...)
	refused += len(events) - len(evs)
	for st, n := range map[store.Status]int{store.Accepted: len(accepted), store.Unchanged: unchanged, store.Refused: refused} {
		if n > 0 {
			s.metrics.events.WithLabelValues(st.String()).Add(float64(n))
		}
	}
	if applied.DataDate != applied.Previous {
		s.alerts.roll(applied.Previous, applied.DataDate)
		s.warmPortfolio(applied.Previous, applied.DataDate)
	}
	resp.DataDate = creditpb.DateOf(applied.DataDate)
	return nil
}

// truncate keeps what echoes back of caller input short.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// trimKindPrefix drops the store's "invoice." from a field the API names
// under the event's kind.
func trimKindPrefix(field string) string {
	for _, p := range []string{"invoice.", "statement."} {
		if len(field) > len(p) && field[:len(p)] == p {
			return field[len(p):]
		}
	}
	return field
}

// eventField is the API name of the event's kind field.
func eventField(ev *creditpb.Event) string {
	switch ev.GetKind().(type) {
	case *creditpb.Event_InvoiceIssued:
		return "invoice_issued"
	case *creditpb.Event_PaymentReceived:
		return "payment_received"
	case *creditpb.Event_InvoiceDisputed:
		return "invoice_disputed"
	case *creditpb.Event_DisputeResolved:
		return "dispute_resolved"
	case *creditpb.Event_CreditNote:
		return "credit_note"
	case *creditpb.Event_WriteOff:
		return "write_off"
	case *creditpb.Event_StatementPosted:
		return "statement_posted"
	case *creditpb.Event_DefaultRecorded:
		return "default_recorded"
	case *creditpb.Event_DefaultCured:
		return "default_cured"
	case *creditpb.Event_AttributesUpdated:
		return "attributes_updated"
	case *creditpb.Event_InvoiceRow:
		return "invoice_row"
	}
	return ""
}

// eventOf converts an API event; a malformed one is a FieldError named in
// the API's terms.
func eventOf(ev *creditpb.Event) (store.Event, error) {
	e := store.Event{ID: ev.GetEventId(), CustomerID: ev.GetCustomerId(), Date: datasets.NoDate, Amount: datasets.NoAmount}
	if e.CustomerID == "" {
		return e, badField("customer_id", "required")
	}
	f := eventField(ev)
	var err error
	invoice := func(in *creditpb.Invoice, withPayment bool) error {
		e.Invoice = datasets.Invoice{CustomerID: e.CustomerID, InvoiceID: in.GetInvoiceId(), Currency: in.GetCurrencyCode(), Disputed: in.GetDisputed(),
			PaidDate: datasets.NoDate, PaidAmount: datasets.NoAmount, Amount: datasets.NoAmount}
		if e.Invoice.InvoiceID == "" {
			return badField(f+".invoice_id", "required")
		}
		if e.Invoice.IssueDate, err = requiredDay(f+".issue_date", in.GetIssueDate()); err != nil {
			return err
		}
		if e.Invoice.DueDate, err = requiredDay(f+".due_date", in.GetDueDate()); err != nil {
			return err
		}
		if e.Invoice.Amount, err = amountOf(f+".amount", in.GetAmount(), true); err != nil {
			return err
		}
		if !withPayment {
			if in.GetPaidDate() != nil || in.PaidAmount != nil {
				return badField(f+".paid_date", "an issued invoice is not paid yet: send payment_received")
			}
			return nil
		}
		if e.Invoice.PaidDate, err = dayOf(f+".paid_date", in.GetPaidDate()); err != nil {
			return err
		}
		if in.PaidAmount != nil {
			if e.Invoice.PaidAmount, err = amountOf(f+".paid_amount", in.GetPaidAmount(), false); err != nil {
				return err
			}
		}
		return nil
	}
	change := func(invoiceID string, date *date.Date) error {
		e.Invoice = datasets.Invoice{CustomerID: e.CustomerID, InvoiceID: invoiceID}
		if invoiceID == "" {
			return badField(f+".invoice_id", "required")
		}
		e.Date, err = requiredDay(f+".date", date)
		return err
	}
	payment := func(p *creditpb.Payment) error {
		if err := change(p.GetInvoiceId(), p.GetDate()); err != nil {
			return err
		}
		if p.Amount != nil {
			e.Amount, err = amountOf(f+".amount", p.GetAmount(), true)
		}
		return err
	}
	switch k := ev.GetKind().(type) {
	case *creditpb.Event_InvoiceIssued:
		e.Kind = store.InvoiceIssued
		err = invoice(k.InvoiceIssued, false)
	case *creditpb.Event_InvoiceRow:
		e.Kind = store.LedgerRow
		err = invoice(k.InvoiceRow, true)
	case *creditpb.Event_PaymentReceived:
		e.Kind = store.PaymentReceived
		err = payment(k.PaymentReceived)
	case *creditpb.Event_CreditNote:
		e.Kind = store.CreditNote
		err = payment(k.CreditNote)
	case *creditpb.Event_InvoiceDisputed:
		e.Kind = store.InvoiceDisputed
		err = change(k.InvoiceDisputed.GetInvoiceId(), k.InvoiceDisputed.GetDate())
	case *creditpb.Event_DisputeResolved:
		e.Kind = store.DisputeResolved
		err = change(k.DisputeResolved.GetInvoiceId(), k.DisputeResolved.GetDate())
	case *creditpb.Event_WriteOff:
		e.Kind = store.WriteOff
		err = change(k.WriteOff.GetInvoiceId(), k.WriteOff.GetDate())
	case *creditpb.Event_StatementPosted:
		e.Kind = store.StatementPosted
		in := k.StatementPosted
		st := datasets.Statement{CustomerID: e.CustomerID, Status: in.GetStatus(), DaysPastDue: datasets.UnknownDaysPastDue}
		if st.PeriodEnd, err = requiredDay(f+".period_end", in.GetPeriodEnd()); err != nil {
			break
		}
		if in.DaysPastDue != nil {
			if in.GetDaysPastDue() < 0 {
				err = badField(f+".days_past_due", "%d is negative", in.GetDaysPastDue())
				break
			}
			st.DaysPastDue = in.GetDaysPastDue()
		}
		if st.Balance, err = optionalAmount(f+".balance", in.Balance); err != nil {
			break
		}
		if st.CreditLimit, err = optionalAmount(f+".credit_limit", in.CreditLimit); err != nil {
			break
		}
		if st.Payment, err = optionalAmount(f+".payment", in.Payment); err != nil {
			break
		}
		e.Statement = st
	case *creditpb.Event_DefaultRecorded:
		e.Kind = store.DefaultRecorded
		e.Date, err = requiredDay(f+".default_date", k.DefaultRecorded.GetDefaultDate())
		e.Reason = k.DefaultRecorded.GetReason()
	case *creditpb.Event_DefaultCured:
		e.Kind = store.DefaultCured
		e.Date, err = requiredDay(f+".default_date", k.DefaultCured.GetDefaultDate())
	case *creditpb.Event_AttributesUpdated:
		e.Kind = store.AttributesUpdated
		e.Numeric, e.Categorical = k.AttributesUpdated.GetNumeric(), k.AttributesUpdated.GetCategorical()
		for name, x := range e.Numeric {
			if math.IsInf(x, 0) {
				err = badField(fmt.Sprintf("%s.numeric[%q]", f, name), "%v is not a number (NaN when unknown)", x)
			}
		}
	default:
		err = badField("kind", "required: one of invoice_issued, payment_received, invoice_disputed, dispute_resolved, credit_note, write_off, statement_posted, default_recorded, default_cured, attributes_updated, invoice_row")
	}
	return e, err
}

// plausibleEvent refuses an event with a date outside the book's plausible
// range (book.yaml's plausible_from/plausible_until, else 1950-01-01 to five
// years after today), as the book readers refuse such a row: one invoice
// dated 9999-12-01 would move the data date, and every score, to 9999.
func plausibleEvent(ev *creditpb.Event, e *store.Event, r datasets.DateRange) error {
	f := eventField(ev)
	dateField := ".date"
	switch ev.GetKind().(type) {
	case *creditpb.Event_DefaultRecorded, *creditpb.Event_DefaultCured:
		dateField = ".default_date"
	}
	for _, d := range []struct {
		field string
		date  datasets.Date
	}{
		{".issue_date", e.Invoice.IssueDate}, {".due_date", e.Invoice.DueDate}, {".paid_date", e.Invoice.PaidDate},
		{dateField, e.Date}, {".period_end", e.Statement.PeriodEnd},
	} {
		if d.date == datasets.NoDate || d.date == 0 { // 0: a field the event's kind leaves unset
			continue
		}
		if err := r.Check(d.date); err != nil {
			return badField(f+d.field, "%v", err)
		}
	}
	return nil
}

// warmPortfolio starts, in the background, the pass that computes the
// portfolio context of the new month when the data date rolls into one,
// for the champion and the shadow: scores wait for it only while it runs.
func (s *Server) warmPortfolio(from, to datasets.Date) {
	asOf := to + 1
	if features.PortfolioDate(from+1) == features.PortfolioDate(asOf) {
		return
	}
	for _, m := range []*model{s.champion.Load(), s.shadow.Load()} {
		if m == nil || !m.scorer.Set.HasPortfolio() {
			continue
		}
		go func() {
			if _, err := m.scorer.Portfolio(asOf); err != nil {
				s.log.Warn("portfolio context", "model", m.version, "as_of", asOf.String(), "err", err)
			}
		}()
	}
}
