package scorecard

import (
	"context"
	"testing"

	"github.com/credence-risk/credence/models"
)

func fit(t testing.TB, cfg Config, d *models.Dataset) *Model {
	t.Helper()
	m, err := Trainer{cfg}.Fit(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m.(*Model)
}
