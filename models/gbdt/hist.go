package gbdt

import (
	"sync"
	"sync/atomic"
)

// gpair is one row's gradient and hessian. They are kept in float32, as
// XGBoost and LightGBM keep them, to halve the memory the histogram
// passes stream; the sums accumulate in float64.
type gpair struct{ g, h float32 }

// histBin is one histogram slot: the gradient and hessian sums of the
// rows whose value falls in the bin.
type histBin struct{ g, h float64 }

// featureGroup is the number of features one histogram pass fills: the
// rows and their gradients are read once for all of them, and the
// independent updates overlap where a single feature's would wait on the
// previous row's write to the same bin.
const featureGroup = 4

// accumulate8x4 adds the gradient pairs gp of rows to four features'
// histograms h. The features' bin columns start at offsets o0…o3 of bins,
// the whole column-major bin matrix: one slice and four offsets keep the
// loop's state in registers, where four slices would spill.
func accumulate8x4(h *[featureGroup][256]histBin, bins []uint8, o0, o1, o2, o3 int, rows []int32, gp []gpair) {
	gp = gp[:len(rows)]
	for k, r := range rows {
		g, hh := float64(gp[k].g), float64(gp[k].h)
		i := int(r)
		b := &h[0][bins[o0+i]]
		b.g += g
		b.h += hh
		b = &h[1][bins[o1+i]]
		b.g += g
		b.h += hh
		b = &h[2][bins[o2+i]]
		b.g += g
		b.h += hh
		b = &h[3][bins[o3+i]]
		b.g += g
		b.h += hh
	}
}

// accumulate8 adds the gradient pairs gp of rows to one feature's
// histogram.
func accumulate8(h *[256]histBin, col []uint8, rows []int32, gp []gpair) {
	gp = gp[:len(rows)]
	for k, r := range rows {
		b := &h[col[r]]
		b.g += float64(gp[k].g)
		b.h += float64(gp[k].h)
	}
}

// accumulate16 is accumulate8 for features with more than 256 bins.
func accumulate16(h []histBin, col []uint16, rows []int32, gp []gpair) {
	gp = gp[:len(rows)]
	for k, r := range rows {
		b := &h[col[r]]
		b.g += float64(gp[k].g)
		b.h += float64(gp[k].h)
	}
}

// forEach calls fn(i) for every i in [0, n) on up to workers goroutines
// and returns when all calls have. Each i is handled by exactly one call,
// so results that depend only on i do not depend on workers.
func forEach(workers, n int, fn func(i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}
