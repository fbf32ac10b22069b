#!/bin/sh
# credence-beam on Prism against the single-process commands on the same book: rescore and the
# 12-snapshot feature matrix of a 200,000-customer × 24-month synthetic book in 8 parts.
# Run from the repository root after `make build build-beam`. Needs about 1.5 GB under BENCH.
#
#   cmd/bench/beam/run.sh              # BENCH=/tmp/beambench by default; RUNS=2 pairs of rescores
set -eu
BENCH=${BENCH:-/tmp/beambench}
BIN=${BIN:-$PWD/bin/credence}
BEAM=${BEAM:-$PWD/bin/credence-beam}
RUNS=${RUNS:-2}
t() { /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KiB peak RSS" "$@"; }
mkdir -p "$BENCH" && cd "$BENCH"
[ -d book200k ] || $BIN synth --customers 200000 --months 24 --seed 1 --customers-per-part 25000 --out book200k
[ -d book5k ] || $BIN synth --customers 5000 --months 24 --seed 2 --out book5k
[ -d reg ] || $BIN train --book book5k --registry reg --horizon 12mo --families logistic
i=0
while [ $i -lt "$RUNS" ]; do
  i=$((i + 1))
  echo "== credence rescore ($i)"; uptime
  t $BIN rescore --registry reg --book book200k --as-of 2025-01-01 --out out/single.parquet
  echo "== credence-beam rescore on Prism ($i)"; uptime
  t $BEAM rescore --registry reg --book book200k --as-of 2025-01-01 --out out/beam/scores.parquet 2>&1 | grep -v level=INFO
done
PLAN="--horizon 6mo --plan-start 2023-07-01 --plan-end 2024-06-01"
echo "== credence features, 12 snapshots"; uptime
t $BIN features --book book200k $PLAN --out out/features-single.parquet
echo "== credence-beam features on Prism, 12 snapshots"; uptime
t $BEAM features --book book200k $PLAN --out out/beam/features.parquet 2>&1 | grep -v level=INFO
