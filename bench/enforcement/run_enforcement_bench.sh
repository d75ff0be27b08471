#!/usr/bin/env bash
# Enforcement benchmark: the same unary RPC (bastion.runs.v1.Agents/ListAgents)
# with the call guard on (real CallGuard + RemoteAuthenticator/RemoteAuthorizer,
# warm caches) and off, side by side in one run, driven by h2load over HTTP/2
# on 127.0.0.1. Prints req/s, p50/p99 latency and the on/off ratio per round
# and as medians, and proves that every call counted was a gRPC OK (h2load
# only sees HTTP 200, which a denied call is too) with the server's counters.
#
# Settings (environment):
#   ROUNDS=5 DURATION=5   rounds of DURATION seconds per side, order alternating
#   CLIENTS=8 STREAMS=16 THREADS=1   h2load -c / -m / -t (tuned for 2 cores)
#   WARMUP=20000          requests per side before measuring
#   LATENCY_DURATION=3    seconds per side of the unloaded (-c1 -m1) pass; 0 skips
#   TARGET=0.8            lowest acceptable on/off throughput ratio
#   KEEP=1                keep the work folder (h2load logs, server log)
# Exit: 0 all checks passed and ratio >= TARGET; 1 a check failed; 2 below TARGET.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
CLIENTS=${CLIENTS:-8}
STREAMS=${STREAMS:-16}
THREADS=${THREADS:-1}
WARMUP=${WARMUP:-20000}
LATENCY_DURATION=${LATENCY_DURATION:-3}
TARGET=${TARGET:-0.8}
KEEP=${KEEP:-0}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
METHOD=/bastion.runs.v1.Agents/ListAgents
BAZEL_FLAGS=(-c opt --nocheck_visibility)  # see BUILD: registry targets are private

die() { echo "run_enforcement_bench: $*" >&2; exit 1; }

if ! command -v h2load >/dev/null; then
  if [[ $(id -u) == 0 ]]; then
    apt-get install -y nghttp2-client >/dev/null || die "apt-get install nghttp2-client failed"
  else
    die "h2load missing: sudo apt-get install -y nghttp2-client"
  fi
fi

echo "== building (bazel build ${BAZEL_FLAGS[*]})"
cd "$ROOT"
bazel build "${BAZEL_FLAGS[@]}" //bench/enforcement:enforcement_bench_server 2>&1 \
  | grep -vE 'linux-sandbox|^INFO: From|violates visibility|Continuing because' | tail -n 5
BIN_DIR="$(bazel info "${BAZEL_FLAGS[@]}" bazel-bin 2>/dev/null)"

WORK="$(mktemp -d /tmp/enforcement_bench.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $KEEP == 1 ]]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private copy: other builds in this workspace may rewrite bazel-bin.
cp "$BIN_DIR/bench/enforcement/enforcement_bench_server" "$WORK/server"
"$WORK/server" --env_file="$WORK/env" --counters_file="$WORK/counters" \
  >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do [[ -f $WORK/env ]] && break; sleep 0.1; done
[[ -f $WORK/env ]] || die "server did not start: $(tail -n 3 "$WORK/server.log")"
# shellcheck disable=SC1091
source "$WORK/env"  # ON_PORT OFF_PORT FAKES_PORT TOKEN
echo "servers: off=127.0.0.1:$OFF_PORT on=127.0.0.1:$ON_PORT fakes=127.0.0.1:$FAKES_PORT (pid $SERVER_PID)"

# The gRPC body of an empty ListAgentsRequest: flag 0, length 0.
printf '\x00\x00\x00\x00\x00' >"$WORK/request.bin"

# Asks the server for its counters and waits until they are written.
SEQ=0
snapshot() {
  local before=$SEQ
  kill -USR1 "$SERVER_PID"
  for _ in $(seq 500); do
    # shellcheck disable=SC1091
    source "$WORK/counters"
    (( SEQ > before )) && return 0
    sleep 0.01
  done
  die "server did not write its counters"
}

# h2load against one side. Sets RPS STARTED DONE SUCCEEDED P50 P99 (ms),
# SERVED_OK SERVED_FAILED (server counter deltas for that side).
#   h2 SIDE LOGNAME h2load-args...
h2() {
  local side=$1 log=$2; shift 2
  local port auth=()
  if [[ $side == on ]]; then
    port=$ON_PORT; auth=(-H "authorization: Bearer $TOKEN")
  elif [[ $side == on-noauth ]]; then
    port=$ON_PORT; side=on
  elif [[ $side == on-badtoken ]]; then
    port=$ON_PORT; side=on; auth=(-H "authorization: Bearer not-the-token")
  else
    port=$OFF_PORT
  fi
  snapshot
  local ok0 failed0
  if [[ $side == on ]]; then ok0=$ON_OK; failed0=$ON_FAILED; else ok0=$OFF_OK; failed0=$OFF_FAILED; fi
  timeout $((DURATION + LATENCY_DURATION + 60)) h2load "$@" \
      -H 'content-type: application/grpc' -H 'te: trailers' "${auth[@]}" \
      -d "$WORK/request.bin" --log-file="$WORK/$log.tsv" \
      "http://127.0.0.1:$port$METHOD" >"$WORK/$log.out" 2>&1 \
    || die "h2load failed ($log): $(tail -n 3 "$WORK/$log.out")"
  snapshot
  if [[ $side == on ]]; then
    SERVED_OK=$((ON_OK - ok0)); SERVED_FAILED=$((ON_FAILED - failed0))
  else
    SERVED_OK=$((OFF_OK - ok0)); SERVED_FAILED=$((OFF_FAILED - failed0))
  fi
  local out="$WORK/$log.out"
  RPS=$(sed -nE 's/^finished in .*, ([0-9.]+) req\/s.*/\1/p' "$out")
  read -r STARTED DONE SUCCEEDED < <(sed -nE \
    's/^requests: [0-9]+ total, ([0-9]+) started, ([0-9]+) done, ([0-9]+) succeeded.*/\1 \2 \3/p' "$out")
  [[ -n $RPS && -n $SUCCEEDED ]] || die "cannot parse h2load output ($log)"
  read -r P50 P99 < <(cut -f3 "$WORK/$log.tsv" | sort -n | awk '
    { v[NR] = $1 }
    END { if (NR == 0) { print "nan nan"; exit }
          i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
          i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
          printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000 }')
}

CHECKS_FAILED=0
check() {  # check DESCRIPTION CONDITION-EXIT-STATUS
  if [[ $2 == 0 ]]; then echo "  ok    $1"; else echo "  FAIL  $1"; CHECKS_FAILED=$((CHECKS_FAILED + 1)); fi
}

# Every request h2load saw answered was a gRPC OK: the server counted no
# failure, and its OK count lies between h2load's done and started (requests
# still in flight when -D ends are served but not counted by h2load).
prove() {  # prove LABEL
  local good=1
  (( SERVED_FAILED == 0 && SUCCEEDED == DONE && SERVED_OK >= DONE && SERVED_OK <= STARTED )) && good=0
  check "$1: server OK $SERVED_OK, failed $SERVED_FAILED; h2load done $DONE, succeeded $SUCCEEDED, started $STARTED" $good
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== warm-up ($WARMUP requests per side) and enforcement sanity"
h2 off warm-off -n "$WARMUP" -c "$CLIENTS" -m "$STREAMS" -t "$THREADS"; prove "warm-up off"
h2 on warm-on -n "$WARMUP" -c "$CLIENTS" -m "$STREAMS" -t "$THREADS"; prove "warm-up on"
h2 on-noauth deny-noauth -n 200 -c 1 -m 1 -t 1
(( SERVED_OK == 0 && SERVED_FAILED == 200 )); check "on without credentials: 200 HTTP 200 answers ($SUCCEEDED by h2load), all denied by the guard (server: OK $SERVED_OK, failed $SERVED_FAILED)" $?
h2 on-badtoken deny-badtoken -n 200 -c 1 -m 1 -t 1
(( SERVED_OK == 0 && SERVED_FAILED == 200 )); check "on with an unknown token: all denied (server: OK $SERVED_OK, failed $SERVED_FAILED)" $?

echo "== throughput: $ROUNDS rounds x ${DURATION}s per side, h2load -c $CLIENTS -m $STREAMS -t $THREADS, order alternating"
snapshot; AUTHN0=$AUTHN_CALLS; AUTHZ0=$AUTHZ_CALLS
RPS_OFF=() RPS_ON=() RATIOS=() P50_OFF=() P50_ON=() P99_OFF=() P99_ON=()
printf '%-6s %-4s %10s %9s %9s\n' round side "req/s" "p50 ms" "p99 ms"
for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then order=(off on); else order=(on off); fi
  for side in "${order[@]}"; do
    h2 "$side" "round$round-$side" -D "$DURATION" -c "$CLIENTS" -m "$STREAMS" -t "$THREADS"
    printf '%-6s %-4s %10.0f %9s %9s\n' "$round" "$side" "$RPS" "$P50" "$P99"
    prove "round $round $side"
    if [[ $side == on ]]; then RPS_ON+=("$RPS"); P50_ON+=("$P50"); P99_ON+=("$P99"); on_rps=$RPS
    else RPS_OFF+=("$RPS"); P50_OFF+=("$P50"); P99_OFF+=("$P99"); off_rps=$RPS; fi
  done
  RATIOS+=("$(awk -v a="$on_rps" -v b="$off_rps" 'BEGIN { printf "%.3f", a / b }')")
  echo "       ratio on/off ${RATIOS[-1]}"
done
snapshot
MEASURED_SECONDS=$((ROUNDS * DURATION))

if (( LATENCY_DURATION > 0 )); then
  echo "== unloaded latency: ${LATENCY_DURATION}s per side, h2load -c 1 -m 1"
  h2 off lat-off -D "$LATENCY_DURATION" -c 1 -m 1 -t 1; prove "unloaded off"
  LAT_OFF="$P50 $P99 $RPS"
  h2 on lat-on -D "$LATENCY_DURATION" -c 1 -m 1 -t 1; prove "unloaded on"
  LAT_ON="$P50 $P99 $RPS"
fi

med_off=$(echo "${RPS_OFF[*]}" | median)
med_on=$(echo "${RPS_ON[*]}" | median)
med_ratio=$(echo "${RATIOS[*]}" | median)
echo
echo "== result (medians of $ROUNDS rounds; h2load -c $CLIENTS -m $STREAMS -t $THREADS, ${DURATION}s each)"
printf '  %-4s %10.0f req/s   p50 %s ms   p99 %s ms\n' off "$med_off" \
  "$(echo "${P50_OFF[*]}" | median)" "$(echo "${P99_OFF[*]}" | median)"
printf '  %-4s %10.0f req/s   p50 %s ms   p99 %s ms\n' on "$med_on" \
  "$(echo "${P50_ON[*]}" | median)" "$(echo "${P99_ON[*]}" | median)"
echo "  ratio on/off: median of rounds $med_ratio, of medians $(awk -v a="$med_on" -v b="$med_off" 'BEGIN { printf "%.3f", a / b }') (target >= $TARGET)"
if [[ -n ${LAT_OFF:-} ]]; then
  read -r a b c <<<"$LAT_OFF"; echo "  unloaded (-c1 -m1) off: p50 $a ms  p99 $b ms  ($c req/s)"
  read -r a b c <<<"$LAT_ON";  echo "  unloaded (-c1 -m1) on:  p50 $a ms  p99 $b ms  ($c req/s)"
fi
echo "  cache misses while measuring on: authn.Authenticate $((AUTHN_CALLS - AUTHN0)), authz.Check $((AUTHZ_CALLS - AUTHZ0)) in ${MEASURED_SECONDS}s on"
echo "  (credential cache ttl 1 s, decision cache ttl 5 s: common/auth/remote_wiring.h)"

if (( CHECKS_FAILED > 0 )); then
  echo "FAILED: $CHECKS_FAILED check(s) failed; numbers above are not trustworthy"
  exit 1
fi
if awk -v r="$med_ratio" -v t="$TARGET" 'BEGIN { exit !(r >= t) }'; then
  echo "PASS: enforcement keeps $med_ratio of the throughput (target $TARGET)"
else
  echo "BELOW TARGET: enforcement keeps $med_ratio of the throughput (target $TARGET)"
  exit 2
fi
