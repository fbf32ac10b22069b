package gbdt

// Classic TreeSHAP: exact Shapley values of a tree ensemble in polynomial time,
// Lundberg, Erion & Lee, "Consistent individualized feature attribution
// for tree ensembles" (2018), Algorithm 2, the path-dependent form: a
// feature left out of a coalition is integrated out by following both
// branches of its splits, weighted by the training cover of each. The
// code follows the paper and XGBoost's RegTree::TreeShap.

// pathElement is one feature on the path from the root to a node: the
// share of the coalitions without it (zero) and with it (one) that reach
// the node, and the permutation weight of the subsets of its size.
type pathElement struct {
	feature   int
	zero, one float64
	pweight   float64
}

// pathContributions adds the classic TreeSHAP contributions of tree t
// for x to phi, in O(leaves · depth²). It serves the trees too deep for
// the tables of Contributions, and the tests as the oracle.
func (t *tree) pathContributions(x, phi []float64, buf []pathElement) {
	t.pathShap(x, phi, 0, 0, buf, 1, 1, -1)
}

// pathShap adds the contributions of node i's subtree to phi. parent is the
// path down to the parent, of depth unique features; the path reaching i
// extends it by feature (the parent's split) with the given fractions.
// Each level works on its own copy of the path, depth+1 slots further
// into the scratch.
func (t *tree) pathShap(x, phi []float64, i int32, depth int, parent []pathElement, zero, one float64, feature int) {
	path := parent[depth+1:]
	copy(path[:depth+1], parent[:depth+1])
	extend(path, depth, zero, one, feature)
	nd := &t.nodes[i]
	if nd.feature < 0 {
		for k := 1; k <= depth; k++ {
			e := path[k]
			phi[e.feature] += unwoundSum(path, depth, k) * (e.one - e.zero) * nd.value
		}
		return
	}
	hot, cold := nd.left+1, nd.left
	if v := x[nd.feature]; v < nd.threshold || v != v && nd.defaultLeft {
		hot, cold = nd.left, nd.left+1
	}
	w := t.cover[i]
	hotZero, coldZero := t.cover[hot]/w, t.cover[cold]/w
	inZero, inOne := 1.0, 1.0
	// A feature split on again further down is taken off the path and
	// put back with both splits' fractions.
	for k := 0; k <= depth; k++ {
		if path[k].feature == int(nd.feature) {
			inZero, inOne = path[k].zero, path[k].one
			unwind(path, depth, k)
			depth--
			break
		}
	}
	t.pathShap(x, phi, hot, depth+1, path, hotZero*inZero, inOne, int(nd.feature))
	t.pathShap(x, phi, cold, depth+1, path, coldZero*inZero, 0, int(nd.feature))
}

// extend adds a feature with the given fractions at path[depth] and
// updates the permutation weights.
func extend(path []pathElement, depth int, zero, one float64, feature int) {
	path[depth] = pathElement{feature: feature, zero: zero, one: one}
	if depth == 0 {
		path[0].pweight = 1
	}
	d := float64(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		path[i+1].pweight += one * path[i].pweight * float64(i+1) / d
		path[i].pweight = zero * path[i].pweight * float64(depth-i) / d
	}
}

// unwind undoes the extension by path[k], removing it from the path.
func unwind(path []pathElement, depth, k int) {
	one, zero := path[k].one, path[k].zero
	d := float64(depth + 1)
	next := path[depth].pweight
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := path[i].pweight
			path[i].pweight = next * d / (float64(i+1) * one)
			next = tmp - path[i].pweight*zero*float64(depth-i)/d
		} else {
			path[i].pweight = path[i].pweight * d / (zero * float64(depth-i))
		}
	}
	for i := k; i < depth; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
}

// unwoundSum is the total permutation weight the path would have without
// path[k], computed without changing the path.
func unwoundSum(path []pathElement, depth, k int) float64 {
	one, zero := path[k].one, path[k].zero
	d := float64(depth + 1)
	next := path[depth].pweight
	var total float64
	for i := depth - 1; i >= 0; i-- {
		switch {
		case one != 0:
			tmp := next * d / (float64(i+1) * one)
			total += tmp
			next = path[i].pweight - tmp*zero*float64(depth-i)/d
		case zero != 0:
			total += path[i].pweight / zero / (float64(depth-i) / d)
		}
	}
	return total
}
