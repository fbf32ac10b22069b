#!/bin/sh
# Out of time as well as out of customer, on a dataset run.sh has split: Credence and the peers
# fit the development rows of as-of dates up to FIT_UNTIL alone, and are judged on the held-out
# customers' rows of later dates, which is how a model is used: trained on the past, scoring the
# months after. (run.sh judges the held-out customers on every date, the ones fitted included.)
#
#   cmd/bench/quality/later.sh DIR FIT_UNTIL [train flags]
#   cmd/bench/quality/later.sh /work/bench/syn-s1/synth 2023-10-01 --horizon 12mo
#
# DIR is run.sh's folder of one dataset (dev, held-obs, dev.csv, held.csv). Writes DIR/later-*;
# summary.sh reads its output as it reads run.sh's.
# The held-out rows' labels look as far ahead as the training rows' do, so nothing a held-out
# customer did after FIT_UNTIL is fitted: those customers are not in the development book.
set -eu
dir=$1 until=$2
shift 2
BIN=${BIN:-bin/credence}
PY=${PY:-/usr/bin/python3}
THREADS=${THREADS:-1}
export THREADS
Q=$dir/later-quality
go build -o "$Q" ./cmd/bench/quality
# The plan keeps the development rows' first as-of date (the book's plan is monthly unless train
# flags say otherwise: --plan-every N).
first=$(awk -F, 'NR > 1 { print $2 }' "$dir/dev.csv" | sort | head -1)
rm -rf "$dir/later-registry"
echo "== $(basename "$dir")"
echo "$dir: fitted up to $until, judged after; $(uptime)"
/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KiB peak RSS" \
  $BIN train --book "$dir/dev" --registry "$dir/later-registry" --plan-start "$first" --plan-end "$until" "$@"
$BIN rescore --registry "$dir/later-registry" --book "$dir/held-obs" --out "$dir/later-scores-all.csv" >/dev/null
# The feature files' second column is the as-of date, YYYY-MM-DD, which compares as text.
awk -F, -v d="$until" 'NR == 1 || $2 <= d' "$dir/dev.csv" >"$dir/later-dev.csv"
awk -F, -v d="$until" 'NR == 1 || $2 > d' "$dir/held.csv" >"$dir/later-held.csv"
awk -F, -v d="$until" 'NR == 1 || $2 > d' "$dir/later-scores-all.csv" >"$dir/later-scores.csv"
echo "-- peers; $(uptime)"
OMP_NUM_THREADS=$THREADS $PY cmd/bench/quality/peers.py "$dir/later-dev.csv" "$dir/later-held.csv" \
  "$dir/later-scores.csv" "$dir/later-predictions.csv"
"$Q" auc -in "$dir/later-predictions.csv"
