#!/usr/bin/env bash
# Times Credence's GBDT against XGBoost hist on the same synthetic data:
# 1,000,000 rows × 50 features, 100 trees of depth 6, learning rate 0.1,
# 2 threads each. The data is written once by gbdtbench gen (float32,
# read by numpy.fromfile) into $DATA_DIR.
#
#   cmd/bench/gbdt/compare.sh            # from the repository root
#   ROWS=200000 THREADS=4 cmd/bench/gbdt/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
DATA_DIR=${DATA_DIR:-${TMPDIR:-/tmp}/credence-gbdt-bench}
ROWS=${ROWS:-1000000}
COLS=${COLS:-50}
TREES=${TREES:-100}
DEPTH=${DEPTH:-6}
LR=${LR:-0.1}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-/usr/bin/python3}

mkdir -p "$DATA_DIR"
go build -o "$DATA_DIR/gbdtbench" ./cmd/bench/gbdt/gbdtbench
want="{\"rows\":$ROWS,\"cols\":$COLS,\"seed\":42}"
if [ "$(cat "$DATA_DIR/shape.json" 2>/dev/null)" != "$want" ]; then
	"$DATA_DIR/gbdtbench" gen -dir "$DATA_DIR" -rows "$ROWS" -cols "$COLS" -seed 42
fi
GOMAXPROCS=$THREADS "$DATA_DIR/gbdtbench" fit -dir "$DATA_DIR" -trees "$TREES" -depth "$DEPTH" -lr "$LR" -workers "$THREADS" >"$DATA_DIR/go.json"
"$PYTHON" cmd/bench/gbdt/compare.py --dir "$DATA_DIR" --go "$DATA_DIR/go.json" \
	--trees "$TREES" --depth "$DEPTH" --lr "$LR" --threads "$THREADS"
