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
type Metrics struct {
	N           int     // rows
	Defaults    int     // rows with label 1
	DefaultRate float64 // Defaults / N
	MeanPD      float64

	AUC       float64
	AUCStdErr float64 // DeLong
	AUCLow    float64 // SummaryLevel interval, DeLong
	AUCHigh   float64
	Gini      float64
	KS        float64

	Brier   float64
	LogLoss float64
	// JeffreysP tests MeanPD against the default rate (see Jeffreys).
	JeffreysP float64
}

// Summary computes Metrics for labels y and PDs pd. It returns an error
// when the input is malformed (see Check; PDs must lie in [0, 1]); a
// sample with a single class is not malformed: its discrimination metrics
// are NaN.
func Summary(y, pd []float64) (Metrics, error) {
	if _, err := checkPD(y, pd, nil); err != nil {
		return Metrics{}, err
	}
	m := Metrics{N: len(y)}
	var sum float64
	for i := range y {
		m.Defaults += int(y[i])
		sum += pd[i]
	}
	m.DefaultRate = float64(m.Defaults) / float64(m.N)
	m.MeanPD = sum / float64(m.N)
	m.Brier = Brier(y, pd, nil)
	m.LogLoss = LogLoss(y, pd, nil)
	m.JeffreysP = Jeffreys(float64(m.Defaults), float64(m.N), min(m.MeanPD, 1))

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
	m.AUCLow, m.AUCHigh = interval(m.AUC, m.AUCStdErr, SummaryLevel)
	m.Gini = 2*m.AUC - 1
	m.KS = r.ks()
	return m, nil
}

// metricsJSON is Metrics' encoding; nil stands for NaN.
type metricsJSON struct {
	N           int      `json:"n"`
	Defaults    int      `json:"defaults"`
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
		N: m.N, Defaults: m.Defaults,
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
		N: v.N, Defaults: v.Defaults,
		DefaultRate: f(v.DefaultRate), MeanPD: f(v.MeanPD),
		AUC: f(v.AUC), AUCStdErr: f(v.AUCStdErr), AUCLow: f(v.AUCLow), AUCHigh: f(v.AUCHigh),
		Gini: f(v.Gini), KS: f(v.KS),
		Brier: f(v.Brier), LogLoss: f(v.LogLoss), JeffreysP: f(v.JeffreysP),
	}
	return nil
}
