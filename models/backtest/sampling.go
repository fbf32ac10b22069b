package backtest

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/credence-risk/credence/features"
)

// SampleRule draws the training sample of a book too large to train on
// whole: every labelled default, and each labelled non-default with
// probability NonDefaultRate, weighted 1/NonDefaultRate so that the sample
// stands for the book (case-control sampling: the ranking is learnt from
// every default, the level of the PDs from the weights). Unlabelled
// observations are never drawn. The draw hashes the seed, the customer
// and the as-of date, so every worker keeps the same rows in any order.
type SampleRule struct {
	NonDefaultRate float64 `json:"non_default_rate"`
	Seed           uint64  `json:"seed"`
}

// Validate returns an error unless the rate is in (0, 1].
func (r SampleRule) Validate() error {
	if !(r.NonDefaultRate > 0 && r.NonDefaultRate <= 1) {
		return fmt.Errorf("non-default rate %v is not in (0, 1]", r.NonDefaultRate)
	}
	return nil
}

// NonDefaultWeight is the weight of a drawn non-default: 1/NonDefaultRate.
func (r SampleRule) NonDefaultWeight() float64 { return 1 / r.NonDefaultRate }

// Weight is o's weight in the sample: 1 for a default, NonDefaultWeight
// for a non-default drawn, 0 for one not drawn or an unlabelled
// observation.
func (r SampleRule) Weight(o *Observation) float64 {
	switch {
	case o.Status != features.Labelled:
		return 0
	case o.Label == 1:
		return 1
	case r.NonDefaultRate >= 1 || r.draw(o) < r.NonDefaultRate:
		return r.NonDefaultWeight()
	}
	return 0
}

// draw is a uniform number in [0, 1) fixed by the seed, the customer and
// the as-of date: FNV-1a over them, then SplitMix64's finaliser, since
// FNV alone leaves its high bits poorly mixed for short keys.
func (r SampleRule) draw(o *Observation) float64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], r.Seed)
	h.Write(b[:])
	h.Write([]byte(o.CustomerID))
	binary.LittleEndian.PutUint32(b[:4], uint32(o.AsOf))
	h.Write(b[:4])
	z := h.Sum64()
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

// String describes the rule for reports: "every default and 5% of the
// non-defaults, each weighing 20 (seed 1)".
func (r SampleRule) String() string {
	return fmt.Sprintf("every default and %s of the non-defaults, each weighing %s (seed %d)",
		short(100*r.NonDefaultRate)+"%", short(r.NonDefaultWeight()), r.Seed)
}

// short writes x with at most four significant digits: 5, 33.33.
func short(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }
