#!/usr/bin/env bash
# Enforcement benchmark: the same unary RPC (bastion.runs.v1.Agents/ListAgents)
# with the call guard on (real CallGuard + RemoteAuthenticator/RemoteAuthorizer,
# warm caches) and off, side by side in one run, driven by h2load over HTTP/2
# on 127.0.0.1. Prints req/s, p50/p99 latency and the on/off ratio per round
# and as medians, and proves that every call counted was a gRPC OK (h2load
# only sees HTTP 200, which a denied call is too) with the server's counters.
#
# Sides, each its own server in the one bench process (same StartServer
# options), measured in every round in alternating order:
#   off      no guard, no authorization header
#   off-hdr  no guard, with the same authorization header (ignored): what
#            carrying the ~730-byte bearer token costs HTTP/2 alone
#   on       real guard + real remote clients, warm caches
#
# Settings (environment):
#   ROUNDS=5 DURATION=5   rounds of DURATION seconds per side, order alternating
#   CLIENTS=8 STREAMS=16 THREADS=1   h2load -c / -m / -t (tuned for 2 cores)
#   WARMUP=20000          requests per side before measuring
#   LATENCY_DURATION=3    seconds per side of the unloaded (-c1 -m1) pass; 0 skips
#   MICROBENCH=1          also time the warm cache paths in-process (0 skips)
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
MICROBENCH=${MICROBENCH:-1}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
METHOD=/bastion.runs.v1.Agents/ListAgents
BAZEL_FLAGS=(-c opt)

die() { echo "run_enforcement_bench: $*" >&2; exit 1; }

# h2load: installed like the suite's other packages (as root), else named.
# shellcheck source=tools/lib/ensure_deps.sh
. "$ROOT/tools/lib/ensure_deps.sh"
if ! command -v h2load >/dev/null; then
  bastion_ensure_packages nghttp2-client || die "h2load missing (package nghttp2-client)"
  command -v h2load >/dev/null || die "h2load missing after installing nghttp2-client"
fi

echo "== building (bazel build ${BAZEL_FLAGS[*]})"
cd "$ROOT"
bazel build "${BAZEL_FLAGS[@]}" //bench/enforcement:enforcement_bench_server 2>&1 \
  | grep -vE 'linux-sandbox|^INFO: From' | tail -n 5
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
  --registry_file="$ROOT/tools/dev/registry.json" \
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
  local port server auth=()
  case $side in
    on) server=ON; auth=(-H "authorization: Bearer $TOKEN") ;;
    on-noauth) server=ON ;;
    on-badtoken) server=ON; auth=(-H "authorization: Bearer not-the-token") ;;
    off) server=OFF ;;
    off-hdr) server=OFF; auth=(-H "authorization: Bearer $TOKEN") ;;
    *) die "unknown side $side" ;;
  esac
  port_var=${server}_PORT; port=${!port_var}
  ok_var=${server}_OK; failed_var=${server}_FAILED
  snapshot
  local ok0=${!ok_var} failed0=${!failed_var}
  timeout $((DURATION + LATENCY_DURATION + 60)) h2load "$@" \
      -H 'content-type: application/grpc' -H 'te: trailers' "${auth[@]}" \
      -d "$WORK/request.bin" --log-file="$WORK/$log.tsv" \
      "http://127.0.0.1:$port$METHOD" >"$WORK/$log.out" 2>&1 \
    || die "h2load failed ($log): $(tail -n 3 "$WORK/$log.out")"
  snapshot
  SERVED_OK=$((${!ok_var} - ok0)); SERVED_FAILED=$((${!failed_var} - failed0))
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

# The caches expire while the other sides are measured (ttl 1 s and 5 s), so
# each side gets a few sequential calls first: its run starts warm, with one
# miss instead of a burst of concurrent ones. Checked like the others.
rewarm() {  # rewarm SIDE
  h2 "$1" "rewarm" -n 50 -c 1 -m 1 -t 1
  (( SERVED_OK == 50 && SERVED_FAILED == 0 )) || die "rewarm of $1 failed: OK $SERVED_OK, failed $SERVED_FAILED"
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

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print (m == int(m) || m > 1000) ? sprintf("%.0f", m) : sprintf("%.3f", m) }'; }

echo "== warm-up ($WARMUP requests per side) and enforcement sanity"
h2 off warm-off -n "$WARMUP" -c "$CLIENTS" -m "$STREAMS" -t "$THREADS"; prove "warm-up off"
h2 off-hdr warm-off-hdr -n "$WARMUP" -c "$CLIENTS" -m "$STREAMS" -t "$THREADS"; prove "warm-up off-hdr"
h2 on warm-on -n "$WARMUP" -c "$CLIENTS" -m "$STREAMS" -t "$THREADS"; prove "warm-up on"
h2 on-noauth deny-noauth -n 200 -c 1 -m 1 -t 1
(( SERVED_OK == 0 && SERVED_FAILED == 200 )); check "on without credentials: 200 HTTP 200 answers ($SUCCEEDED by h2load), all denied by the guard (server: OK $SERVED_OK, failed $SERVED_FAILED)" $?
h2 on-badtoken deny-badtoken -n 200 -c 1 -m 1 -t 1
(( SERVED_OK == 0 && SERVED_FAILED == 200 )); check "on with an unknown token: all denied (server: OK $SERVED_OK, failed $SERVED_FAILED)" $?

SIDES=(off off-hdr on)
echo "== throughput: $ROUNDS rounds x ${DURATION}s per side (${SIDES[*]}), h2load -c $CLIENTS -m $STREAMS -t $THREADS, order alternating"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (other work on the machine skews all sides)"
snapshot; AUTHN0=$AUTHN_CALLS; AUTHZ0=$AUTHZ_CALLS
declare -A RPS_OF P50_OF P99_OF RATIOS_OF
printf '%-6s %-8s %10s %9s %9s\n' round side "req/s" "p50 ms" "p99 ms"
for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then order=("${SIDES[@]}"); else order=(on off-hdr off); fi
  declare -A this=()
  for side in "${order[@]}"; do
    rewarm "$side"
    h2 "$side" "round$round-$side" -D "$DURATION" -c "$CLIENTS" -m "$STREAMS" -t "$THREADS"
    printf '%-6s %-8s %10.0f %9s %9s\n' "$round" "$side" "$RPS" "$P50" "$P99"
    prove "round $round $side"
    RPS_OF[$side]+=" $RPS"; P50_OF[$side]+=" $P50"; P99_OF[$side]+=" $P99"; this[$side]=$RPS
  done
  for pair in on/off off-hdr/off on/off-hdr; do
    RATIOS_OF[$pair]+=" $(awk -v a="${this[${pair%/*}]}" -v b="${this[${pair#*/}]}" 'BEGIN { printf "%.3f", a / b }')"
  done
  echo "       ratios: on/off ${RATIOS_OF[on/off]##* }  off-hdr/off ${RATIOS_OF[off-hdr/off]##* }  on/off-hdr ${RATIOS_OF[on/off-hdr]##* }"
done
snapshot; AUTHN1=$AUTHN_CALLS; AUTHZ1=$AUTHZ_CALLS
MEASURED_SECONDS=$((ROUNDS * DURATION))
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A LAT_OF
if (( LATENCY_DURATION > 0 )); then
  echo "== unloaded latency: ${LATENCY_DURATION}s per side, h2load -c 1 -m 1"
  for side in "${SIDES[@]}"; do
    rewarm "$side"
    h2 "$side" "lat-$side" -D "$LATENCY_DURATION" -c 1 -m 1 -t 1; prove "unloaded $side"
    LAT_OF[$side]="$P50 $P99 $RPS"
  done
fi

echo
echo "== result (medians of $ROUNDS rounds; h2load -c $CLIENTS -m $STREAMS -t $THREADS, ${DURATION}s each)"
for side in "${SIDES[@]}"; do
  printf '  %-8s %10.0f req/s   p50 %7s ms   p99 %7s ms\n' "$side" "$(median <<<"${RPS_OF[$side]}")" \
    "$(median <<<"${P50_OF[$side]}")" "$(median <<<"${P99_OF[$side]}")"
done
med_ratio=$(median <<<"${RATIOS_OF[on/off]}")
echo "  ratio on/off       $med_ratio   (median of per-round ratios; target >= $TARGET)"
echo "  ratio off-hdr/off  $(median <<<"${RATIOS_OF[off-hdr/off]}")   (HTTP/2 cost of the bearer header alone)"
echo "  ratio on/off-hdr   $(median <<<"${RATIOS_OF[on/off-hdr]}")   (guard alone, header cost excluded)"
if (( LATENCY_DURATION > 0 )); then
  for side in "${SIDES[@]}"; do
    read -r a b c <<<"${LAT_OF[$side]}"
    printf '  unloaded (-c1 -m1) %-8s p50 %s ms  p99 %s ms  (%.0f req/s)\n' "$side" "$a" "$b" "$c"
  done
fi
echo "  calls to the fakes while measuring (${MEASURED_SECONDS}s per side):"
echo "    authn.Authenticate $((AUTHN1 - AUTHN0)), authz.Check $((AUTHZ1 - AUTHZ0))"
echo "  (credential cache ttl 1 s, decision cache ttl 5 s: common/auth/guard_wiring.h)"

if [[ $MICROBENCH == 1 ]]; then
  echo
  echo "== warm guard path in-process (enforcement_bench_server --microbench)"
  timeout 120 "$WORK/server" --microbench 2>/dev/null | sed 's/^/  /' || echo "  (microbench failed)"
fi

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
