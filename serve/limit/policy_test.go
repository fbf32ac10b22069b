package limit

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestDefaultPolicyIsValid(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatalf("DefaultPolicy().Validate(): %v", err)
	}
}

func TestPolicyValidate(t *testing.T) {
	cases := []struct {
		field  string
		modify func(*Policy)
	}{
		{"lgd", func(p *Policy) { p.LGD = 0 }},
		{"lgd", func(p *Policy) { p.LGD = 1.5 }},
		{"lgd", func(p *Policy) { p.LGD = math.NaN() }},
		{"net_worth_share", func(p *Policy) { p.NetWorthShare = -0.1 }},
		{"working_capital_share", func(p *Policy) { p.WorkingCapitalShare = 0 }},
		{"el_budget", func(p *Policy) { p.ELBudget = 0 }},
		{"el_budget", func(p *Policy) { p.ELBudget = math.Inf(1) }},
		{"pd_floor", func(p *Policy) { p.PDFloor = 1 }},
		{"pd_floor", func(p *Policy) { p.PDFloor = -0.001 }},
		{"round_to", func(p *Policy) { p.RoundTo = -100 }},
		{"grades[5]", func(p *Policy) { delete(p.Grades, 5) }},
		{"grades[3].cap", func(p *Policy) { p.Grades[3] = GradeRule{Cap: -1} }},
		{"grades[3].auto_approve_up_to", func(p *Policy) { p.Grades[3] = GradeRule{Cap: 1, AutoApproveUpTo: math.NaN()} }},
		{"grades[10]", func(p *Policy) { p.Grades[10] = GradeRule{} }},
		{"grades[0]", func(p *Policy) { p.Grades[0] = GradeRule{} }},
		{"grades[1]", func(p *Policy) { p.Grades = nil }},
	}
	for _, tc := range cases {
		p := DefaultPolicy()
		tc.modify(&p)
		err := p.Validate()
		if !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("%s: got %v; want ErrInvalidPolicy", tc.field, err)
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: got %v; want a FieldError for %q first", tc.field, err, tc.field)
		}
	}
}

func TestPolicyYAMLRoundTrip(t *testing.T) {
	want := DefaultPolicy()
	b, err := yaml.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got Policy
	if err := yaml.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("YAML round trip:\ngot  %+v\nwant %+v\nYAML:\n%s", got, want, b)
	}
}

func TestPolicyJSONRoundTrip(t *testing.T) {
	want := DefaultPolicy()
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var got Policy
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON round trip:\ngot  %+v\nwant %+v\nJSON: %s", got, want, b)
	}
}

// TestPolicyFromConfig reads a policy as an operator would write it.
func TestPolicyFromConfig(t *testing.T) {
	const config = `
lgd: 0.4
net_worth_share: 0.1
working_capital_share: 0.2
el_budget: 2500
pd_floor: 0.0005
round_to: 500
grades:
  1: {cap: 800000, auto_approve_up_to: 200000}
  2: {cap: 600000, auto_approve_up_to: 150000}
  3: {cap: 400000, auto_approve_up_to: 100000}
  4: {cap: 250000, auto_approve_up_to: 75000}
  5: {cap: 150000, auto_approve_up_to: 40000}
  6: {cap: 80000, auto_approve_up_to: 20000}
  7: {cap: 40000, auto_approve_up_to: 5000}
  8: {cap: 20000, refer: true}
  9: {cap: 5000, refer: true}
`
	var p Policy
	if err := yaml.Unmarshal([]byte(config), &p); err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if p.LGD != 0.4 || p.ELBudget != 2500 || p.PDFloor != 0.0005 || p.RoundTo != 500 {
		t.Errorf("scalars: got %+v", p)
	}
	if got, want := p.Grades[4], (GradeRule{Cap: 250_000, AutoApproveUpTo: 75_000}); got != want {
		t.Errorf("grade 4: got %+v; want %+v", got, want)
	}
	if got, want := p.Grades[8], (GradeRule{Cap: 20_000, Refer: true}); got != want {
		t.Errorf("grade 8: got %+v; want %+v", got, want)
	}
}

func TestResultJSON(t *testing.T) {
	r := baseRequest()
	r.ExpectedMonthlySales = 30_000
	want, err := DefaultPolicy().Decide(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if !strings.Contains(string(b), `{"name":"external_limit","amount":null,`) {
		t.Errorf("JSON %s: want a null amount for the external limit", b)
	}
	var got Result
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Constraints) != len(want.Constraints) {
		t.Fatalf("constraints: got %d; want %d", len(got.Constraints), len(want.Constraints))
	}
	for i := range want.Constraints {
		g, w := got.Constraints[i], want.Constraints[i]
		// encoding/json writes the shortest representation that reads back
		// to the same float64, so amounts compare exactly.
		if g.Name != w.Name || g.Binding != w.Binding || g.Detail != w.Detail ||
			math.Float64bits(g.Amount) != math.Float64bits(w.Amount) && !(math.IsNaN(g.Amount) && math.IsNaN(w.Amount)) {
			t.Errorf("constraint %d: got %+v; want %+v", i, g, w)
		}
	}
	got.Constraints, want.Constraints = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("result: got %+v; want %+v", got, want)
	}
}
