package artifact_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/credence-risk/credence/models/artifact"
)

func ExampleRead() {
	a := &artifact.Artifact{
		Created:    time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC),
		Model:      &linear{Names: []string{"inv_late_share_6m", "st_dpd"}, Weights: []float64{2, 0.05}, Bias: -4},
		Calibrator: &platt{A: 1, B: 0.2},
		Metrics:    json.RawMessage(`{"auc": 0.81}`),
	}
	var file bytes.Buffer
	if err := artifact.Write(&file, a); err != nil {
		panic(err)
	}

	// The binary passes the decoders of the families it was built with.
	decoders := artifact.Decoders{"linear": decodeLinear}
	served, err := artifact.Read(&file, decoders, decodePlatt)
	if err != nil {
		panic(err)
	}
	x := []float64{0.5, 30}
	fmt.Printf("%s, calibrated by %s, metrics %s\n", served.Family, served.Calibrator.Method(), served.Metrics)
	fmt.Printf("model PD %.4f, served PD %.4f\n", served.Model.PD(x), served.PD(x))
	// Output:
	// linear, calibrated by platt, metrics {"auc":0.81}
	// model PD 0.1824, served PD 0.2142
}
