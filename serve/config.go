package serve

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/serve/limit"
)

// What the server does when a revalidation comes out red.
const (
	// OnRedAlert logs the result and exports it as a metric.
	OnRedAlert = "alert"
	// OnRedRollback also rolls the registry's champion back to the one
	// before it; the watcher then serves that one.
	OnRedRollback = "rollback"
)

// Config is the server's configuration. Start from DefaultConfig; the zero
// value of each field is documented where it is not simply "off".
type Config struct {
	// Model is the registry reference served: "champion" (also when empty),
	// a label such as "stable", which is followed like the champion, or a
	// version such as "v0007", which pins it.
	Model string
	// Shadow is a label (e.g. "challenger") whose model scores beside the
	// champion; both PDs are logged, only the champion's is returned.
	// Empty: none.
	Shadow string
	// ReloadInterval is how often the registry is polled for a new model.
	// Zero: DefaultConfig's 5 s.
	ReloadInterval time.Duration

	// RevalidateEvery is the period of the back-test of the served model;
	// zero turns it off.
	RevalidateEvery time.Duration
	// RevalidateBook is the directory of the book the back-test runs on,
	// the newest with matured outcomes. Empty: the serving book.
	RevalidateBook string
	// Observations override the stored model's horizon and default rule
	// for the back-test where set (see backtest.Validate).
	Observations backtest.ObservationConfig
	// OnRed is OnRedAlert or OnRedRollback. Empty: alert. The server rolls
	// back at most once in its life, so that a run of red results cannot
	// walk the champion back through the whole history.
	OnRed string
	// PSIWindow is the number of served PDs the live PSI is computed on.
	// Zero: DefaultConfig's 10,000.
	PSIWindow int

	// Alerts says when a change in a customer of the live store raises an
	// early warning.
	Alerts AlertConfig

	// Policy is the credit-limit policy of RecommendLimit.
	Policy limit.Policy
	// Reasons is the number of reasons Score and ScoreStream return when a
	// request leaves max_reasons at 0; DefaultConfig's is 3, since every
	// declined or reduced limit must say why. Zero: none unless the request
	// asks. A gbdt's reasons (exact SHAP values from per-tree tables) cost
	// about as much as the rest of a score.
	Reasons int
	// LimitReasons is the same for RecommendLimit, whose decisions carry
	// their reasons by default.
	LimitReasons int
	// WarmCustomers is the number of the book's customers a new model
	// scores before it serves.
	WarmCustomers int

	// MetricsAddr is the HTTP address of /metrics, e.g. "127.0.0.1:9090"
	// (DefaultConfig's). Empty: no HTTP server (MetricsHandler still works).
	MetricsAddr string
	// Pprof adds net/http/pprof under /debug/pprof/ on MetricsAddr.
	Pprof bool

	// TLSCert and TLSKey are PEM files of the server's certificate and
	// key. Empty: plaintext.
	TLSCert, TLSKey string
	// TLSClientCA is a PEM file of the CAs that sign client certificates;
	// when set, clients must present one (mutual TLS).
	TLSClientCA string
	// Tokens are the bearer tokens accepted; empty: no authentication.
	Tokens []string
	// Insecure lets the server listen on an address other than loopback
	// with neither TLS nor tokens; without it Serve refuses to.
	Insecure bool
	// MaxMsgBytes bounds the size of a request and of a response. Zero:
	// DefaultConfig's 4 MiB.
	MaxMsgBytes int
	// DrainTimeout is how long shutdown waits for running requests before
	// it cuts them off. Zero: DefaultConfig's 15 s.
	DrainTimeout time.Duration

	// Logger receives the server's structured logs; nil: slog.Default().
	Logger *slog.Logger
	// Now is the clock of default as-of dates and reports; nil: time.Now.
	Now func() time.Time
}

// GCPercent is the garbage collector's target (Go's GOGC) that a server
// process sets unless GOGC says otherwise: collecting a third as often as
// Go's default of 100 keeps collection pauses out of most scores while
// events flow in (Score p99 at 1,000/s during 10,000 events/s, quiet
// 2-core machine: 4.0–4.4 ms, against 4.4–5.3 ms at 200 and 5.8–6.9 ms at
// 100), for a heap up to four times the live data rather than twice: tens
// of MB, the store's block cache being off the Go heap.
const GCPercent = 300

// SetGCPercent applies GCPercent unless the GOGC environment variable is
// set; a process that serves calls it once at start.
func SetGCPercent() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}

// DefaultConfig serves the champion, polls every 5 s, returns three reasons
// with every score and limit decision unless the request asks otherwise,
// and applies limit.DefaultPolicy.
func DefaultConfig() Config {
	return Config{
		Model:          registry.Champion,
		ReloadInterval: 5 * time.Second,
		OnRed:          OnRedAlert,
		PSIWindow:      10_000,
		Policy:         limit.DefaultPolicy(),
		Reasons:        3,
		LimitReasons:   3,
		WarmCustomers:  16,
		MetricsAddr:    "127.0.0.1:9090",
		MaxMsgBytes:    4 << 20,
		DrainTimeout:   15 * time.Second,
		Alerts:         AlertConfig{GradeNotches: 2, WatchGrade: 8, PDFactor: 2, PDFloor: 0.01, OverdueDays: []int{30, 60, 90}},
	}
}

// withDefaults fills the zero values that stand for a default, and checks
// the rest.
func (c Config) withDefaults() (Config, error) {
	def := DefaultConfig()
	if c.Model == "" {
		c.Model = def.Model
	}
	if c.ReloadInterval <= 0 {
		c.ReloadInterval = def.ReloadInterval
	}
	if c.OnRed == "" {
		c.OnRed = def.OnRed
	}
	if c.PSIWindow <= 0 {
		c.PSIWindow = def.PSIWindow
	}
	if c.MaxMsgBytes <= 0 {
		c.MaxMsgBytes = def.MaxMsgBytes
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = def.DrainTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	a, da := &c.Alerts, def.Alerts
	if a.GradeNotches == 0 {
		a.GradeNotches = da.GradeNotches
	}
	if a.WatchGrade == 0 {
		a.WatchGrade = da.WatchGrade
	}
	if a.PDFactor == 0 {
		a.PDFactor, a.PDFloor = da.PDFactor, da.PDFloor
	}
	if len(a.OverdueDays) == 0 {
		a.OverdueDays = da.OverdueDays
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	var errs []error
	if c.OnRed != OnRedAlert && c.OnRed != OnRedRollback {
		errs = append(errs, fmt.Errorf("on-red: %q is neither %s nor %s", c.OnRed, OnRedAlert, OnRedRollback))
	}
	for _, d := range c.Alerts.OverdueDays {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("alert-overdue-days: %d is not a number of days > 0", d))
		}
	}
	if c.Alerts.WatchGrade > 10 {
		errs = append(errs, fmt.Errorf("alert-watch-grade: %d is not a grade 1–10", c.Alerts.WatchGrade))
	}
	if c.Reasons < 0 || c.LimitReasons < 0 {
		errs = append(errs, fmt.Errorf("reasons: %d or %d is negative", c.Reasons, c.LimitReasons))
	}
	if c.RevalidateEvery < 0 {
		errs = append(errs, fmt.Errorf("revalidate-every: %s is negative", c.RevalidateEvery))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls-cert and tls-key go together"))
	}
	if c.TLSClientCA != "" && c.TLSCert == "" {
		errs = append(errs, errors.New("tls-client-ca needs tls-cert and tls-key"))
	}
	for i, t := range c.Tokens {
		if t == "" {
			errs = append(errs, fmt.Errorf("token %d is empty", i+1))
		}
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// CheckExposure refuses a listener reachable from other machines (any
// address but loopback) when the server neither encrypts nor
// authenticates, unless c.Insecure says so: a book's scores are not for
// anyone on the network.
func (c Config) CheckExposure(addr net.Addr) error {
	if c.Insecure || c.TLSCert != "" || len(c.Tokens) > 0 {
		return nil
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() {
		return nil // a Unix socket or loopback: this machine only
	}
	return fmt.Errorf("listen %s: reachable from other machines without TLS or tokens; "+
		"give --tls-cert/--tls-key or --token/--token-file, listen on 127.0.0.1, or say --insecure", addr)
}

// LoadPolicy reads a credit-limit policy from a YAML file. Settings the file
// leaves out keep the values of limit.DefaultPolicy (a grade listed replaces
// that grade's whole rule); unknown keys are an error.
func LoadPolicy(path string) (limit.Policy, error) {
	p := limit.DefaultPolicy()
	b, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("limit policy: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty file (io.EOF) is the default policy.
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return p, fmt.Errorf("limit policy %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("limit policy %s: %w", path, err)
	}
	return p, nil
}

// ReadTokens reads bearer tokens from a file, one per line; blank lines and
// lines starting with # are skipped. Several tokens let a client's token be
// rotated without a gap.
func ReadTokens(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	var out []string
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("token file %s holds no token", path)
	}
	return out, nil
}
