package eval

import (
	"encoding/json"
	"math"
)

// SummaryLevel is the confidence level of Metrics' AUC interval.
const SummaryLevel = 0.95

// Metrics summarises a model's performance on one sample, as training
// stores it in the artifact and revalidation reports it. Discrimination
// fields are NaN when the sample lacks a class (and AUCStdErr and the
// interval when a class has one member); in JSON a NaN is null.
//
// On a weighted sample (case-control: every default kept with weight 1,
// a share r of the non-defaults with weight 1/r) N and Defaults still
// count rows, Weight is the population the rows stand for, and every
// other figure is the population's estimate: weighted means, and the
// discrimination of pairs weighing w_i·w_j.
type Metrics struct {
	N           int     // rows
	Defaults    int     // rows with label 1
	Weight      float64 // summed weight; 0 when unweighted (every row weighs 1)
	DefaultRate float64 // weighted share of defaults: Defaults / N unweighted
	MeanPD      float64 // weighted mean PD

	AUC       float64
	AUCStdErr float64 // DeLong
	AUCLow    float64 // SummaryLevel interval, DeLong
	AUCHigh   float64
	Gini      float64
	KS        float64

	Brier   float64
	LogLoss float64
	// JeffreysP tests MeanPD against the default rate (see Jeffreys), on
	// the weighted counts when weighted.
	JeffreysP float64
}

// Summary computes Metrics for labels y and PDs pd, each row weighing
// w[i] (w nil: every row weighs 1). It returns an error when the input is
// malformed (see Check; PDs must lie in [0, 1]); a sample with a single
// class is not malformed: its discrimination metrics are NaN.
//
// Weighted, the AUC is AUC(y, pd, w), KS compares the classes' weighted
// score distributions, and JeffreysP tests the weighted default count
// against the summed weight. AUCStdErr and the interval stay DeLong's on
// the rows: with one weight per class, as case-control sampling gives,
// the weighted AUC equals the unweighted one, and the rows, not the
// population they stand for, are what the estimate's error comes from.
func Summary(y, pd, w []float64) (Metrics, error) {
	total, err := checkPD(y, pd, w)
	if err != nil {
		return Metrics{}, err
	}
	m := Metrics{N: len(y)}
	if w != nil {
		m.Weight = total
	}
	var sum, defaults float64
	for i := range y {
		m.Defaults += int(y[i])
		wi := weightAt(w, i)
		defaults += wi * y[i]
		sum += wi * pd[i]
	}
	m.DefaultRate = defaults / total
	m.MeanPD = sum / total
	m.Brier = Brier(y, pd, w)
	m.LogLoss = LogLoss(y, pd, w)
	m.JeffreysP = Jeffreys(defaults, total, min(m.MeanPD, 1))

	m.AUC, m.AUCStdErr, m.AUCLow, m.AUCHigh, m.Gini, m.KS =
		math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if m.Defaults == 0 || m.Defaults == m.N {
		return m, nil
	}
	r, err := newRanking(y, pd)
	if err != nil {
		return Metrics{}, err
	}
	m.AUC, m.AUCStdErr = r.delong()
	m.KS = r.ks()
	if w != nil {
		// A class whose rows all weigh 0 leaves these NaN.
		m.AUC, m.KS = AUC(y, pd, w), weightedKS(y, pd, w)
	}
	m.AUCLow, m.AUCHigh = interval(m.AUC, m.AUCStdErr, SummaryLevel)
	m.Gini = 2*m.AUC - 1
	return m, nil
}

// metricsJSON is Metrics' encoding; nil stands for NaN.
type metricsJSON struct {
	N           int      `json:"n"`
	Defaults    int      `json:"defaults"`
	Weight      float64  `json:"weight,omitempty"`
	DefaultRate *float64 `json:"default_rate"`
	MeanPD      *float64 `json:"mean_pd"`
	AUC         *float64 `json:"auc"`
	AUCStdErr   *float64 `json:"auc_se"`
	AUCLow      *float64 `json:"auc_low"`
	AUCHigh     *float64 `json:"auc_high"`
	Gini        *float64 `json:"gini"`
	KS          *float64 `json:"ks"`
	Brier       *float64 `json:"brier"`
	LogLoss     *float64 `json:"log_loss"`
	JeffreysP   *float64 `json:"jeffreys_p"`
}

// MarshalJSON writes the metrics with snake_case keys in a fixed order,
// NaN as null.
func (m Metrics) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricsJSON{
		N: m.N, Defaults: m.Defaults, Weight: m.Weight,
		DefaultRate: finite(m.DefaultRate), MeanPD: finite(m.MeanPD),
		AUC: finite(m.AUC), AUCStdErr: finite(m.AUCStdErr),
		AUCLow: finite(m.AUCLow), AUCHigh: finite(m.AUCHigh),
		Gini: finite(m.Gini), KS: finite(m.KS),
		Brier: finite(m.Brier), LogLoss: finite(m.LogLoss), JeffreysP: finite(m.JeffreysP),
	})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var v metricsJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	f := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*m = Metrics{
		N: v.N, Defaults: v.Defaults, Weight: v.Weight,
		DefaultRate: f(v.DefaultRate), MeanPD: f(v.MeanPD),
		AUC: f(v.AUC), AUCStdErr: f(v.AUCStdErr), AUCLow: f(v.AUCLow), AUCHigh: f(v.AUCHigh),
		Gini: f(v.Gini), KS: f(v.KS),
		Brier: f(v.Brier), LogLoss: f(v.LogLoss), JeffreysP: f(v.JeffreysP),
	}
	return nil
}
