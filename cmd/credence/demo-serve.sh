#!/usr/bin/env bash
# The serving part of `make demo`: start the gRPC server on the trained model, score a few
# customers and ask for a credit limit with the client, then stop the server (it drains).
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
cat <<TXT

To serve it yourself and call it with grpcurl (server reflection is on):
  $bin serve --registry $demo/registry --book $demo/book --addr 127.0.0.1:50051
  grpcurl -plaintext 127.0.0.1:50051 list
  grpcurl -plaintext -d '{"customer_id":"C00000001","as_of":"2024-06-01","max_reasons":3}' 127.0.0.1:50051 credence.v1.Credence/Score
  grpcurl -plaintext -d '{"customer_id":"C00000002","requested_amount":50000,"payment_terms_days":30}' 127.0.0.1:50051 credence.v1.Credence/RecommendLimit
TXT
