#!/usr/bin/env bash
# Load test of `credence serve` with ghz (https://ghz.sh): builds credence,
# writes a synthetic book, trains a gbdt model, serves it on loopback and
# drives Score
#   (a) at a fixed rate (RATE requests/s for DURATION): latency p50/p99;
#   (b) saturated (CONCURRENCY workers, no rate limit, DURATION): requests/s.
#
# ghz pins an old grpc, so it is installed on its own, outside go.mod:
#   GOBIN=/tmp/ghzbin go install github.com/bojand/ghz/cmd/ghz@v0.121.0
#
# Settings (environment): GHZ, WORK (kept when given), CUSTOMERS (20000),
# FAMILY (gbdt), DURATION (20s), RATE (1000), CONCURRENCY (50),
# CONNECTIONS (4), AS_OF (2023-10-01), MAX_REASONS (reasons asked per
# request, 0: the server's default of three), PORT (50651), METRICS_PORT
# (9651), IDS (a file of the customer ids to score, one a line; default
# the synthetic book's C00000000…). WORK may hold a book and a registry of
# its own (WORK/book, WORK/reg), which are then served as they are.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
GHZ=${GHZ:-/tmp/ghzbin/ghz}
CUSTOMERS=${CUSTOMERS:-20000}
FAMILY=${FAMILY:-gbdt}
DURATION=${DURATION:-20s}
RATE=${RATE:-1000}
CONCURRENCY=${CONCURRENCY:-50}
CONNECTIONS=${CONNECTIONS:-4}
AS_OF=${AS_OF:-2023-10-01}
MAX_REASONS=${MAX_REASONS:-0}
ADDR=127.0.0.1:${PORT:-50651}
METRICS=127.0.0.1:${METRICS_PORT:-9651}
if [[ -z "${WORK:-}" ]]; then
	WORK=$(mktemp -d)
	trap 'rm -rf "$WORK"' EXIT
fi
if [[ ! -x "$GHZ" ]]; then
	echo "ghz not found at $GHZ: GOBIN=/tmp/ghzbin go install github.com/bojand/ghz/cmd/ghz@v0.121.0" >&2
	exit 1
fi

mkdir -p "$WORK"
if [[ -n "${IDS:-}" ]]; then
	IDS=$(realpath "$IDS")
else
	IDS="$WORK/ids.txt"
	awk -v n="$CUSTOMERS" 'BEGIN { for (i = 0; i < n; i++) printf "C%08d\n", i }' >"$IDS"
fi
FIRST=$(awk 'NF { print $1; exit }' "$IDS")

cd "$ROOT"
echo "== build"
go build -o "$WORK/credence" ./cmd/credence
C="$WORK/credence"

if [[ ! -d "$WORK/book" ]]; then
	echo "== synthetic book of $CUSTOMERS customers"
	"$C" synth --customers "$CUSTOMERS" --months 24 --seed 7 --out "$WORK/book" >/dev/null
fi
if [[ ! -d "$WORK/reg/versions" ]]; then
	echo "== train ($FAMILY)"
	"$C" train --book "$WORK/book" --registry "$WORK/reg" --families "$FAMILY"
fi

echo "== serve on $ADDR (metrics and pprof on $METRICS)"
"$C" serve --registry "$WORK/reg" --book "$WORK/book" --addr "$ADDR" --metrics-addr "$METRICS" --pprof \
	--log-level warn 2>"$WORK/serve.log" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "${WORK:?}/ghz-"*' EXIT
for _ in $(seq 100); do
	if "$C" score --addr "$ADDR" --insecure --customer "$FIRST" --as-of "$AS_OF" >/dev/null 2>&1; then
		break
	fi
	sleep 0.2
done
"$C" score --addr "$ADDR" --insecure --customer "$FIRST" --as-of "$AS_OF"

# One request per customer in turn, from a file: ghz's per-request
# templating costs more CPU than the server's score.
awk -v d="$AS_OF" -v r="$MAX_REASONS" 'BEGIN {
	split(d, ymd, "-") # as_of is a google.type.Date
	printf "["
}
NF { printf "%s{\"customer_id\":\"%s\",\"as_of\":{\"year\":%d,\"month\":%d,\"day\":%d},\"max_reasons\":%d}", (n++ ? "," : ""), $1, ymd[1], ymd[2], ymd[3], r }
END { print "]" }' "$IDS" >"$WORK/requests.json"

# cpu prints the server's CPU seconds so far.
cpu() { curl -s "http://$METRICS/metrics" | awk '/^process_cpu_seconds_total/ {print $2}'; }
served() { curl -s "http://$METRICS/metrics" | awk '/^grpc_server_handled_total.*grpc_method="Score"/ {s += $2} END {print s + 0}'; }

run() {
	local c0 n0
	c0=$(cpu)
	n0=$(served)
	"$GHZ" --insecure --proto serve/creditpb/credence/v1/credence.proto --import-paths serve/creditpb --call credence.v1.CredenceService.Score \
		-D "$WORK/requests.json" --disable-template-data --disable-template-functions \
		-z "$DURATION" --connections "$CONNECTIONS" "$@" "$ADDR" |
		grep -E 'Count:|Requests/sec|Average|Slowest|^  (10|50|90|95|99) %|\[(OK|[A-Z][a-zA-Z]+)\] '
	awk -v c0="$c0" -v c1="$(cpu)" -v n0="$n0" -v n1="$(served)" 'BEGIN {
		printf "  server CPU: %.2f s for %d calls = %.1f µs a call, %.0f calls per CPU-second\n", c1 - c0, n1 - n0, 1e6 * (c1 - c0) / (n1 - n0), (n1 - n0) / (c1 - c0)
	}'
}

echo
echo "== (a) $RATE requests/s for $DURATION"
run --rps "$RATE" -c 20
echo
echo "== (b) saturated: $CONCURRENCY workers, $CONNECTIONS connections, $DURATION"
run -c "$CONCURRENCY"
echo
echo "== server metrics"
curl -s "http://$METRICS/metrics" | grep -E '^credence_(requests_total|grades_total|live_pd_psi)' || true
