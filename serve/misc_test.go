package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"github.com/credence-risk/credence/serve/creditpb"
	"github.com/credence-risk/credence/serve/limit"
)

func TestReflection(t *testing.T) {
	reg := newRegistry(t, 1)
	cfg := testConfig(nil)
	cfg.Tokens = []string{"t"} // reflection stays open
	r := start(t, cfg, reg, true)
	stream, err := reflectionpb.NewServerReflectionClient(r.conn).ServerReflectionInfo(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{serviceName, "grpc.health.v1.Health"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %q; want %s among them", names, want)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Errorf("after CloseSend: %v; want EOF", err)
	}
}

func TestMetrics(t *testing.T) {
	reg := newRegistry(t, 1)
	r := start(t, testConfig(nil), reg, true)
	f := getFixture(t)
	for _, h := range f.hs[:5] {
		if _, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: h.CustomerID, AsOf: day("2023-08-01")}); err != nil {
			t.Fatal(err)
		}
	}
	r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: "nobody"})
	rec := httptest.NewRecorder()
	r.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`grpc_server_handled_total{grpc_code="OK",grpc_method="Score",grpc_service="credence.v1.CredenceService",grpc_type="unary"} 5`,
		`grpc_server_handled_total{grpc_code="NotFound",grpc_method="Score",grpc_service="credence.v1.CredenceService",grpc_type="unary"} 1`,
		`grpc_server_handling_seconds_count{grpc_method="Score",grpc_service="credence.v1.CredenceService",grpc_type="unary"} 6`,
		// Every method is there from the start, at 0.
		`grpc_server_started_total{grpc_method="RecommendLimit",grpc_service="credence.v1.CredenceService",grpc_type="unary"} 0`,
		`credence_validation_light{version="v0001"} 0`,
		`credence_model_age_seconds `,
		`credence_model_info{family="logistic",feature_set_version="` + f.art.FeatureSet.Version + `",role="champion",version="v0001"} 1`,
		`credence_pd_ratio_count 5`,
		`credence_model_loads_total{result="ok"} 1`,
		`credence_live_pd_window`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	var grades float64
	for line := range strings.Lines(body) {
		if strings.HasPrefix(line, "credence_grades_total{") {
			var x float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &x)
			grades += x
		}
	}
	if grades != 5 {
		t.Errorf("grades counted %v; want 5", grades)
	}
}

func TestStatusOf(t *testing.T) {
	cases := []struct {
		err  error
		want codes.Code
	}{
		{badField("as_of", "bad"), codes.InvalidArgument},
		{fmt.Errorf("wrapped: %w", badField("x", "bad")), codes.InvalidArgument},
		{fmt.Errorf("%w: payment_terms_days: 0", limit.ErrInvalidRequest), codes.InvalidArgument},
		{notFound("customer_id: %q is not in the book", "x"), codes.NotFound},
		{ErrNoModel, codes.Unavailable},
		{fmt.Errorf("%w: no token", ErrUnauthenticated), codes.Unauthenticated},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{context.Canceled, codes.Canceled},
		{errors.New("disk on fire"), codes.Internal},
	}
	for _, c := range cases {
		if got := statusOf(c.err).Code(); got != c.want {
			t.Errorf("statusOf(%v): got %v; want %v", c.err, got, c.want)
		}
	}
	if statusOf(nil) != nil {
		t.Error("statusOf(nil) is not nil")
	}
	if got := statusOf(notFound("customer_id: %q is not in the book", "C1")).Message(); got != `customer_id: "C1" is not in the book` {
		t.Errorf("message %q", got)
	}
}

func TestLoadPolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, err := LoadPolicy(write("partial.yaml", "lgd: 0.6\ngrades:\n  3: {cap: 1000, auto_approve_up_to: 500}\n"))
	if err != nil {
		t.Fatal(err)
	}
	def := limit.DefaultPolicy()
	if p.LGD != 0.6 || p.Grades[3].Cap != 1000 || p.Grades[4] != def.Grades[4] || p.ELBudget != def.ELBudget {
		t.Errorf("partial policy: %+v", p)
	}
	if p, err := LoadPolicy(write("empty.yaml", "")); err != nil || p.LGD != def.LGD {
		t.Errorf("empty file: %v, LGD %v; want the default policy", err, p.LGD)
	}
	for name, body := range map[string]string{"unknown.yaml": "lgd: 0.5\nlgdd: 1\n", "invalid.yaml": "lgd: 1.5\n"} {
		if _, err := LoadPolicy(write(name, body)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestReadTokens(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte("# rotated monthly\nabc\n\n  def  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadTokens(p)
	if err != nil || strings.Join(got, ",") != "abc,def" {
		t.Errorf("got %q, %v; want abc,def", got, err)
	}
	if err := os.WriteFile(p, []byte("# none\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadTokens(p); err == nil {
		t.Error("a file without tokens: no error")
	}
}

func TestConfigChecks(t *testing.T) {
	cases := map[string]func(*Config){
		"on-red":        func(c *Config) { c.OnRed = "panic" },
		"tls half":      func(c *Config) { c.TLSCert = "cert.pem" },
		"client ca":     func(c *Config) { c.TLSClientCA = "ca.pem" },
		"empty token":   func(c *Config) { c.Tokens = []string{""} },
		"policy":        func(c *Config) { c.Policy.LGD = 2 },
		"reasons":       func(c *Config) { c.Reasons = -1 },
		"revalidations": func(c *Config) { c.RevalidateEvery = -1 },
	}
	for name, edit := range cases {
		cfg := DefaultConfig()
		edit(&cfg)
		if _, err := NewServer(cfg, nil, nil); err == nil {
			t.Errorf("%s: NewServer accepted the config", name)
		}
	}
}
