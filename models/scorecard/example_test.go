package scorecard_test

import (
	"context"
	"fmt"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/scorecard"
)

func ExampleNewScaling() {
	s := scorecard.NewScaling(600, 50, 20) // 600 points at good:bad odds 50:1, 20 points to double them
	fmt.Printf("factor %.4f, offset %.4f\n", s.Factor, s.Offset)
	fmt.Printf("PD at 600: %.5f (1/51)\n", s.PD(600))
	fmt.Printf("PD at 620: %.5f (1/101)\n", s.PD(620))
	fmt.Printf("score at PD 2%%: %.1f\n", s.Score(0.02))
	// Output:
	// factor 28.8539, offset 487.1229
	// PD at 600: 0.01961 (1/51)
	// PD at 620: 0.00990 (1/101)
	// score at PD 2%: 599.4
}

func ExampleTrainer_Fit() {
	// Months past due (0-3) and a utilisation with code -1 for "no
	// revolving account"; defaults follow both.
	d := &models.Dataset{X: models.NewMatrix(4000, []string{"months_late", "utilisation"}), Y: make([]float64, 4000)}
	for i := range 4000 {
		late, util := float64(i%4), float64(i%100)/100
		if i%15 == 0 {
			util = -1
		}
		d.X.Row(i)[0], d.X.Row(i)[1] = late, util
		if (i*7919)%1000 < 40+int(120*late)+int(200*max(util, 0)) {
			d.Y[i] = 1
		}
	}
	cfg := scorecard.DefaultConfig()
	cfg.Special = map[string][]float64{"utilisation": {-1}}
	m, err := scorecard.Trainer{Config: cfg}.Fit(context.Background(), d, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	card := m.(*scorecard.Model)
	for _, r := range card.Table() {
		fmt.Printf("%-12s %-12s %5.0f rows  %4.1f%% default  %+.2f WoE  %3.0f points\n",
			r.Feature, r.Bin, r.Count, 100*r.EventRate, r.WoE, r.Points)
	}
	x := []float64{3, 0.9}
	fmt.Println("score", card.Score(x), "points", card.Points(x))
	for _, r := range card.Reasons(x, 2) {
		fmt.Printf("reason: %s = %v\n", r.Feature, r.Value)
	}
	// Output:
	// months_late  [-inf, 1)     1000 rows  13.0% default  +1.11 WoE  287 points
	// months_late  [1, 2)        1000 rows  25.0% default  +0.31 WoE  264 points
	// months_late  [2, 3)        1000 rows  37.4% default  -0.27 WoE  247 points
	// months_late  [3, +inf)     1000 rows  49.7% default  -0.77 WoE  233 points
	// months_late  missing          0 rows   0.0% default  +0.00 WoE  255 points
	// utilisation  [-inf, 0.1)    373 rows  21.7% default  +0.49 WoE  269 points
	// utilisation  [0.1, 0.35)    933 rows  27.1% default  +0.20 WoE  261 points
	// utilisation  [0.35, 0.45)   374 rows  29.9% default  +0.06 WoE  257 points
	// utilisation  [0.45, 0.55)   373 rows  32.2% default  -0.04 WoE  254 points
	// utilisation  [0.55, 0.7)    560 rows  32.5% default  -0.06 WoE  253 points
	// utilisation  [0.7, 0.85)    560 rows  37.1% default  -0.26 WoE  247 points
	// utilisation  [0.85, +inf)   560 rows  42.3% default  -0.48 WoE  241 points
	// utilisation  special -1     267 rows  21.7% default  +0.49 WoE  269 points
	// utilisation  missing          0 rows   0.0% default  +0.00 WoE  255 points
	// score 474 points [233 241]
	// reason: months_late = 3
	// reason: utilisation = 0.9
}
