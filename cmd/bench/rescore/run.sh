#!/bin/sh
# Speed of `credence rescore` on the 1,000,000-customer × 24-month synthetic book (51M invoices),
# from Parquet and from CSV, against a pandas + XGBoost peer reading the same book as CSV.
# Run from the repository root after `make build`. Needs about 6 GB under BENCH; books and the
# model are reused when present. Peer: /usr/bin/python3 with pandas, numpy and xgboost.
#
#   cmd/bench/rescore/run.sh            # BENCH=/work/bench by default
#   CUSTOMERS=200000 cmd/bench/rescore/run.sh
set -eu
BENCH=${BENCH:-/work/bench}
BIN=${BIN:-bin/credence}
PY=${PY:-/usr/bin/python3}
CUSTOMERS=${CUSTOMERS:-1000000}
AS_OF=2025-01-01 # the day after the synthetic book's observed_until, rescore's default
t() { /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KiB peak RSS" "$@"; }
if [ "$CUSTOMERS" = 1000000 ]; then NAME=book1m; else NAME=book$CUSTOMERS; fi
PQ=$BENCH/$NAME
CSV=$BENCH/$NAME-csv
OUT=$BENCH/out
mkdir -p "$OUT"

# The same book in both formats: synth with the same seed writes the same content.
[ -d "$PQ" ] || $BIN synth --customers "$CUSTOMERS" --months 24 --seed 1 --out "$PQ"
if [ ! -d "$CSV" ]; then
  $BIN synth --customers "$CUSTOMERS" --months 24 --seed 1 --format csv --out "$CSV"
  go run ./cmd/bench/rescore/samebook "$PQ" "$CSV"
fi

# A model trained on a smaller book of the same kind (another seed).
if [ ! -d "$BENCH/reg" ]; then
  [ -d "$BENCH/book20k" ] || $BIN synth --customers 20000 --months 24 --seed 2 --out "$BENCH/book20k"
  $BIN train --book "$BENCH/book20k" --registry "$BENCH/reg" --horizon 12mo
fi

echo "== credence rescore, Parquet book"
t $BIN rescore --registry "$BENCH/reg" --book "$PQ" --as-of $AS_OF --out "$OUT/rescore-$NAME.parquet"
echo "== credence rescore, CSV book"
t $BIN rescore --registry "$BENCH/reg" --book "$CSV" --as-of $AS_OF --out "$OUT/rescore-$NAME-csv.parquet"
echo "== credence rescore, Parquet book, against the previous month (migration report)"
t $BIN rescore --registry "$BENCH/reg" --book "$PQ" --as-of 2024-12-01 --out "$OUT/rescore-$NAME-prev.parquet" >/dev/null
t $BIN rescore --registry "$BENCH/reg" --book "$PQ" --as-of $AS_OF --out "$OUT/rescore-$NAME.csv" \
  --previous "$OUT/rescore-$NAME-prev.parquet"
echo "== peer: pandas + XGBoost on the CSV book"
t $PY cmd/bench/rescore/peer.py "$CSV" $AS_OF "$OUT/peer-$NAME.csv"
