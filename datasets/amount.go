package datasets

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Amount is a money amount in fixed point with AmountScale decimal places, so
// sums and balances stay exact. It converts to float64 only as a feature.
type Amount int64

// AmountDecimals is the number of decimal places an Amount keeps: enough for
// every ISO 4217 currency (some use three) with one to spare for rates.
const AmountDecimals = 4

// AmountScale is 10^AmountDecimals.
const AmountScale = 10000

// NoAmount marks a missing amount.
const NoAmount Amount = math.MinInt64

// maxAmount bounds a single amount (a trillion currency units): in fixed
// point that is 1e16, so int64 sums of hundreds of such amounts stay exact.
const maxAmount = 1e12

// Float returns a in currency units, or NaN for NoAmount.
func (a Amount) Float() float64 {
	if a == NoAmount {
		return math.NaN()
	}
	return float64(a) / AmountScale
}

// Valid reports whether a is set.
func (a Amount) Valid() bool { return a != NoAmount }

// String formats a in currency units with as many decimals as it needs.
func (a Amount) String() string {
	if a == NoAmount {
		return ""
	}
	neg := a < 0
	u := uint64(a)
	if neg {
		u = uint64(-a)
	}
	whole, frac := u/AmountScale, u%AmountScale
	s := strconv.FormatUint(whole, 10)
	if frac != 0 {
		f := fmt.Sprintf("%0*d", AmountDecimals, frac)
		s += "." + strings.TrimRight(f, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// AmountFromFloat rounds f to the nearest Amount.
func AmountFromFloat(f float64) (Amount, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return NoAmount, fmt.Errorf("%v is not a finite amount", f)
	}
	if math.Abs(f) > maxAmount {
		return NoAmount, fmt.Errorf("%v is out of range (|amount| <= %g)", f, float64(maxAmount))
	}
	return Amount(math.Round(f * AmountScale)), nil
}

// AmountFromUnscaled converts an integer with the given number of decimal
// places (a Parquet DECIMAL's unscaled value) to an Amount, rounding half away
// from zero when scale exceeds AmountDecimals.
func AmountFromUnscaled(v *big.Int, scale int) (Amount, error) {
	r := new(big.Int).Set(v)
	switch {
	case scale < AmountDecimals:
		r.Mul(r, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(AmountDecimals-scale)), nil))
	case scale > AmountDecimals:
		div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-AmountDecimals)), nil)
		q, m := new(big.Int).QuoRem(r, div, new(big.Int))
		if new(big.Int).Abs(m).Cmp(new(big.Int).Rsh(div, 1)) >= 0 && m.Sign() != 0 {
			if r.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		r = q
	}
	limit := big.NewInt(int64(maxAmount) * AmountScale)
	if new(big.Int).Abs(r).Cmp(limit) > 0 {
		return NoAmount, fmt.Errorf("decimal %s (scale %d) is out of range", v, scale)
	}
	return Amount(r.Int64()), nil
}

// ParseAmount reads a decimal number ("1234.5", "-2", "5e+05"). Plain
// decimals are converted exactly; exponent notation goes through float64.
func ParseAmount(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return NoAmount, fmt.Errorf("empty amount")
	}
	if a, ok := parsePlainDecimal(s); ok {
		return a, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return NoAmount, fmt.Errorf("%q is not a number", s)
	}
	return AmountFromFloat(f)
}

// parsePlainDecimal parses [+-]digits[.digits] exactly; ok is false for
// anything else (exponents, too many digits), which the caller then tries
// as a float.
func parsePlainDecimal(s string) (Amount, bool) {
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(whole) > 12 || (hasDot && frac == "" && whole == "") {
		return 0, false
	}
	var v int64
	for i := 0; i < len(whole); i++ {
		c := whole[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	var fv int64
	digits := 0
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if digits < AmountDecimals {
			fv = fv*10 + int64(c-'0')
			digits++
		} else if digits == AmountDecimals {
			// Round half up on the first dropped digit; later digits cannot
			// change a half-up decision except for exact ties, which we accept.
			if c >= '5' {
				fv++
			}
			digits++
		}
	}
	for d := min(digits, AmountDecimals); d < AmountDecimals; d++ {
		fv *= 10
	}
	a := Amount(v*AmountScale + fv)
	if neg {
		a = -a
	}
	return a, true
}
