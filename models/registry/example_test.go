package registry_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/credence-risk/credence/models"
	"github.com/credence-risk/credence/models/artifact"
	"github.com/credence-risk/credence/models/registry"
)

// flat is a toy model family: every customer gets the same PD.
type flat struct {
	P float64 `json:"p"`
}

func (m flat) Family() string                         { return "flat" }
func (m flat) Features() []string                     { return nil }
func (m flat) PD([]float64) float64                   { return m.P }
func (m flat) Reasons([]float64, int) []models.Reason { return nil }

func (m flat) PDs(X *models.Matrix, out []float64) {
	for i := range X.Rows {
		out[i] = m.P
	}
}

func decodeFlat(b []byte) (models.Model, error) {
	var m flat
	err := json.Unmarshal(b, &m)
	return m, err
}

func Example() {
	dir, err := os.MkdirTemp("", "registry")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	reg, err := registry.Open(dir)
	if err != nil {
		panic(err)
	}
	for _, pd := range []float64{0.02, 0.03} {
		v, err := reg.Add(&artifact.Artifact{Model: flat{pd}})
		if err != nil {
			panic(err)
		}
		fmt.Println("added", v)
	}

	// Promote only what this build can load and serve.
	decoders := artifact.Decoders{"flat": decodeFlat}
	canServe := func(v string) error {
		_, err := reg.Load(v, decoders, nil)
		return err
	}
	for _, ref := range []string{"v0001", "latest"} {
		if err := reg.Promote(ref, canServe); err != nil {
			panic(err)
		}
	}
	champion, err := reg.Load(registry.Champion, decoders, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("champion %s, PD %.2f\n", champion.Version, champion.PD(nil))

	back, err := reg.Rollback()
	if err != nil {
		panic(err)
	}
	fmt.Println("rolled back to", back)
	_, err = reg.Rollback()
	fmt.Println("rolled back again:", errors.Is(err, registry.ErrNoPrevious))
	// Output:
	// added v0001
	// added v0002
	// champion v0002, PD 0.03
	// rolled back to v0001
	// rolled back again: true
}
