#!/usr/bin/env bash
# The live book's figures (BENCHMARKS.md, "Live book"): durable ingestion through gRPC and through
# store.Apply, event-to-alert latency, Score latency while ingesting, a 1,000,000-customer store's
# load, size and open time, and the peak RSS of a server over the largest store.
#
# Settings (environment): WORK (out/bench-live; books, stores and the model are kept there and
# reused), DURATION (15s), RSS_CUSTOMERS (10000000), RSS_MONTHS (24). Needs about 2 GB of disk for
# the 1M store and 10-20 GB for the RSS store at 24 months.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
WORK=${WORK:-out/bench-live}
DURATION=${DURATION:-15s}
RSS_CUSTOMERS=${RSS_CUSTOMERS:-10000000}
RSS_MONTHS=${RSS_MONTHS:-24}
cd "$ROOT"
BIN=$(mktemp -d)/live
trap 'rm -rf "$(dirname "$BIN")"' EXIT
go build -o "$BIN" ./cmd/bench/live
echo "== $(nproc) CPUs; $(free -g | awk '/^Mem:/ {print $2 " GiB memory"}'); $(uptime)"

"$BIN" ingest -work "$WORK" -duration "$DURATION"
"$BIN" apply -work "$WORK" -duration "$DURATION"
"$BIN" alert -work "$WORK"
"$BIN" score -work "$WORK" -duration 20s
"$BIN" open -work "$WORK" -customers 1000000
"$BIN" rss -work "$WORK" -customers "$RSS_CUSTOMERS" -months "$RSS_MONTHS" -duration 30s
