package serve

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/serve/limit"
	"github.com/credence-risk/credence/serve/rescore"
)

// scoreArgs is what Score, ScoreStream and RecommendLimit ask to score.
type scoreArgs struct {
	customerID, modelVersion string
	asOf                     *date.Date
	history                  *creditpb.History
	maxReasons               int32
	// defaultReasons stand in for a maxReasons of 0.
	defaultReasons int
	// limit asks for the history's limit inputs too.
	limit bool
	// allowFuture lets as_of pass the day after the data date.
	allowFuture bool
}

// scored is a score with what it was computed from.
type scored struct {
	resp   *creditpb.ScoreResponse
	result scoring.Result // without its feature vector, which is reused
	// limit holds what the history says for a credit limit, when asked.
	limit scoring.LimitInputs
	hist  *datasets.History
	asOf  datasets.Date
}

func (s *Server) scoreArgsOf(req *creditpb.ScoreRequest) scoreArgs {
	return scoreArgs{
		customerID: req.GetCustomerId(), asOf: req.GetAsOf(), modelVersion: req.GetModelVersion(),
		history: req.GetHistory(), maxReasons: req.GetMaxReasons(), defaultReasons: s.cfg.Reasons,
		allowFuture: req.GetAllowFutureAsOf(),
	}
}

// Score scores one customer.
func (s *Server) Score(ctx context.Context, req *creditpb.ScoreRequest) (*creditpb.ScoreResponse, error) {
	if err := finite("", req); err != nil {
		return nil, err
	}
	r, err := s.score(ctx, s.scoreArgsOf(req))
	if err != nil {
		return nil, err
	}
	return r.resp, nil
}

// ScoreStream answers each request in order; a request that fails gets a
// response with its error and the stream goes on.
func (s *Server) ScoreStream(stream creditpb.CredenceService_ScoreStreamServer) error {
	ctx := stream.Context()
	for {
		// Recv returns when the stream's context ends, so the loop needs no
		// goroutine of its own to notice a cancelled client.
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp := &creditpb.ScoreStreamResponse{RequestId: req.GetRequestId()}
		if err := finite("score", req.GetScore()); err != nil {
			resp.Error = statusOf(err).Proto()
		} else if r, err := s.score(ctx, s.scoreArgsOf(req.GetScore())); err != nil {
			resp.Error = statusOf(err).Proto()
		} else {
			resp.Score = r.resp
		}
		if resp.Error != nil {
			// The request id is the caller's text: bounded by the logger.
			s.logFailure(ctx, "stream item failed", status.FromProto(resp.Error), slog.String("item_request_id", req.GetRequestId()))
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// score scores one customer with the model asked for.
func (s *Server) score(ctx context.Context, a scoreArgs) (scored, error) {
	if a.customerID == "" {
		return scored{}, badField("customer_id", "required")
	}
	dataDate := s.book.DataDate()
	asOf := dataDate + 1
	if a.asOf != nil {
		var err error
		if asOf, err = dayOf("as_of", a.asOf); err != nil {
			return scored{}, err
		}
		if a.history == nil && asOf > dataDate+1 && !a.allowFuture {
			return scored{}, &kindError{kind: ErrFutureAsOf, msg: fmt.Sprintf(
				"as_of: %s is after the data date %s: the book holds nothing past it, so open invoices would age as if unpaid (set allow_future_as_of to score anyway)",
				asOf, dataDate)}
		}
	}
	reasons := int(a.maxReasons)
	switch {
	case reasons < 0:
		return scored{}, badField("max_reasons", "%d is negative", reasons)
	case reasons == 0:
		reasons = a.defaultReasons
	}
	m, err := s.modelFor(a.modelVersion)
	if err != nil {
		return scored{}, err
	}
	var h *datasets.History
	if a.history != nil {
		if h, err = historyOf(a.customerID, a.history, s.book.Schema()); err != nil {
			return scored{}, err
		}
	} else if h, err = s.book.History(a.customerID); err != nil {
		return scored{}, err
	} else if why := rescore.SkipReason(m.scorer, h, asOf); why != "" {
		return scored{}, notFound("customer_id: %q is not scored as of %s: %s (batch rescoring skips it too)",
			truncate(a.customerID, 64), asOf, why)
	}
	if s.beforeScore != nil {
		s.beforeScore(ctx)
	}
	// Scoring is the heavy part: skip it for a caller that gave up.
	if err := ctx.Err(); err != nil {
		return scored{}, err
	}
	buf := s.bufs.Get().(*[]float64)
	r, err := m.scorer.Score(h, asOf, reasons, *buf)
	if cap(r.Features) > cap(*buf) {
		*buf = r.Features[:0]
	}
	if err != nil {
		s.bufs.Put(buf)
		return scored{}, err
	}
	resp := &creditpb.ScoreResponse{
		CustomerId:        a.customerID,
		AsOf:              creditpb.DateOf(asOf),
		Pd:                r.PD,
		Grade:             int32(r.Grade),
		Score:             r.Score,
		ModelVersion:      m.version,
		FeatureSetVersion: m.scorer.Set.Version,
	}
	if a.history == nil {
		resp.DataDate = creditpb.DateOf(dataDate)
	}
	if len(r.Reasons) > 0 {
		resp.Reasons = make([]*creditpb.Reason, len(r.Reasons))
		for i, x := range r.Reasons {
			resp.Reasons[i] = &creditpb.Reason{Feature: x.Feature, Value: x.Value, Effect: x.Effect, Description: scoring.Describe(x.Feature, x.Value)}
		}
	}
	s.metrics.score(r.PD, resp.Grade)
	if m == s.champion.Load() {
		if !r.InDefault {
			// Training PDs are of customers not yet in default: compare
			// like with like.
			s.window.add(m.version, r.PD)
		}
		if sh := s.shadow.Load(); sh != nil {
			s.shadowScore(ctx, sh, m, h, asOf, r.PD, *buf)
		}
	}
	out := scored{resp: resp, hist: h, asOf: asOf}
	if a.limit {
		out.limit = m.scorer.LimitInputs(h, asOf, r)
	}
	r.Features = nil
	out.result = r
	s.bufs.Put(buf)
	return out, nil
}

// shadowScore scores h with the shadow model and logs both PDs.
func (s *Server) shadowScore(ctx context.Context, sh, champ *model, h *datasets.History, asOf datasets.Date, pd float64, buf []float64) {
	r, err := sh.scorer.Score(h, asOf, 0, buf)
	if err != nil {
		s.log.WarnContext(ctx, "shadow score failed", "shadow", sh.version, "err", err)
		return
	}
	// Customer ids and PDs are customer data: kept out of INFO logs.
	s.log.DebugContext(ctx, "shadow score", "customer_id", h.CustomerID, "as_of", asOf.String(),
		"champion", champ.version, "champion_pd", pd, "shadow", sh.version, "shadow_pd", r.PD)
}

// modelFor returns the model a request's model_version names.
func (s *Server) modelFor(ref string) (*model, error) {
	ch := s.champion.Load()
	if ref == "" || ref == s.cfg.Model || (ch != nil && ref == ch.version) {
		if ch == nil {
			return nil, ErrNoModel
		}
		return ch, nil
	}
	v, err := s.lookup("model_version", ref)
	if err != nil {
		return nil, err
	}
	if ch != nil && v == ch.version {
		return ch, nil
	}
	if sh := s.shadow.Load(); sh != nil && v == sh.version {
		return sh, nil
	}
	s.othersMu.Lock()
	defer s.othersMu.Unlock()
	if m, ok := s.others[v]; ok {
		return m, nil
	}
	m, err := loadModel(s.reg, v, s.book, s.cfg.WarmCustomers, s.defaultAsOf())
	if err != nil {
		return nil, &kindError{kind: ErrNoModel, msg: fmt.Sprintf("model_version: %s cannot be served: %v", v, err)}
	}
	if len(s.others) >= maxOtherModels {
		clear(s.others)
	}
	s.others[v] = m
	return m, nil
}

// RecommendLimit scores a customer and applies the credit-limit policy.
func (s *Server) RecommendLimit(ctx context.Context, req *creditpb.RecommendLimitRequest) (*creditpb.RecommendLimitResponse, error) {
	if err := finite("", req); err != nil {
		return nil, err
	}
	// Amounts are never converted: a request in another currency than the
	// book's is refused. A book that declares none takes the caller's word.
	currency := strings.ToUpper(req.GetCurrencyCode())
	if book := s.book.Currency(); book != "" {
		if currency != "" && currency != book {
			return nil, badField("currency_code", "%q is not the book's currency %s: amounts are not converted", truncate(currency, 16), book)
		}
		currency = book
	}
	if x := req.GetRequestedAmount(); !(x >= 0) || math.IsInf(x, 0) {
		return nil, badField("requested_amount", "%v is not an amount >= 0", x)
	}
	if d := req.GetPaymentTermsDays(); d < 0 {
		return nil, badField("payment_terms_days", "%d is not a number of days > 0 (0: the customer's usual terms)", d)
	}
	optional := func(field string, x *float64) (float64, error) {
		if x == nil {
			return math.NaN(), nil
		}
		if !(*x >= 0) || math.IsInf(*x, 0) {
			return 0, badField(field, "%v is not an amount >= 0", *x)
		}
		return *x, nil
	}
	sales, err := optional("expected_monthly_sales", req.ExpectedMonthlySales)
	if err != nil {
		return nil, err
	}
	unbilled, err := optional("unbilled_orders", req.UnbilledOrders)
	if err != nil {
		return nil, err
	}
	external, err := optional("external_limit", req.ExternalLimit)
	if err != nil {
		return nil, err
	}
	var temp *limit.TemporaryLimit
	if t := req.GetTemporaryLimit(); t != nil {
		if x := t.GetAmount(); !(x >= 0) || math.IsInf(x, 0) {
			return nil, badField("temporary_limit.amount", "%v is not an amount >= 0", x)
		}
		expires, err := requiredDay("temporary_limit.expires", t.GetExpires())
		if err != nil {
			return nil, err
		}
		temp = &limit.TemporaryLimit{Amount: t.GetAmount(), Expires: expires.Time()}
	}
	r, err := s.score(ctx, scoreArgs{
		customerID: req.GetCustomerId(), asOf: req.GetAsOf(), modelVersion: req.GetModelVersion(),
		history: req.GetHistory(), maxReasons: req.GetMaxReasons(), defaultReasons: s.cfg.LimitReasons, limit: true,
		allowFuture: req.GetAllowFutureAsOf(),
	})
	if err != nil {
		return nil, err
	}
	// The request starts from what batch rescoring takes from the history
	// and keeps what the caller knows better.
	lr := limit.RequestFor(req.GetCustomerId(), r.asOf, r.result, r.limit)
	lr.RequestedAmount = req.GetRequestedAmount()
	if d := req.GetPaymentTermsDays(); d > 0 {
		lr.PaymentTermsDays = int(d)
	}
	if req.ExpectedMonthlySales != nil {
		lr.ExpectedMonthlySales = sales
	}
	lr.UnbilledOrders, lr.ExternalLimit, lr.Temporary = unbilled, external, temp
	if inline := req.GetHistory(); inline != nil {
		// An inline history may carry figures the book's customers table
		// has no column for (net_worth for a prospect).
		attr := func(name string) float64 {
			if x, ok := inline.GetNumericAttributes()[name]; ok {
				return x
			}
			return math.NaN()
		}
		lr.NetWorth, lr.WorkingCapital, lr.CurrentLimit = attr("net_worth"), attr("working_capital"), attr("current_limit")
	}
	res, err := s.cfg.Policy.Decide(lr)
	if err != nil {
		return nil, err
	}
	out := &creditpb.RecommendLimitResponse{
		CurrencyCode:      currency,
		Scoring:           r.resp,
		RecommendedLimit:  res.RecommendedLimit,
		PolicyLimit:       res.PolicyLimit,
		Decision:          decisionOf(res.Decision),
		ExpectedLoss:      res.ExpectedLoss,
		BindingConstraint: res.BindingConstraint,
		Rationale:         res.Rationale,
	}
	for _, c := range res.Constraints {
		out.Constraints = append(out.Constraints, &creditpb.Constraint{
			Name: c.Name, Amount: c.Amount, Applies: c.Applies(), Binding: c.Binding, Detail: c.Detail,
		})
	}
	return out, nil
}

func decisionOf(d limit.Decision) creditpb.Decision {
	switch d {
	case limit.Approve:
		return creditpb.Decision_DECISION_APPROVE
	case limit.ApproveInPart:
		return creditpb.Decision_DECISION_APPROVE_IN_PART
	case limit.Decline:
		return creditpb.Decision_DECISION_DECLINE
	case limit.Refer:
		return creditpb.Decision_DECISION_REFER
	}
	return creditpb.Decision_DECISION_UNSPECIFIED
}

// Pages of ListModels: page_size 0 gives defaultPageSize; more than
// maxPageSize is refused.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// pageTokenPrefix marks a ListModels page token, so that another string is
// told apart from one.
const pageTokenPrefix = "models-below:"

// versionNumber is the number of a registry version such as "v0007".
func versionNumber(v string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(v, "v"))
	return n, err == nil && strings.HasPrefix(v, "v") && n > 0
}

// ListModels lists the registry's models, newest first, a page at a time.
// A page token is the last version of the previous page: the next page
// starts below it, so models registered meanwhile never shift a page.
func (s *Server) ListModels(ctx context.Context, req *creditpb.ListModelsRequest) (*creditpb.ListModelsResponse, error) {
	size := int(req.GetPageSize())
	switch {
	case size < 0 || size > maxPageSize:
		return nil, badField("page_size", "%d is not from 0 to %d", size, maxPageSize)
	case size == 0:
		size = defaultPageSize
	}
	after := math.MaxInt // the version number the page starts below
	if t := req.GetPageToken(); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		n, ok := versionNumber(strings.TrimPrefix(string(b), pageTokenPrefix))
		if err != nil || !strings.HasPrefix(string(b), pageTokenPrefix) || !ok {
			return nil, badField("page_token", "%q is not a next_page_token of ListModels", truncate(t, 64))
		}
		after = n
	}
	entries, err := s.reg.List()
	if err != nil {
		return nil, err
	}
	out := &creditpb.ListModelsResponse{}
	for i := len(entries) - 1; i >= 0; i-- {
		e := &entries[i]
		if n, _ := versionNumber(e.Version); n >= after {
			continue
		}
		if l := req.GetLabel(); l != "" && !slices.Contains(e.Labels, l) {
			continue
		}
		if len(out.Models) == size {
			out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + out.Models[size-1].GetVersion()))
			break
		}
		mi := info(e, s.ready(e.Version))
		if e.Error != "" {
			mi.Notes = map[string]string{"error": e.Error}
		}
		out.Models = append(out.Models, mi)
	}
	return out, nil
}

// GetModel describes one model: by version, by label, or the champion.
func (s *Server) GetModel(ctx context.Context, req *creditpb.GetModelRequest) (*creditpb.GetModelResponse, error) {
	var v string
	var err error
	switch {
	case req.GetVersion() != "":
		v, err = s.resolve("version", req.GetVersion())
	case req.GetLabel() != "":
		v, err = s.resolve("label", req.GetLabel())
	default:
		v, err = s.resolve("model", "")
	}
	if err != nil {
		return nil, err
	}
	e, err := entry(s.reg, v)
	if err != nil {
		return nil, err
	}
	return &creditpb.GetModelResponse{Model: info(e, s.ready(v))}, nil
}

// resolve turns a reference into a version; empty is the model served
// (the registry's champion while none is loaded).
func (s *Server) resolve(field, ref string) (string, error) {
	if ref == "" {
		if ch := s.champion.Load(); ch != nil {
			return ch.version, nil
		}
		ref = s.cfg.Model
	}
	return s.lookup(field, ref)
}

// lookup resolves a reference given in a request's field.
func (s *Server) lookup(field, ref string) (string, error) {
	v, err := s.reg.Resolve(ref)
	if errors.Is(err, registry.ErrNotFound) {
		return "", notFound("%s: %q is not in the registry", field, ref)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// ready reports whether version v is loaded and serving.
func (s *Server) ready(v string) bool {
	if m := s.champion.Load(); m != nil && m.version == v {
		return true
	}
	if m := s.shadow.Load(); m != nil && m.version == v {
		return true
	}
	s.othersMu.Lock()
	defer s.othersMu.Unlock()
	_, ok := s.others[v]
	return ok
}

// GetValidationStatus returns the latest validation of a model: from this
// server's revalidation, else the newest report stored beside the model;
// for the model served, with the live PSI of its PDs.
func (s *Server) GetValidationStatus(ctx context.Context, req *creditpb.GetValidationStatusRequest) (*creditpb.GetValidationStatusResponse, error) {
	v, err := s.resolve("model_version", req.GetModelVersion())
	if err != nil {
		return nil, err
	}
	s.validMu.Lock()
	st := s.validations[v]
	s.validMu.Unlock()
	if st != nil {
		st = proto.Clone(st).(*creditpb.ValidationStatus)
	} else if st, err = storedValidation(s.reg, v); err != nil {
		return nil, err
	}
	if st == nil {
		st = &creditpb.ValidationStatus{ModelVersion: v, Light: creditpb.Light_LIGHT_UNSPECIFIED}
	}
	if ch := s.champion.Load(); ch != nil && ch.version == v {
		psi, n := s.window.psi(v, ch.reference)
		if st.Metrics == nil {
			st.Metrics = map[string]float64{}
		}
		st.Metrics["live_window"] = float64(n)
		if !math.IsNaN(psi) {
			st.Metrics["live_psi"] = psi
		}
	}
	return &creditpb.GetValidationStatusResponse{Status: st}, nil
}
