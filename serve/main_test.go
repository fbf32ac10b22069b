package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/synth"
	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/train"
)

// The package's tests share one small synthetic book and one logistic
// model trained on it, made once.
var (
	fixtureDir  string
	fixtureOnce sync.Once
	fixtureVal  *fixture
	fixtureErr  error
)

// testAsOf is the servers' "today" in tests: inside the synthetic book.
var testAsOf = time.Date(2024, 6, 1, 9, 30, 0, 0, time.UTC)

type fixture struct {
	book *datasets.Book
	// hs are the customers with an invoice or a statement; factless, the
	// others, which the server does not score (NOT_FOUND) as rescoring
	// skips them.
	hs, factless []*datasets.History
	idx          *Index
	art          *artifact.Artifact
}

func TestMain(m *testing.M) {
	var err error
	if fixtureDir, err = os.MkdirTemp("", "credence-serve-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(fixtureDir)
	if code == 0 {
		// Every server, client and background loop must be gone.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// makeBook writes a synthetic book.
func makeBook(name string, customers int, seed int64, defaultRate float64) (*datasets.Book, error) {
	dir := filepath.Join(fixtureDir, name)
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Months, cfg.Seed, cfg.AnnualDefaultRate = customers, 24, seed, defaultRate
	if _, err := synth.Generate(context.Background(), cfg, dir, "", nil); err != nil {
		return nil, err
	}
	return datasets.Open(dir)
}

func getFixture(t testing.TB) *fixture {
	t.Helper()
	fixtureOnce.Do(func() {
		f := &fixture{}
		if f.book, fixtureErr = makeBook("book", 1500, 5, 0); fixtureErr != nil {
			return
		}
		all, err := f.book.ReadAll(context.Background())
		if fixtureErr = err; err != nil {
			return
		}
		f.idx = NewIndex(f.book, all)
		for _, h := range all {
			if len(h.Invoices)+len(h.Statements) > 0 {
				f.hs = append(f.hs, h)
			} else {
				f.factless = append(f.factless, h)
			}
		}
		tc := train.DefaultConfig()
		tc.Families = []string{"logistic"}
		tc.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
		res, err := train.Run(context.Background(), f.book, tc, nil)
		if err != nil {
			fixtureErr = err
			return
		}
		f.art = res.Artifact
		fixtureVal = f
	})
	if fixtureErr != nil {
		t.Fatalf("fixture: %v", fixtureErr)
	}
	return fixtureVal
}

// newRegistry returns a registry holding the fixture's model n times
// (v0001…), v0001 champion when n > 0.
func newRegistry(t testing.TB, n int) *registry.Registry {
	t.Helper()
	f := getFixture(t)
	reg, err := registry.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		v := addModel(t, reg, f.art)
		if i == 0 {
			if err := reg.Promote(v); err != nil {
				t.Fatal(err)
			}
		}
	}
	return reg
}

func addModel(t testing.TB, reg *registry.Registry, art *artifact.Artifact) string {
	t.Helper()
	v, err := reg.Add(art)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// testConfig is a server configuration for tests: fixed clock, no metrics
// listener, quick reloads, logs into buf when given.
func testConfig(buf *syncBuffer) Config {
	cfg := DefaultConfig()
	cfg.MetricsAddr = ""
	cfg.ReloadInterval = 20 * time.Millisecond
	cfg.DrainTimeout = 5 * time.Second
	cfg.Now = func() time.Time { return testAsOf }
	var w interface{ Write([]byte) (int, error) } = discard{}
	if buf != nil {
		w = buf
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return cfg
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is a server under test on a loopback listener.
type running struct {
	srv    *Server
	addr   string
	conn   *grpc.ClientConn
	client creditpb.CredenceServiceClient
	stop   func() error
}

// start serves cfg over reg and the fixture's book on 127.0.0.1:0, and
// stops it when the test ends. With wantModel it waits until health checks
// say SERVING.
func start(t *testing.T, cfg Config, reg *registry.Registry, wantModel bool, dial ...grpc.DialOption) *running {
	t.Helper()
	srv, err := NewServer(cfg, reg, getFixture(t).idx)
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, srv, wantModel, dial...)
}

func startServer(t testing.TB, srv *Server, wantModel bool, dial ...grpc.DialOption) *running {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	var once sync.Once
	var serveErr error
	r := &running{srv: srv, addr: lis.Addr().String()}
	r.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(20 * time.Second):
				serveErr = errors.New("Serve did not return 20 s after its context ended")
			}
		})
		return serveErr
	}
	if len(dial) == 0 {
		dial = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	if r.conn, err = grpc.NewClient("passthrough:///"+r.addr, dial...); err != nil {
		t.Fatal(err)
	}
	r.client = creditpb.NewCredenceServiceClient(r.conn)
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
		r.conn.Close()
	})
	if wantModel {
		r.waitHealth(t, healthpb.HealthCheckResponse_SERVING)
	}
	return r
}

// waitHealth waits until the Credence service reports want.
func (r *running) waitHealth(t testing.TB, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	hc := healthpb.NewHealthClient(r.conn)
	deadline := time.Now().Add(10 * time.Second)
	var got healthpb.HealthCheckResponse_ServingStatus
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: serviceName})
		cancel()
		if err == nil {
			if got = resp.GetStatus(); got == want {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("health of %s: got %v; want %v", serviceName, got, want)
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// day is a "YYYY-MM-DD" date as the API sends it.
func day(s string) *date.Date {
	d, err := creditpb.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// dateString writes an API date as "YYYY-MM-DD".
var dateString = creditpb.DateString
