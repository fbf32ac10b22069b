#!/usr/bin/env bash
# Regenerates the Go code of credence/v1/credence.proto into a temporary directory and
# compares it with the committed credence.pb.go and credence_grpc.pb.go.
# Exit 0: fresh, or the generators are not installed (skipped). Exit 1: stale. Then buf lint
# runs when buf 1.75.0 is installed.
# The generated headers name the protoc and plugin versions, so the check
# needs the same versions as the committed files (see their headers).
set -euo pipefail
cd "$(dirname "$0")"

# go install puts the plugins in GOBIN or GOPATH/bin, which is often not on PATH.
if command -v go >/dev/null 2>&1; then
	gobin=$(go env GOBIN)
	PATH="$PATH:${gobin:-$(go env GOPATH)/bin}"
fi
for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "check-generated: skipped: $tool not installed"
		exit 0
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
protoc \
	--plugin=protoc-gen-go="$(command -v protoc-gen-go)" \
	--plugin=protoc-gen-go-grpc="$(command -v protoc-gen-go-grpc)" \
	-I . \
	--go_out="$tmp" --go_opt=module=github.com/credence-risk/credence/serve/creditpb \
	--go-grpc_out="$tmp" --go-grpc_opt=module=github.com/credence-risk/credence/serve/creditpb \
	credence/v1/credence.proto

stale=0
for f in credence.pb.go credence_grpc.pb.go; do
	if ! diff -u "$f" "$tmp/$f"; then
		stale=1
	fi
done
if [ "$stale" -ne 0 ]; then
	echo "check-generated: serve/creditpb is stale: run 'go generate ./serve/creditpb' and commit the result" >&2
	echo "check-generated: installed: $(protoc --version); the committed files say:" >&2
	grep -h -E '^//[[:space:]-]*protoc' credence.pb.go credence_grpc.pb.go >&2 || true
	exit 1
fi
echo "check-generated: serve/creditpb is up to date"

# buf lint with the STANDARD rules (buf.yaml), with the buf the tests pin.
if [ "$(buf --version 2>/dev/null)" = 1.75.0 ]; then
	buf lint
	echo "check-generated: buf lint passes"
else
	echo "check-generated: buf lint skipped: buf 1.75.0 not installed (npm install @bufbuild/buf@1.75.0)"
fi
