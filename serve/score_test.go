package serve

import (
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/creditpb"
)

// protoHistory writes a book history as an inline request history.
func protoHistory(h *datasets.History, schema datasets.CustomerSchema) *creditpb.History {
	p := &creditpb.History{}
	for _, inv := range h.Invoices {
		pi := &creditpb.Invoice{InvoiceId: inv.InvoiceID, IssueDate: inv.IssueDate.String(), DueDate: inv.DueDate.String(),
			Amount: inv.Amount.Float(), PaidDate: inv.PaidDate.String(), Currency: inv.Currency, Disputed: inv.Disputed}
		if inv.PaidAmount != datasets.NoAmount {
			pi.PaidAmount = proto.Float64(inv.PaidAmount.Float())
		}
		p.Invoices = append(p.Invoices, pi)
	}
	for _, st := range h.Statements {
		ps := &creditpb.Statement{PeriodEnd: st.PeriodEnd.String(), Status: st.Status}
		if st.DaysPastDue != datasets.UnknownDaysPastDue {
			ps.DaysPastDue = proto.Int32(st.DaysPastDue)
		}
		for _, f := range []struct {
			a   datasets.Amount
			dst **float64
		}{{st.Balance, &ps.Balance}, {st.CreditLimit, &ps.CreditLimit}, {st.Payment, &ps.Payment}} {
			if f.a != datasets.NoAmount {
				*f.dst = proto.Float64(f.a.Float())
			}
		}
		p.Statements = append(p.Statements, ps)
	}
	for _, d := range h.Defaults {
		p.Defaults = append(p.Defaults, &creditpb.Default{DefaultDate: d.DefaultDate.String(), Reason: d.Reason})
	}
	if c := h.Customer; c != nil {
		p.NumericAttributes = map[string]float64{}
		p.CategoricalAttributes = map[string]string{}
		for i, name := range schema.Numeric {
			if !math.IsNaN(c.Numeric[i]) {
				p.NumericAttributes[name] = c.Numeric[i]
			}
		}
		for i, name := range schema.Categorical {
			if c.Categorical[i] != "" {
				p.CategoricalAttributes[name] = c.Categorical[i]
			}
		}
	}
	return p
}

func TestScore(t *testing.T) {
	f := getFixture(t)
	reg := newRegistry(t, 1)
	r := start(t, testConfig(nil), reg, true)
	ref, err := scoring.New(f.art, f.book.Schema)
	if err != nil {
		t.Fatal(err)
	}
	asOf := datasets.YMD(2024, 3, 1)
	for _, h := range f.hs[:40] {
		want, err := ref.Score(h, asOf, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		byID, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: h.CustomerID, AsOf: "2024-03-01", RequestId: "r-" + h.CustomerID, MaxReasons: 3})
		if err != nil {
			t.Fatalf("%s: %v", h.CustomerID, err)
		}
		inline, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: h.CustomerID, AsOf: "2024-03-01", MaxReasons: 3,
			History: protoHistory(h, f.book.Schema)})
		if err != nil {
			t.Fatalf("%s inline: %v", h.CustomerID, err)
		}
		for name, got := range map[string]*creditpb.ScoreResponse{"by id": byID, "inline": inline} {
			if got.Pd != want.PD || int(got.Grade) != want.Grade || got.Score != want.Score {
				t.Errorf("%s %s: PD %v grade %d score %v; want %v, %d, %v", h.CustomerID, name, got.Pd, got.Grade, got.Score, want.PD, want.Grade, want.Score)
			}
			if got.ModelVersion != "v0001" || got.AsOf != "2024-03-01" || got.FeatureSetVersion != f.art.FeatureSet.Version {
				t.Errorf("%s %s: model %q as of %q feature set %q; want v0001, 2024-03-01, %q", h.CustomerID, name, got.ModelVersion, got.AsOf, got.FeatureSetVersion, f.art.FeatureSet.Version)
			}
			if len(got.Reasons) != len(want.Reasons) {
				t.Errorf("%s %s: %d reasons; want %d", h.CustomerID, name, len(got.Reasons), len(want.Reasons))
			}
			for i, x := range got.Reasons {
				if i < len(want.Reasons) && (x.Feature != want.Reasons[i].Feature || x.Description == "") {
					t.Errorf("%s %s: reason %d is %q (%q); want %q with a description", h.CustomerID, name, i, x.Feature, x.Description, want.Reasons[i].Feature)
				}
			}
		}
		if byID.RequestId != "r-"+h.CustomerID {
			t.Errorf("request_id: got %q; want %q", byID.RequestId, "r-"+h.CustomerID)
		}
	}

	// No as_of: the day after the data date, never the wall clock.
	got, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: f.hs[0].CustomerID})
	if err != nil {
		t.Fatal(err)
	}
	dataDate := f.idx.DataDate()
	if want := (dataDate + 1).String(); got.AsOf != want || got.DataDate != dataDate.String() {
		t.Errorf("default as_of %q, data date %q; want %q, %q", got.AsOf, got.DataDate, want, dataDate)
	}
	// Past the data date: refused unless asked for.
	later := (dataDate + 2).String()
	if _, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: f.hs[0].CustomerID, AsOf: later}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("as_of %s past the data date: %v; want FailedPrecondition", later, err)
	}
	if got, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: f.hs[0].CustomerID, AsOf: later, AllowFutureAsOf: true}); err != nil || got.AsOf != later {
		t.Errorf("as_of %s allowed: %v, %v", later, got, err)
	}
	// No max_reasons: the default of 3, as many as the scorer gives for
	// three.
	withReasons := 0
	for _, h := range f.hs[:40] {
		got, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: h.CustomerID})
		if err != nil {
			t.Fatal(err)
		}
		today := dataDate + 1
		want, err := ref.Score(h, today, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.AsOf != today.String() || len(got.Reasons) != len(want.Reasons) {
			t.Errorf("%s: default as_of %q with %d reasons; want %q with %d", h.CustomerID, got.AsOf, len(got.Reasons), today, len(want.Reasons))
		}
		if len(got.Reasons) > 0 {
			withReasons++
		}
	}
	if withReasons == 0 {
		t.Fatal("no customer has reasons by default; the test would miss them")
	}
	// A server set to no default reasons gives none unless asked.
	cfg := testConfig(nil)
	cfg.Reasons = 0
	r0 := start(t, cfg, newRegistry(t, 1), true)
	for _, h := range f.hs[:40] {
		got, err := r0.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: h.CustomerID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Reasons) > 0 {
			t.Errorf("%s: %d reasons from a server with no default; want none", h.CustomerID, len(got.Reasons))
		}
	}
}

func TestBadRequests(t *testing.T) {
	f := getFixture(t)
	reg := newRegistry(t, 1)
	r := start(t, testConfig(nil), reg, true)
	id := f.hs[0].CustomerID
	badInvoice := &creditpb.History{Invoices: []*creditpb.Invoice{{InvoiceId: "i1", IssueDate: "2024-01-10", DueDate: "2024-02-30", Amount: 10}}}
	score := []struct {
		name     string
		req      *creditpb.ScoreRequest
		code     codes.Code
		contains string
	}{
		{"no customer", &creditpb.ScoreRequest{}, codes.InvalidArgument, "customer_id: required"},
		{"month 13", &creditpb.ScoreRequest{CustomerId: id, AsOf: "2024-13-01"}, codes.InvalidArgument, `as_of: "2024-13-01" is not a date`},
		{"timestamp", &creditpb.ScoreRequest{CustomerId: id, AsOf: "2024-01-01T00:00:00Z"}, codes.InvalidArgument, "as_of:"},
		{"negative reasons", &creditpb.ScoreRequest{CustomerId: id, MaxReasons: -1}, codes.InvalidArgument, "max_reasons:"},
		{"inline invoice date", &creditpb.ScoreRequest{CustomerId: "new", History: badInvoice}, codes.InvalidArgument, `history.invoices[0].due_date: "2024-02-30" is not a date`},
		{"inline amount", &creditpb.ScoreRequest{CustomerId: "new", History: &creditpb.History{Invoices: []*creditpb.Invoice{{InvoiceId: "i1", IssueDate: "2024-01-10", DueDate: "2024-02-10", Amount: -5}}}}, codes.InvalidArgument, "history.invoices[0].amount:"},
		{"inline statement", &creditpb.ScoreRequest{CustomerId: "new", History: &creditpb.History{Statements: []*creditpb.Statement{{}}}}, codes.InvalidArgument, "history.statements[0].period_end: required"},
		{"unknown customer", &creditpb.ScoreRequest{CustomerId: "nobody"}, codes.NotFound, `customer_id: "nobody" is not in the book`},
		{"unknown model", &creditpb.ScoreRequest{CustomerId: id, ModelVersion: "v0099"}, codes.NotFound, `model_version: "v0099" is not in the registry`},
		{"unknown label", &creditpb.ScoreRequest{CustomerId: id, ModelVersion: "canary"}, codes.NotFound, "model_version:"},
	}
	for _, c := range score {
		t.Run(c.name, func(t *testing.T) {
			_, err := r.client.Score(ctxT(t), c.req)
			if st := status.Convert(err); st.Code() != c.code || !strings.Contains(st.Message(), c.contains) {
				t.Errorf("got %v %q; want %v containing %q", st.Code(), st.Message(), c.code, c.contains)
			}
		})
	}
	limits := []struct {
		name     string
		req      *creditpb.LimitRequest
		contains string
	}{
		{"negative terms", &creditpb.LimitRequest{CustomerId: id, RequestedAmount: 1000, PaymentTermsDays: -30}, "payment_terms_days:"},
		{"negative amount", &creditpb.LimitRequest{CustomerId: id, RequestedAmount: -1, PaymentTermsDays: 30}, "requested_amount:"},
		{"negative sales", &creditpb.LimitRequest{CustomerId: id, PaymentTermsDays: 30, ExpectedMonthlySales: proto.Float64(-3)}, "expected_monthly_sales:"},
		{"temporary expiry", &creditpb.LimitRequest{CustomerId: id, PaymentTermsDays: 30, TemporaryLimit: &creditpb.TemporaryLimit{Amount: 5}}, "temporary_limit.expires: required"},
		{"as_of", &creditpb.LimitRequest{CustomerId: id, PaymentTermsDays: 30, AsOf: "01/02/2024"}, "as_of:"},
	}
	for _, c := range limits {
		t.Run("limit "+c.name, func(t *testing.T) {
			_, err := r.client.RecommendLimit(ctxT(t), c.req)
			if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), c.contains) {
				t.Errorf("got %v %q; want InvalidArgument containing %q", st.Code(), st.Message(), c.contains)
			}
		})
	}
}

func TestScoreStream(t *testing.T) {
	f := getFixture(t)
	reg := newRegistry(t, 1)
	cfg := testConfig(nil)
	cfg.PSIWindow = 1000
	r := start(t, cfg, reg, true)
	stream, err := r.client.ScoreStream(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	n := len(f.hs)
	type want struct {
		id   string
		code codes.Code
	}
	wants := make([]want, n)
	reqs := make([]*creditpb.ScoreRequest, n)
	for i := range n {
		reqs[i] = &creditpb.ScoreRequest{CustomerId: f.hs[i].CustomerID, RequestId: fmt.Sprintf("req-%d", i)}
		wants[i] = want{reqs[i].RequestId, codes.OK}
		switch i % 50 {
		case 7:
			reqs[i].CustomerId = "ghost"
			wants[i].code = codes.NotFound
		case 13:
			reqs[i].AsOf = "2024-02-30"
			wants[i].code = codes.InvalidArgument
		}
	}
	sent := make(chan error, 1)
	go func() {
		for _, req := range reqs {
			if err := stream.Send(req); err != nil {
				sent <- err
				return
			}
		}
		sent <- stream.CloseSend()
	}()
	for i := 0; ; i++ {
		resp, err := stream.Recv()
		if err == io.EOF {
			if i != n {
				t.Errorf("got %d responses; want %d", i, n)
			}
			break
		}
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		if i >= n {
			t.Fatalf("more responses than requests")
		}
		w := wants[i]
		if resp.RequestId != w.id {
			t.Errorf("response %d answers %q; want %q (out of order)", i, resp.RequestId, w.id)
		}
		gotCode := codes.OK
		if resp.Error != nil {
			gotCode = codes.Code(resp.Error.Code)
		}
		if gotCode != w.code {
			t.Errorf("response %d: code %v (%v); want %v", i, gotCode, resp.Error, w.code)
		}
		if w.code == codes.OK && (resp.ModelVersion != "v0001" || !(resp.Pd >= 0 && resp.Pd <= 1)) {
			t.Errorf("response %d: model %q PD %v", i, resp.ModelVersion, resp.Pd)
		}
	}
	if err := <-sent; err != nil {
		t.Fatalf("send: %v", err)
	}
	// Every customer not in default went into the live PSI window: it now
	// has a PSI.
	st, err := r.client.GetValidationStatus(ctxT(t), &creditpb.GetValidationStatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if psi, ok := st.Metrics["live_psi"]; !ok || !(psi >= 0) || st.Metrics["live_window"] < minPSISample {
		t.Errorf("live PSI %v (present %v) on a window of %v; want a PSI >= 0 on at least %d", psi, ok, st.Metrics["live_window"], minPSISample)
	}
}
