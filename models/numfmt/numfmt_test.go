package numfmt

import "testing"

func TestGrouped(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{0, "0"}, {-0.2, "0"}, {999.5, "1,000"}, {1234567.4, "1,234,567"}, {-1234, "-1,234"}, {123, "123"},
	} {
		if got := Grouped(tc.x); got != tc.want {
			t.Errorf("Grouped(%v) = %q; want %q", tc.x, got, tc.want)
		}
	}
}
