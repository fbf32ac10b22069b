package gbdt

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/credence-risk/credence/models"
)

// benchData is a synthetic credit-like data set: interactions, a step, a
// periodic term, integer codes and 5% missing values in some columns.
func benchData(n, p int, seed uint64) *models.Dataset {
	names := make([]string, p)
	for j := range names {
		names[j] = "f" + string(rune('A'+j/26)) + string(rune('a'+j%26))
	}
	d := &models.Dataset{X: models.NewMatrix(n, names), Y: make([]float64, n)}
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range n {
		row := d.X.Row(i)
		for j := range row {
			switch {
			case j%10 == 7:
				row[j] = float64(rng.IntN(10))
			case j%10 == 9 && rng.Float64() < 0.05:
				row[j] = math.NaN()
			default:
				row[j] = rng.NormFloat64()
			}
		}
		z := -1.5 + 0.8*row[0] - 0.6*row[1] + 0.5*row[2]*row[3] + math.Sin(2*row[4]) + 0.15*row[7] - 0.4*math.Abs(row[8])
		if row[5] > 0.5 {
			z += 0.7
		}
		if math.IsNaN(row[9]) {
			z++
		} else {
			z += 0.3 * row[9]
		}
		if rng.Float64() < models.Sigmoid(z) {
			d.Y[i] = 1
		}
	}
	return d
}

func BenchmarkFit(b *testing.B) {
	d := benchData(100_000, 50, 1)
	cfg := DefaultConfig()
	cfg.Trees, cfg.MaxDepth, cfg.LearningRate = 100, 6, 0.1
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (Trainer{Config: cfg}).Fit(context.Background(), d, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(d.X.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

var benchModel = sync.OnceValue(func() *Model {
	d := benchData(20_000, 50, 2)
	cfg := DefaultConfig()
	cfg.Trees, cfg.MaxDepth, cfg.LearningRate = 100, 6, 0.1
	m, err := Trainer{Config: cfg}.Fit(context.Background(), d, nil)
	if err != nil {
		panic(err)
	}
	return m.(*Model)
})

func BenchmarkPDs(b *testing.B) {
	m := benchModel()
	d := benchData(100_000, 50, 3)
	out := make([]float64, d.X.Rows)
	b.ReportAllocs()
	for b.Loop() {
		m.PDs(d.X, out)
	}
	b.ReportMetric(float64(d.X.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkPD(b *testing.B) {
	m := benchModel()
	d := benchData(1024, 50, 3)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.PD(d.X.Row(i & 1023))
		i++
	}
}

// shapModels are 100 and 300 trees of depth 6 on 50 features (the first
// 100 of the 300), each decoded on its own so that each has its tables.
var shapModels = sync.OnceValue(func() map[int]*Model {
	d := benchData(20_000, 50, 2)
	cfg := DefaultConfig()
	cfg.Trees, cfg.MaxDepth, cfg.LearningRate = 300, 6, 0.1
	m, err := Trainer{Config: cfg}.Fit(context.Background(), d, nil)
	if err != nil {
		panic(err)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var j modelJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		panic(err)
	}
	out := map[int]*Model{}
	for _, n := range []int{100, 300} {
		j.Trees = j.Trees[:n]
		raw, err := json.Marshal(j)
		if err != nil {
			panic(err)
		}
		mm, err := Decode(raw)
		if err != nil {
			panic(err)
		}
		out[n] = mm.(*Model)
	}
	return out
})

// BenchmarkContributions is every feature's SHAP contribution for one
// row: 100 trees of depth 6 (benchModel), then the 300-tree models.
func BenchmarkContributions(b *testing.B) {
	d := benchData(1024, 50, 3)
	run := func(b *testing.B, m *Model) {
		dst := make([]float64, d.X.Cols+1)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			dst = m.Contributions(d.X.Row(i&1023), dst)
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("trees=100", func(b *testing.B) { run(b, shapModels()[100]) })
	b.Run("trees=300", func(b *testing.B) { run(b, shapModels()[300]) })
}

// BenchmarkReasons is the top three reasons of one row, 100 trees of
// depth 6: what a score with reasons costs beyond its PD.
func BenchmarkReasons(b *testing.B) {
	m := shapModels()[100]
	d := benchData(1024, 50, 3)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Reasons(d.X.Row(i&1023), 3)
		i++
	}
}

// BenchmarkContributionsClassic is classic TreeSHAP on the same model and
// rows, for comparison.
func BenchmarkContributionsClassic(b *testing.B) {
	m := shapModels()[100]
	d := benchData(1024, 50, 3)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		classicContributions(m, d.X.Row(i&1023))
		i++
	}
}
