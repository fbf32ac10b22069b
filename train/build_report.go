package train

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/models/eval"
	"github.com/credence-risk/credence/models/grade"
	"github.com/credence-risk/credence/models/scorecard"
)

// curvePoints caps the points of a drawn curve.
const curvePoints = 200

// buildReport writes the training report; trainPD are the champion's
// calibrated PDs of the training part, the baseline of the score's PSI.
func buildReport(book *datasets.Book, prep *Prepared, trainS, testS *Sample, trainPD []float64, split Split, counts Counts, cfg Config, res *Result) *Report {
	champ := res.Champion
	r := &Report{
		Kind:     "training",
		Title:    fmt.Sprintf("Credence PD model: %s on %s", champ.Family, book.Dir),
		Created:  time.Now().UTC().Format(time.RFC3339),
		Credence: Version,
		Light:    string(champ.Light),
	}
	// Headline and light.
	t := champ.Test
	r.Headline = []Metric{
		{"AUC", Num(t.AUC), fmt.Sprintf("test, 95%% CI %.4f–%.4f (DeLong)", t.AUCLow, t.AUCHigh)},
		{"Gini", Num(t.Gini), "2·AUC − 1"},
		{"KS", Num(t.KS), ""},
		{"Brier", Num(t.Brier), ""},
		{"Log loss", Num(t.LogLoss), ""},
		{"Observed default rate", Num(t.DefaultRate), fmt.Sprintf("%d defaults in %d test observations", t.Defaults, t.N)},
		{"Mean PD", Num(t.MeanPD), fmt.Sprintf("Jeffreys p = %.4f (%s)", champ.Portfolio.JeffreysP, champ.Portfolio.Light)},
		{"Hosmer–Lemeshow p", Num(champ.HLP), "10 groups"},
	}
	if !champ.CalibrationPasses {
		r.LightReasons = append(r.LightReasons, "calibration fails: the portfolio Jeffreys test is red or more than one grade is red; the model is registered but not labelled champion")
	}
	for _, g := range champ.Grades {
		if g.Light == eval.Red || g.Light == eval.Yellow {
			r.LightReasons = append(r.LightReasons, fmt.Sprintf("grade %d: observed default rate %.3f%% against PD %.3f%% (Jeffreys p %.4f, %s)",
				g.Grade, 100*g.DefaultRate, 100*g.MeanPD, g.JeffreysP, g.Light))
		}
	}
	// Candidates and ROC.
	for _, c := range res.Candidates {
		r.Candidates = append(r.Candidates, Candidate{
			Family: c.Family, AUC: Num(c.Test.AUC), AUCLow: Num(c.Test.AUCLow), AUCHigh: Num(c.Test.AUCHigh),
			Gini: Num(c.Test.Gini), KS: Num(c.Test.KS), Brier: Num(c.Test.Brier), LogLoss: Num(c.Test.LogLoss),
			Calibration: string(c.Light), Champion: c == champ, Note: fmt.Sprintf("fit %.1f s", c.FitSeconds),
		})
		if fpr, tpr, _, err := eval.ROC(testS.Y, c.TestPD); err == nil {
			x, y := thin(fpr, tpr)
			r.ROC = append(r.ROC, Curve{Name: c.Family, X: Nums(x), Y: Nums(y)})
		}
	}
	if pts, err := eval.KSCurve(testS.Y, champ.TestPD); err == nil {
		var pop, def, non []float64
		for _, p := range pts {
			pop, def, non = append(pop, p.Population), append(def, p.Defaults), append(non, p.NonDefaults)
		}
		x, y := thin(pop, def)
		x2, y2 := thin(pop, non)
		r.KS = []Curve{{Name: "defaults", X: Nums(x), Y: Nums(y)}, {Name: "non-defaults", X: Nums(x2), Y: Nums(y2)}}
	}
	for _, g := range champ.Grades {
		r.Calibration = append(r.Calibration, GradeRow{Grade: g.Grade, N: g.N, Defaults: g.Defaults, ObservedDR: Num(g.DefaultRate),
			PD: Num(g.MeanPD), Low: Num(g.DRLow), High: Num(g.DRHigh), Jeffreys: Num(g.JeffreysP), Binomial: Num(g.BinomialP), Light: string(g.Light)})
	}
	r.Scores = scoreHistogram(testS.Y, champ.TestPD)

	// Stability of the score and of each feature, training against test.
	if psi, table, err := eval.PSI(trainPD, champ.TestPD, 10); err == nil {
		r.ScorePSI = psiTable(psi, table)
		if psi >= 0.25 {
			r.LightReasons = append(r.LightReasons, fmt.Sprintf("score PSI %.3f between training and test: the population shifted", psi))
		}
	}
	r.FeaturePSI = featurePSI(trainS, testS, 40)
	r.IV = featureIV(trainS, 40)
	r.Importance = importance(champ)
	for _, c := range res.Candidates {
		if sc, ok := c.Model.(*scorecard.Model); ok {
			for _, b := range sc.Table() {
				r.Scorecard = append(r.Scorecard, BinRow{Feature: b.Feature, Bin: b.Bin, Count: int(b.Count), Share: Num(b.Share),
					EventRate: Num(b.EventRate), WoE: Num(b.WoE), IV: Num(b.IV), Points: Num(b.Points)})
			}
		}
	}
	hp, _ := marshalHyper(champ.Family, cfg)
	window := fmt.Sprintf("history %s to %s; observed until %s", prep.First, prep.Last, prep.ObservedUntil)
	splitText := fmt.Sprintf("%s: %d train, %d validation, %d test observations", split.Method, len(split.Train), len(split.Valid), len(split.Test))
	if split.Method == "out-of-time" {
		splitText += fmt.Sprintf(" (as of %s–%s, %s–%s, %s–%s)", split.TrainDates[0], split.TrainDates[1],
			split.ValidDates[0], split.ValidDates[1], split.TestDates[0], split.TestDates[1])
	}
	r.Model = ModelCard{
		Family:          champ.Family,
		Purpose:         fmt.Sprintf("Probability that a customer defaults within %s of the scoring date, with a grade on the 10-grade master scale, for credit decisions and limits.", prep.Horizon),
		Book:            book.Dir,
		DataWindow:      window,
		Split:           splitText,
		Horizon:         prep.Horizon.String(),
		Observations:    fmt.Sprintf("%d customers; %d labelled observations with %d defaults; %d censored and %d after default left out", counts.Customers, counts.Labelled, counts.Defaults, counts.Censored, counts.AlreadyDefaulted),
		FeatureSet:      prep.Set.Version,
		Features:        prep.Set.Names(),
		HyperParameters: hp,
		DataFingerprint: res.Artifact.DataFingerprint,
		Limitations: []string{
			"Calibrated on the validation part; the PD level follows the default rate of the training window and needs recalibration when the portfolio's default rate moves.",
			"Features are point in time: only facts dated before the scoring date are used, and customer attributes are taken as known at every date.",
			"Performance is measured on held-out observations of the same book; revalidate on newer outcomes (credence validate) at least yearly.",
			"Defaults come from " + defaultSource(book, prep) + ".",
		},
	}
	return r
}

func defaultSource(book *datasets.Book, prep *Prepared) string {
	if prep.DPDThreshold > 0 {
		return fmt.Sprintf("the default rule (%d days past due)", prep.DPDThreshold)
	}
	return "the book's defaults table"
}

// thin keeps at most curvePoints points of a curve, always the ends.
func thin(x, y []float64) ([]float64, []float64) {
	if len(x) <= curvePoints {
		return x, y
	}
	step := float64(len(x)-1) / float64(curvePoints-1)
	ox, oy := make([]float64, curvePoints), make([]float64, curvePoints)
	for i := range ox {
		k := int(math.Round(float64(i) * step))
		ox[i], oy[i] = x[k], y[k]
	}
	return ox, oy
}

func scoreHistogram(y, pd []float64) *Histogram {
	const bins = 20
	points := grade.DefaultPoints()
	pts := make([]float64, len(pd))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, p := range pd {
		pts[i] = points.Score(p)
		lo, hi = math.Min(lo, pts[i]), math.Max(hi, pts[i])
	}
	if !(hi > lo) {
		return nil
	}
	h := &Histogram{Label: "score (points)", Edges: make([]Num, bins+1), Goods: make([]Num, bins), Bads: make([]Num, bins)}
	for i := range h.Edges {
		h.Edges[i] = Num(lo + (hi-lo)*float64(i)/bins)
	}
	var goods, bads float64
	for i, s := range pts {
		k := min(int((s-lo)/(hi-lo)*bins), bins-1)
		if y[i] == 1 {
			h.Bads[k]++
			bads++
		} else {
			h.Goods[k]++
			goods++
		}
	}
	for k := range h.Goods {
		h.Goods[k] /= Num(max(goods, 1))
		h.Bads[k] /= Num(max(bads, 1))
	}
	return h
}

func psiTable(psi float64, table []eval.PSIBin) *PSITable {
	t := &PSITable{PSI: Num(psi), Band: eval.Stability(psi)}
	for _, b := range table {
		label := fmt.Sprintf("(%.4g, %.4g]", b.Lower, b.Upper)
		if b.Missing {
			label = "missing"
		}
		t.Bins = append(t.Bins, label)
		t.Expected = append(t.Expected, Num(b.ExpectedShare))
		t.Actual = append(t.Actual, Num(b.ActualShare))
	}
	return t
}

func column(s *Sample, j int) []float64 {
	out := make([]float64, s.X.Rows)
	for i := range out {
		out[i] = s.X.At(i, j)
	}
	return out
}

// featurePSI returns the features' PSI, training against test, largest first.
func featurePSI(trainS, testS *Sample, limit int) []Stability {
	var out []Stability
	for j, name := range trainS.X.Names {
		psi, _, err := eval.PSI(column(trainS, j), column(testS, j), 10)
		if err != nil || math.IsNaN(psi) {
			continue
		}
		out = append(out, Stability{Feature: name, PSI: Num(psi), Band: eval.Stability(psi)})
	}
	slices.SortStableFunc(out, func(a, b Stability) int { return cmp.Compare(b.PSI, a.PSI) })
	return out[:min(len(out), limit)]
}

// featureIV returns each feature's information value over decile bins
// (missing values in a bin of their own) on the training part.
func featureIV(s *Sample, limit int) []Ranked {
	var out []Ranked
	bins := make([]int, s.X.Rows)
	for j, name := range s.X.Names {
		col := column(s, j)
		edges := eval.QuantileEdges(col, 10)
		for i, v := range col {
			if math.IsNaN(v) {
				bins[i] = -1
			} else {
				bins[i], _ = slices.BinarySearch(edges, v)
			}
		}
		iv := eval.IV(s.Y, bins)
		if !math.IsNaN(iv) {
			out = append(out, Ranked{Feature: name, Value: Num(iv)})
		}
	}
	slices.SortStableFunc(out, func(a, b Ranked) int { return cmp.Compare(b.Value, a.Value) })
	return out[:min(len(out), limit)]
}

func importance(c *CandidateResult) []Ranked {
	var out []Ranked
	if m, ok := c.Model.(interface{ Importance() map[string]float64 }); ok {
		for f, v := range m.Importance() {
			out = append(out, Ranked{Feature: f, Value: Num(v)})
		}
	}
	slices.SortStableFunc(out, func(a, b Ranked) int {
		return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Feature, b.Feature))
	})
	return out[:min(len(out), 40)]
}
