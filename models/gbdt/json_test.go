package gbdt

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/credence-risk/credence/models"
)

// TestJSONRoundTrip checks that a decoded model predicts and explains
// with the exact bits of the one that was saved, and saves to the same
// bytes.
func TestJSONRoundTrip(t *testing.T) {
	d := benchData(3000, 15, 90)
	cfg := DefaultConfig()
	cfg.Trees, cfg.Subsample = 40, 0.9
	cfg.Monotone = map[string]int{"fAa": 1, "fAb": -1}
	m := fit(t, cfg, d, nil)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Error("the decoded model saves to other bytes")
	}
	test := benchData(1000, 15, 91) // with NaNs in every tenth column
	want, have := pds(m, test.X), pds(got, test.X)
	for i := range want {
		if math.Float64bits(want[i]) != math.Float64bits(have[i]) {
			t.Fatalf("row %d: PD %v after the round trip; want %v", i, have[i], want[i])
		}
	}
	dm := got.(*Model)
	for i := range 50 {
		x := test.X.Row(i)
		a, c := m.Contributions(x, nil), dm.Contributions(x, nil)
		for j := range a {
			if math.Float64bits(a[j]) != math.Float64bits(c[j]) {
				t.Fatalf("row %d slot %d: contribution %v after the round trip; want %v", i, j, c[j], a[j])
			}
		}
	}
	if got.Family() != Name || dm.Trees() != m.Trees() || dm.Config().Monotone["fAb"] != -1 {
		t.Errorf("decoded family %q, %d trees, config %+v", got.Family(), dm.Trees(), dm.Config())
	}
}

// smallModelJSON returns the saved form of a small trained model.
func smallModelJSON(t testing.TB) modelJSON {
	t.Helper()
	d, _ := synthetic(500, 3, 92, nil, func(x []float64) float64 { return models.Sigmoid(2*x[0] - x[1]) })
	cfg := DefaultConfig()
	cfg.Trees, cfg.MaxDepth = 3, 3
	m, err := Trainer{Config: cfg}.Fit(t.Context(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var j modelJSON
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if j.Trees[0].Feature[0] < 0 || j.Trees[0].Feature[1] < 0 {
		t.Fatal("the first tree's root and left child should be splits")
	}
	return j
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(j *modelJSON)
		want   string
	}{
		{"family", func(j *modelJSON) { j.Family = "logistic" }, "family"},
		{"version", func(j *modelJSON) { j.Version = 99 }, "version"},
		{"no features", func(j *modelJSON) { j.Features = nil }, "no features"},
		{"feature index out of range", func(j *modelJSON) { j.Trees[0].Feature[0] = 3 }, "feature 3 of 3"},
		{"negative feature", func(j *modelJSON) { j.Trees[0].Feature[0] = -2 }, "leaf 0"},
		{"child out of range", func(j *modelJSON) { j.Trees[0].Left[0], j.Trees[0].Right[0] = 99, 100 }, "child 99"},
		{"child before parent", func(j *modelJSON) { j.Trees[0].Left[1], j.Trees[0].Right[1] = 0, 1 }, "child 0"},
		{"children apart", func(j *modelJSON) { j.Trees[0].Right[0] = j.Trees[0].Left[0] + 2 }, "side by side"},
		{"node arrays differ", func(j *modelJSON) { j.Trees[1].Cover = j.Trees[1].Cover[:2] }, "node arrays"},
		{"no nodes", func(j *modelJSON) { j.Trees[2] = treeJSON{} }, "no nodes"},
		{"cover not the children's sum", func(j *modelJSON) { j.Trees[0].Cover[0] *= 2 }, "cover"},
		{"zero cover", func(j *modelJSON) { j.Trees[0].Cover[0] = 0 }, "cover"},
		{"duplicate feature", func(j *modelJSON) { j.Features[1] = j.Features[0] }, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := smallModelJSON(t)
			tt.change(&j)
			b, err := json.Marshal(j)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decode(b); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v; want one about %s", err, tt.want)
			}
		})
	}
	b, err := json.Marshal(smallModelJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"trailing data": append(bytes.Clone(b), []byte(" {}")...),
		"unknown field": bytes.Replace(b, []byte(`"family"`), []byte(`"colour":1,"family"`), 1),
		"truncated":     b[:len(b)/2],
	} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// predicts a PD in [0, 1] and explains it, even for vectors of NaNs.
func FuzzDecode(f *testing.F) {
	j := smallModelJSON(f)
	b, err := json.Marshal(j)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"family":"gbdt","version":1,"features":["a"],"base_score":0,"trees":[{"feature":[0,-1,-1],"threshold":[0.5,0,0],"default_left":[true,false,false],"left":[1,-1,-1],"right":[2,-1,-1],"value":[0,-1,1],"cover":[2,1,1],"gain":[1,0,0]}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		p := len(m.Features())
		for _, fill := range []float64{0, math.NaN(), -1e300, 1e300} {
			x := make([]float64, p)
			for k := range x {
				x[k] = fill
			}
			if pd := m.PD(x); !(pd >= 0 && pd <= 1) {
				t.Fatalf("PD %v", pd)
			}
			m.Reasons(x, 3)
		}
	})
}
