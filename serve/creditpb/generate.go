// Package creditpb holds the Credence gRPC API, credence.v1, generated from
// credence.proto in this directory. Edit the .proto, then run go generate; a
// test fails when the committed code is stale (check-generated.sh does the
// same from a shell).
package creditpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative credence.proto
