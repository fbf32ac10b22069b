package serve

import (
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/genproto/googleapis/type/date"
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
		pi := &creditpb.Invoice{InvoiceId: inv.InvoiceID, IssueDate: creditpb.DateOf(inv.IssueDate), DueDate: creditpb.DateOf(inv.DueDate),
			Amount: inv.Amount.Float(), PaidDate: creditpb.DateOf(inv.PaidDate), CurrencyCode: inv.Currency, Disputed: inv.Disputed}
		if inv.PaidAmount != datasets.NoAmount {
			pi.PaidAmount = proto.Float64(inv.PaidAmount.Float())
		}
		p.Invoices = append(p.Invoices, pi)
	}
	for _, st := range h.Statements {
		ps := &creditpb.Statement{PeriodEnd: creditpb.DateOf(st.PeriodEnd), Status: st.Status}
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
		p.Defaults = append(p.Defaults, &creditpb.Default{DefaultDate: creditpb.DateOf(d.DefaultDate), Reason: d.Reason})
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
		byID, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: h.CustomerID, AsOf: day("2024-03-01"), MaxReasons: 3})
		if err != nil {
			t.Fatalf("%s: %v", h.CustomerID, err)
		}
		inline, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: h.CustomerID, AsOf: day("2024-03-01"), MaxReasons: 3,
			History: protoHistory(h, f.book.Schema)})
		if err != nil {
			t.Fatalf("%s inline: %v", h.CustomerID, err)
		}
		for name, got := range map[string]*creditpb.ScoreResponse{"by id": byID, "inline": inline} {
			if got.Pd != want.PD || int(got.Grade) != want.Grade || got.Score != want.Score {
				t.Errorf("%s %s: PD %v grade %d score %v; want %v, %d, %v", h.CustomerID, name, got.Pd, got.Grade, got.Score, want.PD, want.Grade, want.Score)
			}
			if got.ModelVersion != "v0001" || dateString(got.AsOf) != "2024-03-01" || got.FeatureSetVersion != f.art.FeatureSet.Version {
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
	}

	// No as_of: the day after the data date, never the wall clock.
	got, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: f.hs[0].CustomerID})
	if err != nil {
		t.Fatal(err)
	}
	dataDate := f.idx.DataDate()
	if want := (dataDate + 1).String(); dateString(got.AsOf) != want || dateString(got.DataDate) != dataDate.String() {
		t.Errorf("default as_of %q, data date %q; want %q, %q", got.AsOf, got.DataDate, want, dataDate)
	}
	// Past the data date: refused unless asked for.
	later := creditpb.DateOf(dataDate + 2)
	if _, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: f.hs[0].CustomerID, AsOf: later}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("as_of %s past the data date: %v; want FailedPrecondition", later, err)
	}
	if got, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: f.hs[0].CustomerID, AsOf: later, AllowFutureAsOf: true}); err != nil || !proto.Equal(got.AsOf, later) {
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
		if dateString(got.AsOf) != today.String() || len(got.Reasons) != len(want.Reasons) {
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
	badInvoice := &creditpb.History{Invoices: []*creditpb.Invoice{{InvoiceId: "i1", IssueDate: day("2024-01-10"), DueDate: &date.Date{Year: 2024, Month: 2, Day: 30}, Amount: 10}}}
	score := []struct {
		name     string
		req      *creditpb.ScoreRequest
		code     codes.Code
		contains string
	}{
		{"no customer", &creditpb.ScoreRequest{}, codes.InvalidArgument, "customer_id: required"},
		{"month 13", &creditpb.ScoreRequest{CustomerId: id, AsOf: &date.Date{Year: 2024, Month: 13, Day: 1}}, codes.InvalidArgument, `as_of: {year: 2024, month: 13, day: 1} is not a calendar date`},
		{"year 24", &creditpb.ScoreRequest{CustomerId: id, AsOf: &date.Date{Year: 24, Month: 2, Day: 1}}, codes.InvalidArgument, `as_of: {year: 24, month: 2, day: 1} is not a calendar date from 1900-01-01`},
		{"month alone", &creditpb.ScoreRequest{CustomerId: id, AsOf: &date.Date{Year: 2024, Month: 2}}, codes.InvalidArgument, "as_of:"},
		{"31 April", &creditpb.ScoreRequest{CustomerId: id, AsOf: &date.Date{Year: 2024, Month: 4, Day: 31}}, codes.InvalidArgument, "as_of: 2024-04-31 is not a calendar date: April has 30 days"},
		{"before any fact", &creditpb.ScoreRequest{CustomerId: id, AsOf: day("1990-01-01")}, codes.NotFound, "is not scored as of 1990-01-01: no history before as_of"},
		{"no fact at all", &creditpb.ScoreRequest{CustomerId: f.factless[0].CustomerID}, codes.NotFound, "no history before as_of"},
		{"NaN attribute", &creditpb.ScoreRequest{CustomerId: "new", History: &creditpb.History{NumericAttributes: map[string]float64{"net_worth": math.Inf(1)}}}, codes.InvalidArgument, `history.numeric_attributes["net_worth"]: +Inf is not a number`},
		{"NaN amount", &creditpb.ScoreRequest{CustomerId: "new", History: &creditpb.History{Invoices: []*creditpb.Invoice{{InvoiceId: "i1", IssueDate: day("2024-01-10"), DueDate: day("2024-02-10"), Amount: math.NaN()}}}}, codes.InvalidArgument, "history.invoices[0].amount: NaN is not a finite number"},
		{"infinite balance", &creditpb.ScoreRequest{CustomerId: "new", History: &creditpb.History{Statements: []*creditpb.Statement{{PeriodEnd: day("2024-01-31"), Balance: proto.Float64(math.Inf(-1))}}}}, codes.InvalidArgument, "history.statements[0].balance: -Inf is not a finite number"},
		{"negative reasons", &creditpb.ScoreRequest{CustomerId: id, MaxReasons: -1}, codes.InvalidArgument, "max_reasons:"},
		{"inline invoice date", &creditpb.ScoreRequest{CustomerId: "new", History: badInvoice}, codes.InvalidArgument, "history.invoices[0].due_date: 2024-02-30 is not a calendar date: February has 29 days"},
		{"inline amount", &creditpb.ScoreRequest{CustomerId: "new", History: &creditpb.History{Invoices: []*creditpb.Invoice{{InvoiceId: "i1", IssueDate: day("2024-01-10"), DueDate: day("2024-02-10"), Amount: -5}}}}, codes.InvalidArgument, "history.invoices[0].amount:"},
		{"inline statement", &creditpb.ScoreRequest{CustomerId: "new", History: &creditpb.History{Statements: []*creditpb.Statement{{}}}}, codes.InvalidArgument, "history.statements[0].period_end: required"},
		{"unknown customer", &creditpb.ScoreRequest{CustomerId: "nobody"}, codes.NotFound, `customer_id: "nobody" is not in the book`},
		{"unknown model", &creditpb.ScoreRequest{CustomerId: id, ModelVersion: "v0099"}, codes.NotFound, `model_version: "v0099" is not in the registry`},
		{"unknown label", &creditpb.ScoreRequest{CustomerId: id, ModelVersion: "canary"}, codes.NotFound, "model_version:"},
	}
	for _, c := range score {
		t.Run(c.name, func(t *testing.T) {
			_, err := r.client.Score(ctxT(t), c.req)
			st := status.Convert(err)
			if st.Code() != c.code || !strings.Contains(st.Message(), c.contains) {
				t.Errorf("got %v %q; want %v containing %q", st.Code(), st.Message(), c.code, c.contains)
			}
			checkDetails(t, st)
		})
	}
	limits := []struct {
		name     string
		req      *creditpb.RecommendLimitRequest
		contains string
	}{
		{"negative terms", &creditpb.RecommendLimitRequest{CustomerId: id, RequestedAmount: 1000, PaymentTermsDays: -30}, "payment_terms_days:"},
		{"negative amount", &creditpb.RecommendLimitRequest{CustomerId: id, RequestedAmount: -1, PaymentTermsDays: 30}, "requested_amount:"},
		{"negative sales", &creditpb.RecommendLimitRequest{CustomerId: id, PaymentTermsDays: 30, ExpectedMonthlySales: proto.Float64(-3)}, "expected_monthly_sales:"},
		{"temporary expiry", &creditpb.RecommendLimitRequest{CustomerId: id, PaymentTermsDays: 30, TemporaryLimit: &creditpb.TemporaryLimit{Amount: 5}}, "temporary_limit.expires: required"},
		{"as_of", &creditpb.RecommendLimitRequest{CustomerId: id, PaymentTermsDays: 30, AsOf: &date.Date{Year: 2024, Day: 1}}, "as_of:"},
		{"NaN amount", &creditpb.RecommendLimitRequest{CustomerId: id, RequestedAmount: math.NaN()}, "requested_amount: NaN is not a finite number"},
		{"infinite external limit", &creditpb.RecommendLimitRequest{CustomerId: id, ExternalLimit: proto.Float64(math.Inf(1))}, "external_limit: +Inf is not a finite number"},
		{"NaN temporary limit", &creditpb.RecommendLimitRequest{CustomerId: id, TemporaryLimit: &creditpb.TemporaryLimit{Amount: math.NaN(), Expires: day("2024-06-30")}}, "temporary_limit.amount: NaN is not a finite number"},
		{"currency", &creditpb.RecommendLimitRequest{CustomerId: id, CurrencyCode: "XTS"}, `currency_code: "XTS" is not the book's currency`},
	}
	for _, c := range limits {
		t.Run("limit "+c.name, func(t *testing.T) {
			_, err := r.client.RecommendLimit(ctxT(t), c.req)
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), c.contains) {
				t.Errorf("got %v %q; want InvalidArgument containing %q", st.Code(), st.Message(), c.contains)
			}
			checkDetails(t, st)
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
	reqs := make([]*creditpb.ScoreStreamRequest, n)
	for i := range n {
		reqs[i] = &creditpb.ScoreStreamRequest{Score: &creditpb.ScoreRequest{CustomerId: f.hs[i].CustomerID}, RequestId: fmt.Sprintf("req-%d", i)}
		wants[i] = want{reqs[i].RequestId, codes.OK}
		switch i % 50 {
		case 7:
			reqs[i].Score.CustomerId = "ghost"
			wants[i].code = codes.NotFound
		case 13:
			reqs[i].Score.AsOf = &date.Date{Year: 2024, Month: 2, Day: 30}
			wants[i].code = codes.InvalidArgument
		case 29:
			reqs[i].Score.History = &creditpb.History{Invoices: []*creditpb.Invoice{{InvoiceId: "i", IssueDate: day("2024-01-01"), DueDate: day("2024-01-31"), Amount: math.Inf(1)}}}
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
			checkDetails(t, status.FromProto(resp.Error))
		}
		if gotCode != w.code {
			t.Errorf("response %d: code %v (%v); want %v", i, gotCode, resp.Error, w.code)
		}
		if s := resp.GetScore(); w.code == codes.OK && (s.GetModelVersion() != "v0001" || !(s.GetPd() >= 0 && s.GetPd() <= 1)) {
			t.Errorf("response %d: model %q PD %v", i, s.GetModelVersion(), s.GetPd())
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
	if psi, ok := st.GetStatus().Metrics["live_psi"]; !ok || !(psi >= 0) || st.GetStatus().Metrics["live_window"] < minPSISample {
		t.Errorf("live PSI %v (present %v) on a window of %v; want a PSI >= 0 on at least %d", psi, ok, st.GetStatus().Metrics["live_window"], minPSISample)
	}
}

// checkDetails checks the google.rpc details of a failed call: an ErrorInfo
// of the credence.v1 domain, and for INVALID_ARGUMENT a BadRequest whose
// field violation names the field the message starts with.
func checkDetails(t *testing.T, st *status.Status) {
	t.Helper()
	var info *errdetails.ErrorInfo
	var bad *errdetails.BadRequest
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.BadRequest:
			bad = d
		}
	}
	if info == nil || info.GetDomain() != "credence.v1" || info.GetReason() == "" {
		t.Errorf("%v %q: ErrorInfo %v; want one of domain credence.v1 with a reason", st.Code(), st.Message(), info)
	}
	if st.Code() != codes.InvalidArgument || info.GetReason() != "INVALID_FIELD" {
		return
	}
	if v := bad.GetFieldViolations(); len(v) != 1 || !strings.HasPrefix(st.Message(), v[0].GetField()+": ") || v[0].GetDescription() == "" {
		t.Errorf("%q: BadRequest %v; want one field violation naming the field of the message", st.Message(), bad)
	}
}
