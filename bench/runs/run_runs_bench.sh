#!/usr/bin/env bash
# Benchmark of the run engine through the real services: authn, authz, data
# and the run-executor on a throwaway PostgreSQL, driven by runs_bench with
# BENCH_STREAMS concurrent RunAgent streams of scripted agents for
# BENCH_USERS users (tokens of the suite's issuer, two tenants). Two sides,
# in alternating rounds, each round on freshly started data and
# run-executor processes:
#   secured    the run-executor and data as deployed (guard: authn,
#              authz, rate limits; data's row security as its service
#              role);
#   unsecured  the same two binaries with "--security=off": the guard's
#              authentication and authorization off in both (a bearer
#              token's claims and a forwarded assertion's principal read
#              without verification, every permission allowed, authn and
#              authz never asked), and data connected as the superuser,
#              which row security does not apply to (as bench/data's
#              unsecured side).
# Both sides run the benchmark builds (bench/runs:run_executor_bench,
# data_bench: each service's own main.cc compiled with
# BASTION_BENCHMARK_ONLY_UNSECURED); the services' targets have no switch.
# Each round: the run-executor's memory per open stream (runs_bench
# --mode=hold: VmRSS at rest and with every stream open, held in a remote
# tool), then throughput and latency (--mode=rate) with the CPU time each
# process used per run. Prints medians and the ratio secured/unsecured.
#
#   bench/runs/run_runs_bench.sh
#
# Environment: BENCH_STREAMS (200), BENCH_USERS (20), BENCH_ROUNDS (3),
# BENCH_SECONDS (10), BENCH_WORDS (8: words the echo agent streams back,
# one event each), BENCH_KEEP=1 keeps the work folder (logs).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
STREAMS="${BENCH_STREAMS:-200}"
USERS="${BENCH_USERS:-20}"
ROUNDS="${BENCH_ROUNDS:-3}"
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
WORDS="${BENCH_WORDS:-8}"
PY=/usr/bin/python3
ISSUER=https://bench.bastion.local

WORK="$(mktemp -d /tmp/bastion-runs-bench.XXXXXX)"
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  tools/pg/cluster.sh stop "$WORK/pg" >/dev/null 2>&1 || true
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

echo "== $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== build (-c opt)"
bazel build -c opt --symlink_prefix=/ //bench/runs:runs_bench \
  //bench/runs:run_executor_bench //bench/runs:data_bench \
  //services/authn:authn //services/authz:authz //tools/migrate \
  //tools/service_identity 2>&1 | grep -vE 'linux-sandbox|^INFO: From' \
  | tail -n 3
BIN="$(bazel info -c opt bazel-bin 2>/dev/null)"

echo "== cluster, roles, migrations"
MIGRATE="$BIN/tools/migrate/migrate" PG_FSYNC=off \
  tools/pg/setup_db.sh "$WORK/pg" bench > "$WORK/urls"
# shellcheck disable=SC1091
. "$WORK/pg/env"
PG="host=$PGHOST port=$PGPORT dbname=bench"

echo "== keys, tokens, registry"
"$BIN/tools/service_identity/service_identity" init "$WORK/services" \
  run_executor authz authn data > /dev/null
TRUSTED="$WORK/services/trusted_services.json"
$PY tools/keygen.py --type ed25519 --kid bench --out "$WORK/keys" \
  --jwks "$WORK/jwks.json" > /dev/null
for u in $(seq 1 "$USERS"); do
  $PY tools/mint_token.py --key "$WORK/keys/bench.private.pem" --kid bench \
    --iss "$ISSUER" --sub "bench-u$u" --tenant "bench-t$((u % 2))" \
    --roles member --scopes "tools:hold:run" --ttl 7200
done > "$WORK/tokens"
# Every service's per-principal rate limit far above what the benchmark
# asks (the same in both sides): the limiter still runs, never refuses.
echo '{"rateLimits": {"requestsPerSecond": 1000000, "burst": 1000000}}' \
  > "$WORK/config.json"
TOOL_PORT="$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# The hold tool answers only once every stream is inside it, which on a
# loaded machine can take longer than a tool's default 10 s: it may take 60.
cat > "$WORK/registry.json" <<JSON
{
  "agents": [
    {"agentId": "bench-echo", "name": "Bench echo",
     "description": "Streams its input back word by word.",
     "model": "scripted:echo"},
    {"agentId": "bench-hold", "name": "Bench hold",
     "description": "Calls the hold tool, which answers when the benchmark releases it.",
     "model": "scripted:bench-hold",
     "tools": [{"name": "hold", "description": "Waits.",
                "parametersJsonSchema": "{\"type\":\"object\"}",
                "endpoint": "127.0.0.1:$TOOL_PORT", "timeoutMs": 60000}]}
  ],
  "models": [
    {"name": "scripted:bench-hold", "scripted": {"rules": [
      {"reply": "holding", "toolCalls": [{"toolName": "hold", "argumentsJson": "{}"}]},
      {"afterTool": "hold", "reply": "{tool_result}"}]}}
  ]
}
JSON

# start NAME BINARY ARGS... (environment from $ENV_ARGS): waits for its
# port file; sets STARTED_PID and STARTED_ADDRESS.
start() {
  local name="$1" binary="$2"
  shift 2
  rm -f "$WORK/$name.port"
  env "${ENV_ARGS[@]}" BASTION_LISTEN_ADDRESS=127.0.0.1:0 \
    BASTION_PORT_FILE="$WORK/$name.port" \
    "$binary" "$WORK/config.json" "$@" >> "$WORK/$name.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  for _ in $(seq 300); do
    [ -s "$WORK/$name.port" ] && break
    kill -0 "$STARTED_PID" 2>/dev/null || { tail -n 20 "$WORK/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -s "$WORK/$name.port" ] || { echo "$name did not start" >&2; exit 1; }
  STARTED_ADDRESS="127.0.0.1:$(cat "$WORK/$name.port")"
}
stop() { # PID
  kill -TERM "$1"
  wait "$1" || true
}

# authz names data (audit): data gets a fixed port, picked here, and is
# started again on it for each side.
DATA_ADDRESS="127.0.0.1:$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
AUTHZ_ADDRESS="127.0.0.1:$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ENV_ARGS=(BASTION_JWKS_FILE="$WORK/jwks.json" BASTION_ISSUER="$ISSUER"
  BASTION_AUDIENCE=bastion BASTION_ASSERTION_KEY_FILE="$WORK/assertion.pem"
  BASTION_AUTHZ_ADDRESS="$AUTHZ_ADDRESS"
  BASTION_DATABASE_URL="$PG user=bastion_authn_svc"
  BASTION_DATA_ADDRESS="$DATA_ADDRESS"
  BASTION_SERVICE_KEY_FILE="$WORK/services/authn.pem"
  BASTION_TRUSTED_SERVICES_FILE="$TRUSTED")
start authn "$BIN/services/authn/authn"
AUTHN_PID=$STARTED_PID
AUTHN_ADDRESS=$STARTED_ADDRESS
ENV_ARGS=(BASTION_AUTHN_ADDRESS="$AUTHN_ADDRESS"
  BASTION_DATABASE_URL="$PG user=bastion_authz_svc"
  BASTION_DATA_ADDRESS="$DATA_ADDRESS"
  BASTION_SERVICE_KEY_FILE="$WORK/services/authz.pem"
  BASTION_TRUSTED_SERVICES_FILE="$TRUSTED")
# start() listens on port 0; authz must take the address picked for it.
rm -f "$WORK/authz.port"
env "${ENV_ARGS[@]}" BASTION_LISTEN_ADDRESS="$AUTHZ_ADDRESS" \
  BASTION_PORT_FILE="$WORK/authz.port" "$BIN/services/authz/authz" \
  "$WORK/config.json" >> "$WORK/authz.log" 2>&1 &
AUTHZ_PID=$!
PIDS+=("$AUTHZ_PID")
for _ in $(seq 300); do [ -s "$WORK/authz.port" ] && break; sleep 0.1; done
[ -s "$WORK/authz.port" ] || { tail -n 20 "$WORK/authz.log" >&2; exit 1; }

# Starts data and the run-executor for one side; sets DATA_PID, RE_PID,
# RE_ADDRESS.
start_side() { # SIDE (secured|unsecured)
  local security=on user=bastion_data_svc
  if [ "$1" = unsecured ]; then security=off; user=postgres; fi
  rm -f "$WORK/data.port"
  env BASTION_AUTHN_ADDRESS="$AUTHN_ADDRESS" BASTION_AUTHZ_ADDRESS="$AUTHZ_ADDRESS" \
    BASTION_DATABASE_URL="$PG user=$user" \
    BASTION_TRUSTED_SERVICES_FILE="$TRUSTED" \
    BASTION_SERVICE_KEY_FILE="$WORK/services/data.pem" \
    BASTION_LISTEN_ADDRESS="$DATA_ADDRESS" BASTION_PORT_FILE="$WORK/data.port" \
    "$BIN/bench/runs/data_bench" "$WORK/config.json" "--security=$security" \
    >> "$WORK/data.log" 2>&1 &
  DATA_PID=$!
  PIDS+=("$DATA_PID")
  for _ in $(seq 300); do [ -s "$WORK/data.port" ] && break; sleep 0.1; done
  [ -s "$WORK/data.port" ] || { tail -n 20 "$WORK/data.log" >&2; exit 1; }
  ENV_ARGS=(BASTION_AUTHN_ADDRESS="$AUTHN_ADDRESS"
    BASTION_AUTHZ_ADDRESS="$AUTHZ_ADDRESS" BASTION_DATA_ADDRESS="$DATA_ADDRESS"
    BASTION_REGISTRY_FILE="$WORK/registry.json"
    BASTION_SERVICE_KEY_FILE="$WORK/services/run_executor.pem"
    BASTION_TRUSTED_SERVICES_FILE="$TRUSTED")
  start run_executor "$BIN/bench/runs/run_executor_bench" "--security=$security"
  RE_PID=$STARTED_PID
  RE_ADDRESS=$STARTED_ADDRESS
}

# CPU ticks (user + system) of a process so far.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU ticks used so far by the cluster: the postmaster, its live children
# and the children it has reaped.
pg_ticks() {
  local pm t c
  pm="$(head -n 1 "$WORK/pg/data/postmaster.pid")"
  t="$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")"
  for c in $(pgrep -P "$pm"); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
micros_per() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.0f\n", t * 1e6 / ('"$(getconf CLK_TCK)"' * n) }'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -nE "s/.*\\b$1=([-0-9.]+).*/\\1/p" <<<"$2"; }

# One side's round: memory, then rate; appends to $WORK/<side>_<metric>.
round() { # SIDE
  local side="$1" hold rate before_re before_data before_pg before_authn \
    before_authz client_ticks runs
  start_side "$side"
  hold="$("$BIN/bench/runs/runs_bench" --target="$RE_ADDRESS" \
    --tokens_file="$WORK/tokens" --mode=hold --streams="$STREAMS" \
    --tool_port="$TOOL_PORT" --pid="$RE_PID" 2>> "$WORK/client.log")" \
    || { echo "hold failed ($side): $hold" >&2; tail -n 5 "$WORK/client.log" >&2; exit 1; }
  before_re="$(ticks "$RE_PID")"; before_data="$(ticks "$DATA_PID")"
  before_pg="$(pg_ticks)"; before_authn="$(ticks "$AUTHN_PID")"
  before_authz="$(ticks "$AUTHZ_PID")"
  rate="$( ( me=$BASHPID
    "$BIN/bench/runs/runs_bench" --target="$RE_ADDRESS" \
      --tokens_file="$WORK/tokens" --mode=rate --streams="$STREAMS" \
      --words="$WORDS" --seconds="$SECONDS_PER_RUN" 2>> "$WORK/client.log"
    rc=$?; echo "client_ticks=$(awk '{print $16 + $17}' "/proc/$me/stat")"
    exit "$rc" ) )" \
    || { echo "rate failed ($side): $rate" >&2; tail -n 5 "$WORK/client.log" >&2; exit 1; }
  runs="$(field total_runs "$rate")"
  micros_per $(( $(ticks "$RE_PID") - before_re )) "$runs" >> "$WORK/${side}_cpu_re"
  micros_per $(( $(ticks "$DATA_PID") - before_data )) "$runs" >> "$WORK/${side}_cpu_data"
  micros_per $(( $(pg_ticks) - before_pg )) "$runs" >> "$WORK/${side}_cpu_pg"
  micros_per $(( $(ticks "$AUTHN_PID") - before_authn )) "$runs" >> "$WORK/${side}_cpu_authn"
  micros_per $(( $(ticks "$AUTHZ_PID") - before_authz )) "$runs" >> "$WORK/${side}_cpu_authz"
  micros_per "$(field client_ticks "$rate")" "$runs" >> "$WORK/${side}_cpu_client"
  field runs_per_s "$rate" >> "$WORK/${side}_rate"
  field first_event_p50_ms "$rate" >> "$WORK/${side}_first50"
  field first_event_p99_ms "$rate" >> "$WORK/${side}_first99"
  field completion_p50_ms "$rate" >> "$WORK/${side}_done50"
  field completion_p99_ms "$rate" >> "$WORK/${side}_done99"
  field per_stream_kib "$hold" >> "$WORK/${side}_kib"
  echo "  $side: $(field runs_per_s "$rate") runs/s, first event p50/p99 $(field first_event_p50_ms "$rate")/$(field first_event_p99_ms "$rate") ms, completion p50/p99 $(field completion_p50_ms "$rate")/$(field completion_p99_ms "$rate") ms; RSS idle $(field rss_idle_kib "$hold") KiB, open $(field rss_open_kib "$hold") KiB: $(field per_stream_kib "$hold") KiB/stream"
  stop "$RE_PID"; stop "$DATA_PID"
}

echo "== $STREAMS concurrent streams, $USERS users, ${SECONDS_PER_RUN}s per run, $ROUNDS rounds (alternating)"
for round_no in $(seq 1 "$ROUNDS"); do
  echo " round $round_no"
  if [ $((round_no % 2)) = 1 ]; then round secured; round unsecured
  else round unsecured; round secured; fi
done

m() { median < "$WORK/$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "== result (medians of $ROUNDS rounds; $STREAMS streams; each run: started, $WORDS model outputs, completed)"
for side in secured unsecured; do
  echo "  $side: $(m ${side}_rate) runs/s; first event p50 $(m ${side}_first50) ms, p99 $(m ${side}_first99) ms; completion p50 $(m ${side}_done50) ms, p99 $(m ${side}_done99) ms"
  echo "      run-executor memory per open stream: $(m ${side}_kib) KiB"
  echo "      CPU per run (µs): run-executor $(m ${side}_cpu_re), data $(m ${side}_cpu_data), PostgreSQL $(m ${side}_cpu_pg), authn $(m ${side}_cpu_authn), authz $(m ${side}_cpu_authz), runs_bench $(m ${side}_cpu_client)"
done
echo "  ratio secured/unsecured: $(ratio "$(m secured_rate)" "$(m unsecured_rate)")x (runs/s; target >= 0.8x)"
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
