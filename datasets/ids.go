package datasets

import "strings"

// CompareIDs orders customer ids as a book's tables are sorted: ids that
// are integers in canonical decimal form ("0", "42", "-7"; no sign "+",
// no leading zero) compare as numbers and come before every other id,
// which compare byte by byte. So a table a warehouse wrote with
// ORDER BY customer_id on a BIGINT column is sorted as it is, and so is
// one of string ids ("C00042", "0042") in byte order. It returns -1, 0 or
// +1.
func CompareIDs(a, b string) int {
	an, bn := integerID(a), integerID(b)
	switch {
	case an && bn:
		return compareIntegers(a, b)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

// integerID reports whether s is an integer in canonical decimal form.
func integerID(s string) bool {
	if s == "" {
		return false
	}
	d := s
	if d[0] == '-' {
		d = d[1:]
		if d == "" || d == "0" {
			return false
		}
	}
	if d == "" || (d[0] == '0' && len(d) > 1) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// compareIntegers compares canonical decimal integers of any length.
func compareIntegers(a, b string) int {
	an, bn := a[0] == '-', b[0] == '-'
	switch {
	case an && !bn:
		return -1
	case bn && !an:
		return 1
	case an && bn:
		return -compareIntegers(a[1:], b[1:])
	}
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
