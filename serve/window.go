package serve

import (
	"math"
	"sync"

	"github.com/credence-risk/credence/models/backtest"
)

// minPSISample is the fewest PDs the live PSI is computed on: with ten
// reference bins, fewer leave most bins nearly empty and the PSI noisy.
const minPSISample = 500

// pdWindow keeps the latest PDs served by one model, for the PSI of live
// scores against its training distribution.
type pdWindow struct {
	mu      sync.Mutex
	version string // the model whose PDs the window holds
	pds     []float64
	next    int
	full    bool
}

func newPDWindow(size int) *pdWindow { return &pdWindow{pds: make([]float64, size)} }

// add records a PD served by version; a PD of another model empties the
// window first, since it compares with that model's reference.
func (w *pdWindow) add(version string, pd float64) {
	w.mu.Lock()
	if w.version != version {
		w.version, w.next, w.full = version, 0, false
	}
	w.pds[w.next] = pd
	w.next++
	if w.next == len(w.pds) {
		w.next, w.full = 0, true
	}
	w.mu.Unlock()
}

// psi returns the PSI of the window against ref when it holds PDs of
// version, and the number of PDs it holds; NaN when too few.
func (w *pdWindow) psi(version string, ref backtest.Binned) (float64, int) {
	w.mu.Lock()
	if w.version != version {
		w.mu.Unlock()
		return math.NaN(), 0
	}
	n := w.next
	if w.full {
		n = len(w.pds)
	}
	x := append([]float64(nil), w.pds[:n]...)
	w.mu.Unlock()
	if n < minPSISample || len(ref.Shares) == 0 {
		return math.NaN(), n
	}
	return ref.PSI(x), n
}
