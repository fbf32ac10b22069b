package serve

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/serve/creditpb"
)

func TestModels(t *testing.T) {
	reg := newRegistry(t, 3) // v0001 champion
	if err := reg.SetLabel("challenger", "v0003"); err != nil {
		t.Fatal(err)
	}
	r := start(t, testConfig(nil), reg, true)
	list, err := r.client.ListModels(ctxT(t), &creditpb.ListModelsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, m := range list.Models {
		versions = append(versions, m.Version)
	}
	if got := strings.Join(versions, ","); got != "v0003,v0002,v0001" {
		t.Errorf("ListModels: got %s; want v0003,v0002,v0001 (newest first)", got)
	}
	if m := list.Models[2]; !m.Ready || m.Family != "logistic" || m.Metrics["auc"] <= 0.5 || m.ScoreScaling.GetPdo() <= 0 ||
		m.TrainingFrom == nil || m.ObservedUntil == nil || strings.Join(m.Labels, ",") != "champion" {
		t.Errorf("v0001: %v", m)
	}
	if list.Models[1].Ready {
		t.Error("v0002 is reported ready; nothing loaded it")
	}
	// Pages of two: v0003,v0002 then v0001, the last page without a token.
	var paged []string
	token := ""
	for page := 0; ; page++ {
		resp, err := r.client.ListModels(ctxT(t), &creditpb.ListModelsRequest{PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if len(resp.Models) > 2 || page > 2 {
			t.Fatalf("page %d: %d models; want at most 2, over 2 pages", page, len(resp.Models))
		}
		for _, m := range resp.Models {
			paged = append(paged, m.Version)
		}
		if token = resp.NextPageToken; token == "" {
			break
		}
	}
	if got := strings.Join(paged, ","); got != "v0003,v0002,v0001" {
		t.Errorf("ListModels by pages of 2: got %s; want v0003,v0002,v0001", got)
	}
	for _, bad := range []*creditpb.ListModelsRequest{{PageSize: -1}, {PageSize: 1001}, {PageToken: "v0002"}} {
		_, err := r.client.ListModels(ctxT(t), bad)
		if st := status.Convert(err); st.Code() != codes.InvalidArgument {
			t.Errorf("ListModels(%v): %v; want InvalidArgument", bad, err)
		} else {
			checkDetails(t, st)
		}
	}
	labelled, err := r.client.ListModels(ctxT(t), &creditpb.ListModelsRequest{Label: "challenger"})
	if err != nil {
		t.Fatal(err)
	}
	if len(labelled.Models) != 1 || labelled.Models[0].Version != "v0003" {
		t.Errorf("ListModels(challenger): got %v; want v0003 alone", labelled.Models)
	}

	cases := []struct {
		name string
		req  *creditpb.GetModelRequest
		want string
		code codes.Code
	}{
		{"champion", &creditpb.GetModelRequest{}, "v0001", codes.OK},
		{"version", &creditpb.GetModelRequest{Model: &creditpb.GetModelRequest_Version{Version: "v2"}}, "v0002", codes.OK},
		{"label", &creditpb.GetModelRequest{Model: &creditpb.GetModelRequest_Label{Label: "challenger"}}, "v0003", codes.OK},
		{"unknown version", &creditpb.GetModelRequest{Model: &creditpb.GetModelRequest_Version{Version: "v0042"}}, "", codes.NotFound},
		{"unknown label", &creditpb.GetModelRequest{Model: &creditpb.GetModelRequest_Label{Label: "canary"}}, "", codes.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := r.client.GetModel(ctxT(t), c.req)
			if code := status.Code(err); code != c.code || c.code == codes.OK && m.GetModel().GetVersion() != c.want {
				t.Errorf("got %v %v; want %v %s", m.GetModel().GetVersion(), code, c.code, c.want)
			}
		})
	}

	// A request naming another version is scored by it.
	resp, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: getFixture(t).hs[0].CustomerID, ModelVersion: "challenger"})
	if err != nil || resp.ModelVersion != "v0003" {
		t.Fatalf("score with the challenger: %v, model %q; want v0003", err, resp.GetModelVersion())
	}
	if m, err := r.client.GetModel(ctxT(t), &creditpb.GetModelRequest{Model: &creditpb.GetModelRequest_Version{Version: "v0003"}}); err != nil || !m.GetModel().GetReady() {
		t.Errorf("v0003 after scoring with it: ready %v, %v; want ready", m.GetModel().GetReady(), err)
	}
}

func TestPinnedModel(t *testing.T) {
	reg := newRegistry(t, 2)
	if err := reg.Promote("v0002"); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(nil)
	cfg.Model = "v0001"
	r := start(t, cfg, reg, true)
	resp, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: getFixture(t).hs[0].CustomerID})
	if err != nil || resp.ModelVersion != "v0001" {
		t.Errorf("pinned v0001 with champion v0002: got %q, %v; want v0001", resp.GetModelVersion(), err)
	}
}

func TestNoModelUntilPromoted(t *testing.T) {
	reg := newRegistry(t, 0)
	r := start(t, testConfig(nil), reg, false)
	r.waitHealth(t, healthpb.HealthCheckResponse_NOT_SERVING)
	id := getFixture(t).hs[0].CustomerID
	_, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: id})
	if code := status.Code(err); code != codes.Unavailable {
		t.Errorf("score without a model: got %v (%v); want Unavailable", code, err)
	}
	v := addModel(t, reg, getFixture(t).art)
	if err := reg.Promote(v); err != nil {
		t.Fatal(err)
	}
	r.waitHealth(t, healthpb.HealthCheckResponse_SERVING)
	if _, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: id}); err != nil {
		t.Errorf("score after the promotion: %v", err)
	}
}

// hammer scores from several goroutines until stop is closed, and reports
// errors and the versions each goroutine saw, in order.
func hammer(t *testing.T, r *running, workers int, stop <-chan struct{}) (errs *atomic.Int64, seen [][]string, wait func()) {
	f := getFixture(t)
	errs = &atomic.Int64{}
	seen = make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				resp, err := r.client.Score(ctx, &creditpb.ScoreRequest{CustomerId: f.hs[(w*97+i)%len(f.hs)].CustomerID})
				cancel()
				if err != nil {
					errs.Add(1)
					t.Errorf("worker %d: %v", w, err)
					continue
				}
				if s := seen[w]; len(s) == 0 || s[len(s)-1] != resp.ModelVersion {
					seen[w] = append(seen[w], resp.ModelVersion)
				}
			}
		})
	}
	return errs, seen, wg.Wait
}

func TestReloadUnderLoad(t *testing.T) {
	reg := newRegistry(t, 1)
	r := start(t, testConfig(nil), reg, true)
	stop := make(chan struct{})
	errs, seen, wait := hammer(t, r, 4, stop)
	time.Sleep(100 * time.Millisecond)
	v2 := addModel(t, reg, getFixture(t).art)
	if err := reg.Promote(v2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the server to serve v0002", func() bool {
		m := r.srv.champion.Load()
		return m != nil && m.version == v2
	})
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wait()
	if n := errs.Load(); n != 0 {
		t.Errorf("%d calls failed during the reload; want none", n)
	}
	for w, s := range seen {
		// Each worker scores one call after another, so it sees v0001 and
		// then only v0002.
		if got := strings.Join(s, ","); got != "v0001,v0002" {
			t.Errorf("worker %d saw versions %s; want v0001,v0002", w, got)
		}
	}
}

func TestCorruptVersionKeepsServing(t *testing.T) {
	logs := &syncBuffer{}
	reg := newRegistry(t, 1)
	cfg := testConfig(logs)
	cfg.ReloadInterval = time.Hour // reloads are triggered by hand below
	r := start(t, cfg, reg, true)
	f := getFixture(t)

	stop := make(chan struct{})
	errs, seen, wait := hammer(t, r, 2, stop)
	// A new version, promoted, then damaged before the server looks.
	v2 := addModel(t, reg, f.art)
	if err := reg.Promote(v2); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reg.Path(v2, registry.ModelFile), []byte("{not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.srv.reload()
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wait()
	if n := errs.Load(); n != 0 {
		t.Errorf("%d calls failed; want none", n)
	}
	for w, s := range seen {
		if got := strings.Join(s, ","); got != "v0001" {
			t.Errorf("worker %d saw %s; want v0001 only", w, got)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"model failed to load; the previous one keeps serving"`) || !strings.Contains(logs.String(), `"version":"v0002"`) {
		t.Errorf("no warning about v0002 in the logs:\n%s", logs.String())
	}
	r.waitHealth(t, healthpb.HealthCheckResponse_SERVING)

	// A good version after it is served.
	v3 := addModel(t, reg, f.art)
	if err := reg.Promote(v3); err != nil {
		t.Fatal(err)
	}
	r.srv.reload()
	resp, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: f.hs[0].CustomerID})
	if err != nil || resp.ModelVersion != v3 {
		t.Errorf("after promoting %s: got %q, %v", v3, resp.GetModelVersion(), err)
	}
}

// TestCorruptChampionAtStartServesPrevious checks that a server whose
// champion does not load serves the previous champion, says so in its log
// and metrics, and moves to the champion once a good one is promoted.
func TestCorruptChampionAtStartServesPrevious(t *testing.T) {
	logs := &syncBuffer{}
	reg := newRegistry(t, 2) // v0001 champion, v0002 newer
	f := getFixture(t)
	v3 := addModel(t, reg, f.art)
	if err := reg.Promote(v3); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(reg.Path(v3, registry.ModelFile), []byte("{not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(logs)
	cfg.ReloadInterval = time.Hour // reloads are triggered by hand below
	r := start(t, cfg, reg, true)
	resp, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: f.hs[0].CustomerID})
	if err != nil || resp.ModelVersion != "v0001" {
		t.Fatalf("champion %s corrupt: got %q, %v; want the previous champion v0001", v3, resp.GetModelVersion(), err)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR","msg":"serving a model other than the one asked for`) ||
		!strings.Contains(logs.String(), `"wanted":"v0003","serving":"v0001"`) {
		t.Errorf("no error in the log about serving v0001 for v0003:\n%s", logs.String())
	}
	metric := func() string {
		rec := httptest.NewRecorder()
		r.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	if m := metric(); !strings.Contains(m, `credence_model_fallback{version="v0001",wanted="v0003"} 1`) {
		t.Errorf("metrics lack the fallback gauge:\n%s", m)
	}

	// Polling again keeps serving the fallback without loading anything.
	r.srv.reload()
	if n := strings.Count(logs.String(), `"msg":"model loaded"`); n != 0 {
		t.Errorf("%d loads logged after the fallback; want none", n)
	}
	v4 := addModel(t, reg, f.art)
	if err := reg.Promote(v4); err != nil {
		t.Fatal(err)
	}
	r.srv.reload()
	resp, err = r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: f.hs[0].CustomerID})
	if err != nil || resp.ModelVersion != v4 {
		t.Errorf("after promoting %s: got %q, %v", v4, resp.GetModelVersion(), err)
	}
	if m := metric(); strings.Contains(m, "credence_model_fallback{") {
		t.Errorf("fallback gauge still set once the champion serves:\n%s", m)
	}
}

// TestNoChampionServesNothing checks that the fallback stands in for a
// champion that fails to load, never for a registry without one.
func TestNoChampionServesNothing(t *testing.T) {
	reg := newRegistry(t, 0)
	addModel(t, reg, getFixture(t).art)
	r := start(t, testConfig(nil), reg, false)
	r.waitHealth(t, healthpb.HealthCheckResponse_NOT_SERVING)
	r.srv.reload()
	if m := r.srv.champion.Load(); m != nil {
		t.Errorf("serving %s with no champion; want nothing", m.version)
	}
}

func TestShadow(t *testing.T) {
	logs := &syncBuffer{}
	reg := newRegistry(t, 2)
	if err := reg.SetLabel(registry.Challenger, "v0002"); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(logs)
	cfg.Shadow = registry.Challenger
	r := start(t, cfg, reg, true)
	waitFor(t, "the shadow model", func() bool { return r.srv.shadow.Load() != nil })
	resp, err := r.client.Score(ctxT(t), &creditpb.ScoreRequest{CustomerId: getFixture(t).hs[3].CustomerID, AsOf: day("2023-10-01")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.ModelVersion != "v0001" {
		t.Errorf("the shadow answered: model %q; want the champion v0001", resp.ModelVersion)
	}
	var line string
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, `"msg":"shadow score"`) {
			line = l
		}
	}
	for _, want := range []string{`"champion":"v0001"`, `"shadow":"v0002"`, `"champion_pd":`, `"shadow_pd":`} {
		if !strings.Contains(line, want) {
			t.Errorf("shadow log %q lacks %s", line, want)
		}
	}
	// Removing the label removes the shadow.
	if err := reg.SetLabel(registry.Challenger, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the shadow to go", func() bool { return r.srv.shadow.Load() == nil })
}
