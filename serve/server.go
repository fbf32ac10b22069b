package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/serve/store"
)

// serviceName is the Credence service's name for health checking.
const serviceName = "credence.v1.CredenceService"

// maxOtherModels bounds the models kept loaded for requests that name a
// version other than the ones served.
const maxOtherModels = 4

// Server is the Credence gRPC server. It implements creditpb.CredenceServiceServer.
type Server struct {
	creditpb.UnimplementedCredenceServiceServer

	cfg     Config
	reg     *registry.Registry
	book    Book
	live    *store.Store // nil when the book is not the live store
	log     *slog.Logger
	grpc    *grpc.Server
	health  *health.Server
	metrics *metrics
	tokens  tokens
	window  *pdWindow
	alerts  *alerter
	bufs    sync.Pool // *[]float64, feature vectors

	champion atomic.Pointer[model]
	shadow   atomic.Pointer[model]

	reloadMu sync.Mutex        // one reload at a time
	failed   map[string]string // version → why it failed to load; under reloadMu
	missing  map[string]bool   // references found missing, logged once; under reloadMu
	// fallbackFrom is the version the model reference names while another
	// serves because it failed to load; "" when it is the one served.
	fallbackFrom string // under reloadMu

	othersMu sync.Mutex
	others   map[string]*model // loaded for requests naming them

	validMu     sync.Mutex
	validations map[string]*creditpb.ValidationStatus // by version, from this process
	rolledBack  bool

	served atomic.Bool // Serve was called

	// beforeScore, when a test sets it, runs as a score starts.
	beforeScore func(context.Context)
}

// NewServer prepares a server over a registry and a book: the live store
// (Live), which takes events, or a book held in memory (Index). It loads
// nothing yet: Serve loads the model and starts serving.
func NewServer(cfg Config, reg *registry.Registry, book Book) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("server config: %w", err)
	}
	s := &Server{
		cfg:         cfg,
		reg:         reg,
		book:        book,
		log:         boundedLogger(cfg.Logger),
		health:      health.NewServer(),
		metrics:     newMetrics(),
		tokens:      newTokens(cfg.Tokens),
		window:      newPDWindow(cfg.PSIWindow),
		failed:      map[string]string{},
		missing:     map[string]bool{},
		others:      map[string]*model{},
		validations: map[string]*creditpb.ValidationStatus{},
	}
	if l, ok := book.(Live); ok {
		s.live = l.Store
	}
	s.alerts = newAlerter(s, cfg.Alerts)
	s.metrics.dataDate(book, cfg.Now)
	s.metrics.modelAge(s.champion.Load, cfg.Now)
	s.bufs.New = func() any { b := make([]float64, 0, 512); return &b }
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxMsgBytes),
		grpc.MaxSendMsgSize(cfg.MaxMsgBytes),
		// The standard metrics first, so that they count the codes the
		// client sees.
		grpc.ChainUnaryInterceptor(s.metrics.grpc.UnaryServerInterceptor(), s.unary),
		grpc.ChainStreamInterceptor(s.metrics.grpc.StreamServerInterceptor(), s.stream),
		// A score takes microseconds: reusing a goroutine per core saves
		// starting (and growing the stack of) one per call, about a fifth
		// of a call's cost on loopback.
		grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
		grpc.SharedWriteBuffer(true),
	}
	if cfg.TLSCert != "" {
		creds, err := serverTLS(cfg.TLSCert, cfg.TLSKey, cfg.TLSClientCA)
		if err != nil {
			return nil, err
		}
		opts = append(opts, grpc.Creds(creds))
	}
	s.grpc = grpc.NewServer(opts...)
	creditpb.RegisterCredenceServiceServer(s.grpc, s)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	s.initHealth()
	s.metrics.grpc.InitializeMetrics(s.grpc)
	return s, nil
}

// MetricsHandler serves /metrics (and /debug/pprof/ with Config.Pprof).
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler(s.cfg.Pprof) }

// Serve serves on lis until ctx is done, then drains: health checks turn
// NOT_SERVING, running calls finish (GracefulStop), and after
// Config.DrainTimeout the rest are cut off (Stop). It loads the model in
// the background: until one is loaded, readiness says NOT_SERVING (while
// liveness says SERVING) and calls fail with UNAVAILABLE. A Server serves
// once.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	if s.served.Swap(true) {
		return errors.New("serve: the server has already served")
	}
	if err := s.cfg.CheckExposure(lis.Addr()); err != nil {
		s.grpc.Stop()
		return errors.Join(err, lis.Close())
	}
	bg, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { s.watch(bg) })
	if s.live != nil {
		wg.Go(func() { s.alerts.run(bg) })
	}
	if s.cfg.RevalidateEvery > 0 {
		wg.Go(func() { s.revalidateEvery(bg) })
	}
	var web *http.Server
	if s.cfg.MetricsAddr != "" {
		ml, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			stop()
			wg.Wait()
			return errors.Join(fmt.Errorf("metrics: %w", err), lis.Close())
		}
		web = &http.Server{Handler: s.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
		wg.Go(func() {
			if err := web.Serve(ml); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Warn("metrics server stopped", "err", err)
			}
		})
		s.log.Info("metrics", "addr", ml.Addr().String())
	}
	s.log.Info("serving", "addr", lis.Addr().String(), "customers", s.book.Len(), "data_date", s.book.DataDate().String(), "tls", s.cfg.TLSCert != "",
		"mutual_tls", s.cfg.TLSClientCA != "", "auth", len(s.tokens) > 0)

	served := make(chan error, 1)
	go func() { served <- s.grpc.Serve(lis) }()
	var err error
	select {
	case err = <-served:
		// The listener failed: no call can come in any more.
		s.grpc.Stop()
	case <-ctx.Done():
		s.drain()
		err = <-served
	}
	stop()
	if web != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = errors.Join(err, web.Shutdown(sctx))
		cancel()
	}
	wg.Wait()
	s.log.Info("stopped")
	return err
}

// drain stops the server gracefully within Config.DrainTimeout.
func (s *Server) drain() {
	s.log.Info("draining", "timeout", s.cfg.DrainTimeout.String())
	s.health.Shutdown()
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	timer := time.NewTimer(s.cfg.DrainTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		s.log.Warn("drain timed out: cutting off the calls still running")
		s.grpc.Stop()
		<-done
	}
}

// defaultAsOf is the as-of date of a request that gives none: the day
// after the data date, so that every fact of the book counts.
func (s *Server) defaultAsOf() datasets.Date { return s.book.DataDate() + 1 }

// watch polls the registry until ctx is done.
func (s *Server) watch(ctx context.Context) {
	t := time.NewTicker(s.cfg.ReloadInterval)
	defer t.Stop()
	for {
		s.reload()
		s.updatePSI()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reload loads the models the configured references name now, when they
// changed, and swaps them in.
func (s *Server) reload() {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	changed := false
	cur := s.champion.Load()
	m, ok := s.next("model", s.cfg.Model, cur)
	if (!ok || m == nil) && cur == nil {
		if v, err := s.reg.Resolve(s.cfg.Model); err == nil && s.failed[v] != "" {
			// Nothing serves and the reference does not load: serve the
			// best model that does rather than refuse every call.
			m = s.fallback()
		}
	}
	if m != nil {
		s.champion.Store(m)
		s.exportStoredValidation(m.version)
		from := ""
		if cur != nil {
			from = cur.version
		}
		s.log.Info("serving model", "version", m.version, "family", m.art.Family, "previous", from)
		changed = true
	}
	if served := s.champion.Load(); served != nil {
		// Say loudly, for as long as it lasts, that the model served is not
		// the one the reference names.
		wanted, err := s.reg.Resolve(s.cfg.Model)
		if err != nil || wanted == served.version {
			wanted = ""
		}
		if wanted != s.fallbackFrom {
			if wanted != "" {
				s.log.Error("serving a model other than the one asked for, which does not load", "ref", s.cfg.Model,
					"wanted", wanted, "serving", served.version, "why", s.failed[wanted])
			}
			s.fallbackFrom = wanted
			changed = true
		}
		s.setChampionServing(s.fallbackFrom == "")
	}
	if s.cfg.Shadow != "" {
		if m, ok := s.next("shadow", s.cfg.Shadow, s.shadow.Load()); ok {
			s.shadow.Store(m)
			if m != nil {
				s.log.Info("shadow model", "version", m.version, "label", s.cfg.Shadow)
			} else {
				s.log.Info("shadow model removed", "label", s.cfg.Shadow)
			}
			changed = true
		}
	}
	if changed {
		s.metrics.serving(s.champion.Load(), s.shadow.Load())
		s.metrics.fallback(s.champion.Load(), s.fallbackFrom)
	}
	if m != nil {
		// Ready last: whoever waits for it finds the log and the metrics
		// already saying what is served and in place of what.
		s.setReady(true)
	}
}

// fallback loads the newest model that loads, the champion's earlier
// versions first (most recent first), then every other version newest
// first; nil when none does. A version that fails is remembered in failed
// and not tried again.
func (s *Server) fallback() *model {
	var order []string
	seen := map[string]bool{}
	add := func(v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			order = append(order, v)
		}
	}
	if changes, err := s.reg.History(registry.Champion); err == nil {
		for i := len(changes) - 1; i >= 0; i-- {
			add(changes[i].Version)
			add(changes[i].Previous)
		}
	}
	if entries, err := s.reg.List(); err == nil {
		for i := len(entries) - 1; i >= 0; i-- {
			add(entries[i].Version)
		}
	}
	for _, v := range order {
		if _, failed := s.failed[v]; failed {
			continue
		}
		m, err := loadModel(s.reg, v, s.book, s.cfg.WarmCustomers, s.defaultAsOf())
		if err != nil {
			s.failed[v] = err.Error()
			s.metrics.reloads.WithLabelValues("failed").Inc()
			s.log.Error("fallback model failed to load", "version", v, "err", err)
			continue
		}
		s.metrics.reloads.WithLabelValues("ok").Inc()
		return m
	}
	return nil
}

// next returns the model ref names when it is not cur, and true; the
// champion is never dropped, but a shadow whose label went away gives nil.
// A version that fails to load is logged once and skipped until the
// reference moves on.
func (s *Server) next(role, ref string, cur *model) (*model, bool) {
	v, err := s.reg.Resolve(ref)
	if err != nil {
		if !s.missing[ref] {
			s.missing[ref] = true
			s.log.Warn("no model to load", "role", role, "ref", ref, "err", err)
		}
		if role == "shadow" && cur != nil && errors.Is(err, registry.ErrNotFound) {
			return nil, true
		}
		return nil, false
	}
	delete(s.missing, ref)
	if cur != nil && cur.version == v {
		return nil, false
	}
	if _, failed := s.failed[v]; failed {
		return nil, false
	}
	t0 := time.Now()
	m, err := loadModel(s.reg, v, s.book, s.cfg.WarmCustomers, s.defaultAsOf())
	if err != nil {
		s.failed[v] = err.Error()
		s.metrics.reloads.WithLabelValues("failed").Inc()
		if cur != nil {
			s.log.Error("model failed to load; the previous one keeps serving", "role", role, "ref", ref, "version", v, "err", err)
		} else {
			s.log.Error("model failed to load", "role", role, "ref", ref, "version", v, "err", err)
		}
		return nil, false
	}
	s.metrics.reloads.WithLabelValues("ok").Inc()
	s.log.Info("model loaded", "role", role, "version", v, "ms", ms(time.Since(t0)))
	return m, true
}

// updatePSI exports the live PSI of the champion.
func (s *Server) updatePSI() {
	m := s.champion.Load()
	if m == nil {
		return
	}
	psi, n := s.window.psi(m.version, m.reference)
	s.metrics.livePSI.Set(psi)
	s.metrics.window.Set(float64(n))
}

// revalidateEvery back-tests the champion every Config.RevalidateEvery
// until ctx is done.
func (s *Server) revalidateEvery(ctx context.Context) {
	t := time.NewTicker(s.cfg.RevalidateEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.revalidate(ctx)
	}
}

// revalidate back-tests the model served now.
func (s *Server) revalidate(ctx context.Context) {
	m := s.champion.Load()
	if m == nil {
		return
	}
	book, cleanup, err := s.revalidationBook(ctx)
	if err != nil {
		s.log.Warn("revalidation", "version", m.version, "err", err)
		return
	}
	defer cleanup()
	s.validMu.Lock()
	onRed := s.cfg.OnRed
	if s.rolledBack {
		onRed = OnRedAlert
	}
	s.validMu.Unlock()
	t0 := time.Now()
	r, err := Revalidate(ctx, s.reg, book, RevalidateConfig{Model: m.version, Observations: s.cfg.Observations, OnRed: onRed})
	if r != nil {
		s.metrics.validation(r.Status)
		s.validMu.Lock()
		s.validations[m.version] = r.Status
		s.rolledBack = s.rolledBack || r.RolledBackTo != ""
		s.validMu.Unlock()
		level := slog.LevelInfo
		if r.Status.Light == creditpb.Light_LIGHT_RED {
			level = slog.LevelWarn
		}
		s.log.Log(ctx, level, "revalidated", "version", m.version, "book", book.Dir, "light", lightName(r.Status.Light),
			"reasons", r.Status.Reasons, "report", r.Status.ReportPath, "ms", ms(time.Since(t0)))
		if r.RolledBackTo != "" {
			s.log.Warn("champion rolled back after a red validation", "from", m.version, "to", r.RolledBackTo)
			s.reload()
		}
	}
	if err != nil && ctx.Err() == nil {
		s.log.Warn("revalidation failed", "version", m.version, "err", err)
	}
}

// revalidationBook is the book the back-test runs on: Config.RevalidateBook,
// else the book served (the live store exported to a temporary book).
func (s *Server) revalidationBook(ctx context.Context) (*datasets.Book, func(), error) {
	tolerant := false
	if x, ok := s.book.(*Index); ok {
		tolerant = x.Book.Tolerant
		if s.cfg.RevalidateBook == "" {
			return x.Book, func() {}, nil
		}
	}
	if s.cfg.RevalidateBook != "" {
		b, err := datasets.Open(s.cfg.RevalidateBook)
		if err != nil {
			return nil, nil, err
		}
		b.Tolerant = tolerant
		return b, func() { b.Skipped.Log(s.log, b.Dir) }, nil
	}
	if s.live == nil {
		return nil, nil, errors.New("no book to back-test on: set the revalidation book")
	}
	dir, err := os.MkdirTemp("", "credence-revalidate-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := s.live.Export(ctx, dir); err != nil {
		cleanup()
		return nil, nil, err
	}
	b, err := datasets.Open(dir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return b, cleanup, nil
}

func lightName(l creditpb.Light) string {
	return strings.ToLower(strings.TrimPrefix(l.String(), "LIGHT_"))
}

// unary gives the call its request id, authenticates, maps errors to
// codes, and records every call.
func (s *Server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	ctx = withRequestID(ctx, func(md metadata.MD) error { return grpc.SetHeader(ctx, md) })
	var resp any
	err := s.authenticate(ctx, info.FullMethod)
	if err == nil {
		resp, err = handler(ctx, req)
	}
	st := statusOf(err)
	s.record(ctx, info.FullMethod, st, time.Since(start))
	if st != nil {
		return nil, st.Err()
	}
	return resp, nil
}

// stream does for streams what unary does for calls.
func (s *Server) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	ss = idStream{ss, withRequestID(ss.Context(), ss.SetHeader)}
	err := s.authenticate(ss.Context(), info.FullMethod)
	if err == nil {
		err = handler(srv, ss)
	}
	st := statusOf(err)
	s.record(ss.Context(), info.FullMethod, st, time.Since(start))
	return st.Err()
}

func (s *Server) authenticate(ctx context.Context, fullMethod string) error {
	if len(s.tokens) == 0 || open(fullMethod) {
		return nil
	}
	return s.tokens.check(ctx)
}

// record logs one call: the server's failures at warn with their message;
// the caller's (a bad field, an unknown customer) at info with the field
// and reason alone, since their message names customer data, which is
// logged at debug only; the rest at debug. The standard gRPC metrics count
// it.
func (s *Server) record(ctx context.Context, fullMethod string, st *status.Status, d time.Duration) {
	method := strings.TrimPrefix(fullMethod, "/")
	code := st.Code()
	switch {
	case code != codes.OK:
		s.logFailure(ctx, "request failed", st, slog.String("method", method), slog.Float64("ms", ms(d)))
	case s.log.Enabled(ctx, slog.LevelDebug):
		s.log.LogAttrs(ctx, slog.LevelDebug, "request", slog.String("method", method), slog.String("code", code.String()),
			slog.Float64("ms", ms(d)))
	}
}

// logFailure logs a failed call or stream item (see record).
func (s *Server) logFailure(ctx context.Context, msg string, st *status.Status, attrs ...slog.Attr) {
	attrs = append(attrs, slog.String("code", st.Code().String()))
	level := slog.LevelWarn
	if callersFault(st.Code()) {
		level = slog.LevelInfo
		for _, d := range st.Details() {
			switch d := d.(type) {
			case *errdetails.ErrorInfo:
				attrs = append(attrs, slog.String("reason", d.GetReason()))
			case *errdetails.BadRequest:
				for _, v := range d.GetFieldViolations() {
					attrs = append(attrs, slog.String("field", v.GetField()))
				}
			}
		}
	}
	if level == slog.LevelWarn || s.log.Enabled(ctx, slog.LevelDebug) {
		attrs = append(attrs, slog.String("err", st.Message()))
	}
	s.log.LogAttrs(ctx, level, msg, attrs...)
}

// callersFault reports whether a call failed for what the caller sent or
// did, not for the server.
func callersFault(c codes.Code) bool {
	switch c {
	case codes.InvalidArgument, codes.NotFound, codes.FailedPrecondition, codes.OutOfRange, codes.AlreadyExists,
		codes.Unauthenticated, codes.PermissionDenied, codes.Canceled, codes.DeadlineExceeded:
		return true
	}
	return false
}

// ms is a duration in milliseconds, for logs.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
