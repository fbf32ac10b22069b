package serve

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/backtest"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/grade"
	"github.com/credence-risk/credence/models/registry"
	"github.com/credence-risk/credence/models/scoring"
	"github.com/credence-risk/credence/serve/creditpb"
)

// model is a loaded, warmed model, ready to score. It is immutable.
type model struct {
	version string
	art     *artifact.Artifact
	scorer  *scoring.Scorer
	// reference is the training distribution of the PD, for the live PSI;
	// no shares when the artifact has none.
	reference backtest.Binned
	loadedAt  time.Time
}

// loadModel loads version v from the registry, builds its scorer for the
// book's schema and warms it on the first customers of the index: a model
// that cannot score them is refused before it serves.
func loadModel(reg *registry.Registry, v string, book Book, warm int, asOf datasets.Date) (*model, error) {
	art, err := catalog.Load(reg, v)
	if err != nil {
		return nil, err
	}
	sc, err := scoring.New(art, book.Schema())
	if err != nil {
		return nil, err
	}
	sc.UseBook(book.Each, book.Settled())
	m := &model{version: art.Version, art: art, scorer: sc, loadedAt: time.Now()}
	if len(art.Metrics) > 0 {
		var stored struct {
			Reference backtest.Reference `json:"reference"`
		}
		if err := json.Unmarshal(art.Metrics, &stored); err != nil {
			return nil, fmt.Errorf("model %s: metrics: %w", v, err)
		}
		m.reference = stored.Reference.PD
	}
	buf := make([]float64, sc.Set.Len())
	for _, id := range book.IDs(warm) {
		h, err := book.History(id)
		if err != nil {
			return nil, fmt.Errorf("model %s: warm-up: %w", v, err)
		}
		r, err := sc.Score(h, asOf, 3, buf)
		if err != nil {
			return nil, fmt.Errorf("model %s: warm-up: %w", v, err)
		}
		if !(r.PD >= 0 && r.PD <= 1) {
			return nil, fmt.Errorf("model %s: warm-up: customer %s got PD %v", v, id, r.PD)
		}
	}
	return m, nil
}

// info describes a registry entry in the API's terms; ready says whether
// the server serves it.
func info(e *registry.Entry, ready bool) *creditpb.ModelInfo {
	m := &creditpb.ModelInfo{
		Version:           e.Version,
		Family:            e.Family,
		FeatureSetVersion: e.FeatureSetVersion,
		FeatureCount:      int32(e.Features),
		Labels:            e.Labels,
		Calibration:       e.Calibration,
		Checksum:          e.Checksum,
		DataFingerprint:   e.DataFingerprint,
		CredenceVersion:   e.Credence,
		Ready:             ready,
		Notes:             e.Notes,
	}
	if d, err := datasets.ParseDate(e.Notes["observed_until"]); err == nil {
		m.ObservedUntil = creditpb.DateOf(d)
	}
	if !e.Created.IsZero() {
		m.Created = timestamppb.New(e.Created)
	}
	p := grade.DefaultPoints()
	m.ScoreScaling = &creditpb.ScoreScaling{Points: p.Base, Odds: p.Odds, Pdo: p.PDO}
	var metrics struct {
		Test map[string]*float64 `json:"test"`
	}
	if json.Unmarshal(e.Metrics, &metrics) == nil && len(metrics.Test) > 0 {
		m.Metrics = map[string]float64{}
		for k, x := range metrics.Test {
			if x != nil && !math.IsNaN(*x) {
				m.Metrics[k] = *x
			}
		}
	}
	var cfg struct {
		Observations struct {
			Plan struct{ Start, End datasets.Date } `json:"plan"`
		} `json:"observations"`
	}
	if json.Unmarshal(e.TrainingConfig, &cfg) == nil {
		m.TrainingFrom = creditpb.DateOf(cfg.Observations.Plan.Start)
		m.TrainingTo = creditpb.DateOf(cfg.Observations.Plan.End)
	}
	return m
}

// entry reads the registry's description of version v with its labels.
func entry(reg *registry.Registry, v string) (*registry.Entry, error) {
	man, err := artifact.ReadManifestFile(reg.Path(v, registry.ModelFile))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", v, err)
	}
	labels, err := reg.Labels()
	if err != nil {
		return nil, err
	}
	e := &registry.Entry{Manifest: *man}
	e.Version = v
	for label, lv := range labels {
		if lv == v {
			e.Labels = append(e.Labels, label)
		}
	}
	slices.Sort(e.Labels)
	return e, nil
}

// latestValidation returns the name of the newest validation-*.json of a
// version directory listing, or "".
func latestValidation(files []string) string {
	var names []string
	for _, f := range files {
		if strings.HasPrefix(f, "validation-") && strings.HasSuffix(f, ".json") {
			names = append(names, f)
		}
	}
	if len(names) == 0 {
		return ""
	}
	// The names carry a UTC time in a fixed-width layout: they sort by it.
	sort.Strings(names)
	return names[len(names)-1]
}
