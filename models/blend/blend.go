// Package blend averages the log-odds of models fitted on the same
// features: on a small book, where cross-validation cannot tell a
// logistic regression from a GBDT, their blend ranks better than either
// one chosen on noisy folds. Every member explains its log-odds as a sum
// of feature effects (models.Contributor), so the blend's reasons are the
// weighted sums of its members' effects.
package blend

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/credence-risk/credence/models"
)

// Name is the family name of a blend in artifacts and reports.
const Name = "blend"

// Complexity ranks a blend above every family it blends, for the
// champion rule's order of complexity.
const Complexity = 4

// Model is a weighted mean of its members' log-odds of default.
type Model struct {
	features []string
	members  []models.Model
	weights  []float64
	scratch  sync.Pool // *[]float64: one row's summed effects
}

// New blends members with weights (nil: equal weights). The members must
// expect the same features in the same order and explain their log-odds
// (models.Contributor); the weights must be positive and are scaled to
// sum to 1.
func New(members []models.Model, weights []float64) (*Model, error) {
	if len(members) < 2 {
		return nil, fmt.Errorf("blend: %d members; want at least 2", len(members))
	}
	if weights == nil {
		weights = make([]float64, len(members))
		for k := range weights {
			weights[k] = 1
		}
	}
	if len(weights) != len(members) {
		return nil, fmt.Errorf("blend: %d weights for %d members", len(weights), len(members))
	}
	var sum float64
	for k, w := range weights {
		if !(w > 0) || math.IsInf(w, 1) {
			return nil, fmt.Errorf("blend: member %d (%s): weight %v is not positive", k+1, members[k].Family(), w)
		}
		sum += w
	}
	features := members[0].Features()
	for k, m := range members {
		if _, ok := m.(models.Contributor); !ok {
			return nil, fmt.Errorf("blend: member %d (%s) does not explain its log-odds by feature", k+1, m.Family())
		}
		if !slices.Equal(m.Features(), features) {
			return nil, fmt.Errorf("blend: member %d (%s) expects other features than member 1 (%s)", k+1, m.Family(), members[0].Family())
		}
	}
	b := &Model{features: slices.Clone(features), members: slices.Clone(members), weights: make([]float64, len(weights))}
	for k, w := range weights {
		b.weights[k] = w / sum
	}
	p := len(features)
	b.scratch.New = func() any { s := make([]float64, 2*(p+1)); return &s }
	return b, nil
}

// Family returns Name.
func (m *Model) Family() string { return Name }

// Features names the columns the model expects, in order.
func (m *Model) Features() []string { return m.features }

// Members returns the blended models and their weights (summing to 1).
func (m *Model) Members() ([]models.Model, []float64) {
	return slices.Clone(m.members), slices.Clone(m.weights)
}

// LogOdds returns the weighted mean of the members' log-odds of x.
func (m *Model) LogOdds(x []float64) float64 {
	var z float64
	for k, mm := range m.members {
		z += m.weights[k] * models.Logit(mm.PD(x))
	}
	return z
}

// PD returns the probability of default of x.
func (m *Model) PD(x []float64) float64 { return models.Sigmoid(m.LogOdds(x)) }

// PDs writes the probability of default of every row of X to out.
func (m *Model) PDs(X *models.Matrix, out []float64) {
	pd := make([]float64, X.Rows)
	clear(out[:X.Rows])
	for k, mm := range m.members {
		mm.PDs(X, pd)
		for i, p := range pd {
			out[i] += m.weights[k] * models.Logit(p)
		}
	}
	for i := range X.Rows {
		out[i] = models.Sigmoid(out[i])
	}
}

// Contributions returns the weighted sum of the members' effects of each
// feature of x on its log-odds, then the weighted sum of their biases:
// they sum to LogOdds(x).
func (m *Model) Contributions(x, dst []float64) []float64 {
	p := len(m.features)
	if cap(dst) < p+1 {
		dst = make([]float64, p+1)
	}
	s := m.scratch.Get().(*[]float64)
	defer m.scratch.Put(s)
	return m.contributions(x, dst[:p+1], (*s)[:p+1])
}

// contributions writes Contributions(x) to dst, each member's effects
// going through member.
func (m *Model) contributions(x, dst, member []float64) []float64 {
	clear(dst)
	for k, mm := range m.members {
		phi := mm.(models.Contributor).Contributions(x, member)
		for j, e := range phi {
			dst[j] += m.weights[k] * e
		}
	}
	return dst
}

// Reasons returns up to n features whose weighted effect raised the
// log-odds the most, largest first.
func (m *Model) Reasons(x []float64, n int) []models.Reason {
	if n <= 0 {
		return nil
	}
	p := len(m.features)
	s := m.scratch.Get().(*[]float64)
	defer m.scratch.Put(s)
	return models.TopReasons(m.features, x, m.contributions(x, (*s)[p+1:], (*s)[:p+1]), n)
}

// blockContributor is a member that explains many rows at once faster
// than one at a time (gbdt.Model).
type blockContributor interface {
	ContributionsBlock(X, dst []float64) []float64
}

// ReasonsBlock returns Reasons(x, n) for every row x of X (rows of
// len(Features()) values one after the other), asking each member for
// the whole block's effects at once where it can.
func (m *Model) ReasonsBlock(X []float64, n int) [][]models.Reason {
	p := len(m.features)
	rows := len(X) / max(p, 1)
	out := make([][]models.Reason, rows)
	if n <= 0 || rows == 0 {
		return out
	}
	sum := make([]float64, rows*(p+1))
	var phi []float64
	for k, mm := range m.members {
		if b, ok := mm.(blockContributor); ok {
			phi = b.ContributionsBlock(X, phi)
		} else {
			phi = slices.Grow(phi[:0], rows*(p+1))[:rows*(p+1)]
			c := mm.(models.Contributor)
			for r := range rows {
				c.Contributions(X[r*p:(r+1)*p], phi[r*(p+1):(r+1)*(p+1)])
			}
		}
		for i, e := range phi[:rows*(p+1)] {
			sum[i] += m.weights[k] * e
		}
	}
	for r := range out {
		out[r] = models.TopReasons(m.features, X[r*p:(r+1)*p], sum[r*(p+1):(r+1)*(p+1)], n)
	}
	return out
}

// formatVersion is the layout version of the JSON form.
const formatVersion = 1

// modelJSON is the saved form of a Model: each member in its own
// family's saved form.
type modelJSON struct {
	Family  string       `json:"family"`
	Version int          `json:"version"`
	Members []memberJSON `json:"members"`
}

type memberJSON struct {
	Family string          `json:"family"`
	Weight float64         `json:"weight"`
	Model  json.RawMessage `json:"model"`
}

// MarshalJSON writes the model in the form Decode reads.
func (m *Model) MarshalJSON() ([]byte, error) {
	j := modelJSON{Family: Name, Version: formatVersion}
	for k, mm := range m.members {
		b, err := json.Marshal(mm)
		if err != nil {
			return nil, fmt.Errorf("blend: member %d (%s): %w", k+1, mm.Family(), err)
		}
		j.Members = append(j.Members, memberJSON{Family: mm.Family(), Weight: m.weights[k], Model: b})
	}
	return json.Marshal(j)
}

// Decode reads a model written by MarshalJSON; decoders reads each member
// by its family's name.
func Decode(b []byte, decoders map[string]func([]byte) (models.Model, error)) (models.Model, error) {
	var j modelJSON
	if err := models.DecodeStrict(b, &j); err != nil {
		return nil, fmt.Errorf("blend: decode: %w", err)
	}
	if j.Family != Name {
		return nil, fmt.Errorf("blend: decode: family %q; want %q", j.Family, Name)
	}
	if j.Version != formatVersion {
		return nil, fmt.Errorf("blend: decode: version %d; want %d", j.Version, formatVersion)
	}
	members := make([]models.Model, len(j.Members))
	weights := make([]float64, len(j.Members))
	for k, mj := range j.Members {
		decode, ok := decoders[mj.Family]
		if !ok || mj.Family == Name {
			return nil, fmt.Errorf("blend: decode: member %d: family %q cannot be blended", k+1, mj.Family)
		}
		m, err := decode(mj.Model)
		if err != nil {
			return nil, fmt.Errorf("blend: decode: member %d: %w", k+1, err)
		}
		members[k], weights[k] = m, mj.Weight
	}
	m, err := New(members, weights)
	if err != nil {
		return nil, fmt.Errorf("blend: decode: %w", err)
	}
	return m, nil
}
