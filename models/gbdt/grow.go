package gbdt

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/credence-risk/credence/models"
)

// minGain is the least loss reduction a split must make whatever
// MinSplitGain says (XGBoost's kRtEps): below it a split only fits
// rounding.
const minGain = 1e-6

// minHessian floors p(1−p) so that rows the model is sure of still weigh
// something (XGBoost uses the same floor).
const minHessian = 1e-16

// rowBlock is the unit of the row-parallel passes. It is fixed, not
// derived from the worker count, so sums over blocks come out the same
// whatever the number of workers.
const rowBlock = 4096

// parallelWork is the least number of histogram updates (rows × features)
// worth handing to more than one goroutine.
const parallelWork = 1 << 15

// booster holds the state of one training run.
type booster struct {
	s      settings
	train  *models.Dataset
	valid  *models.Dataset
	data   *binned
	base   float64   // initial log-odds
	margin []float64 // per training row
	vmargn []float64 // per validation row
	grad   []gpair   // per training row, this round

	index     []int32 // this tree's rows, each node's a contiguous ascending run
	unsampled []int32 // the rows this tree left out
	scratch   []int32
	gathered  []gpair // gradient pairs of the node whose histogram is built
	pool      [][]histBin
	rng       *rand.Rand
	features  []int   // the features this tree may split on, ascending
	groups    [][]int // features in groups of featureGroup
	results   []split // per group and node of one histogram step

	trees     []*tree
	bestRound int
}

// split is a candidate split of a node.
type split struct {
	feature     int // −1: none
	bin         int // value bins ≤ bin go left; −1: none, only missing values go left
	defaultLeft bool
	gain        float64
	GL, HL      float64 // sums of the left child
	wl, wr      float64 // children's weights, within the node's bounds
}

// growNode is a node of the tree being grown.
type growNode struct {
	G, H         float64
	weight       float64 // optimal weight within [lower, upper], before shrinkage
	gain         float64 // the node's own term in the split gain
	lower, upper float64 // bounds on the weights under it (monotone constraints)
	begin, end   int     // its rows: index[begin:end]
	depth        int
	hist         []histBin
	best         split
	left, right  int // children; −1 while a leaf
}

func newBooster(s settings, train, valid *models.Dataset, base float64) *booster {
	n := train.X.Rows
	b := &booster{
		s: s, train: train, valid: valid, base: base,
		data:     newBinned(train.X, train.W, s.MaxBins, s.Seed, s.Workers),
		margin:   make([]float64, n),
		grad:     make([]gpair, n),
		index:    make([]int32, n),
		scratch:  make([]int32, n),
		gathered: make([]gpair, n),
		rng:      rand.New(rand.NewPCG(s.Seed, 0x6a09e667f3bcc908)),
	}
	for i := range b.margin {
		b.margin[i] = base
	}
	if valid != nil && s.EarlyStoppingRounds > 0 {
		b.vmargn = make([]float64, valid.X.Rows)
		for i := range b.vmargn {
			b.vmargn[i] = base
		}
	}
	return b
}

// run boosts until the rounds are done or early stopping ends them.
func (b *booster) run(ctx context.Context) error {
	best := math.Inf(1)
	for round := range b.s.Trees {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("gbdt: round %d: %w", round+1, err)
		}
		b.gradients()
		t := b.grow()
		b.trees = append(b.trees, t)
		if b.vmargn == nil {
			continue
		}
		if loss := b.validLoss(t); loss < best {
			best, b.bestRound = loss, round
		} else if round-b.bestRound >= b.s.EarlyStoppingRounds {
			break
		}
	}
	if b.vmargn != nil {
		b.trees = b.trees[:b.bestRound+1]
	}
	return nil
}

// model turns the kept trees into a Model. The saved settings leave out
// Workers: the model does not depend on it.
func (b *booster) model() *Model {
	cfg := b.s.Config
	cfg.Workers = 0
	return newModel(slices.Clone(b.train.X.Names), b.base, b.trees, cfg)
}

// gradients sets every row's gradient and hessian of the log loss at its
// current margin.
func (b *booster) gradients() {
	y, w := b.train.Y, b.train.W
	n := len(y)
	forEach(b.s.Workers, (n+rowBlock-1)/rowBlock, func(k int) {
		for i := k * rowBlock; i < min((k+1)*rowBlock, n); i++ {
			p := models.Sigmoid(b.margin[i])
			g, h := p-y[i], max(p*(1-p), minHessian)
			if w != nil {
				g, h = g*w[i], h*w[i]
			}
			b.grad[i] = gpair{float32(g), float32(h)}
		}
	})
}

// validLoss adds t to the validation margins and returns their weighted
// mean log loss.
func (b *booster) validLoss(t *tree) float64 {
	X := b.valid.X
	n := X.Rows
	forEach(b.s.Workers, (n+rowBlock-1)/rowBlock, func(k int) {
		for i := k * rowBlock; i < min((k+1)*rowBlock, n); i++ {
			b.vmargn[i] += t.leaf(X.Row(i))
		}
	})
	return logLoss(b.vmargn, b.valid.Y, b.valid.W, b.s.Workers)
}

// logLoss is the weighted mean log loss of log-odds z against labels y.
// It sums by fixed blocks, so the result does not depend on workers.
func logLoss(z, y, w []float64, workers int) float64 {
	n := len(z)
	blocks := (n + rowBlock - 1) / rowBlock
	loss, weights := make([]float64, blocks), make([]float64, blocks)
	forEach(workers, blocks, func(k int) {
		for i := k * rowBlock; i < min((k+1)*rowBlock, n); i++ {
			// −log σ(z) for a default, −log(1−σ(z)) for none, without overflow.
			l := math.Log1p(math.Exp(-math.Abs(z[i]))) + max(z[i], 0) - y[i]*z[i]
			wi := weight(w, i)
			loss[k] += wi * l
			weights[k] += wi
		}
	})
	var sl, sw float64
	for k := range blocks {
		sl += loss[k]
		sw += weights[k]
	}
	return sl / sw
}

// sample picks this tree's rows and features.
func (b *booster) sample() []int32 {
	n := b.data.rows
	rows := b.index[:0]
	b.unsampled = b.unsampled[:0]
	if b.s.Subsample < 1 {
		for i := range n {
			if b.rng.Float64() < b.s.Subsample {
				rows = append(rows, int32(i))
			} else {
				b.unsampled = append(b.unsampled, int32(i))
			}
		}
	} else {
		for i := range n {
			rows = append(rows, int32(i))
		}
	}
	p := b.data.cols
	b.features = b.features[:0]
	for j := range p {
		b.features = append(b.features, j)
	}
	if b.s.ColSample < 1 {
		k := max(1, int(math.Round(b.s.ColSample*float64(p))))
		b.rng.Shuffle(p, func(i, j int) { b.features[i], b.features[j] = b.features[j], b.features[i] })
		b.features = b.features[:k]
		slices.Sort(b.features)
	}
	b.groups = b.groups[:0]
	for g := 0; g < len(b.features); g += featureGroup {
		b.groups = append(b.groups, b.features[g:min(g+featureGroup, len(b.features))])
	}
	return rows
}

// grow fits one tree to the current gradients and adds it to the margins.
func (b *booster) grow() *tree {
	rows := b.sample()
	var G, H float64
	for _, r := range rows {
		G += float64(b.grad[r].g)
		H += float64(b.grad[r].h)
	}
	root := &growNode{G: G, H: H, lower: math.Inf(-1), upper: math.Inf(1), end: len(rows), left: -1, right: -1}
	root.weight = b.s.weight(G, H, root.lower, root.upper)
	root.gain = b.s.nodeGain(G, H, root.weight)
	root.best.feature = -1
	nodes := []*growNode{root}
	var open []int // nodes with a split to make
	if b.wantSplit(root) {
		root.hist = b.getHist()
		b.step(root, true, nil, false)
		if root.best.feature >= 0 {
			open = append(open, 0)
		} else {
			b.putHist(root)
		}
	}
	leaves := 1
	for len(open) > 0 && (b.s.MaxLeaves == 0 || leaves < b.s.MaxLeaves) {
		k := 0
		if b.s.MaxLeaves > 0 {
			// Best split first; ties go to the older node.
			for i, id := range open {
				if nodes[id].best.gain > nodes[open[k]].best.gain {
					k = i
				}
			}
		}
		id := open[k]
		open = slices.Delete(open, k, k+1)
		children := b.split(nodes[id])
		nodes[id].left, nodes[id].right = len(nodes), len(nodes)+1
		nodes = append(nodes, children[0], children[1])
		leaves++
		for i, c := range children {
			if c.best.feature >= 0 {
				open = append(open, nodes[id].left+i)
			}
		}
	}
	for _, id := range open {
		b.putHist(nodes[id])
	}
	b.update(nodes)
	return b.finish(nodes)
}

// wantSplit reports whether n may be split at all.
func (b *booster) wantSplit(n *growNode) bool {
	return n.depth < b.s.maxDepth && n.end-n.begin >= 2 && n.H >= 2*b.s.MinChildWeight && n.H > 0
}

// split divides p's rows by its best split and readies the children's
// histograms and best splits.
func (b *booster) split(p *growNode) [2]*growNode {
	sp := p.best
	mid := p.begin + b.partition(p)
	L := &growNode{G: sp.GL, H: sp.HL, weight: sp.wl, lower: p.lower, upper: p.upper,
		begin: p.begin, end: mid, depth: p.depth + 1, left: -1, right: -1}
	R := &growNode{G: p.G - sp.GL, H: p.H - sp.HL, weight: sp.wr, lower: p.lower, upper: p.upper,
		begin: mid, end: p.end, depth: p.depth + 1, left: -1, right: -1}
	if c := b.s.monotone[sp.feature]; c != 0 {
		// Bound the subtrees by the mid-point of the children's weights,
		// so that every leaf on one side stays on its side of every leaf
		// on the other (XGBoost's monotone constraints).
		m := (sp.wl + sp.wr) / 2
		if c > 0 {
			L.upper, R.lower = m, m
		} else {
			L.lower, R.upper = m, m
		}
	}
	for _, c := range []*growNode{L, R} {
		c.gain = b.s.nodeGain(c.G, c.H, c.weight)
		c.best.feature = -1
	}
	small, large := L, R
	if R.end-R.begin < L.end-L.begin {
		small, large = R, L
	}
	wantSmall, wantLarge := b.wantSplit(small), b.wantSplit(large)
	switch {
	case wantLarge:
		// Build the smaller child's histogram; the larger one's is the
		// parent's less it.
		small.hist, large.hist, p.hist = b.getHist(), p.hist, nil
		b.step(small, wantSmall, large, true)
	case wantSmall:
		small.hist = b.getHist()
		b.step(small, true, nil, false)
		b.putHist(p)
	default:
		b.putHist(p)
	}
	for _, c := range []*growNode{L, R} {
		if c.best.feature < 0 {
			b.putHist(c)
		}
	}
	return [2]*growNode{L, R}
}

// step builds built's histogram from its rows and, when derived is not
// nil, turns the histogram derived holds (its parent's) into derived's by
// subtracting built's. Then it finds the best split of each node that
// asks for one.
func (b *booster) step(built *growNode, splitBuilt bool, derived *growNode, splitDerived bool) {
	rows := b.index[built.begin:built.end]
	gp := b.grad
	if len(rows) < b.data.rows {
		gp = b.gathered[:len(rows)]
		gather := func(lo, hi int) {
			for k := lo; k < hi; k++ {
				gp[k] = b.grad[rows[k]]
			}
		}
		if len(rows) >= 4*rowBlock {
			blocks := (len(rows) + rowBlock - 1) / rowBlock
			forEach(b.s.Workers, blocks, func(k int) { gather(k*rowBlock, min((k+1)*rowBlock, len(rows))) })
		} else {
			gather(0, len(rows))
		}
	}
	workers := b.s.Workers
	if len(rows)*len(b.features) < parallelWork {
		workers = 1
	}
	groups := len(b.groups)
	b.results = slices.Grow(b.results[:0], 2*groups)[:2*groups]
	forEach(workers, groups, func(g int) {
		feats := b.groups[g]
		b.accumulate(built.hist, feats, rows, gp)
		if derived != nil {
			for _, j := range feats {
				off, nb := b.data.offset[j], b.data.nbins[j]+1
				parent, child := derived.hist[off:off+nb], built.hist[off:off+nb]
				for k := range parent {
					parent[k].g -= child[k].g
					parent[k].h -= child[k].h
				}
			}
		}
		b.results[2*g] = b.bestOf(built, splitBuilt, feats)
		b.results[2*g+1] = b.bestOf(derived, splitDerived, feats)
	})
	for i, n := range []*growNode{built, derived} {
		if n == nil {
			continue
		}
		best := split{feature: -1, gain: minGain}
		for g := range groups {
			if r := b.results[2*g+i]; r.feature >= 0 && r.gain > best.gain {
				best = r
			}
		}
		if best.feature >= 0 && best.gain < b.s.MinSplitGain {
			best.feature = -1
		}
		if best.feature >= 0 && !b.s.hasMonotone {
			best.wl = b.s.weight(best.GL, best.HL, n.lower, n.upper)
			best.wr = b.s.weight(n.G-best.GL, n.H-best.HL, n.lower, n.upper)
		}
		n.best = best
	}
}

// accumulate fills hist for feats from rows, whose gradient pairs are gp.
func (b *booster) accumulate(hist []histBin, feats []int, rows []int32, gp []gpair) {
	d := b.data
	slots := func(j int) []histBin { return hist[d.offset[j] : d.offset[j]+d.nbins[j]+1] }
	switch {
	case !d.narrow():
		for _, j := range feats {
			clear(slots(j))
			accumulate16(slots(j), d.col16(j), rows, gp)
		}
	case len(feats) == featureGroup:
		var local [featureGroup][256]histBin
		n := d.rows
		accumulate8x4(&local, d.bins8, feats[0]*n, feats[1]*n, feats[2]*n, feats[3]*n, rows, gp)
		for i, j := range feats {
			copy(slots(j), local[i][:])
		}
	default:
		for _, j := range feats {
			clear(slots(j))
			accumulate8((*[256]histBin)(hist[d.offset[j]:d.offset[j]+256]), d.col8(j), rows, gp)
		}
	}
}

// bestOf returns n's best split on feats; none when n is nil or not to
// be split.
func (b *booster) bestOf(n *growNode, want bool, feats []int) split {
	best := split{feature: -1, gain: minGain}
	if n == nil || !want {
		return best
	}
	d := b.data
	for _, j := range feats {
		h := n.hist[d.offset[j] : d.offset[j]+d.nbins[j]+1]
		b.scan(n, j, h, &best)
	}
	return best
}

// scan updates best with the splits of n on feature j, whose histogram
// is h (value bins, then the missing bin). Missing values go each way in
// turn, as in XGBoost, and also alone to the left.
func (b *booster) scan(n *growNode, j int, h []histBin, best *split) {
	nb := len(h) - 1
	lo, hi := -1, -1 // the non-empty value bins; splits lie between them
	for k, e := range h[:nb] {
		if e.g != 0 || e.h != 0 {
			if lo < 0 {
				lo = k
			}
			hi = k
		}
	}
	if lo < 0 {
		return
	}
	m := h[nb]
	hasMissing := b.data.missing[j] && (m.g != 0 || m.h != 0)
	if !b.s.hasMonotone && b.s.L1 == 0 {
		b.scanFree(n, j, h[lo:hi+1], lo, m, hasMissing, best)
		return
	}
	mono := b.s.monotone[j]
	try := func(bin int, defaultLeft bool, GL, HL float64) {
		GR, HR := n.G-GL, n.H-HL
		if !(HL >= b.s.MinChildWeight && HR >= b.s.MinChildWeight && HL > 0 && HR > 0) {
			return
		}
		var gain, wl, wr float64
		if !b.s.hasMonotone {
			gain = b.s.freeGain(GL, HL) + b.s.freeGain(GR, HR) - n.gain
		} else {
			wl = b.s.weight(GL, HL, n.lower, n.upper)
			wr = b.s.weight(GR, HR, n.lower, n.upper)
			if mono > 0 && wl > wr || mono < 0 && wl < wr {
				return
			}
			gain = b.s.gainAt(GL, HL, wl) + b.s.gainAt(GR, HR, wr) - n.gain
		}
		if gain > best.gain {
			*best = split{feature: j, bin: bin, defaultLeft: defaultLeft, gain: gain, GL: GL, HL: HL, wl: wl, wr: wr}
		}
	}
	if hasMissing {
		try(-1, true, m.g, m.h)
	}
	var GL, HL float64
	for k := lo; k < hi; k++ {
		GL += h[k].g
		HL += h[k].h
		try(k, false, GL, HL)
		if hasMissing {
			try(k, true, GL+m.g, HL+m.h)
		}
	}
}

// scanFree is scan for the common case of no monotone constraints and
// no L1, where a child's gain term is G²/(H+λ): the loop every node runs
// for every feature and bin, kept free of calls. h holds the value bins
// from lo to the last non-empty one.
func (b *booster) scanFree(n *growNode, j int, h []histBin, lo int, m histBin, hasMissing bool, best *split) {
	lambda, mcw := b.s.L2, b.s.MinChildWeight
	G, H, parent := n.G, n.H, n.gain
	try := func(bin int, defaultLeft bool, GL, HL float64) {
		GR, HR := G-GL, H-HL
		if HL >= mcw && HR >= mcw && HL > 0 && HR > 0 {
			if gain := GL*GL/(HL+lambda) + GR*GR/(HR+lambda) - parent; gain > best.gain {
				*best = split{feature: j, bin: bin, defaultLeft: defaultLeft, gain: gain, GL: GL, HL: HL}
			}
		}
	}
	if hasMissing {
		try(-1, true, m.g, m.h)
	}
	var GL, HL float64
	for k, e := range h[:len(h)-1] {
		if e.g == 0 && e.h == 0 {
			continue // the same split as the bin before
		}
		GL += e.g
		HL += e.h
		try(lo+k, false, GL, HL)
		if hasMissing {
			try(lo+k, true, GL+m.g, HL+m.h)
		}
	}
}

// partition reorders p's rows so that those going left come first, both
// sides keeping ascending order, and returns how many go left. Large
// nodes are cut into blocks partitioned in parallel, then joined.
func (b *booster) partition(p *growNode) int {
	sp := p.best
	d := b.data
	seg := b.index[p.begin:p.end]
	// goLeft[bin] says where the rows of each bin go.
	goLeft := make([]bool, d.nbins[sp.feature]+1)
	for k := range goLeft {
		goLeft[k] = k <= sp.bin || k == len(goLeft)-1 && sp.defaultLeft
	}
	split := func(rows, right []int32) int {
		if d.narrow() {
			return splitRows(rows, right, d.col8(sp.feature), goLeft)
		}
		return splitRows(rows, right, d.col16(sp.feature), goLeft)
	}
	const block = 1 << 16
	scratch := b.scratch[p.begin:p.end]
	if len(seg) < 2*block || b.s.Workers == 1 {
		left := split(seg, scratch)
		copy(seg[left:], scratch[:len(seg)-left])
		return left
	}
	blocks := (len(seg) + block - 1) / block
	lefts := make([]int, blocks)
	forEach(b.s.Workers, blocks, func(k int) {
		lo, hi := k*block, min((k+1)*block, len(seg))
		lefts[k] = split(seg[lo:hi], scratch[lo:hi])
	})
	// Gather the left runs at the front, in block order: each moves
	// toward the front, never over a run not yet moved.
	left := 0
	for k, nl := range lefts {
		copy(seg[left:left+nl], seg[k*block:k*block+nl])
		left += nl
	}
	at := left
	for k, nl := range lefts {
		lo, hi := k*block, min((k+1)*block, len(seg))
		nr := hi - lo - nl
		copy(seg[at:at+nr], scratch[lo:lo+nr])
		at += nr
	}
	return left
}

// splitRows moves the rows whose bin goes left to the front of rows and
// the others to right, both in order, and returns how many go left.
func splitRows[B uint8 | uint16](rows, right []int32, col []B, goLeft []bool) int {
	// Each row is written to both sides and only the side it belongs to
	// advances: no branch for the processor to mispredict. rows[left]
	// never overtakes the row being read.
	left, nr := 0, 0
	right = right[:len(rows)]
	for _, r := range rows {
		l := b2i(goLeft[col[r]])
		rows[left] = r
		right[nr] = r
		left += l
		nr += 1 - l
	}
	return left
}

// update adds the new tree's leaf values to the training margins: by the
// leaves' row runs for the rows it was grown on, by walking the bins for
// the rows it left out.
func (b *booster) update(nodes []*growNode) {
	var leaves []*growNode
	for _, n := range nodes {
		if n.left < 0 {
			leaves = append(leaves, n)
		}
	}
	lr := b.s.LearningRate
	forEach(b.s.Workers, len(leaves), func(k int) {
		n := leaves[k]
		v := n.weight * lr
		for _, r := range b.index[n.begin:n.end] {
			b.margin[r] += v
		}
	})
	d := b.data
	forEach(b.s.Workers, (len(b.unsampled)+rowBlock-1)/rowBlock, func(k int) {
		for _, r := range b.unsampled[k*rowBlock : min((k+1)*rowBlock, len(b.unsampled))] {
			n := nodes[0]
			for n.left >= 0 {
				bin := d.bin(n.best.feature, int(r))
				missing := d.nbins[n.best.feature]
				if bin == missing && n.best.defaultLeft || bin != missing && bin <= n.best.bin {
					n = nodes[n.left]
				} else {
					n = nodes[n.right]
				}
			}
			b.margin[r] += n.weight * lr
		}
	})
}

// finish turns the grown nodes into a tree that predicts from raw values.
func (b *booster) finish(nodes []*growNode) *tree {
	t := &tree{
		nodes: make([]node, len(nodes)),
		cover: make([]float64, len(nodes)),
		gain:  make([]float64, len(nodes)),
	}
	for i, n := range nodes {
		if n.left < 0 {
			t.nodes[i] = node{feature: -1, left: -1, value: n.weight * b.s.LearningRate}
			t.cover[i] = n.H
			continue
		}
		sp := n.best
		threshold := -math.MaxFloat64 // only missing values go left
		if sp.bin >= 0 {
			threshold = b.data.cuts[sp.feature][sp.bin]
		}
		t.nodes[i] = node{feature: int32(sp.feature), threshold: threshold, left: int32(n.left), defaultLeft: sp.defaultLeft}
		t.gain[i] = sp.gain
	}
	// Covers add up from the leaves, so that the children's shares of a
	// node's cover sum to one, as TreeSHAP needs.
	for i := len(nodes) - 1; i >= 0; i-- {
		if n := t.nodes[i]; n.feature >= 0 {
			t.cover[i] = t.cover[n.left] + t.cover[n.left+1]
		}
	}
	t.prepare()
	return t
}

func (b *booster) getHist() []histBin {
	if k := len(b.pool); k > 0 {
		h := b.pool[k-1]
		b.pool = b.pool[:k-1]
		return h
	}
	return make([]histBin, b.data.slots)
}

func (b *booster) putHist(n *growNode) {
	if n.hist != nil {
		b.pool = append(b.pool, n.hist)
		n.hist = nil
	}
}

// thresholdL1 is the gradient sum shrunk toward zero by L1.
func (s *settings) thresholdL1(g float64) float64 {
	switch {
	case g > s.L1:
		return g - s.L1
	case g < -s.L1:
		return g + s.L1
	}
	return 0
}

// weight is the leaf weight −T(G)/(H+λ) that minimises the regularised
// loss, clamped to [lower, upper].
func (s *settings) weight(G, H, lower, upper float64) float64 {
	if !(H+s.L2 > 0) {
		return 0
	}
	w := -s.thresholdL1(G) / (H + s.L2)
	return min(max(w, lower), upper)
}

// freeGain is a node's term in the split gain at its optimal weight,
// T(G)²/(H+λ).
func (s *settings) freeGain(G, H float64) float64 {
	t := s.thresholdL1(G)
	return t * t / (H + s.L2)
}

// gainAt is a node's term in the split gain at weight w: twice the loss
// reduction −(G·w + ½(H+λ)w² + α|w|), which is freeGain at the optimum.
func (s *settings) gainAt(G, H, w float64) float64 {
	return -(2*G*w + (H+s.L2)*w*w + 2*s.L1*math.Abs(w))
}

// nodeGain is the node's own term, subtracted from its children's.
func (s *settings) nodeGain(G, H, w float64) float64 {
	if !s.hasMonotone {
		return s.freeGain(G, H)
	}
	return s.gainAt(G, H, w)
}
