#!/bin/sh
# One line per dataset of run.sh logs: the champion, its held-out AUC, the best peer on Credence's
# features and Credence minus it with the paired DeLong interval (by customer where the book has
# several rows per customer), then the mean difference over the logs given. PEERS, an awk
# regular expression, chooses the peers the best is taken from (default: every peer on Credence's
# features); '^(histgb|xgboost)_' takes the best of the gradient-boosting peers, on Credence's
# features or the raw columns.
#
#   cmd/bench/quality/summary.sh german /work/bench/logs/q-s1.log /work/bench/logs/q-s2.log ...
#   PEERS='^(histgb|xgboost)_' cmd/bench/quality/summary.sh uci-taiwan /work/bench/logs/q-s1.log
set -eu
ds=$1
shift
for log in "$@"; do
  awk -v ds="$ds" -v file="$log" -v peers="${PEERS:-_features\$}" '
    /^== / { on = ($2 == ds) }
    on && /^registered v[0-9]+ \(/ { fam = $3; gsub(/[(),]/, "", fam) }
    on && /^credence  +AUC/ { auc = $3 }
    on && $1 ~ peers && $2 == "AUC" { if ($3 > best) { best = $3; peer = $1 } }
    on && /^credence − / && index($0, peer " ") {
      diff = $0
      sub(/^credence − [^ ]+ +/, "", diff)
      # the last interval printed: by customer where there is one
      i = index(diff, "(paired DeLong) ")
      if (i) diff = substr(diff, i + 16)
      printed = 1
    }
    END {
      if (!printed) { print file ": no " ds " result" > "/dev/stderr"; exit 1 }
      printf "%s\t%s %s\t%s %s\t%s\n", file, fam, auc, peer, best, diff
    }' "$log"
done | awk -F'\t' '{ print; split($4, d, " "); s += d[1]; n++ } END { if (n) printf "mean difference over %d: %+.4f\n", n, s / n }'
