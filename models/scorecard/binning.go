package scorecard

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// Kinds of bin.
const (
	KindRange   = "range"   // values in [Lower, Upper)
	KindSpecial = "special" // exactly Value
	KindMissing = "missing" // NaN
)

// smoothing is added to every bin's defaults and non-defaults before
// taking the WoE, so that a bin without defaults has a finite WoE.
const smoothing = 0.5

// Bin is one bin of a scorecard feature. For a bin with rows the WoE is
//
//	WoE = ln( ((good + ½) / (G + ½K)) / ((bad + ½) / (B + ½K)) )
//	IV  = ((good + ½) / (G + ½K) − (bad + ½) / (B + ½K)) · WoE
//
// where good and bad are the bin's non-defaults and defaults, G and B the
// feature's totals and K the number of its bins that hold rows. A bin with
// too few rows to estimate (none, or under MinBinShare of all rows) is
// neutral: WoE 0, IV 0. Only missing and special bins, and bins at fixed
// cuts, can be that small: value ranges found by binning are merged until
// they meet MinBinShare and MinBinEvents (unless a single range is left).
type Bin struct {
	Kind      string  `json:"kind"` // KindRange, KindSpecial or KindMissing
	Lower     float64 `json:"-"`    // range: inclusive lower bound, −Inf for the first
	Upper     float64 `json:"-"`    // range: exclusive upper bound, +Inf for the last
	Value     float64 `json:"-"`    // special: the code
	Count     float64 `json:"count"`
	Events    float64 `json:"events"`     // defaults among Count
	EventRate float64 `json:"event_rate"` // Events / Count; 0 if empty
	WoE       float64 `json:"woe"`
	IV        float64 `json:"iv"`
	Neutral   bool    `json:"neutral,omitempty"` // too few rows to estimate: WoE set to 0
	Points    float64 `json:"points"`
}

// Label names the bin for reports: "[-inf, 2)", "[2, 5)", "[5, +inf)",
// "special -1", "missing".
func (b Bin) Label() string {
	switch b.Kind {
	case KindMissing:
		return "missing"
	case KindSpecial:
		return "special " + formatNumber(b.Value)
	}
	return "[" + formatNumber(b.Lower) + ", " + formatNumber(b.Upper) + ")"
}

func formatNumber(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "+inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// Variable is one feature of a scorecard with its bins.
type Variable struct {
	Feature string  `json:"feature"`
	Column  int     `json:"column"` // index in the model's Features
	Trend   string  `json:"trend"`  // applied: ascending, descending, none, or fixed (user cuts)
	IV      float64 `json:"iv"`
	Gini    float64 `json:"gini"` // of the WoE alone, on the training rows
	// Coefficient is the regression's weight on the WoE; negative, since a
	// higher WoE is a lower risk.
	Coefficient float64 `json:"coefficient"`
	// Bins are the range bins by value, then the special bins by value,
	// then the missing bin. Every value falls in exactly one.
	Bins []Bin `json:"bins"`
}

// totals are the weighted non-defaults and defaults of a set of rows.
type totals struct{ good, bad float64 }

func (t totals) n() float64 { return t.good + t.bad }

func (t *totals) add(y, w float64) {
	if y == 1 {
		t.bad += w
	} else {
		t.good += w
	}
}

func totalsOf(y, w []float64) totals {
	var t totals
	for i, yi := range y {
		t.add(yi, weightOf(w, i))
	}
	return t
}

// span is a range bin being built: values from lo (inclusive) up to the
// next span's lo.
type span struct {
	lo float64
	totals
}

// limits are the size constraints every bin must meet.
type limits struct {
	minCount, minEvents float64
	all                 totals // the whole training set, for IV
}

func (l limits) small(t totals) bool {
	return t.n() == 0 || t.n() < l.minCount || t.bad < l.minEvents || t.good < l.minEvents
}

// obs is one non-missing, non-special training value.
type obs struct{ x, y, w float64 }

// binFeature bins one feature: missing and special values apart, the rest
// in value ranges found by supervised merging (or at cfg.Cuts).
func binFeature(name string, column int, col, y, w []float64, all totals, cfg Config) *Variable {
	specials := slices.Clone(cfg.Special[name])
	slices.Sort(specials)
	specials = slices.Compact(specials)

	var missing totals
	spec := make([]totals, len(specials))
	reg := make([]obs, 0, len(col))
	for i, x := range col {
		wi := weightOf(w, i)
		if math.IsNaN(x) {
			missing.add(y[i], wi)
			continue
		}
		if k, ok := slices.BinarySearch(specials, x); ok {
			spec[k].add(y[i], wi)
			continue
		}
		reg = append(reg, obs{x, y[i], wi})
	}
	lim := limits{minCount: cfg.MinBinShare * all.n(), minEvents: float64(cfg.MinBinEvents), all: all}

	var spans []span
	trend := cfg.trendOf(name)
	if cuts, ok := cfg.Cuts[name]; ok {
		spans = countSpans(reg, cuts)
		trend = trendFixed
	} else {
		slices.SortFunc(reg, func(a, b obs) int { return cmp.Compare(a.x, b.x) })
		spans = preBins(reg, cfg.PreBins, cfg.MaxBins)
		spans, trend = mergeSpans(spans, lim, trend, cfg.MaxBins)
	}

	v := &Variable{Feature: name, Column: column, Trend: trend}
	for k, s := range spans {
		upper := math.Inf(1)
		if k+1 < len(spans) {
			upper = spans[k+1].lo
		}
		v.Bins = append(v.Bins, Bin{Kind: KindRange, Lower: s.lo, Upper: upper, Count: s.n(), Events: s.bad})
	}
	for k, s := range spec {
		v.Bins = append(v.Bins, Bin{Kind: KindSpecial, Value: specials[k], Count: s.n(), Events: s.bad})
	}
	v.Bins = append(v.Bins, Bin{Kind: KindMissing, Count: missing.n(), Events: missing.bad})
	setWoE(v.Bins, lim)
	for _, b := range v.Bins {
		v.IV += b.IV
	}
	v.Gini = gini(v.Bins)
	return v
}

// countSpans counts the values in the ranges that fixed cuts make.
func countSpans(reg []obs, cuts []float64) []span {
	spans := make([]span, len(cuts)+1)
	spans[0].lo = math.Inf(-1)
	for k, c := range cuts {
		spans[k+1].lo = c
	}
	for _, o := range reg {
		k, _ := slices.BinarySearch(cuts, o.x) // first cut >= x
		if k < len(cuts) && cuts[k] == o.x {
			k++ // x == cut belongs to the bin the cut opens
		}
		spans[k].add(o.y, o.w)
	}
	return spans
}

// preBins cuts sorted values into one span per distinct value when there
// are at most maxBins of them (binary and low-cardinality features),
// otherwise at the preBins-quantiles (by weight). Cuts are observed
// values, so bounds print exactly in exports.
func preBins(reg []obs, preBins, maxBins int) []span {
	if len(reg) == 0 {
		return []span{{lo: math.Inf(-1)}}
	}
	var cuts []float64
	distinct := 1
	for i := 1; i < len(reg) && distinct <= maxBins; i++ {
		if reg[i].x != reg[i-1].x {
			distinct++
		}
	}
	if distinct <= maxBins {
		for i := 1; i < len(reg); i++ {
			if reg[i].x != reg[i-1].x {
				cuts = append(cuts, reg[i].x)
			}
		}
	} else {
		var total float64
		for _, o := range reg {
			total += o.w
		}
		var cum float64
		q := 1
		for i := 0; i+1 < len(reg) && q < preBins; i++ {
			cum += reg[i].w
			// Rows up to i hold the first q/preBins of the weight: the next
			// value opens a bin unless it equals the last cut.
			for q < preBins && cum >= total*float64(q)/float64(preBins) {
				q++
				c := reg[i+1].x
				if c > reg[0].x && (len(cuts) == 0 || c > cuts[len(cuts)-1]) {
					cuts = append(cuts, c)
				}
			}
		}
	}
	return countSpans(reg, cuts)
}

// mergeSpans merges adjacent spans until every span meets the size
// limits, the trend holds and at most maxBins remain. It returns the
// trend applied: auto resolves to ascending or descending, whichever
// keeps the higher information value.
func mergeSpans(s []span, lim limits, trend string, maxBins int) ([]span, string) {
	s = mergeSmall(s, lim)
	if trend != TrendAuto {
		return enforce(s, trend, lim, maxBins), trend
	}
	asc := enforce(slices.Clone(s), TrendAscending, lim, maxBins)
	desc := enforce(slices.Clone(s), TrendDescending, lim, maxBins)
	ivAsc, ivDesc := spansIV(asc, lim), spansIV(desc, lim)
	switch {
	case ivAsc > ivDesc:
		return asc, TrendAscending
	case ivDesc > ivAsc:
		return desc, TrendDescending
	}
	// Equal information (often a single bin either way): name the
	// direction the data lean.
	if len(s) > 1 && logOddsGood(s[len(s)-1].totals) > logOddsGood(s[0].totals) {
		return desc, TrendDescending
	}
	return asc, TrendAscending
}

// mergeSmall merges every span that is below the size limits into the
// neighbour that costs the least information, smallest span first.
func mergeSmall(s []span, lim limits) []span {
	for len(s) > 1 {
		worst := -1
		for i, x := range s {
			if lim.small(x.totals) && (worst < 0 || x.n() < s[worst].n()) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		at := worst // merge s[at] and s[at+1]
		switch {
		case worst == len(s)-1:
			at = worst - 1
		case worst > 0 && mergeLoss(s, worst-1, lim) <= mergeLoss(s, worst, lim):
			at = worst - 1
		}
		s = mergeAt(s, at)
	}
	return s
}

// enforce merges, among adjacent pairs that break the trend, the one that
// costs the least information, until none does; then the cheapest pairs
// until at most maxBins spans remain.
func enforce(s []span, trend string, lim limits, maxBins int) []span {
	for len(s) > 1 {
		at := -1
		if trend == TrendAscending || trend == TrendDescending {
			for i := 0; i+1 < len(s); i++ {
				a, b := logOddsGood(s[i].totals), logOddsGood(s[i+1].totals)
				// Strict: neighbours with the same WoE say nothing apart.
				breaks := b >= a // ascending default rate: WoE must fall
				if trend == TrendDescending {
					breaks = b <= a
				}
				if breaks && (at < 0 || mergeLoss(s, i, lim) < mergeLoss(s, at, lim)) {
					at = i
				}
			}
		}
		if at < 0 && len(s) > maxBins {
			at = 0
			for i := 1; i+1 < len(s); i++ {
				if mergeLoss(s, i, lim) < mergeLoss(s, at, lim) {
					at = i
				}
			}
		}
		if at < 0 {
			break
		}
		s = mergeAt(s, at)
	}
	return s
}

// mergeAt merges s[i+1] into s[i].
func mergeAt(s []span, i int) []span {
	s[i].good += s[i+1].good
	s[i].bad += s[i+1].bad
	return slices.Delete(s, i+1, i+2)
}

// logOddsGood is the smoothed ln(good/bad) of a bin: its WoE up to a
// constant shared by all bins of the feature.
func logOddsGood(t totals) float64 {
	return math.Log((t.good + smoothing) / (t.bad + smoothing))
}

// ivTerm is the smoothed IV of one bin against the training totals; the
// merging decisions compare sums of these.
func ivTerm(t totals, all totals) float64 {
	pg := (t.good + smoothing) / all.good
	pb := (t.bad + smoothing) / all.bad
	return (pg - pb) * math.Log(pg/pb)
}

// mergeLoss is the information lost by merging s[i] and s[i+1].
func mergeLoss(s []span, i int, lim limits) float64 {
	merged := totals{good: s[i].good + s[i+1].good, bad: s[i].bad + s[i+1].bad}
	return ivTerm(s[i].totals, lim.all) + ivTerm(s[i+1].totals, lim.all) - ivTerm(merged, lim.all)
}

func spansIV(s []span, lim limits) float64 {
	var iv float64
	for _, x := range s {
		iv += ivTerm(x.totals, lim.all)
	}
	return iv
}

// setWoE sets every bin's event rate, WoE, IV and neutral flag (see Bin).
func setWoE(bins []Bin, lim limits) {
	var all totals
	var withRows float64
	for _, b := range bins {
		all.good += b.Count - b.Events
		all.bad += b.Events
		if b.Count > 0 {
			withRows++
		}
	}
	G := all.good + smoothing*withRows
	B := all.bad + smoothing*withRows
	for k := range bins {
		b := &bins[k]
		t := totals{good: b.Count - b.Events, bad: b.Events}
		b.EventRate, b.WoE, b.IV, b.Neutral = 0, 0, 0, false
		if b.Count > 0 {
			b.EventRate = b.Events / b.Count
		}
		if b.Count == 0 || b.Count < lim.minCount {
			b.Neutral = true
			continue
		}
		pg := (t.good + smoothing) / G
		pb := (t.bad + smoothing) / B
		b.WoE = math.Log(pg / pb)
		b.IV = (pg - pb) * b.WoE
	}
}

// gini is the Gini coefficient (2·AUC − 1) of ranking the training rows
// by their bin's WoE, lower WoE riskier, ties counted half.
func gini(bins []Bin) float64 {
	bs := slices.Clone(bins)
	slices.SortFunc(bs, func(a, b Bin) int { return cmp.Compare(a.WoE, b.WoE) })
	var G, B float64
	for _, b := range bs {
		G += b.Count - b.Events
		B += b.Events
	}
	if G == 0 || B == 0 {
		return 0
	}
	// Pairs of a default and a non-default ranked the right way round:
	// the default in a bin of lower WoE.
	var right, goodBelow float64
	for i := 0; i < len(bs); {
		j := i
		var g, b float64
		for ; j < len(bs) && bs[j].WoE == bs[i].WoE; j++ {
			g += bs[j].Count - bs[j].Events
			b += bs[j].Events
		}
		right += b * (G - goodBelow - g) // non-defaults above this WoE
		right += 0.5 * b * g             // ties
		goodBelow += g
		i = j
	}
	return 2*right/(G*B) - 1
}
