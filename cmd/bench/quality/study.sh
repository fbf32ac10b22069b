#!/bin/sh
# GBDT settings compared by the early-stopping study (models/gbdt/study_test.go) on the development
# matrices cmd/bench/quality/run.sh writes: german and uci-taiwan with 5 outer folds, and half of
# credit-card-approval's development customers (DEV_KEEP=0.5 run.sh, under B/cca-keep0.5) with one.
#
#   B=/work/bench/quality cmd/bench/quality/study.sh "" max_depth=4 l2=5 min_child_weight=5,l2=5
set -eu
B=${B:-/work/bench/quality}
T=${T:-/tmp/gbdt-study.test}
go test -c -o "$T" ./models/gbdt
for v in "$@"; do
  cfg=""; [ -n "$v" ] && cfg="-study-config $v"
  echo "=== variant '${v:-as configured}' $(date +%T); $(uptime)"
  nice "$T" -test.run TestStudyEarlyStopping -test.timeout 0 -test.v -study "$B/german/dev.csv,$B/uci-taiwan/dev.csv" \
    -study-patience 30 $cfg 2>&1 | grep "mean AUC\|rows,"
  nice "$T" -test.run TestStudyEarlyStopping -test.timeout 0 -test.v -study "$B/cca-keep0.5/dev.csv" \
    -study-folds 1 -study-inner 2 -study-rounds 450 -study-patience 30 $cfg 2>&1 | grep "mean AUC\|rows,"
done
