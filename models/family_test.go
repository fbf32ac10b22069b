package models

import (
	"encoding/json"
	"testing"
)

// A family configuration is read strictly over its defaults: an unknown
// field or anything after the JSON value is refused, an empty one keeps
// the defaults.
func TestDecodeConfig(t *testing.T) {
	type config struct {
		Depth int     `json:"depth"`
		Rate  float64 `json:"rate"`
	}
	defaults := func() config { return config{Depth: 3, Rate: 0.1} }
	for _, tc := range []struct {
		in   string
		want config
		ok   bool
	}{
		{"", config{3, 0.1}, true},
		{`{"depth": 5}`, config{5, 0.1}, true},
		{`{"depth": 5, "leaves": 8}`, config{}, false},
		{`{"depth": 5} {"depth": 6}`, config{}, false},
		{`{"depth": "5"}`, config{}, false},
	} {
		got, err := DecodeConfig("test", defaults, json.RawMessage(tc.in))
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("DecodeConfig(%q) = %+v, %v; want %+v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
