package features

import "github.com/credence-risk/credence/datasets"

// addMonths is datasets.Date.AddMonths done in integer arithmetic (Howard
// Hinnant's civil-date algorithms) rather than through package time, which
// is most of the cost of Build's window boundaries. A test holds the two
// equal.
func addMonths(d datasets.Date, n int) datasets.Date {
	y, m, day := civil(int64(d))
	months := y*12 + m - 1 + int64(n)
	y = floorDiv(months, 12)
	m = months - y*12 + 1
	return datasets.Date(daysFromCivil(y, m, min(day, daysInMonth(y, m))))
}

// civil returns the proleptic Gregorian year, month and day of the day
// number z (days since 1970-01-01).
func civil(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil is the inverse of civil.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := m - 3
	if m <= 2 {
		mp = m + 9
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func daysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
