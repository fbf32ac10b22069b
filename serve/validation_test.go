package serve

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/serve/creditpb"
)

func TestValidationStatusAfterRevalidation(t *testing.T) {
	reg := newRegistry(t, 1)
	cfg := testConfig(nil)
	cfg.RevalidateEvery = 50 * time.Millisecond
	r := start(t, cfg, reg, true)

	var st *creditpb.ValidationStatus
	waitFor(t, "a revalidation result", func() bool {
		var err error
		resp, err := r.client.GetValidationStatus(ctxT(t), &creditpb.GetValidationStatusRequest{})
		if err != nil {
			t.Fatal(err)
		}
		st = resp.GetStatus()
		return st.Light != creditpb.Light_LIGHT_UNSPECIFIED
	})
	if st.ModelVersion != "v0001" || st.CheckedAt == nil || st.Metrics["auc"] <= 0.5 || st.Metrics["observations"] <= 0 {
		t.Errorf("status: %v", st)
	}
	if _, ok := st.Metrics["auc_initial"]; !ok {
		t.Errorf("status metrics lack auc_initial: %v", st.Metrics)
	}
	if (st.Light == creditpb.Light_LIGHT_GREEN) != (len(st.Reasons) == 0) {
		t.Errorf("light %v with reasons %q", st.Light, st.Reasons)
	}
	if _, err := os.Stat(st.ReportPath); err != nil || !strings.HasPrefix(st.ReportPath, reg.Path("v0001", "validation-")) {
		t.Errorf("report %q: %v; want a validation report beside v0001", st.ReportPath, err)
	}
	// The report is stored before the run's metrics are set, so the status
	// (read from the stored report) can come a moment before them.
	want := `credence_validation_light{version="v0001"} ` + strconv.Itoa(int(st.Light))
	waitFor(t, "metrics with "+want, func() bool {
		rec := httptest.NewRecorder()
		r.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body, _ := io.ReadAll(rec.Body)
		return strings.Contains(string(body), want)
	})

	// A server started later serves the stored report.
	r.stop()
	fresh := start(t, testConfig(nil), reg, true)
	resp, err := fresh.client.GetValidationStatus(ctxT(t), &creditpb.GetValidationStatusRequest{ModelVersion: "champion"})
	if err != nil {
		t.Fatal(err)
	}
	stored := resp.GetStatus()
	if stored.Light != st.Light || stored.Metrics["auc"] != st.Metrics["auc"] || stored.ReportPath == "" {
		t.Errorf("stored status %v; want the light %v, AUC %v and report of the last run", stored, st.Light, st.Metrics["auc"])
	}
}

var (
	redBookOnce sync.Once
	redBook     *datasets.Book
	redBookErr  error
)

// A book whose default rate is five times the training book's: the model's
// PDs are far too low on it, and its validation is red.
func getRedBook(t *testing.T) *datasets.Book {
	redBookOnce.Do(func() { redBook, redBookErr = makeBook("red", 1500, 11, 0.2) })
	if redBookErr != nil {
		t.Fatal(redBookErr)
	}
	return redBook
}

func TestRevalidateRollsBack(t *testing.T) {
	reg := newRegistry(t, 2)
	if err := reg.Promote("v0002"); err != nil {
		t.Fatal(err)
	}
	book := getRedBook(t)
	// Alert only: the champion stays.
	res, err := Revalidate(context.Background(), reg, book, RevalidateConfig{OnRed: OnRedAlert})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status.Light != creditpb.Light_LIGHT_RED || len(res.Status.Reasons) == 0 {
		t.Fatalf("validation on a book with 5× the defaults: %v %q; want red with reasons", res.Status.Light, res.Status.Reasons)
	}
	if v, _ := reg.ChampionVersion(); v != "v0002" || res.RolledBackTo != "" {
		t.Errorf("after an alert the champion is %s (rolled back to %q); want v0002 untouched", v, res.RolledBackTo)
	}

	// A server that rolls back on red, then serves the previous champion.
	cfg := testConfig(nil)
	cfg.RevalidateEvery = 50 * time.Millisecond
	cfg.RevalidateBook = book.Dir
	cfg.OnRed = OnRedRollback
	r := start(t, cfg, reg, true)
	waitFor(t, "the rollback to v0001", func() bool {
		m := r.srv.champion.Load()
		return m != nil && m.version == "v0001"
	})
	if v, _ := reg.ChampionVersion(); v != "v0001" {
		t.Errorf("registry champion %s; want v0001", v)
	}
	st, err := r.client.GetValidationStatus(ctxT(t), &creditpb.GetValidationStatusRequest{ModelVersion: "v0002"})
	if err != nil || st.GetStatus().GetLight() != creditpb.Light_LIGHT_RED {
		t.Errorf("status of v0002: %v, %v; want red", st, err)
	}
	// One rollback at most: v0001 is red on that book too, and stays.
	waitFor(t, "a revalidation of v0001", func() bool {
		r.srv.validMu.Lock()
		defer r.srv.validMu.Unlock()
		return r.srv.validations["v0001"] != nil
	})
	if v, _ := reg.ChampionVersion(); v != "v0001" {
		t.Errorf("after a second red result the champion is %s; want v0001 (one automatic rollback)", v)
	}
}
