package train

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/credence-risk/credence/features"
	"github.com/credence-risk/credence/models/catalog"
	"github.com/credence-risk/credence/models/gbdt"
	"github.com/credence-risk/credence/models/logistic"
	"github.com/credence-risk/credence/models/scorecard"
)

// storedFamilies is the shape artifacts have always stored family
// configurations in: one top-level key per family.
type storedFamilies struct {
	Families  []string         `json:"families"`
	Scorecard scorecard.Config `json:"scorecard"`
	GBDT      gbdt.Config      `json:"gbdt"`
	Logistic  logistic.Config  `json:"logistic"`
	Seed      uint64           `json:"seed"`
}

// TestConfigJSONKeepsItsShape: the training configuration stored in an
// artifact keeps each family's configuration under the family's name, with
// training's starting points.
func TestConfigJSONKeepsItsShape(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Observations.Horizon = features.Horizon{N: 12, Unit: features.Months}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got storedFamilies
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := storedFamilies{Families: catalog.Names(), Scorecard: scorecard.TrainingConfig(), GBDT: gbdt.TrainingConfig(),
		Logistic: logistic.DefaultConfig(), Seed: 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored configuration:\ngot  %+v\nwant %+v\n%s", got, want, b)
	}
	if got.GBDT.Trees != 500 || got.GBDT.EarlyStoppingRounds != 30 || got.Scorecard.MaxFeatures != 60 {
		t.Errorf("training's starting points lost: %+v", got)
	}
	var back Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if b2, _ := json.Marshal(back); string(b2) != string(b) {
		t.Errorf("round trip:\ngot  %s\nwant %s", b2, b)
	}
}

// TestConfigReadsStoredConfig reads a configuration as artifacts stored it
// before families were registered, with a key no longer known.
func TestConfigReadsStoredConfig(t *testing.T) {
	old := `{"observations":{"dpd_threshold":90},"families":["gbdt","logistic"],
		"scorecard":{"pre_bins":30,"max_bins":10},"gbdt":{"trees":120,"learning_rate":0.1,"seed":0},
		"logistic":{"c":2,"max_iter":50},"calibration":"platt","seed":3,"retired_setting":true}`
	var cfg Config
	if err := json.Unmarshal([]byte(old), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Calibration != "platt" || cfg.Seed != 3 || cfg.Observations.DPDThreshold != 90 {
		t.Errorf("fields: got %+v", cfg)
	}
	tr, err := gbdt.Family.Trainer(cfg.FamilyConfig["gbdt"], cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if c := tr.(gbdt.Trainer).Config; c.Trees != 120 || c.LearningRate != 0.1 || c.Seed != 3 {
		t.Errorf("gbdt configuration: got %+v; want 120 trees, rate 0.1, seed 3", c)
	}
	tr, err = logistic.Family.Trainer(cfg.FamilyConfig["logistic"], cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if c := tr.(logistic.Trainer).Config; c.C != 2 || c.MaxIter != 50 {
		t.Errorf("logistic configuration: got %+v", c)
	}
}

// TestDecodeConfig: a configuration file's train section overrides single
// settings of a family and keeps training's other starting points; unknown
// keys are errors.
func TestDecodeConfig(t *testing.T) {
	cfg := DefaultConfig()
	if err := DecodeConfig([]byte(`{"gbdt":{"trees":100,"monotone":{"st_dpd":1}},"Scorecard":{"max_features":10},"seed":4}`), &cfg); err != nil {
		t.Fatal(err)
	}
	tr, err := gbdt.Family.Trainer(cfg.FamilyConfig["gbdt"], cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if c := tr.(gbdt.Trainer).Config; c.Trees != 100 || c.EarlyStoppingRounds != 30 || c.Monotone["st_dpd"] != 1 || c.Seed != 4 {
		t.Errorf("gbdt: got %+v; want 100 trees, early stopping 30, monotone st_dpd, seed 4", c)
	}
	tr, err = scorecard.Family.Trainer(cfg.FamilyConfig["scorecard"], cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if c := tr.(scorecard.Trainer).Config; c.MaxFeatures != 10 || c.PreBins != 30 {
		t.Errorf("scorecard: got %+v; want 10 features, 30 pre-bins", c)
	}
	if !reflect.DeepEqual(DefaultConfig().FamilyConfig["logistic"], cfg.FamilyConfig["logistic"]) {
		t.Errorf("logistic changed: %s", cfg.FamilyConfig["logistic"])
	}
	for _, bad := range []string{`{"no_such_key":1}`, `{"gbdt":{"no_such_setting":1}}`, `{"observations":{"nope":1}}`, `{"gbdt":3}`} {
		c := DefaultConfig()
		if err := DecodeConfig([]byte(bad), &c); err == nil {
			t.Errorf("%s: got no error", bad)
		}
	}
}

// TestFamilyNamesAreNotConfigFields: a family's configuration key must not
// shadow a field of Config.
func TestFamilyNamesAreNotConfigFields(t *testing.T) {
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		key, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		for _, name := range catalog.Names() {
			if strings.EqualFold(key, name) {
				t.Errorf("family %q shadows Config field %s", name, typ.Field(i).Name)
			}
		}
	}
}
