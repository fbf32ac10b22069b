#!/usr/bin/env bash
# The serving part of `make demo`: start the gRPC server on the trained model, score a few
# customers and ask for a credit limit with the client, then stop the server (it drains). Then
# serve the live book: ingest a day of changes, list the alerts, sweep, and stop it again.
set -euo pipefail
bin=$1 demo=$2
addr=127.0.0.1:${CREDENCE_DEMO_PORT:-50551}
metrics=127.0.0.1:${CREDENCE_DEMO_METRICS_PORT:-9591}
"$bin" serve --registry "$demo/registry" --book "$demo/book" --addr "$addr" --metrics-addr "$metrics" \
  --log-level warn 2>"$demo/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  "$bin" score --addr "$addr" --insecure --customer C00000001 --as-of 2024-06-01 >/dev/null 2>&1 && break
  sleep 0.2
done
echo "== credence serve on $addr (metrics http://$metrics/metrics, log $demo/serve.log)"
for id in C00000001 C00000002 C00000003; do
  "$bin" score --addr "$addr" --insecure --customer "$id" --as-of 2024-06-01
  echo
done
"$bin" limit --addr "$addr" --insecure --customer C00000002 --amount 50000 --terms 30 --monthly-sales 20000 --as-of 2024-06-01
kill -TERM $server
wait $server || true
trap - EXIT

# The live book: the same book loaded into a store on disk, a day of ledger changes ingested as
# events, the early warnings they raise, and a customer's score before and after.
day=2025-01-01
rm -rf "$demo/store" "$demo/delta-$day"
"$bin" synth delta --book "$demo/book" --out "$demo/delta-$day" --day "$day" --late 0.05 --seed 7 --format csv
"$bin" serve --registry "$demo/registry" --store "$demo/store" --book "$demo/book" --addr "$addr" \
  --metrics-addr "$metrics" --log-level warn 2>"$demo/serve-live.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do
  "$bin" score --addr "$addr" --insecure --customer C00000001 >/dev/null 2>&1 && break
  sleep 0.2
done
# A customer recorded in default in the day's changes, scored before and after them.
id=$(awk -F, 'NR == 2 { print $1 }' "$demo/delta-$day/defaults.csv" 2>/dev/null || true)
id=${id:-C00000001}
echo "== credence serve --store $demo/store: $id before the day's changes"
"$bin" score --addr "$addr" --insecure --customer "$id" --max-reasons 1
echo "== credence ingest $demo/delta-$day"
head -3 "$demo/delta-$day/invoices.csv" | sed 's/^/   /'
"$bin" ingest --addr "$addr" --insecure "$demo/delta-$day"
echo "== the same delta again (events are idempotent)"
"$bin" ingest --addr "$addr" --insecure "$demo/delta-$day"
for _ in $(seq 1 50); do # alerts come once the events are durable
  [ "$("$bin" alerts --addr "$addr" --insecure --json 2>/dev/null | wc -l)" -gt 0 ] && break
  sleep 0.2
done
echo "== credence alerts (first 12, then $id's)"
"$bin" alerts --addr "$addr" --insecure > "$demo/alerts.txt"
head -12 "$demo/alerts.txt"
tail -n +13 "$demo/alerts.txt" | grep -F " $id " | head -3 || true
echo "   ... $(grep -c . "$demo/alerts.txt") lines in $demo/alerts.txt; $(tail -1 "$demo/alerts.txt") (resume with --since)"
echo "== $id after the day's changes"
"$bin" score --addr "$addr" --insecure --customer "$id" --max-reasons 1
echo "== credence sweep"
"$bin" sweep --addr "$addr" --insecure
kill -TERM $server
wait $server || true
trap - EXIT

cat <<TXT

To serve it yourself and call it with grpcurl (server reflection is on):
  $bin serve --registry $demo/registry --book $demo/book --addr 127.0.0.1:50051
  $bin serve --registry $demo/registry --store $demo/store --addr 127.0.0.1:50051   # the live book
  $bin alerts --addr 127.0.0.1:50051 --insecure --follow
  grpcurl -plaintext 127.0.0.1:50051 list
  grpcurl -plaintext -d '{"customer_id":"C00000001","as_of":{"year":2024,"month":6,"day":1},"max_reasons":3}' 127.0.0.1:50051 credence.v1.CredenceService/Score
  grpcurl -plaintext -d '{"customer_id":"C00000002","requested_amount":50000,"payment_terms_days":30}' 127.0.0.1:50051 credence.v1.CredenceService/RecommendLimit
TXT
