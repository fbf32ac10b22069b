package serve

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/credence-risk/credence/serve/creditpb"
)

// A call's request id is the caller's x-request-id, or one the server makes
// up; either comes back in the response headers and goes into every log
// line of the call. A long customer_id makes no long log line.
func TestRequestIDAndBoundedLogs(t *testing.T) {
	var logs syncBuffer
	r := start(t, testConfig(&logs), newRegistry(t, 1), true)

	var header metadata.MD
	ctx := metadata.AppendToOutgoingContext(ctxT(t), "x-request-id", "req-42")
	if _, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: "nobody"}, grpc.Header(&header)); err == nil {
		t.Fatal("nobody was scored")
	}
	if got := header.Get("x-request-id"); len(got) != 1 || got[0] != "req-42" {
		t.Errorf("x-request-id header %q; want req-42", got)
	}
	// No id, or one too long to log: a new one.
	for _, sent := range []string{"", strings.Repeat("x", maxRequestID+1), "two words"} {
		ctx := ctxT(t)
		if sent != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", sent)
		}
		header = nil
		if _, err := r.client.ListModels(ctx, &creditpb.ListModelsRequest{}, grpc.Header(&header)); err != nil {
			t.Fatal(err)
		}
		if got := header.Get("x-request-id"); len(got) != 1 || got[0] == sent || !validRequestID(got[0]) {
			t.Errorf("sent %q: x-request-id header %q; want a new id", sent, got)
		}
	}

	huge := strings.Repeat("C", 1<<20)
	if _, err := r.client.Score(metadata.AppendToOutgoingContext(ctxT(t), "x-request-id", "req-huge"),
		&creditpb.ScoreRequest{CustomerId: huge}); err == nil {
		t.Fatal("a 1 MB customer was scored")
	} else if n := len(err.Error()); n > 1000 {
		t.Errorf("the error of a 1 MB customer_id is %d bytes", n)
	}
	var sawFailure, sawHuge bool
	for line := range strings.Lines(logs.String()) {
		if len(line) > 4*maxLogValue {
			t.Errorf("log line of %d bytes: %.200s…", len(line), line)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %.200q: %v", line, err)
		}
		if rec["msg"] == "request failed" && rec["request_id"] == "req-42" && rec["code"] == "NotFound" {
			sawFailure = true
		}
		if rec["request_id"] == "req-huge" {
			sawHuge = true
		}
	}
	if !sawFailure || !sawHuge {
		t.Errorf("no failure logged with its request id (req-42 %v, req-huge %v):\n%.2000s", sawFailure, sawHuge, logs.String())
	}
}

func TestBound(t *testing.T) {
	for _, s := range []string{"", "short", strings.Repeat("é", maxLogValue), strings.Repeat("a", maxLogValue+1)} {
		got := bound(s)
		if len(s) <= maxLogValue && got != s {
			t.Errorf("bound(%d bytes) changed it", len(s))
		}
		if len(s) > maxLogValue && (len(got) > maxLogValue+32 || !utf8.ValidString(got) || !strings.HasSuffix(got, "bytes)")) {
			t.Errorf("bound(%d bytes) = %d bytes %q", len(s), len(got), got[len(got)-20:])
		}
	}
	// Errors and lists are bounded by their text; groups by their members.
	var buf syncBuffer
	log := boundedLogger(slog.New(slog.NewJSONHandler(&buf, nil)))
	log.Info(strings.Repeat("m", 1000), "err", errString(strings.Repeat("e", 1000)), "reasons", []string{strings.Repeat("r", 1000)},
		slog.Group("g", "id", strings.Repeat("i", 1000)))
	if n := len(buf.String()); n > 6*maxLogValue {
		t.Errorf("log line of %d bytes: %s", n, buf.String())
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// Liveness says the process is up whatever the registry holds; readiness
// waits for a model.
func TestHealthLivenessReadiness(t *testing.T) {
	reg := newRegistry(t, 0)
	r := start(t, testConfig(nil), reg, false)
	hc := healthpb.NewHealthClient(r.conn)
	check := func(service string) healthpb.HealthCheckResponse_ServingStatus {
		resp, err := hc.Check(ctxT(t), &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("health %q: %v", service, err)
		}
		return resp.GetStatus()
	}
	for service, want := range map[string]healthpb.HealthCheckResponse_ServingStatus{
		"":          healthpb.HealthCheckResponse_SERVING,
		"liveness":  healthpb.HealthCheckResponse_SERVING,
		"readiness": healthpb.HealthCheckResponse_NOT_SERVING,
		serviceName: healthpb.HealthCheckResponse_NOT_SERVING,
	} {
		if got := check(service); got != want {
			t.Errorf("empty registry: health %q is %v; want %v", service, got, want)
		}
	}
	if err := reg.Promote(addModel(t, reg, getFixture(t).art)); err != nil {
		t.Fatal(err)
	}
	r.waitHealth(t, healthpb.HealthCheckResponse_SERVING)
	for _, service := range []string{"", "liveness", "readiness", serviceName} {
		if got := check(service); got != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("with a champion: health %q is %v; want SERVING", service, got)
		}
	}
}

// A failed call that the caller caused is logged at info without its
// message, which names customer data (an id, a value); the message comes at
// debug only. The server's own failures keep their message at warn.
func TestFailuresKeepCustomerDataOutOfInfo(t *testing.T) {
	var logs syncBuffer
	cfg := testConfig(nil)
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := NewServer(cfg, newRegistry(t, 0), getFixture(t).idx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.grpc.Stop)
	ctx := context.Background()
	s.record(ctx, "/credence.v1.CredenceService/Score", statusOf(errNotInBook("C-SECRET-1")), time.Millisecond)
	s.record(ctx, "/credence.v1.CredenceService/Score", statusOf(badField("history.invoices[0].invoice_id", "%q repeats", "C-SECRET-2")), time.Millisecond)
	s.record(ctx, "/credence.v1.CredenceService/Score", statusOf(errors.New("registry unreadable")), time.Millisecond)
	out := logs.String()
	if strings.Contains(out, "C-SECRET") {
		t.Errorf("customer data in info logs:\n%s", out)
	}
	for _, want := range []string{`"level":"INFO","msg":"request failed"`, `"reason":"NOT_FOUND"`, `"field":"history.invoices[0].invoice_id"`,
		`"level":"WARN","msg":"request failed"`, `"err":"registry unreadable"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
}
