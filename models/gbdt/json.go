package gbdt

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/credence-risk/credence/models"
)

// formatVersion is the layout version of the JSON form.
const formatVersion = 1

// modelJSON is the saved form of a Model. encoding/json writes float64 in
// the shortest form that parses back to the same bits, so a decoded model
// predicts exactly as the one that was saved.
type modelJSON struct {
	Family    string     `json:"family"`
	Version   int        `json:"version"`
	Features  []string   `json:"features"`
	BaseScore float64    `json:"base_score"` // log-odds before the first tree
	Config    Config     `json:"config"`
	Trees     []treeJSON `json:"trees"`
}

// treeJSON is a tree as parallel arrays, one entry per node; a leaf has
// feature −1 and children −1.
type treeJSON struct {
	Feature     []int32   `json:"feature"`
	Threshold   []float64 `json:"threshold"` // values below it go left
	DefaultLeft []bool    `json:"default_left"`
	Left        []int32   `json:"left"`
	Right       []int32   `json:"right"`
	Value       []float64 `json:"value"` // leaf log-odds, learning rate applied
	Cover       []float64 `json:"cover"` // hessian sum of the training rows
	Gain        []float64 `json:"gain"`  // split loss reduction
}

// MarshalJSON writes the model in the form Decode reads.
func (m *Model) MarshalJSON() ([]byte, error) {
	j := modelJSON{
		Family:    Name,
		Version:   formatVersion,
		Features:  m.features,
		BaseScore: m.base,
		Config:    m.config,
		Trees:     make([]treeJSON, len(m.trees)),
	}
	for k, t := range m.trees {
		n := len(t.nodes)
		tj := treeJSON{
			Feature: make([]int32, n), Threshold: make([]float64, n), DefaultLeft: make([]bool, n),
			Left: make([]int32, n), Right: make([]int32, n), Value: make([]float64, n),
			Cover: t.cover, Gain: t.gain,
		}
		for i, nd := range t.nodes {
			tj.Feature[i], tj.Threshold[i], tj.Value[i] = nd.feature, nd.threshold, nd.value
			tj.Left[i], tj.Right[i] = nd.left, -1
			if nd.feature >= 0 {
				tj.Right[i], tj.DefaultLeft[i] = nd.left+1, nd.defaultLeft
			}
		}
		j.Trees[k] = tj
	}
	return json.Marshal(j)
}

// Decode reads a model written by MarshalJSON. It refuses a model whose
// trees are not trees (a child out of range, before its parent or with
// two parents), split on a feature the model does not have, or hold a
// value that is not finite.
func Decode(b []byte) (models.Model, error) {
	var j modelJSON
	if err := models.DecodeStrict(b, &j); err != nil {
		return nil, fmt.Errorf("gbdt: decode: %w", err)
	}
	if j.Family != Name {
		return nil, fmt.Errorf("gbdt: decode: family %q; want %q", j.Family, Name)
	}
	if j.Version != formatVersion {
		return nil, fmt.Errorf("gbdt: decode: version %d; want %d", j.Version, formatVersion)
	}
	if len(j.Features) == 0 {
		return nil, errors.New("gbdt: decode: no features")
	}
	if dup := firstDuplicate(j.Features); dup != "" {
		return nil, fmt.Errorf("gbdt: decode: feature %q twice", dup)
	}
	if !finite(j.BaseScore) {
		return nil, fmt.Errorf("gbdt: decode: base score %v", j.BaseScore)
	}
	trees := make([]*tree, len(j.Trees))
	for k, tj := range j.Trees {
		t, err := tj.tree(len(j.Features))
		if err != nil {
			return nil, fmt.Errorf("gbdt: decode: tree %d: %w", k, err)
		}
		trees[k] = t
	}
	return newModel(j.Features, j.BaseScore, trees, j.Config), nil
}

// tree checks tj against a model of p features and builds the tree.
func (tj *treeJSON) tree(p int) (*tree, error) {
	n := len(tj.Feature)
	if n == 0 {
		return nil, errors.New("no nodes")
	}
	for _, l := range []int{len(tj.Threshold), len(tj.DefaultLeft), len(tj.Left), len(tj.Right), len(tj.Value), len(tj.Cover), len(tj.Gain)} {
		if l != n {
			return nil, fmt.Errorf("node arrays of %d and %d entries", n, l)
		}
	}
	t := &tree{nodes: make([]node, n), cover: tj.Cover, gain: tj.Gain}
	parents := make([]int, n)
	depth := make([]int, n)
	for i := range n {
		f, l, r := tj.Feature[i], tj.Left[i], tj.Right[i]
		if i > 0 && parents[i] != 1 {
			return nil, fmt.Errorf("node %d has %d parents; want 1", i, parents[i])
		}
		// Only a tree that is a single leaf grown on no rows (a row
		// sample that drew none) has no cover.
		if c := tj.Cover[i]; !(finite(c) && (c > 0 || c == 0 && n == 1)) {
			return nil, fmt.Errorf("node %d: cover %v is not positive", i, c)
		}
		if !finite(tj.Gain[i]) {
			return nil, fmt.Errorf("node %d: gain %v", i, tj.Gain[i])
		}
		if f < 0 {
			if f != -1 || l != -1 || r != -1 {
				return nil, fmt.Errorf("leaf %d: feature %d, children %d and %d; want -1", i, f, l, r)
			}
			if !finite(tj.Value[i]) {
				return nil, fmt.Errorf("leaf %d: value %v", i, tj.Value[i])
			}
			t.nodes[i] = node{feature: -1, left: -1, value: tj.Value[i]}
			continue
		}
		if int(f) >= p {
			return nil, fmt.Errorf("node %d splits on feature %d of %d", i, f, p)
		}
		// Children after their parent: no cycles, and a walk from the
		// root always ends.
		for _, c := range []int32{l, r} {
			if int(c) <= i || int(c) >= n {
				return nil, fmt.Errorf("node %d: child %d is not in (%d, %d)", i, c, i, n)
			}
			parents[c]++
			depth[c] = depth[i] + 1
		}
		if r != l+1 {
			return nil, fmt.Errorf("node %d: children %d and %d are not side by side", i, l, r)
		}
		if depth[l] > maxTreeDepth {
			return nil, fmt.Errorf("node %d is deeper than %d", l, maxTreeDepth)
		}
		if th := tj.Threshold[i]; !finite(th) {
			return nil, fmt.Errorf("node %d: threshold %v", i, th)
		}
		t.nodes[i] = node{feature: f, threshold: tj.Threshold[i], left: l, defaultLeft: tj.DefaultLeft[i]}
	}
	// TreeSHAP weighs each branch by its share of the node's cover.
	for i := n - 1; i >= 0; i-- {
		nd := t.nodes[i]
		if nd.feature < 0 {
			continue
		}
		if sum := t.cover[nd.left] + t.cover[nd.left+1]; math.Abs(sum-t.cover[i]) > 1e-9*t.cover[i] {
			return nil, fmt.Errorf("node %d: cover %v but its children's add to %v", i, t.cover[i], sum)
		}
	}
	t.prepare()
	return t, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
