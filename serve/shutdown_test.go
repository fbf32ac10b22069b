package serve

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/credence-risk/credence/serve/creditpb"
)

// slowServer starts a server whose scores, once entered is signalled, wait
// for release or for the end of their context, as a slow call that honours
// deadlines does.
func slowServer(t *testing.T, drain time.Duration) (r *running, entered chan struct{}, release chan struct{}) {
	reg := newRegistry(t, 1)
	cfg := testConfig(nil)
	cfg.DrainTimeout = drain
	srv, err := NewServer(cfg, reg, getFixture(t).idx)
	if err != nil {
		t.Fatal(err)
	}
	entered, release = make(chan struct{}, 1), make(chan struct{})
	srv.beforeScore = func(ctx context.Context) {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
	}
	return startServer(t, srv, true), entered, release
}

func TestShutdownDrains(t *testing.T) {
	r, entered, release := slowServer(t, 10*time.Second)
	id := getFixture(t).hs[0].CustomerID
	type result struct {
		resp *creditpb.ScoreResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := r.client.Score(context.Background(), &creditpb.ScoreRequest{CustomerId: id})
		done <- result{resp, err}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- r.stop() }()
	// Draining: health says NOT_SERVING while the call still runs.
	waitFor(t, "health NOT_SERVING", func() bool {
		resp, err := r.srv.health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: serviceName})
		return err == nil && resp.Status == healthpb.HealthCheckResponse_NOT_SERVING
	})
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) with a call still running", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if res := <-done; res.err != nil || res.resp.ModelVersion != "v0001" {
		t.Errorf("the call running at shutdown: %v, %v; want it to complete", res.resp, res.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve: %v", err)
	}
	r.conn.Close()
	goleak.VerifyNone(t)
}

func TestShutdownCutsOffAfterTimeout(t *testing.T) {
	r, entered, release := slowServer(t, 100*time.Millisecond)
	defer close(release)
	done := make(chan error, 1)
	go func() {
		_, err := r.client.Score(context.Background(), &creditpb.ScoreRequest{CustomerId: getFixture(t).hs[0].CustomerID})
		done <- err
	}()
	<-entered
	t0 := time.Now()
	if err := r.stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
	if took := time.Since(t0); took > 5*time.Second {
		t.Errorf("stopping took %s with a drain timeout of 100ms", took)
	}
	if err := <-done; status.Code(err) != codes.Unavailable && status.Code(err) != codes.Canceled {
		t.Errorf("the call cut off: got %v; want Unavailable or Canceled", err)
	}
}

// A call whose deadline passes while it waits is not scored: the server
// gives up on it (DEADLINE_EXCEEDED, or CANCELLED when the client's reset
// arrives first) instead of working for nobody.
func TestDeadlineHonoured(t *testing.T) {
	r, entered, release := slowServer(t, time.Second)
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: getFixture(t).hs[0].CustomerID})
	<-entered
	if code := status.Code(err); code != codes.DeadlineExceeded {
		t.Errorf("got %v; want DeadlineExceeded", err)
	}
	var body string
	waitFor(t, "the server to count the call", func() bool {
		rec := httptest.NewRecorder()
		r.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body = rec.Body.String()
		return strings.Contains(body, `grpc_server_handling_seconds_count{grpc_method="Score",grpc_service="credence.v1.CredenceService",grpc_type="unary"} 1`)
	})
	if !strings.Contains(body, `grpc_server_handled_total{grpc_code="DeadlineExceeded",grpc_method="Score",grpc_service="credence.v1.CredenceService",grpc_type="unary"} 1`) &&
		!strings.Contains(body, `grpc_server_handled_total{grpc_code="Canceled",grpc_method="Score",grpc_service="credence.v1.CredenceService",grpc_type="unary"} 1`) {
		t.Errorf("the call is not counted as past its deadline:\n%s", grep(body, "grpc_server_handled_total"))
	}
	if !strings.Contains(body, "credence_pd_ratio_count 0") {
		t.Errorf("the server scored a call past its deadline:\n%s", grep(body, "credence_pd_ratio_count"))
	}
}

func grep(body, prefix string) string {
	var out []string
	for l := range strings.Lines(body) {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// A client that cancels a stream ends the server's side of it.
func TestStreamCancelled(t *testing.T) {
	reg := newRegistry(t, 1)
	r := start(t, testConfig(nil), reg, true)
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := r.client.ScoreStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&creditpb.ScoreStreamRequest{Score: &creditpb.ScoreRequest{CustomerId: getFixture(t).hs[0].CustomerID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Errorf("after cancel: %v; want Canceled", err)
	}
	waitFor(t, "the server to end the stream", func() bool {
		rec := httptest.NewRecorder()
		r.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return strings.Contains(rec.Body.String(), `grpc_server_handled_total{grpc_code="Canceled",grpc_method="ScoreStream",grpc_service="credence.v1.CredenceService",grpc_type="bidi_stream"} 1`)
	})
}
