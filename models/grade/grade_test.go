package grade

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestDefaultScaleIsValid(t *testing.T) {
	if err := DefaultScale().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestGrade(t *testing.T) {
	s := DefaultScale()
	for _, tc := range []struct {
		pd   float64
		want int
	}{
		{0, 1},
		{0.0001, 1},
		{0.0003, 1}, // on a bound: the lower grade
		{math.Nextafter(0.0003, 1), 2},
		{0.001, 2},
		{0.0010001, 3},
		{0.0025, 3},
		{0.003, 4},
		{0.005, 4},
		{0.0075, 5},
		{0.01, 5},
		{0.015, 6},
		{0.02, 6},
		{0.05, 7},
		{0.08, 8},
		{0.12, 8},
		{0.1200001, 9},
		{0.5, 9},
		{1, 9}, // a PD of 1 is still a PD, not a default
		{math.Nextafter(1, 2), 0},
		{-1e-12, 0},
		{math.NaN(), 0},
		{math.Inf(1), 0},
	} {
		if got := s.Grade(tc.pd); got != tc.want {
			t.Errorf("Grade(%v) = %d; want %d", tc.pd, got, tc.want)
		}
	}
}

func TestGradeCustomScale(t *testing.T) {
	s := Scale{Upper: []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, u := range s.Upper {
		if got := s.Grade(u); got != i+1 {
			t.Errorf("Grade(%v) = %d; want %d", u, got, i+1)
		}
		if i < Bands-1 {
			if got := s.Grade(math.Nextafter(u, 2)); got != i+2 {
				t.Errorf("Grade(just above %v) = %d; want %d", u, got, i+2)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	good := DefaultScale().Upper
	with := func(i int, v float64) []float64 {
		u := slices.Clone(good)
		u[i] = v
		return u
	}
	for _, tc := range []struct {
		name string
		s    Scale
	}{
		{"no bounds", Scale{}},
		{"too few", Scale{Upper: good[1:]}},
		{"too many", Scale{Upper: append([]float64{0.0001}, good...)}},
		{"last not 1", Scale{Upper: with(8, 0.9)}},
		{"zero bound", Scale{Upper: with(0, 0)}},
		{"NaN bound", Scale{Upper: with(3, math.NaN())}},
		{"equal bounds", Scale{Upper: with(2, good[1])}},
		{"decreasing", Scale{Upper: with(2, 0.0005)}},
		{"above 1", Scale{Upper: with(7, 1.5)}},
		{"names", Scale{Upper: good, Names: []string{"a", "b"}}},
	} {
		if err := tc.s.Validate(); err == nil {
			t.Errorf("%s: Validate(%v) = nil; want an error", tc.name, tc.s)
		}
	}
}

func TestMidpoint(t *testing.T) {
	s := DefaultScale()
	for _, tc := range []struct {
		g    int
		want float64
	}{
		{1, math.Sqrt(0.0003 * 0.0003 * 0.0003 / 0.001)},
		{2, math.Sqrt(0.0003 * 0.001)},
		{5, math.Sqrt(0.005 * 0.01)},
		{9, math.Sqrt(0.12)},
		{DefaultGrade, 1},
	} {
		got := s.Midpoint(tc.g)
		if math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("Midpoint(%d) = %v; want %v", tc.g, got, tc.want)
		}
		if tc.g < DefaultGrade && s.Grade(got) != tc.g {
			t.Errorf("Midpoint(%d) = %v lies in grade %d", tc.g, got, s.Grade(got))
		}
	}
	for _, g := range []int{0, -1, 11} {
		if got := s.Midpoint(g); !math.IsNaN(got) {
			t.Errorf("Midpoint(%d) = %v; want NaN", g, got)
		}
	}
	if got := (Scale{Upper: []float64{0.5, 1}}).Grade(0.2); got != 0 {
		t.Errorf("Grade on a two-band scale = %d; want 0", got)
	}
}

func TestGrades(t *testing.T) {
	s := DefaultScale()
	got, err := s.Grades([]float64{0.0002, 0.004, 0.3})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 4, 9}; !slices.Equal(got, want) {
		t.Errorf("Grades = %v; want %v", got, want)
	}
	if _, err := s.Grades([]float64{0.1, math.NaN()}); err == nil {
		t.Error("Grades with a NaN PD: got no error")
	}
}

func TestGradePDs(t *testing.T) {
	got, err := GradePDs(
		[]int{1, 1, 3, 3, 3, 10},
		[]float64{0.0001, 0.0003, 0.001, 0.002, 0.003, 0.2},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]float64{1: 0.0002, 3: 0.002, 10: 1}
	if len(got) != len(want) {
		t.Fatalf("GradePDs = %v; want %v", got, want)
	}
	for g, w := range want {
		if math.Abs(got[g]-w) > 1e-15 {
			t.Errorf("grade %d: got %v; want %v", g, got[g], w)
		}
	}
	for _, tc := range []struct {
		name   string
		grades []int
		pd     []float64
	}{
		{"lengths", []int{1, 2}, []float64{0.1}},
		{"empty", nil, nil},
		{"grade 0", []int{0}, []float64{0.1}},
		{"grade 11", []int{11}, []float64{0.1}},
		{"PD NaN", []int{1}, []float64{math.NaN()}},
		{"PD above 1", []int{1}, []float64{1.1}},
	} {
		if _, err := GradePDs(tc.grades, tc.pd); err == nil {
			t.Errorf("%s: got no error", tc.name)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	s := DefaultScale()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Scale
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Upper, s.Upper) || !slices.Equal(back.Names, s.Names) {
		t.Errorf("round trip: got %+v; want %+v", back, s)
	}
}

func ExampleScale_Grade() {
	s := DefaultScale()
	for _, pd := range []float64{0.0002, 0.01, 0.0101, 0.3} {
		g := s.Grade(pd)
		fmt.Printf("PD %.2f%% → grade %d (%s), midpoint %.3f%%\n", 100*pd, g, s.Name(g), 100*s.Midpoint(g))
	}
	// Output:
	// PD 0.02% → grade 1 (minimal), midpoint 0.016%
	// PD 1.00% → grade 5 (fair), midpoint 0.707%
	// PD 1.01% → grade 6 (elevated), midpoint 1.414%
	// PD 30.00% → grade 9 (severe), midpoint 34.641%
}
