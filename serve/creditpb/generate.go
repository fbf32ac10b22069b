// Package creditpb holds the Credence gRPC API, package credence.v1,
// generated from credence/v1/credence.proto. The googleapis files it imports
// (google/type/date.proto, google/rpc/status.proto) are vendored under
// google/ with error_details.proto, whose messages the server's errors carry,
// so that protoc finds them and clients in any language can generate from
// this directory alone. Edit the .proto, then run go generate; a test fails
// when the committed code is stale (check-generated.sh does the same from a
// shell) and another runs buf lint with the STANDARD rules (buf.yaml).
package creditpb

//go:generate protoc -I . --go_out=. --go_opt=module=github.com/credence-risk/credence/serve/creditpb --go-grpc_out=. --go-grpc_opt=module=github.com/credence-risk/credence/serve/creditpb credence/v1/credence.proto
