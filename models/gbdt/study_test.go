package gbdt

import (
	"encoding/csv"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/eval"
)

// The early-stopping study is not a test: it measures, on feature
// matrices written by `credence features` of development books, how the
// number of trees early stopping finds carries to a refit on more rows.
//
//	go test ./models/gbdt -run TestStudyEarlyStopping -timeout 0 -v \
//	    -study B/german/dev.csv,B/uci-taiwan/dev.csv [-study-folds 5] [-study-rounds 600]
//
// For each of the first -study-folds outer folds (customers split five
// ways by a hash), the other customers are the development rows. Like
// credence train, their customers are cut five ways and one in eight of
// the fitted customers stops the boosting; each inner round records the
// stop rows' log loss at every round, from which the round early
// stopping keeps is read for several patiences. Then one model is boosted
// on all the development rows for -study-rounds rounds, and its AUC on
// the outer fold's customers is read at every round: at the mean number
// of trees the inner rounds kept (what the refit uses), at that number
// scaled by the rows, and at the best round, which no rule can know.
var (
	studyFiles    = flag.String("study", "", "comma-separated feature matrices (customer_id, as_of, label, features...) for the early-stopping study")
	studyFolds    = flag.Int("study-folds", 5, "outer folds of the study to run (of 5)")
	studyRounds   = flag.Int("study-rounds", 600, "rounds of the refit in the study")
	studyInner    = flag.Int("study-inner", 5, "inner rounds of the study (of 5)")
	studyStop     = flag.Int("study-stop", 8, "one customer in this many of the fitted ones stops the boosting")
	studyStopAUC  = flag.Bool("study-stop-auc", false, "stop on the stop rows' AUC rather than their log loss")
	studyRolling  = flag.Bool("study-rolling", false, "inner rounds roll over the as-of dates, as credence train's selection does on a book with several")
	studyPatience = flag.String("study-patience", "30,60,100", "patiences of early stopping to compare")
	studyConfig   = flag.String("study-config", "", "settings over TrainingConfig, e.g. subsample=0.8,col_sample=0.8,learning_rate=0.1")
	studyBag      = flag.Int("study-bag", 1, "the refit averages the margins of this many models boosted with different seeds")
)

func TestStudyEarlyStopping(t *testing.T) {
	if *studyFiles == "" {
		t.Skip("a study, not a test: give -study FILE,...")
	}
	cfg := TrainingConfig()
	if *studyConfig != "" {
		for _, kv := range strings.Split(*studyConfig, ",") {
			k, v, _ := strings.Cut(kv, "=")
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			switch k {
			case "subsample":
				cfg.Subsample = x
			case "col_sample":
				cfg.ColSample = x
			case "learning_rate":
				cfg.LearningRate = x
			case "max_depth":
				cfg.MaxDepth = int(x)
			case "min_child_weight":
				cfg.MinChildWeight = x
			case "l2":
				cfg.L2 = x
			default:
				t.Fatalf("unknown setting %q", k)
			}
		}
	}
	var patiences []int
	for _, p := range strings.Split(*studyPatience, ",") {
		n, err := strconv.Atoi(p)
		if err != nil {
			t.Fatal(err)
		}
		patiences = append(patiences, n)
	}
	scales := []string{"×1", "×rows", "×√rows"}
	for _, file := range strings.Split(*studyFiles, ",") {
		d, cust, asOf := readStudyMatrix(t, file)
		t.Logf("%s: %d rows, %d features; %+v", file, d.X.Rows, d.X.Cols, cfg)
		outer := hashFolds(cust, 5, 101)
		// AUC of the refit at each rule's number of trees, per fold.
		results := map[string][]float64{}
		var order []string
		add := func(name string, v float64) {
			if _, ok := results[name]; !ok {
				order = append(order, name)
			}
			results[name] = append(results[name], v)
		}
		for o := range min(*studyFolds, 5) {
			start := time.Now()
			var dev, test []int
			for i, f := range outer {
				if f == o {
					test = append(test, i)
				} else {
					dev = append(dev, i)
				}
			}
			devCust := make([]string, len(dev))
			for k, i := range dev {
				devCust[k] = cust[i]
			}
			inner := hashFolds(devCust, 5, 202)
			stopOf := hashFolds(devCust, *studyStop, 303)
			// With -study-rolling, round g fits on the first g+1 of six
			// blocks of as-of dates (about as many rows each).
			block := make([]int, len(dev))
			if *studyRolling {
				dates := make([]string, len(dev))
				for k, i := range dev {
					dates[k] = asOf[i]
				}
				sorted := slices.Sorted(slices.Values(dates))
				first := map[string]int{}
				for k, dt := range sorted {
					if _, ok := first[dt]; !ok {
						first[dt] = k
					}
				}
				for k, dt := range dates {
					block[k] = min(5, first[dt]*6/len(dates))
				}
			}
			kept := map[int][]int{} // patience → trees kept per inner round
			var fitted float64
			for g := range min(*studyInner, 5) {
				var fit, stop []int
				for k, i := range dev {
					switch {
					case inner[k] == g || (*studyRolling && block[k] > g):
					case stopOf[k] == 0:
						stop = append(stop, i)
					default:
						fit = append(fit, i)
					}
				}
				fitted += float64(len(fit))
				loss := boostCurve(t, cfg, d.Subset(fit), d.Subset(stop), nil, slices.Max(patiences), *studyRounds)
				for _, p := range patiences {
					kept[p] = append(kept[p], keptRound(loss, p))
				}
			}
			fitted /= float64(min(*studyInner, 5))
			ratio := float64(len(dev)) / fitted
			auc := boostCurve(t, cfg, d.Subset(dev), nil, d.Subset(test), 0, *studyRounds)
			best := 0
			for r := range auc {
				if auc[r] > auc[best] {
					best = r
				}
			}
			at := func(trees float64) float64 {
				return auc[min(len(auc), max(1, int(math.Round(trees))))-1]
			}
			var line []string
			for _, p := range patiences {
				mean := 0.0
				for _, k := range kept[p] {
					mean += float64(k)
				}
				mean /= float64(len(kept[p]))
				for _, s := range scales {
					trees := mean
					switch s {
					case "×rows":
						trees *= ratio
					case "×√rows":
						trees *= math.Sqrt(ratio)
					}
					add(fmt.Sprintf("patience %d %s", p, s), at(trees))
				}
				line = append(line, fmt.Sprintf("p%d %v", p, kept[p]))
			}
			add("fixed 300", at(300))
			add("fixed 500", at(500))
			add("best round (oracle)", auc[best])
			t.Logf("fold %d (%.0fs): dev %d rows, test %d; rows ratio %.3f; kept %s; best round %d AUC %.4f",
				o, time.Since(start).Seconds(), len(dev), len(test), ratio, strings.Join(line, "; "), best+1, auc[best])
		}
		for _, name := range order {
			m, _ := meanSD(results[name])
			t.Logf("  %-28s mean AUC %.5f  %v", name, m, fmtAUCs(results[name]))
		}
	}
}

func fmtAUCs(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.4f", x)
	}
	return strings.Join(s, " ")
}

func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x / float64(len(xs))
	}
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)))
}

// keptRound is the number of trees early stopping with patience p keeps,
// read from the stop rows' loss at every round.
func keptRound(loss []float64, p int) int {
	best := 0
	for r, l := range loss {
		if l < loss[best] {
			best = r
		} else if r-best >= p {
			break
		}
	}
	return best + 1
}

// boostCurve boosts on train for up to rounds rounds and returns, per
// round, the log loss on stop (ending patience rounds after its best), or
// the AUC on test.
func boostCurve(t *testing.T, cfg Config, train, stop, test *models.Dataset, patience, rounds int) []float64 {
	cfg.Trees = rounds
	cfg.EarlyStoppingRounds = 0
	if stop != nil {
		cfg.EarlyStoppingRounds = 1 // keeps the stop rows' margins
	}
	s, err := cfg.resolve(train.X.Names)
	if err != nil {
		t.Fatal(err)
	}
	var pos float64
	for _, y := range train.Y {
		pos += y
	}
	b := newBooster(s, train, stop, models.Logit(pos/float64(len(train.Y))))
	var margin []float64
	if test != nil {
		margin = make([]float64, test.X.Rows)
		for i := range margin {
			margin[i] = b.base
		}
		if *studyBag > 1 {
			return baggedCurve(t, cfg, train, test, rounds, *studyBag)
		}
	}
	var out []float64
	best := 0
	for r := range rounds {
		b.gradients()
		tr := b.grow()
		b.trees = append(b.trees, tr)
		if stop != nil {
			loss := b.validLoss(tr)
			if *studyStopAUC {
				loss = -eval.AUC(stop.Y, b.vmargn, nil)
			}
			out = append(out, loss)
			if out[r] < out[best] {
				best = r
			} else if r-best >= patience {
				break
			}
			continue
		}
		for i := range margin {
			margin[i] += tr.leaf(test.X.Row(i))
		}
		out = append(out, eval.AUC(test.Y, margin, nil))
	}
	return out
}

// baggedCurve is boostCurve's AUC on test at every round of the mean
// margin of bag models boosted on train with seeds cfg.Seed+1...
func baggedCurve(t *testing.T, cfg Config, train, test *models.Dataset, rounds, bag int) []float64 {
	var pos float64
	for _, y := range train.Y {
		pos += y
	}
	var boosters []*booster
	for k := range bag {
		c := cfg
		c.Seed = cfg.Seed + uint64(k) + 1
		s, err := c.resolve(train.X.Names)
		if err != nil {
			t.Fatal(err)
		}
		boosters = append(boosters, newBooster(s, train, nil, models.Logit(pos/float64(len(train.Y)))))
	}
	margin := make([]float64, test.X.Rows)
	for i := range margin {
		margin[i] = boosters[0].base
	}
	var out []float64
	for range rounds {
		for _, b := range boosters {
			b.gradients()
			tr := b.grow()
			b.trees = append(b.trees, tr)
			for i := range margin {
				margin[i] += tr.leaf(test.X.Row(i)) / float64(bag)
			}
		}
		out = append(out, eval.AUC(test.Y, margin, nil))
	}
	return out
}

// hashFolds puts each distinct customer in one of k folds by a seeded hash.
func hashFolds(cust []string, k int, seed uint64) []int {
	out := make([]int, len(cust))
	for i, c := range cust {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d/%s", seed, c)
		out[i] = int(h.Sum64() % uint64(k))
	}
	return out
}

func readStudyMatrix(t *testing.T, file string) (d *models.Dataset, cust, asOf []string) {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	names := slices.Clone(head[3:])
	var data, y []float64
	for row := 2; ; row++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		cust = append(cust, strings.Clone(rec[0]))
		asOf = append(asOf, strings.Clone(rec[1]))
		l, err := strconv.ParseFloat(rec[2], 64)
		if err != nil {
			t.Fatalf("%s row %d: label: %v", file, row, err)
		}
		y = append(y, l)
		for j, v := range rec[3:] {
			x := math.NaN()
			if v != "" {
				if x, err = strconv.ParseFloat(v, 64); err != nil {
					t.Fatalf("%s row %d: %s: %v", file, row, names[j], err)
				}
			}
			data = append(data, x)
		}
	}
	return &models.Dataset{X: &models.Matrix{Rows: len(y), Cols: len(names), Data: data, Names: names}, Y: y}, cust, asOf
}
