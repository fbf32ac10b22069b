package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/serve/creditpb"
)

// TestLiveConcurrency ingests from several streams while Score and
// ScoreStream calls, an alert follower, sweeps and model promotions run,
// for the race detector (make race) and for the answers: every event is
// accepted once, every score succeeds, both models serve.
func TestLiveConcurrency(t *testing.T) {
	f := getFixture(t)
	r, st, reg := liveServer(t)
	v1, v2 := "v0001", addModel(t, reg, f.art)
	d0 := st.DataDate()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const (
		streams   = 3
		batches   = 30
		batchSize = 20
	)
	// Background work runs until the ingesters are done and at least
	// minRun has passed.
	const minRun = 1500 * time.Millisecond
	bg, stopBG := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	fail := func(format string, args ...any) {
		select {
		case errs <- fmt.Errorf(format, args...):
		default:
		}
	}
	cancelled := func(err error) bool {
		return bg.Err() != nil && (errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled)
	}

	// Ingesters: new invoices (some long overdue, to raise alerts) and
	// payments against them, for customers the streams share.
	var accepted atomic.Int64
	var ingest sync.WaitGroup
	for g := range streams {
		ingest.Go(func() {
			stream, err := r.client.IngestStream(ctx)
			if err != nil {
				fail("ingest stream %d: %v", g, err)
				return
			}
			for b := range batches {
				var evs []*creditpb.Event
				for k := range batchSize {
					h := f.hs[(g*31+b*7+k)%len(f.hs)]
					inv := fmt.Sprintf("RACE-%d-%d-%d", g, b, k)
					issue := d0 - datasets.Date(100-b)
					if k%2 == 1 {
						// Pay the previous event's invoice.
						evs = append(evs, &creditpb.Event{CustomerId: evs[k-1].CustomerId, Kind: &creditpb.Event_PaymentReceived{
							PaymentReceived: &creditpb.Payment{InvoiceId: fmt.Sprintf("RACE-%d-%d-%d", g, b, k-1), Date: creditpb.DateOf((issue + 5))}}})
						continue
					}
					if k == 0 && b == batches-1 {
						issue = d0 + 2 // moves the data date: a sweep
					}
					evs = append(evs, invoiceIssued(h.CustomerID, inv, issue, issue+30, float64(1000+k)))
				}
				if err := stream.Send(&creditpb.IngestStreamRequest{Events: evs}); err != nil {
					fail("ingest stream %d batch %d: %v", g, b, err)
					return
				}
			}
			resp, err := stream.CloseAndRecv()
			if err != nil {
				fail("ingest stream %d: %v", g, err)
				return
			}
			if resp.Refused != 0 || resp.Accepted != batches*batchSize {
				fail("ingest stream %d: %d accepted, %d unchanged, %d refused %v; want %d accepted", g, resp.Accepted, resp.Unchanged,
					resp.Refused, resp.Refusals, batches*batchSize)
			}
			accepted.Add(resp.Accepted)
		})
	}

	// Scorers: unary and streamed, noting the model versions that answer.
	var versions sync.Map
	var scores atomic.Int64
	for g := range 2 {
		wg.Go(func() {
			for i := 0; bg.Err() == nil; i++ {
				h := f.hs[(g*97+i*13)%len(f.hs)]
				resp, err := r.client.Score(bg, &creditpb.ScoreRequest{CustomerId: h.CustomerID, MaxReasons: int32(i % 4)})
				if err != nil {
					if !cancelled(err) {
						fail("score %s: %v", h.CustomerID, err)
					}
					return
				}
				versions.Store(resp.ModelVersion, true)
				scores.Add(1)
			}
		})
	}
	wg.Go(func() {
		stream, err := r.client.ScoreStream(bg)
		if err != nil {
			fail("score stream: %v", err)
			return
		}
		for i := 0; bg.Err() == nil; i++ {
			h := f.hs[(i*29)%len(f.hs)]
			if err := stream.Send(&creditpb.ScoreStreamRequest{Score: &creditpb.ScoreRequest{CustomerId: h.CustomerID}, RequestId: fmt.Sprint(i)}); err != nil {
				if !cancelled(err) && !errors.Is(err, io.EOF) {
					fail("score stream send: %v", err)
				}
				return
			}
			resp, err := stream.Recv()
			if err != nil {
				if !cancelled(err) {
					fail("score stream recv: %v", err)
				}
				return
			}
			if resp.Error != nil {
				fail("score stream %s: %v", h.CustomerID, resp.Error)
				return
			}
			versions.Store(resp.GetScore().GetModelVersion(), true)
			scores.Add(1)
		}
	})

	// Model promotions, which the server's watch loop reloads.
	wg.Go(func() {
		for i := 0; bg.Err() == nil; i++ {
			v := v2
			if i%2 == 1 {
				v = v1
			}
			if err := reg.Promote(v); err != nil {
				fail("promote %s: %v", v, err)
				return
			}
			select {
			case <-bg.Done():
			case <-time.After(60 * time.Millisecond):
			}
		}
	})

	// An alert follower and sweeps.
	var alerts atomic.Int64
	wg.Go(func() {
		stream, err := r.client.WatchAlerts(bg, &creditpb.WatchAlertsRequest{Follow: true})
		if err != nil {
			fail("watch alerts: %v", err)
			return
		}
		for {
			if _, err := stream.Recv(); err != nil {
				if !cancelled(err) {
					fail("watch alerts: %v", err)
				}
				return
			}
			alerts.Add(1)
		}
	})
	wg.Go(func() {
		for bg.Err() == nil {
			if _, err := r.client.Sweep(bg, &creditpb.SweepRequest{}); err != nil && !cancelled(err) {
				fail("sweep: %v", err)
				return
			}
			select {
			case <-bg.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	})

	t0 := time.Now()
	ingest.Wait()
	if rest := minRun - time.Since(t0); rest > 0 {
		time.Sleep(rest)
	}
	// Let the alerter catch up with the last events before stopping.
	waitFor(t, "alerts", func() bool { return alerts.Load() > 0 })
	stopBG()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := accepted.Load(); got != streams*batches*batchSize {
		t.Errorf("%d events accepted; want %d", got, streams*batches*batchSize)
	}
	_, ok1 := versions.Load(v1)
	_, ok2 := versions.Load(v2)
	if !ok1 || !ok2 {
		t.Errorf("versions answering: %v %v; want both %s and %s", ok1, ok2, v1, v2)
	}
	h, err := st.History(f.hs[0].CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, inv := range h.Invoices {
		if len(inv.InvoiceID) > 5 && inv.InvoiceID[:5] == "RACE-" {
			n++
		}
	}
	if n == 0 {
		t.Errorf("%s: no invoice of the test in its history", h.CustomerID)
	}
	t.Logf("%d scores, %d alerts, %d events in %v", scores.Load(), alerts.Load(), accepted.Load(), time.Since(t0).Round(time.Millisecond))
}
