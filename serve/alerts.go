package serve

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/serve/store"
)

// AlertConfig says when a change in a customer raises an early warning.
type AlertConfig struct {
	// GradeNotches: the grade worsened by at least this many notches.
	// Zero: DefaultConfig's 2; below zero: off.
	GradeNotches int
	// WatchGrade: the customer entered this grade or a worse one (10 is
	// default). Zero: DefaultConfig's 8; below zero: off.
	WatchGrade int
	// PDFactor: the PD rose by at least this factor to at least PDFloor.
	// Zero: DefaultConfig's 2 and 1%; a factor below 1: off.
	PDFactor, PDFloor float64
	// OverdueDays: an invoice passed this many days past due unpaid.
	// Empty: DefaultConfig's 30, 60 and 90.
	OverdueDays []int
}

// Alert kinds.
const (
	AlertGradeWorsened = "grade_worsened"
	AlertWatchGrade    = "watch_grade"
	AlertPDRise        = "pd_rise"
	AlertOverdue       = "overdue"
)

// cause is what made a customer worth a fresh look.
type cause struct {
	kind, id  string
	date      datasets.Date
	invoiceID string
}

// alerter re-scores the customers events touched, compares each with its
// last score and raises alerts; it sweeps for overdue invoices when the
// data date moves. One goroutine (run) does the work, so that ingestion
// acknowledges as soon as events are durable.
type alerter struct {
	s   *Server
	cfg AlertConfig
	// work serializes process: scores are read, compared and replaced.
	work sync.Mutex

	mu      sync.Mutex
	pending map[string]cause
	// rollFrom is the data date before the first unswept move, or NoDate.
	rollFrom, rollTo datasets.Date
	wake             chan struct{}
	// raised is closed and replaced whenever alerts are stored, to wake
	// WatchAlerts streams.
	raised chan struct{}
}

func newAlerter(s *Server, cfg AlertConfig) *alerter {
	return &alerter{s: s, cfg: cfg, pending: map[string]cause{}, rollFrom: datasets.NoDate, rollTo: datasets.NoDate,
		wake: make(chan struct{}, 1), raised: make(chan struct{})}
}

// note queues the customers of applied events at once, so that the work
// sees a batch whole. A customer keeps the earliest dated cause: its
// "before" is the customer as it stood before the first of them.
func (a *alerter) note(evs ...*store.Event) {
	if len(evs) == 0 {
		return
	}
	a.mu.Lock()
	for _, ev := range evs {
		c := cause{kind: ev.Kind.String(), id: ev.ID, date: ev.BusinessDate(), invoiceID: ev.Invoice.InvoiceID}
		if old, ok := a.pending[ev.CustomerID]; ok && old.date != datasets.NoDate && (c.date == datasets.NoDate || c.date >= old.date) {
			continue
		}
		a.pending[ev.CustomerID] = c
	}
	a.mu.Unlock()
	a.poke()
}

// roll queues a sweep for the data date's move from → to.
func (a *alerter) roll(from, to datasets.Date) {
	a.mu.Lock()
	if a.rollFrom == datasets.NoDate || from < a.rollFrom {
		a.rollFrom = from
	}
	a.rollTo = max(a.rollTo, to)
	a.mu.Unlock()
	a.poke()
}

func (a *alerter) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// changed returns a channel closed when alerts are next stored.
func (a *alerter) changed() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.raised
}

// run works until ctx is done.
func (a *alerter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
		}
		if a.s.champion.Load() == nil {
			// Nothing to score with yet: the work waits for a model.
			select {
			case <-ctx.Done():
				return
			case <-time.After(a.s.cfg.ReloadInterval):
				a.poke()
			}
			continue
		}
		a.mu.Lock()
		pending, from, to := a.pending, a.rollFrom, a.rollTo
		a.pending, a.rollFrom, a.rollTo = map[string]cause{}, datasets.NoDate, datasets.NoDate
		a.mu.Unlock()
		if _, _, err := a.process(pending, from, to); err != nil && ctx.Err() == nil {
			a.s.log.Warn("alerts", "err", err)
		}
	}
}

// sweepUntil finds invoices past a threshold by date to (every open one,
// already alerted or not) and processes their customers.
func (a *alerter) sweepUntil(to datasets.Date) (overdue, raised int, err error) {
	return a.process(map[string]cause{}, datasets.NoDate, to)
}

// process re-scores the pending customers and those with invoices that
// crossed an overdue threshold while the data date moved from → to, and
// stores the new scores and the alerts they raise.
func (a *alerter) process(pending map[string]cause, from, to datasets.Date) (overdue, raised int, err error) {
	a.work.Lock()
	defer a.work.Unlock()
	live := a.s.live
	if to != datasets.NoDate {
		for _, days := range a.cfg.OverdueDays {
			found, err := live.OverdueBetween(from, to, days)
			if err != nil {
				return 0, 0, err
			}
			overdue += len(found)
			for _, o := range found {
				if _, ok := pending[o.CustomerID]; !ok {
					pending[o.CustomerID] = cause{kind: "sweep", date: to, invoiceID: o.InvoiceID}
				}
			}
		}
	}
	if len(pending) == 0 {
		return overdue, 0, nil
	}
	m := a.s.champion.Load()
	dataDate := live.DataDate()
	asOf := dataDate + 1
	ids := make([]string, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	scores := make(map[string]store.LastScore, len(ids))
	var alerts []store.Alert
	buf := make([]float64, 0, m.scorer.Set.Len())
	now := time.Now().UnixNano()
	for _, id := range ids {
		// Re-scoring is background work: let a waiting call run first, so
		// that the alerter holding a core for a whole batch does not add
		// to Score's latency (Go preempts a running goroutine only every
		// 10 ms).
		runtime.Gosched()
		c := pending[id]
		h, err := live.History(id)
		if err != nil {
			return overdue, 0, err
		}
		r, err := m.scorer.Score(h, asOf, 3, buf)
		if err != nil {
			return overdue, 0, err
		}
		after := store.LastScore{PD: r.PD, Grade: r.Grade, AsOf: asOf, ModelVersion: m.version}
		for _, x := range r.Reasons {
			after.Reasons = append(after.Reasons, x.Feature)
		}
		before, seen, err := live.LastScore(id)
		if err != nil {
			return overdue, 0, err
		}
		if (!seen || before.ModelVersion != m.version) && c.date != datasets.NoDate && c.date <= dataDate {
			// No score of this model to compare with: the customer as it
			// stood before the day of the event (facts dated before it; a
			// default of that day is the event itself, so the day before).
			b, err := m.scorer.Score(h, c.date, 3, buf)
			if err == nil && b.InDefault {
				b, err = m.scorer.Score(h, c.date-1, 3, buf)
			}
			if err == nil {
				overdue := before.Overdue
				if !seen {
					// Invoices already past a threshold the day before
					// were due an alert then, not now.
					overdue = a.crossed(h, c.date-1)
				}
				before = store.LastScore{PD: b.PD, Grade: b.Grade, AsOf: c.date, ModelVersion: m.version, Overdue: overdue}
				for _, x := range b.Reasons {
					before.Reasons = append(before.Reasons, x.Feature)
				}
				seen = true
			}
		}
		alert := func(kind, invoiceID, detail string) {
			al := store.Alert{CustomerID: id, Kind: kind, DataDate: dataDate, After: after, Event: c.kind, EventID: c.id,
				EventDate: c.date, InvoiceID: invoiceID, Detail: detail, Raised: now}
			if seen {
				b := before
				b.Overdue = nil
				al.Before = &b
				for _, x := range after.Reasons {
					if !slices.Contains(before.Reasons, x) {
						al.ReasonsMoved = append(al.ReasonsMoved, x)
					}
				}
			} else {
				al.ReasonsMoved = after.Reasons
			}
			alerts = append(alerts, al)
		}
		// Scores of another model are not compared: the next event of the
		// customer will be, against this one.
		if comparable := seen && before.ModelVersion == after.ModelVersion; comparable {
			cfg := a.cfg
			switch {
			case cfg.WatchGrade > 0 && after.Grade >= cfg.WatchGrade && before.Grade < cfg.WatchGrade:
				alert(AlertWatchGrade, "", fmt.Sprintf("grade %d → %d: entered the watch list (grade %d or worse)", before.Grade, after.Grade, cfg.WatchGrade))
			case cfg.GradeNotches > 0 && after.Grade-before.Grade >= cfg.GradeNotches:
				alert(AlertGradeWorsened, "", fmt.Sprintf("grade %d → %d (%d notches)", before.Grade, after.Grade, after.Grade-before.Grade))
			case cfg.PDFactor >= 1 && after.PD >= cfg.PDFloor && after.PD >= cfg.PDFactor*before.PD:
				alert(AlertPDRise, "", fmt.Sprintf("PD %.2f%% → %.2f%% (×%.1f)", 100*before.PD, 100*after.PD, after.PD/max(before.PD, 1e-9)))
			}
		}
		// Overdue invoices: each threshold once per invoice.
		after.Overdue = a.crossed(h, dataDate)
		for _, inv := range h.Invoices {
			crossed := after.Overdue[inv.InvoiceID]
			if crossed > before.Overdue[inv.InvoiceID] {
				alert(AlertOverdue, inv.InvoiceID, fmt.Sprintf("invoice %s of %s is %d days past due (due %s), unpaid", inv.InvoiceID,
					inv.Amount, int(dataDate-inv.DueDate), inv.DueDate))
			}
		}
		scores[id] = after
	}
	stored, err := live.Record(scores, alerts)
	if err != nil {
		return overdue, 0, err
	}
	for _, al := range stored {
		a.s.metrics.alerts.WithLabelValues(al.Kind).Inc()
	}
	if len(stored) > 0 {
		a.mu.Lock()
		close(a.raised)
		a.raised = make(chan struct{})
		a.mu.Unlock()
	}
	return overdue, len(stored), nil
}

// crossed returns, for each invoice of h open on date, the highest
// overdue threshold it had passed by then; nil when none had.
func (a *alerter) crossed(h *datasets.History, date datasets.Date) map[string]int {
	var out map[string]int
	for i := range h.Invoices {
		inv := &h.Invoices[i]
		if inv.DueDate == datasets.NoDate || inv.IssueDate > date || (inv.PaidDate != datasets.NoDate && inv.PaidDate <= date) {
			continue
		}
		late := int(date - inv.DueDate)
		top := 0
		for _, d := range a.cfg.OverdueDays {
			if late >= d {
				top = max(top, d)
			}
		}
		if top > 0 {
			if out == nil {
				out = map[string]int{}
			}
			out[inv.InvoiceID] = top
		}
	}
	return out
}

// WatchAlerts streams the alerts after the request's cursor.
func (s *Server) WatchAlerts(req *creditpb.WatchAlertsRequest, stream creditpb.CredenceService_WatchAlertsServer) error {
	if s.live == nil {
		return &kindError{kind: ErrNotLive, msg: "the server reads a book held in memory: alerts need --store"}
	}
	var since uint64
	if c := req.GetCursor(); c != "" {
		var err error
		if since, err = strconv.ParseUint(c, 10, 64); err != nil {
			return badField("cursor", "%q is not a cursor of an alert", truncate(c, 64))
		}
	}
	ctx := stream.Context()
	for {
		wait := s.alerts.changed()
		batch, err := s.live.Alerts(since, 1000)
		if err != nil {
			return err
		}
		for _, a := range batch {
			if err := stream.Send(&creditpb.WatchAlertsResponse{Alert: alertOf(&a)}); err != nil {
				return err
			}
			since = a.Seq
		}
		if len(batch) == 1000 {
			continue
		}
		if !req.GetFollow() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wait:
		}
	}
}

// Sweep looks for invoices past an overdue threshold by a date.
func (s *Server) Sweep(ctx context.Context, req *creditpb.SweepRequest) (*creditpb.SweepResponse, error) {
	if s.live == nil {
		return nil, &kindError{kind: ErrNotLive, msg: "the server reads a book held in memory: the sweep needs --store"}
	}
	if s.champion.Load() == nil {
		return nil, ErrNoModel
	}
	to := s.live.DataDate()
	if req.GetAsOf() != nil {
		d, err := dayOf("as_of", req.GetAsOf())
		if err != nil {
			return nil, err
		}
		if d > to {
			return nil, &kindError{kind: ErrFutureAsOf, msg: fmt.Sprintf("as_of: %s is after the data date %s", d, to)}
		}
		to = d
	}
	overdue, raised, err := s.alerts.sweepUntil(to)
	if err != nil {
		return nil, err
	}
	return &creditpb.SweepResponse{Overdue: int64(overdue), Alerts: int64(raised), SweptUntil: creditpb.DateOf(to)}, nil
}

func alertOf(a *store.Alert) *creditpb.Alert {
	score := func(l *store.LastScore) *creditpb.AlertScore {
		return &creditpb.AlertScore{Pd: l.PD, Grade: int32(l.Grade), AsOf: creditpb.DateOf(l.AsOf), ModelVersion: l.ModelVersion, Reasons: l.Reasons}
	}
	out := &creditpb.Alert{Cursor: strconv.FormatUint(a.Seq, 10), CustomerId: a.CustomerID, Kind: a.Kind, DataDate: creditpb.DateOf(a.DataDate),
		After: score(&a.After), ReasonsMoved: a.ReasonsMoved, Cause: a.Event, EventId: a.EventID, InvoiceId: a.InvoiceID,
		Detail: a.Detail, RaisedAt: timestamppb.New(time.Unix(0, a.Raised))}
	out.CauseDate = creditpb.DateOf(a.EventDate)
	if a.Before != nil {
		out.Before = score(a.Before)
	}
	return out
}
