package creditpb

import (
	"testing"

	"github.com/credence-risk/credence/datasets"
)

func TestParseDate(t *testing.T) {
	for s, ok := range map[string]bool{
		"2024-02-29": true, "": true, "2023-02-29": false, "+024-02-01": false, "2024-1-01": false,
		"2024-01-01T00:00:00Z": false, " 2024-01-01": false, "01/02/2024": false,
	} {
		d, err := ParseDate(s)
		if (err == nil) != ok {
			t.Errorf("ParseDate(%q): %v, %v; want ok %v", s, d, err, ok)
		}
		if err == nil && DateString(d) != s {
			t.Errorf("ParseDate(%q) reads %s", s, DateString(d))
		}
	}
	if DateOf(datasets.NoDate) != nil || DateString(nil) != "" {
		t.Error("NoDate is not an unset date")
	}
}
