package synth

import (
	"math"
	"math/rand/v2"

	"github.com/credence-risk/credence/datasets"
)

// industry is a line of business: its share of customers, its risk and how
// its sales move through the year.
type industry struct {
	name       string
	share      float64
	zShift     float64 // added to the mean starting creditworthiness
	risk       float64 // δ: added to the hazard's logit
	cycleBeta  float64 // γ: sensitivity to the economic cycle
	seasonAmp  float64 // relative swing of monthly sales
	seasonPeak int     // month of the year (1–12) with the most sales
}

var industries = []industry{
	{"construction", 0.12, -0.15, 0.30, 1.5, 0.30, 6},
	{"retail", 0.12, -0.10, 0.25, 1.1, 0.30, 11},
	{"manufacturing", 0.14, 0.00, 0.00, 1.0, 0.10, 3},
	{"wholesale", 0.12, 0.00, 0.05, 0.9, 0.15, 10},
	{"transport", 0.08, -0.05, 0.20, 1.3, 0.10, 10},
	{"hospitality", 0.06, -0.20, 0.40, 1.4, 0.40, 7},
	{"agriculture", 0.05, 0.00, 0.10, 0.7, 0.45, 9},
	{"food", 0.07, 0.05, -0.10, 0.5, 0.15, 12},
	{"automotive", 0.05, 0.00, 0.10, 1.3, 0.10, 4},
	{"technology", 0.08, 0.00, -0.05, 0.8, 0.10, 12},
	{"healthcare", 0.06, 0.15, -0.30, 0.4, 0.05, 1},
	{"utilities", 0.05, 0.20, -0.40, 0.3, 0.25, 1},
}

// country holds what differs in payment culture: the usual terms (weights of
// 30, 45, 60 and 90 days) and the typical days of lateness.
type country struct {
	code        string
	share       float64
	zShift      float64
	lateDays    float64
	termWeights [4]float64
}

var countries = []country{
	{"DE", 0.30, 0.05, 0, [4]float64{0.55, 0.20, 0.20, 0.05}},
	{"FR", 0.20, 0.00, 4, [4]float64{0.35, 0.30, 0.30, 0.05}},
	{"IT", 0.14, -0.15, 10, [4]float64{0.20, 0.15, 0.40, 0.25}},
	{"ES", 0.12, -0.10, 8, [4]float64{0.20, 0.15, 0.40, 0.25}},
	{"NL", 0.10, 0.10, -1, [4]float64{0.55, 0.20, 0.20, 0.05}},
	{"BE", 0.07, 0.00, 3, [4]float64{0.40, 0.25, 0.30, 0.05}},
	{"AT", 0.07, 0.05, 1, [4]float64{0.55, 0.20, 0.20, 0.05}},
}

var terms = [4]int{30, 45, 60, 90}

// size is a firm-size class: revenue, how many invoices a month it gets and
// how much of its purchases it makes from the book's owner.
type size struct {
	name           string
	share          float64
	zShift         float64
	revenueMedian  float64
	revenueSigma   float64
	invoicesPerMon float64
	walletShare    float64 // median share of revenue bought from us
}

var sizes = []size{
	{"micro", 0.48, -0.25, 250e3, 0.8, 0.9, 0.03},
	{"small", 0.33, 0.00, 2.5e6, 0.7, 1.8, 0.02},
	{"medium", 0.14, 0.25, 20e6, 0.6, 4.0, 0.01},
	{"large", 0.05, 0.50, 200e6, 0.7, 12.0, 0.005},
}

type reason struct {
	name  string
	share float64
}

var defaultReasons = []reason{{"insolvency", 0.55}, {"90dpd", 0.30}, {"write-off", 0.15}}

// Latent dynamics and hazard.
const (
	weakShare    = 0.12 // share of customers in the weak mixture component
	weakMean     = -1.3
	weakSigma    = 0.7
	soundMean    = 0.18
	soundSigma   = 0.85
	zStep        = 0.08 // monthly random-walk step of z
	hazardSlope  = 1.4  // b: logit change per unit of z
	cycleAmp     = 0.30
	cycleNoiseSD = 0.07
	cycleNoiseAR = 0.6
	pdHorizon    = 12 // months of pd_12m
	// calibrationSample bounds the customers whose z paths calibrate the intercept.
	calibrationSample = 20000
)

// Payment behaviour.
const (
	onTimeBase      = 0.5 // logit of paying on time at z = 0
	onTimeSlope     = 1.2
	onTimePerLate   = 0.06 // each day of the country's lateness lowers that logit
	earlyShare      = 0.3  // of on-time payers, the share paying early
	lateBase        = 12.0 // mean days late at z = 0
	lateSlope       = 6.0
	disputeBase     = 0.012
	partialBase     = 0.02
	otherTermShare  = 0.15 // invoices on another term than the usual one
	warningDays     = 180  // the early-warning window before a default
	warningDelay    = 25.0 // extra days late at the default, fixed part
	warningDelayExp = 20.0 // and mean of the exponential part
	warningPartial  = 0.35
	warningSales    = 0.35 // fall in purchases at the default
	stopMinDays     = 20   // payments stop this many days before the default, at least
	stopSpreadDays  = 60
	minInvoice      = 10.0
)

// model holds what is shared by all customers of a book: the calendar, the
// economic cycle and the calibrated intercept.
type model struct {
	seed       int64
	customers  int
	months     int
	monthStart []datasets.Date // months+1 entries: the last is the day after the book
	moy        []int           // month of the year of each month
	end        datasets.Date   // last day of the book
	cycle      []float64       // months+pdHorizon+1 entries
	// cycleFactor[i][t] = exp(−γ_i·cycle(t)), so a hazard is 1/(1 + base·factor).
	cycleFactor [][]float64
	intercept   float64
}

func newModel(cfg Config) *model {
	md := &model{seed: cfg.Seed, customers: cfg.Customers, months: cfg.Months}
	md.monthStart = make([]datasets.Date, cfg.Months+1)
	md.moy = make([]int, cfg.Months)
	for m := range md.monthStart {
		md.monthStart[m] = cfg.Start.AddMonths(m)
	}
	for m := range md.moy {
		md.moy[m] = int(md.monthStart[m].Time().Month())
	}
	md.end = md.monthStart[cfg.Months] - 1

	// The cycle is positive in downturns. Its own stream keeps it independent
	// of the customers.
	r := rand.New(rand.NewPCG(splitmix(uint64(cfg.Seed)^saltCycle), splitmix(uint64(cfg.Seed)+saltCycle)))
	period := 36 + 36*r.Float64()
	phase := 2 * math.Pi * r.Float64()
	noise := 0.0
	md.cycle = make([]float64, cfg.Months+pdHorizon+1)
	for t := range md.cycle {
		noise = cycleNoiseAR*noise + cycleNoiseSD*r.NormFloat64()
		md.cycle[t] = cycleAmp*math.Sin(2*math.Pi*float64(t)/period+phase) + noise
	}
	md.cycleFactor = make([][]float64, len(industries))
	for i, ind := range industries {
		f := make([]float64, len(md.cycle))
		for t, c := range md.cycle {
			f[t] = math.Exp(-ind.cycleBeta * c)
		}
		md.cycleFactor[i] = f
	}
	md.intercept = md.calibrate(cfg.AnnualDefaultRate)
	return md
}

const (
	saltCycle    = 0x6379636c65 // "cycle"
	saltCustomer = 0x637573746f6d6572
)

// splitmix is SplitMix64's finaliser: it spreads nearby seeds and indices
// over the whole 64-bit space before they seed a PCG.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// hazardBase returns exp(−(a − b·z + δ)) of a customer in industry ind, so
// that the hazard in month t is 1/(1 + base·cycleFactor[ind][t]).
func (md *model) hazardBase(ind int, z float64) float64 {
	return math.Exp(-(md.intercept - hazardSlope*z + industries[ind].risk))
}

// calibrate returns the intercept that makes the expected annualised default
// rate of a sample of the book's customers equal to target. The sample's z
// paths are exactly those the customers get in the book, because they are
// drawn first from each customer's own stream.
func (md *model) calibrate(target float64) float64 {
	k := min(md.customers, calibrationSample)
	m := md.months
	// e[j·m+t] = exp(−(hazard logit without the intercept)).
	e := make([]float64, k*m)
	var c customer
	c.z = make([]float64, m)
	rng := rand.New(&c.pcg)
	for j := range k {
		i := int(int64(j) * int64(md.customers) / int64(k))
		md.drawLatent(&c, rng, i)
		ind := industries[c.industry]
		for t := range m {
			x := -hazardSlope*c.z[t] + ind.cycleBeta*md.cycle[t] + ind.risk
			e[j*m+t] = math.Exp(-x)
		}
	}
	rate := func(a float64) float64 {
		ea := math.Exp(-a)
		var atRisk, defaults float64
		for j := range k {
			alive := 1.0
			for _, ej := range e[j*m : (j+1)*m] {
				h := 1 / (1 + ea*ej)
				atRisk += alive
				defaults += alive * h
				alive *= 1 - h
			}
		}
		return 1 - math.Pow(1-defaults/atRisk, 12)
	}
	lo, hi := -25.0, 5.0
	for range 50 {
		mid := (lo + hi) / 2
		if rate(mid) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// customer is one customer being generated; a generator reuses it.
type customer struct {
	pcg      rand.PCG
	index    int
	id       string
	industry int
	country  int
	size     int
	z        []float64 // z in each month of the book

	revenue, netWorth, workingCapital, limit, years float64
	segment                                         string
	term                                            int     // usual payment term in days
	monthlySales                                    float64 // mean invoiced per month
	invoicesPerMonth                                float64

	defaultMonth int // months when the customer does not default
	defaultDate  datasets.Date
	stopDate     datasets.Date // no payment on or after this date
	reason       string
}

func pick[T any](r *rand.Rand, items []T, share func(*T) float64) int {
	u := r.Float64()
	for i := range items {
		u -= share(&items[i])
		if u < 0 {
			return i
		}
	}
	return len(items) - 1
}

// drawLatent seeds c's stream for customer i and draws what the hazard
// depends on: industry, country, size and the z path. It must stay the first
// use of the stream so that calibration sees the book's own paths.
func (md *model) drawLatent(c *customer, r *rand.Rand, i int) {
	c.pcg.Seed(splitmix(uint64(md.seed)^saltCustomer), splitmix(uint64(i)^splitmix(uint64(md.seed))))
	c.index = i
	c.industry = pick(r, industries, func(x *industry) float64 { return x.share })
	c.country = pick(r, countries, func(x *country) float64 { return x.share })
	c.size = pick(r, sizes, func(x *size) float64 { return x.share })
	mean := industries[c.industry].zShift + countries[c.country].zShift + sizes[c.size].zShift
	var z float64
	if r.Float64() < weakShare {
		z = mean + weakMean + weakSigma*r.NormFloat64()
	} else {
		z = mean + soundMean + soundSigma*r.NormFloat64()
	}
	c.z[0] = z
	for t := 1; t < len(c.z); t++ {
		c.z[t] = c.z[t-1] + zStep*r.NormFloat64()
	}
}

// draw draws customer i completely: latent path, attributes and default.
func (md *model) draw(c *customer, r *rand.Rand, i int) {
	md.drawLatent(c, r, i)
	c.id = customerID(i)
	z0 := c.z[0]
	sz := &sizes[c.size]
	// Each attribute sees z0 through its own noise, so each carries some
	// signal and none reveals z.
	noisy := func(sd float64) float64 { return z0 + sd*r.NormFloat64() }

	c.revenue = roundTo(math.Exp(math.Log(sz.revenueMedian)+sz.revenueSigma*r.NormFloat64()+0.08*z0), 1000)
	if q := noisy(1.0); q < -2.2 {
		c.netWorth = -c.revenue * math.Exp(-3+0.5*r.NormFloat64())
	} else {
		c.netWorth = c.revenue * math.Exp(-1.7+0.3*q+0.5*r.NormFloat64())
	}
	c.netWorth = roundTo(c.netWorth, 1000)
	c.workingCapital = roundTo(c.revenue*(0.09+0.05*noisy(1.2)), 1000)
	c.years = math.Round(math.Min(150, math.Exp(2.0+0.2*float64(c.size)+0.2*noisy(1.0)+0.5*r.NormFloat64())))

	w := countries[c.country].termWeights
	c.term = terms[pick(r, w[:], func(x *float64) float64 { return *x })]
	share := math.Min(0.3, sz.walletShare*math.Exp(0.6*r.NormFloat64()))
	c.monthlySales = c.revenue * share / 12
	c.invoicesPerMonth = sz.invoicesPerMon * math.Exp(0.35*r.NormFloat64()-0.35*0.35/2)

	// The limit covers the usual outstanding (sales over the term plus a
	// margin), scaled by the credit manager's view of the risk.
	if q := noisy(0.8); q < -2.5 {
		c.limit = 0
	} else {
		need := c.monthlySales * (float64(c.term)/30 + 0.5)
		c.limit = math.Ceil(need*math.Exp(0.3*q+0.25*r.NormFloat64())/500) * 500
	}
	switch {
	case c.years < 3:
		c.segment = "new"
	case c.monthlySales*12 >= 500e3:
		c.segment = "key account"
	default:
		c.segment = "standard"
	}

	c.defaultMonth = md.months
	c.defaultDate, c.stopDate, c.reason = datasets.NoDate, datasets.NoDate, ""
	base := md.hazardBase(c.industry, 0)
	f := md.cycleFactor[c.industry]
	for t := range md.months {
		h := 1 / (1 + base*math.Exp(hazardSlope*c.z[t])*f[t])
		if r.Float64() < h {
			c.defaultMonth = t
			days := int(md.monthStart[t+1] - md.monthStart[t])
			c.defaultDate = md.monthStart[t] + datasets.Date(r.IntN(days))
			c.stopDate = c.defaultDate - datasets.Date(stopMinDays+r.IntN(stopSpreadDays))
			c.reason = defaultReasons[pick(r, defaultReasons, func(x *reason) float64 { return x.share })].name
			break
		}
	}
}

// distress is 0 outside the early-warning window and grows linearly to 1
// at the default date.
func (c *customer) distress(d datasets.Date) float64 {
	if c.defaultDate == datasets.NoDate {
		return 0
	}
	return min(1, max(0, 1-float64(c.defaultDate-d)/warningDays))
}

// seasonality returns the relative sales of industry ind in month of year moy.
func seasonality(ind, moy int) float64 {
	x := &industries[ind]
	return 1 + x.seasonAmp*math.Cos(2*math.Pi*float64(moy-x.seasonPeak)/12)
}

func roundTo(x, unit float64) float64 { return math.Round(x/unit) * unit }

// customerID formats "C" and the 8-digit index, so that byte order is index order.
func customerID(i int) string {
	var b [9]byte
	b[0] = 'C'
	for k := 8; k >= 1; k-- {
		b[k] = byte('0' + i%10)
		i /= 10
	}
	return string(b[:])
}

// invoiceID formats "INV-" and a zero-padded sequence number of at least 6 digits.
func invoiceID(n int) string {
	digits := 6
	for p := 1000000; n >= p && digits < 18; p *= 10 {
		digits++
	}
	b := make([]byte, 4+digits)
	copy(b, "INV-")
	for k := len(b) - 1; k >= 4; k-- {
		b[k] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}

// poisson draws a Poisson count: Knuth's product method for small means, a
// rounded normal for large ones, where the difference does not matter here.
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda < 30 {
		limit := math.Exp(-lambda)
		p := r.Float64()
		k := 0
		for p > limit {
			p *= r.Float64()
			k++
		}
		return k
	}
	return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
}
