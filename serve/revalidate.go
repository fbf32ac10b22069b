package serve

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"time"
	"unicode"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/report"
	"github.com/credence-risk/credence/serve/creditpb"
)

// RevalidateConfig says which model a back-test checks and what a red
// result does.
type RevalidateConfig struct {
	// Model is the registry reference to check; empty: the champion.
	Model string
	// Observations override the stored horizon and default rule where set.
	Observations backtest.ObservationConfig
	// OnRed is OnRedAlert (also when empty) or OnRedRollback.
	OnRed string
}

// Revalidation is the outcome of one back-test.
type Revalidation struct {
	Validation *backtest.Validation
	Status     *creditpb.ValidationStatus
	// RolledBackTo is the version the champion was rolled back to after a
	// red result; empty when it was not.
	RolledBackTo string
}

// Revalidate back-tests a stored model on a book with matured outcomes
// (backtest.Validate), stores the report beside the model as
// validation-<time>.html and .json, and on a red light rolls the champion
// back when cfg.OnRed says so and the model checked is still the champion.
// The server's periodic revalidation and `credence revalidate` both run it.
func Revalidate(ctx context.Context, reg *registry.Registry, book *datasets.Book, cfg RevalidateConfig) (*Revalidation, error) {
	ref := cfg.Model
	if ref == "" {
		ref = registry.Champion
	}
	art, err := catalog.Load(reg, ref)
	if err != nil {
		return nil, err
	}
	v, err := backtest.Validate(ctx, book, art, cfg.Observations)
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", art.Version, err)
	}
	name, err := v.Store(reg)
	if err != nil {
		return nil, fmt.Errorf("store the validation of %s: %w", art.Version, err)
	}
	r := &Revalidation{Validation: v, Status: validationStatus(art.Version, v.Report, v, reg.Path(art.Version, name+".html"))}
	if v.Light != eval.Red || cfg.OnRed != OnRedRollback {
		return r, nil
	}
	champ, err := reg.ChampionVersion()
	if err != nil || champ != art.Version {
		return r, err // the champion moved on meanwhile: nothing to undo
	}
	if r.RolledBackTo, err = reg.Rollback(); err != nil {
		return r, fmt.Errorf("roll back %s after a red validation: %w", art.Version, err)
	}
	return r, nil
}

// storedValidation reads the newest validation report stored beside
// version v, or returns nil when there is none.
func storedValidation(reg *registry.Registry, v string) (*creditpb.ValidationStatus, error) {
	entries, err := os.ReadDir(reg.Path(v, ""))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", v, err)
	}
	files := make([]string, len(entries))
	for i, e := range entries {
		files[i] = e.Name()
	}
	name := latestValidation(files)
	if name == "" {
		return nil, nil
	}
	b, err := os.ReadFile(reg.Path(v, name))
	if err != nil {
		return nil, err
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("validation report %s of %s: %w", name, v, err)
	}
	return validationStatus(v, &rep, nil, reg.Path(v, strings.TrimSuffix(name, ".json")+".html")), nil
}

// headlineKeys names the report's headline figures in ValidationStatus
// metrics where the snake_case of the name would read worse.
var headlineKeys = map[string]string{
	"AUC at training":       "auc_initial",
	"Observed default rate": "default_rate",
	"Score PSI":             "psi",
}

// validationStatus is the API's view of a validation report; v, when the
// validation ran in this process, adds the figures the report keeps only
// as text.
func validationStatus(version string, rep *report.Report, v *backtest.Validation, reportPath string) *creditpb.ValidationStatus {
	st := &creditpb.ValidationStatus{
		ModelVersion: version,
		Light:        lightOf(rep.Light),
		CheckedAt:    timestampOf(rep.Created),
		ReportPath:   reportPath,
		Metrics:      map[string]float64{},
	}
	if st.Light != creditpb.Light_LIGHT_GREEN {
		st.Reasons = rep.LightReasons
	}
	put := func(k string, x float64) {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			st.Metrics[k] = x
		}
	}
	for _, m := range rep.Headline {
		k, ok := headlineKeys[m.Name]
		if !ok {
			k = snake(m.Name)
		}
		put(k, float64(m.Value))
	}
	failed, n := 0, 0
	for _, g := range rep.Calibration {
		n += g.N
		if g.Light == string(eval.Red) {
			failed++
		}
	}
	put("jeffreys_failed_grades", float64(failed))
	put("observations", float64(n))
	if v != nil {
		put("auc_low", v.Metrics.AUCLow)
		put("auc_high", v.Metrics.AUCHigh)
		put("auc_drop_p", v.DropP)
		put("defaults", float64(v.Metrics.Defaults))
	}
	return st
}

// lightOf reads a light as the reports write it.
func lightOf(s string) creditpb.Light {
	switch eval.Light(s) {
	case eval.Green:
		return creditpb.Light_LIGHT_GREEN
	case eval.Yellow:
		return creditpb.Light_LIGHT_YELLOW
	case eval.Red:
		return creditpb.Light_LIGHT_RED
	}
	return creditpb.Light_LIGHT_UNSPECIFIED
}

// snake turns "Hosmer–Lemeshow p" into "hosmer_lemeshow_p".
func snake(s string) string {
	var b strings.Builder
	under := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			under = false
		} else {
			under = true
		}
	}
	return b.String()
}

// timestampOf reads a report's RFC 3339 creation time; unreadable gives
// nil (unset).
func timestampOf(s string) *timestamppb.Timestamp {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	return timestamppb.New(t)
}
