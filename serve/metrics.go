package serve

import (
	"math"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/credence-risk/credence/serve/creditpb"
)

// metrics are the server's Prometheus metrics, in a registry of its own so
// that several servers (tests) never collide.
type metrics struct {
	reg *prometheus.Registry
	// grpc are the standard gRPC server metrics: grpc_server_started_total,
	// grpc_server_handled_total (by code), grpc_server_handling_seconds,
	// grpc_server_msg_received_total and grpc_server_msg_sent_total.
	grpc      *grpcprom.ServerMetrics
	modelInfo *prometheus.GaugeVec
	reloads   *prometheus.CounterVec
	fallbacks *prometheus.GaugeVec
	pd        prometheus.Histogram
	grades    [11]prometheus.Counter // by grade 1..10; 0 unused
	light     *prometheus.GaugeVec
	validated *prometheus.GaugeVec
	livePSI   prometheus.Gauge
	window    prometheus.Gauge
	events    *prometheus.CounterVec
	alerts    *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		grpc: grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
			// A score takes tens of microseconds; a revalidation or a
			// large ingest, seconds.
			grpcprom.WithHistogramBuckets([]float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 1, 2.5, 10}))),
		modelInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "credence_model_info",
			Help: "1 for each model served: role is champion (the reference served) or shadow.",
		}, []string{"role", "version", "family", "feature_set_version"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credence_model_loads_total",
			Help: "Model loads by the watcher, by result (ok or failed).",
		}, []string{"result"}),
		fallbacks: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "credence_model_fallback",
			Help: "1 while the model served (version) is not the one the reference names (wanted), which failed to load.",
		}, []string{"version", "wanted"}),
		pd: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "credence_pd_ratio",
			Help: "PDs returned (probabilities, 0 to 1), on the bounds of the default master scale.",
			// The default master scale's upper bounds.
			Buckets: []float64{0.0003, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.12, 0.999999},
		}),
		light: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "credence_validation_light",
			Help: "Latest validation light of a model served, from its stored report until this server revalidates it: 0 none yet, 1 green, 2 yellow, 3 red.",
		}, []string{"version"}),
		validated: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "credence_validation_metric",
			Help: "Latest revalidation figures of a model (auc, psi, default_rate, ...).",
		}, []string{"version", "metric"}),
		livePSI: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "credence_live_pd_psi",
			Help: "PSI of the PDs served recently against the champion's training PDs; NaN until the window has enough.",
		}),
		window: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "credence_live_pd_window",
			Help: "PDs in the window of the live PSI.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credence_events_total",
			Help: "Events ingested, by outcome (accepted, unchanged, refused).",
		}, []string{"status"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credence_alerts_total",
			Help: "Early warnings raised, by kind.",
		}, []string{"kind"}),
	}
	grades := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "credence_grades_total",
		Help: "Scores returned, by grade on the master scale.",
	}, []string{"grade"})
	for g := 1; g < len(m.grades); g++ {
		m.grades[g] = grades.WithLabelValues(strconv.Itoa(g))
	}
	m.reg.MustRegister(m.grpc, m.modelInfo, m.reloads, m.fallbacks, m.pd, grades, m.light, m.validated, m.livePSI, m.window, m.events, m.alerts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// dataDate exports the data date and its age by the server's clock.
func (m *metrics) dataDate(book Book, now func() time.Time) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "credence_data_date_seconds",
			Help: "The data date (the latest date on which anything happened in the book), as Unix time.",
		}, func() float64 { return float64(book.DataDate().Time().Unix()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "credence_data_age_seconds",
			Help: "How far the data date is behind the server's clock: stale data when it grows past a day or two.",
		}, func() float64 { return now().Sub(book.DataDate().Time()).Seconds() }),
	)
}

// modelAge exports the age of the champion, from its registration by the
// server's clock: a model older than the policy allows is due for review.
func (m *metrics) modelAge(champion func() *model, now func() time.Time) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "credence_model_age_seconds",
		Help: "Time since the champion served was registered; NaN while none is loaded.",
	}, func() float64 {
		if c := champion(); c != nil && !c.art.Created.IsZero() {
			return now().Sub(c.art.Created).Seconds()
		}
		return math.NaN()
	}))
}

// score records one score returned.
func (m *metrics) score(pd float64, grade int32) {
	m.pd.Observe(pd)
	if grade > 0 && int(grade) < len(m.grades) {
		m.grades[grade].Inc()
	}
}

// serving records the models served.
func (m *metrics) serving(champion, shadow *model) {
	m.modelInfo.Reset()
	for role, md := range map[string]*model{"champion": champion, "shadow": shadow} {
		if md != nil {
			m.modelInfo.WithLabelValues(role, md.version, md.art.Family, md.scorer.Set.Version).Set(1)
		}
	}
}

// fallback records that served stands in for version wanted, which does
// not load; wanted "" clears it.
func (m *metrics) fallback(served *model, wanted string) {
	m.fallbacks.Reset()
	if served != nil && wanted != "" {
		m.fallbacks.WithLabelValues(served.version, wanted).Set(1)
	}
}

// validation records a revalidation result.
func (m *metrics) validation(st *creditpb.ValidationStatus) {
	m.light.WithLabelValues(st.ModelVersion).Set(float64(st.Light))
	for k, x := range st.Metrics {
		m.validated.WithLabelValues(st.ModelVersion, k).Set(x)
	}
}

// handler serves /metrics and, with pprofOn, /debug/pprof/.
func (m *metrics) handler(pprofOn bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	if pprofOn {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// exportStoredValidation exports the light of the newest validation report
// stored beside version v as soon as v serves (0 when it has none), until
// this server revalidates it.
func (s *Server) exportStoredValidation(v string) {
	s.validMu.Lock()
	_, ran := s.validations[v]
	s.validMu.Unlock()
	if ran {
		return
	}
	st, err := storedValidation(s.reg, v)
	if err != nil {
		s.log.Warn("stored validation unreadable", "version", v, "err", err)
	}
	if st == nil {
		st = &creditpb.ValidationStatus{ModelVersion: v}
	}
	s.metrics.validation(st)
}
