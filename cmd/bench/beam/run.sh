#!/bin/sh
# credence-beam on Prism against the single-process commands on the same book: rescore, the
# 12-snapshot feature matrix and the training sample of a 200,000-customer × 24-month synthetic
# book in 8 parts; then training on the sample, and that model on a book it never saw.
# Run from the repository root after `make build build-beam`. Needs about 1.5 GB under BENCH.
#
#   cmd/bench/beam/run.sh              # BENCH=/tmp/beambench by default; RUNS=2 pairs of rescores
#   STEPS=sample cmd/bench/beam/run.sh # some of: rescore features sample
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
STEPS=${STEPS:-rescore features sample}
has() { case " $STEPS " in *" $1 "*) return 0;; esac; return 1; }
i=0
has rescore || i=$RUNS
while [ $i -lt "$RUNS" ]; do
  i=$((i + 1))
  echo "== credence rescore ($i)"; uptime
  t $BIN rescore --registry reg --book book200k --as-of 2025-01-01 --out out/single.parquet
  echo "== credence-beam rescore on Prism ($i)"; uptime
  t $BEAM rescore --registry reg --book book200k --as-of 2025-01-01 --out out/beam/scores.parquet 2>&1 | grep -v level=INFO
done
PLAN="--horizon 6mo --plan-start 2023-07-01 --plan-end 2024-06-01"
if has features; then
  echo "== credence features, 12 snapshots"; uptime
  t $BIN features --book book200k $PLAN --out out/features-single.parquet
  echo "== credence-beam features on Prism, 12 snapshots"; uptime
  t $BEAM features --book book200k $PLAN --out out/beam/features.parquet 2>&1 | grep -v level=INFO
fi
if has sample; then
  echo "== credence sample, 12 snapshots, 10% of the non-defaults"; uptime
  t $BIN sample --book book200k $PLAN --non-default-rate 0.1 --out out/sample-single.parquet
  echo "== credence-beam sample on Prism, same"; uptime
  t $BEAM sample --book book200k $PLAN --non-default-rate 0.1 --out out/beam/sample.parquet 2>&1 | grep -v level=INFO
  echo "== credence train --sample (the shard set)"; uptime
  rm -rf reg-sample
  t $BIN train --sample out/beam/sample.parquet --registry reg-sample
  [ -d book50k ] || $BIN synth --customers 50000 --months 24 --seed 3 --out book50k
  echo "== that model on another book of 50,000 customers"; uptime
  $BIN validate --registry reg-sample --book book50k $PLAN || true
fi
