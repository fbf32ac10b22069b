package logistic_test

import (
	"context"
	"fmt"
	"math"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/logistic"
)

func ExampleTrainer_Fit() {
	// Months past due and a credit limit in currency units, sometimes
	// unknown; defaults follow lateness.
	d := &models.Dataset{X: models.NewMatrix(1000, []string{"months_late", "limit"}), Y: make([]float64, 1000)}
	for i := range 1000 {
		late, limit := float64(i%4), float64(1000*(1+i%7))
		if i%10 == 0 {
			limit = math.NaN()
		}
		d.X.Row(i)[0], d.X.Row(i)[1] = late, limit
		if (i*7919)%1000 < 50+150*int(late) {
			d.Y[i] = 1
		}
	}
	m, err := logistic.Trainer{Config: logistic.DefaultConfig()}.Fit(context.Background(), d, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	coef, intercept := m.(*logistic.Model).Coefficients()
	fmt.Printf("coefficients per standard deviation: late %+.2f, limit %+.2f; intercept %+.2f\n", coef[0], coef[1], intercept)
	x := []float64{3, math.NaN()} // unknown limit: imputed with the mean
	fmt.Printf("PD %.3f\n", m.PD(x))
	for _, r := range m.Reasons(x, 3) {
		fmt.Printf("reason: %s (%+.2f log-odds)\n", r.Feature, r.Effect)
	}
	// Output:
	// coefficients per standard deviation: late +0.94, limit -0.04; intercept -1.16
	// PD 0.525
	// reason: months_late (+1.26 log-odds)
}
