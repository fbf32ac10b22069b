#!/usr/bin/env bash
# Exact SHAP contributions, Credence against XGBoost's pred_contribs, on the
# same trees: XGBoost 1.7 fits 300 trees of depth 6 (learning rate 0.1) on
# 200,000 synthetic rows × 50 features (cmd/bench/gbdt's data), its first
# 100 and all 300 trees are written in Credence's model form, and both time
# every contribution of the same EVAL rows with THREADS threads. shapbench
# also checks its values against XGBoost's on the first 1,000 rows.
#
#   cmd/bench/shap/compare.sh            # from the repository root
#   EVAL=20000 THREADS=2 cmd/bench/shap/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
DATA_DIR=${DATA_DIR:-${TMPDIR:-/tmp}/credence-shap-bench}
EVAL=${EVAL:-10000}
TRAIN=${TRAIN:-200000}
THREADS=${THREADS:-2}
TREES=${TREES:-100,300}
PYTHON=${PYTHON:-/usr/bin/python3}

mkdir -p "$DATA_DIR"
go build -o "$DATA_DIR/gbdtbench" ./cmd/bench/gbdt/gbdtbench
go build -o "$DATA_DIR/shapbench" ./cmd/bench/shap/shapbench
rows=$((EVAL + TRAIN))
want="{\"rows\":$rows,\"cols\":50,\"seed\":42}"
if [ "$(cat "$DATA_DIR/shape.json" 2>/dev/null)" != "$want" ]; then
	"$DATA_DIR/gbdtbench" gen -dir "$DATA_DIR" -rows "$rows" -cols 50 -seed 42
fi
echo "load: $(uptime)"
"$PYTHON" cmd/bench/shap/xgb.py --dir "$DATA_DIR" --trees "$TREES" --threads "$THREADS" --eval "$EVAL" --train-rows "$TRAIN"
for T in ${TREES//,/ }; do
	GOMAXPROCS=$THREADS "$DATA_DIR/shapbench" -dir "$DATA_DIR" -trees "$T" -eval "$EVAL" -workers "$THREADS"
done
echo "load: $(uptime)"
