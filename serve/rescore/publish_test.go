package rescore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/credence-risk/credence/datasets"
	"github.com/credence-risk/credence/datasets/atomicfile"
)

// TestPublishTogetherOrNot checks that the scores appear with their
// report, and that a report that cannot be written publishes neither,
// keeping the earlier pair.
func TestPublishTogetherOrNot(t *testing.T) {
	f := testFixture(t)
	dir := t.TempDir()
	scores := filepath.Join(dir, "scores.csv")
	report := filepath.Join(dir, "scores.csv.report.json")
	cfg := DefaultConfig(datasets.YMD(2024, 6, 1))
	attach := func(data string) func(*Summary) ([]Attachment, error) {
		return func(sum *Summary) ([]Attachment, error) {
			if _, err := os.Stat(scores); data == "second" && err != nil {
				t.Errorf("the first scores are gone while the second run writes its report: %v", err)
			}
			return []Attachment{{Path: report, Data: []byte(data)}}, nil
		}
	}
	if _, err := Publish(context.Background(), f.book, f.scorer, cfg, scores, attach("first")); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(scores)
	if err != nil {
		t.Fatal(err)
	}

	// A stale temporary file of a killed run beside the scores, and one of
	// a live writer (this process), which must stay.
	stale := filepath.Join(dir, atomicfile.TempPrefix("scores.csv")+"999999999-1")
	live := filepath.Join(dir, atomicfile.TempPrefix("scores.csv")+strconv.Itoa(os.Getpid())+"-1")
	for _, p := range []string{stale, live} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cases := []struct {
		name   string
		attach func(*Summary) ([]Attachment, error)
	}{
		{"report fails", func(*Summary) ([]Attachment, error) { return nil, errors.New("template failed") }},
		{"report unwritable", func(*Summary) ([]Attachment, error) {
			return []Attachment{{Path: filepath.Join(scores, "report.json"), Data: []byte("x")}}, nil // scores is a file
		}},
	}
	cfg.AsOf = datasets.YMD(2024, 7, 1) // different scores
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Publish(context.Background(), f.book, f.scorer, cfg, scores, c.attach); err == nil {
				t.Fatal("Publish succeeded; want the report's error")
			}
			if got, _ := os.ReadFile(scores); string(got) != string(first) {
				t.Error("the scores changed although their report failed")
			}
			if got, _ := os.ReadFile(report); string(got) != "first" {
				t.Errorf("report: got %q; want the first run's", got)
			}
		})
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the killed run's temporary file is still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a running writer's temporary file was removed: %v", err)
	}
	if _, err := Publish(context.Background(), f.book, f.scorer, cfg, scores, attach("second")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(report); string(got) != "second" {
		t.Errorf("report: got %q; want second", got)
	}
	if got, _ := os.ReadFile(scores); string(got) == string(first) {
		t.Error("the scores did not change with the second run")
	}
}
