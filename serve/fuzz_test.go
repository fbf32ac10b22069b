package serve

import (
	"testing"

	"github.com/credence-risk/credence/datasets"
)

// parseDay accepts exactly the calendar dates written YYYY-MM-DD, and
// every error names the field.
func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "2024-13-01", "", "2024-1-01", "0001-01-01", "2024-01-01T00:00:00Z", " 2024-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDay("as_of", s)
		switch {
		case s == "":
			if err != nil || d != datasets.NoDate {
				t.Fatalf("empty: %v, %v; want NoDate", d, err)
			}
		case err != nil:
			if fe, ok := err.(*FieldError); !ok || fe.Field != "as_of" {
				t.Fatalf("%q: error %v does not name as_of", s, err)
			}
		default:
			if got := d.String(); got != s {
				t.Fatalf("%q read as %s", s, got)
			}
		}
	})
}
