package serve

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/credence-risk/credence/datasets/testenv"
)

// pythonClient calls a Credence server from Python with the client that
// protoc generates from serve/creditpb, as an integration team would: a
// score by customer id, then a request with a NaN amount, whose
// google.rpc.BadRequest it decodes. It prints one JSON object.
const pythonClient = `
import json, math, sys
import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from credence.v1 import credence_pb2, credence_pb2_grpc
from google.type import date_pb2

addr, customer = sys.argv[1], sys.argv[2]
with grpc.insecure_channel(addr) as channel:
    stub = credence_pb2_grpc.CredenceServiceStub(channel)
    resp, call = stub.Score.with_call(credence_pb2.ScoreRequest(customer_id=customer,
        as_of=date_pb2.Date(year=2024, month=3, day=1), max_reasons=3), metadata=[("x-request-id", "py-1")])
    out = {"score": json_format.MessageToDict(resp, preserving_proto_field_name=True),
           "request_id": dict(call.initial_metadata()).get("x-request-id", "")}
    bad = credence_pb2.ScoreRequest(customer_id="new", history=credence_pb2.History(invoices=[credence_pb2.Invoice(
        invoice_id="i1", issue_date=date_pb2.Date(year=2024, month=1, day=10),
        due_date=date_pb2.Date(year=2024, month=2, day=10), amount=math.nan)]))
    try:
        stub.Score(bad)
        out["error"] = "none"
    except grpc.RpcError as e:
        out["code"] = e.code().name
        for key, value in e.trailing_metadata():
            if key == "grpc-status-details-bin":
                st = status_pb2.Status.FromString(value)
                for d in st.details:
                    if d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                        br = error_details_pb2.BadRequest()
                        d.Unpack(br)
                        out["fields"] = [v.field for v in br.field_violations]
                    if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                        info = error_details_pb2.ErrorInfo()
                        d.Unpack(info)
                        out["reason"] = info.reason
print(json.dumps(out))
`

// python finds a Python 3 with grpcio (Debian's python3-grpcio), or ends
// the test.
func python(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "/usr/bin/python3")
	for _, p := range candidates {
		if exec.Command(p, "-c", "import grpc").Run() == nil {
			return p
		}
	}
	testenv.Missing(t, "no python3 with grpc (apt-get install python3-grpcio); tried %v", candidates)
	return ""
}

// TestPythonClient generates the Python client from the API's .proto files
// (protoc with gRPC's Python plugin; grpc_tools' protoc in Debian is too
// old for proto3 optional fields) and calls the server
// with it: the API generates cleanly for another language, dates travel as
// google.type.Date, and errors carry their google.rpc details.
func TestPythonClient(t *testing.T) {
	py := python(t)
	protoc := testenv.Tool(t, "protoc", "apt-get install protobuf-compiler")
	plugin := testenv.Tool(t, "grpc_python_plugin", "apt-get install protobuf-compiler-grpc")
	f := getFixture(t)
	r := start(t, testConfig(nil), newRegistry(t, 1), true)

	src := filepath.Join(testenv.RepoRoot(t), "serve", "creditpb")
	out := t.TempDir()
	protos := []string{"credence/v1/credence.proto", "google/type/date.proto", "google/rpc/status.proto", "google/rpc/error_details.proto"}
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = src
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
		}
	}
	run(protoc, append([]string{"-I", ".", "--python_out=" + out}, protos...)...)
	run(protoc, "-I", ".", "--plugin=protoc-gen-grpc_python="+plugin, "--grpc_python_out="+out, protos[0])
	// No __init__.py: the generated google/ joins the installed
	// google.protobuf as one namespace package.

	id := f.hs[0].CustomerID
	cmd := exec.Command(py, "-c", pythonClient, r.addr, id)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+out)
	b, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("python client: %v\n%s", err, stderr)
	}
	var got struct {
		Score struct {
			CustomerID string         `json:"customer_id"`
			AsOf       map[string]int `json:"as_of"`
			PD         float64        `json:"pd"`
			Grade      int            `json:"grade"`
		} `json:"score"`
		RequestID string   `json:"request_id"`
		Code      string   `json:"code"`
		Reason    string   `json:"reason"`
		Fields    []string `json:"fields"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("python client printed %q: %v", b, err)
	}
	s := got.Score
	if s.CustomerID != id || s.AsOf["year"] != 2024 || s.AsOf["month"] != 3 || s.AsOf["day"] != 1 || !(s.PD > 0 && s.PD <= 1) || s.Grade < 1 {
		t.Errorf("score from Python: %+v; want %s as of 2024-03-01 with a PD and a grade", s, id)
	}
	if got.RequestID != "py-1" {
		t.Errorf("x-request-id back in Python: %q; want py-1", got.RequestID)
	}
	if got.Code != "INVALID_ARGUMENT" || got.Reason != "INVALID_FIELD" || strings.Join(got.Fields, ",") != "history.invoices[0].amount" {
		t.Errorf("NaN amount from Python: %s reason %q fields %q; want INVALID_ARGUMENT, INVALID_FIELD, history.invoices[0].amount", got.Code, got.Reason, got.Fields)
	}
}
