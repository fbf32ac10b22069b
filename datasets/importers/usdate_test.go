package importers

import (
	"fmt"
	"testing"

	"github.com/credence-risk/credence/datasets"
)

func TestParseUSDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for an error
	}{
		{"1/2/2013", "2013-01-02"},
		{"12/31/2013", "2013-12-31"},
		{"01/02/2013", "2013-01-02"},
		{"2/29/2012", "2012-02-29"},
		{"2/29/2013", ""},
		{"13/1/2013", ""},
		{"0/1/2013", ""},
		{"1/0/2013", ""},
		{"1/32/2013", ""},
		{"1/2/13", ""},
		{"1/2/20133", ""},
		{"001/2/2013", ""},
		{"2013-01-02", ""},
		{"1-2-2013", ""},
		{"1/2/2013/", ""},
		{" 1/2/2013", ""},
		{"+1/2/2013", ""},
		{"", ""},
	}
	for _, tt := range tests {
		d, err := parseUSDate(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("parseUSDate(%q): got %s; want an error", tt.in, d)
		case tt.want != "" && err != nil:
			t.Errorf("parseUSDate(%q): got error %v; want %s", tt.in, err, tt.want)
		case tt.want != "" && d.String() != tt.want:
			t.Errorf("parseUSDate(%q): got %s; want %s", tt.in, d, tt.want)
		}
	}
}

// FuzzParseUSDate checks that whatever parses is a calendar date that reads
// back the same from its canonical M/D/YYYY form, and that nothing panics.
func FuzzParseUSDate(f *testing.F) {
	for _, s := range []string{"1/2/2013", "12/31/2013", "02/29/2012", "2/30/2013", "1/2/13", "", "//", "9/9/9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseUSDate(s)
		if err != nil {
			if d != datasets.NoDate {
				t.Fatalf("parseUSDate(%q): got %v with error %v; want NoDate", s, d, err)
			}
			return
		}
		y, m, day := d.Time().Date()
		if y < 0 || y > 9999 {
			t.Fatalf("parseUSDate(%q): got year %d; want four digits", s, y)
		}
		canonical := fmt.Sprintf("%d/%d/%04d", int(m), day, y)
		again, err := parseUSDate(canonical)
		if err != nil || again != d {
			t.Fatalf("parseUSDate(%q) = %s, but its form %q reads as %v (error %v)", s, d, canonical, again, err)
		}
		if iso, err := datasets.ParseDate(d.String()); err != nil || iso != d {
			t.Fatalf("parseUSDate(%q) = %s, which ParseDate reads as %v (error %v)", s, d, iso, err)
		}
	})
}
