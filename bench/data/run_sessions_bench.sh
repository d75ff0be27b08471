#!/usr/bin/env bash
# Benchmark of "the 20 newest sessions of one user":
#   1. latency (p50/p99) through the data service at 10^4 and 10^6 rows in
#      the table (the other rows belong to 20,000 other users in 4 tenants),
#      with the query plan under row-level security at each size;
#   2. throughput through the data service (real Sessions gRPC adapter, call
#      guard, principal transaction and RLS store, in-process; authn/authz
#      answered by in-process fakes), driven by h2load and by in-process C++
#      clients, side by side with the same SQL through `pgbench -M prepared`
#      as the superuser (no RLS, no settings, no gRPC) and, to show the
#      database's share, the service's own transaction through pgbench as
#      the service role; alternating, medians of BENCH_ROUNDS rounds, ratios.
# Starts its own throwaway cluster under /tmp, builds with -c opt (without
# touching the workspace's bazel-* symlinks), and cleans up.
#
#   bench/data/run_sessions_bench.sh
#
# Needs postgresql-15 (pgbench) and nghttp2-client (h2load).
# Environment: BENCH_CLIENTS (8), BENCH_SECONDS (5), BENCH_ROUNDS (3),
# BENCH_LATENCY_CALLS (2000), BENCH_KEEP=1 keeps the work folder.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
CLIENTS="${BENCH_CLIENTS:-8}"
SECONDS_PER_RUN="${BENCH_SECONDS:-5}"
ROUNDS="${BENCH_ROUNDS:-3}"
LATENCY_CALLS="${BENCH_LATENCY_CALLS:-2000}"
TENANT=t1
USER_ID=u0
TARGET_ROWS=200

WORK="$(mktemp -d /tmp/bastion-bench.XXXXXX)"
chmod 755 "$WORK"
cleanup() {
  tools/pg/cluster.sh stop "$WORK/pg" >/dev/null 2>&1 || true
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

echo "== $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== build (-c opt)"
bazel build -c opt --symlink_prefix=/ //bench/data:sessions_bench \
  //services/data/migrate:migrate 2>&1 | grep -vE 'linux-sandbox|^INFO: From' \
  | tail -n 3
BIN="$(bazel info -c opt bazel-bin 2>/dev/null)"
BENCH="$BIN/bench/data/sessions_bench"

echo "== cluster, roles, migrations"
MIGRATE="$BIN/services/data/migrate/migrate" PG_FSYNC=off \
  tools/pg/setup_db.sh "$WORK/pg" bench > "$WORK/urls"
SERVICE_URL="$(sed -n 's/^BASTION_PG_SERVICE_URL=//p' "$WORK/urls")"
# shellcheck disable=SC1091
. "$WORK/pg/env"
SUPER=(-h "$PGHOST" -p "$PGPORT" -U postgres)
psql_super() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "${SUPER[@]}" -d bench "$@"; }
psql_service() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" \
    -U bastion_data_svc -d bench "$@"
}

# The store's query (services/data/storage/pg_session_store.cc,
# LIST_SESSIONS("created_at", "<", "DESC")) with the filters the call leaves
# unset as NULL, exactly as the store sends them; $1 tenant, $2 user.
list_sql() { # TENANT_EXPR USER_EXPR
  cat <<SQL
SELECT session_id, component_type, component_id, name, state::text AS state,
 tenant_id, user_id, (extract(epoch FROM created_at) * 1000000)::bigint AS created_us,
 (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_us
 FROM bastion_data.sessions
 WHERE ($1::text IS NULL OR tenant_id = $1)
 AND ($2::text IS NULL OR user_id = $2)
 AND (NULL::text IS NULL OR component_type = NULL::text)
 AND (NULL::text IS NULL OR component_id = NULL::text)
 AND (NULL::bigint IS NULL OR (created_at, session_id) <
      ((timestamptz 'epoch' + NULL::bigint * interval '1 microsecond'), NULL::text))
 ORDER BY created_at DESC, session_id DESC LIMIT 21
SQL
}
list_sql ':tenant' ':user' > "$WORK/list.sql"

# Rows FROM..TO of other users: 4 tenants x 5,000 users; plus the target
# user's 200 sessions, created first, so they interleave with the rest.
seed() { # FROM TO
  psql_super <<SQL
INSERT INTO bastion_data.sessions (tenant_id, user_id, session_id,
  component_type, component_id, name, created_at, updated_at)
SELECT 't' || (1 + g % 4), 'u' || (1 + (g / 4) % 5000), 'bs-' || g,
  'agent', 'echo', 'other', now() - g * interval '37 ms',
  now() - g * interval '37 ms'
FROM generate_series($1, $2) g;
VACUUM ANALYZE bastion_data.sessions;
SQL
}
psql_super <<SQL
INSERT INTO bastion_data.sessions (tenant_id, user_id, session_id,
  component_type, component_id, name, created_at, updated_at)
SELECT '$TENANT', '$USER_ID', 'mine-' || g, 'agent', 'echo', 'mine',
  now() - g * interval '1 s', now() - g * interval '1 s'
FROM generate_series(1, $TARGET_ROWS) g;
SQL

plan_under_rls() {
  psql_service -At <<SQL | sed 's/^/    /'
BEGIN;
\o /dev/null
SELECT set_config('bastion.tenant_id', '$TENANT', true),
       set_config('bastion.user_id', '$USER_ID', true),
       set_config('bastion.admin_level', 'none', true);
\o
PREPARE q(text, text) AS $(list_sql '$1' '$2');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE q('$TENANT', '$USER_ID');
COMMIT;
SQL
}

latency_at() { # ROWS
  local rows
  rows="$(psql_super -At -c 'SELECT count(*) FROM bastion_data.sessions')"
  echo "== latency at $rows rows (one client, $LATENCY_CALLS calls)"
  "$BENCH" --conninfo="$SERVICE_URL" --tenant="$TENANT" --user="$USER_ID" \
    --mode=latency --calls="$LATENCY_CALLS" 2>/dev/null | sed "s/^/  rows=$rows /"
  echo "  plan under RLS (as bastion_data_svc with the principal settings):"
  plan_under_rls
  # An index led by (tenant_id, user_id) must find the rows: the cost then
  # depends on the user's own rows, not on the table's size.
  if ! plan_under_rls | grep -qF "Index Cond: ((tenant_id = '$TENANT'::text) AND (user_id = '$USER_ID'::text)"; then
    echo "  THE PLAN DOES NOT FIND THE ROWS BY INDEX" >&2
    exit 1
  fi
}

seed 1 $((10000 - TARGET_ROWS))
latency_at 10000
echo "== growing the table to 10^6 rows"
seed $((10000 - TARGET_ROWS + 1)) $((1000000 - TARGET_ROWS))
latency_at 1000000

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# The service's own transaction, as the service role under RLS, pipelined
# like common/pg sends it (diagnostic: the database's share of the cost).
{
  echo '\startpipeline'
  echo 'BEGIN ISOLATION LEVEL READ COMMITTED;'
  echo "SELECT set_config('bastion.tenant_id', :tenant, true), set_config('bastion.user_id', :user, true), set_config('bastion.admin_level', 'none', true);"
  list_sql ':tenant' ':user' | tr '\n' ' '
  echo ';'
  echo 'COMMIT;'
  echo '\endpipeline'
} > "$WORK/service_tx.sql"

pgbench_tps() { # USER SCRIPT MODE
  local out tps
  out="$("$PG_BIN/pgbench" -n -M "$3" -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" \
    -D tenant="$TENANT" -D user="$USER_ID" -f "$2" \
    -h "$PGHOST" -p "$PGPORT" -U "$1" bench 2>&1)"
  tps="$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' <<<"$out")"
  [ -n "$tps" ] || { echo "$out" >&2; return 1; }
  printf '%.0f\n' "$tps"
}

# The data service driven by h2load (a light HTTP/2 client, so the load
# generator takes little of the machine's CPU, as pgbench's does). h2load
# counts HTTP statuses only: the server checks every answer itself and the
# run fails if any was wrong.
h2load_rate() {
  rm -f "$WORK/port"
  "$BENCH" --conninfo="$SERVICE_URL" --tenant="$TENANT" --user="$USER_ID" \
    --clients="$CLIENTS" --mode=serve --body_file="$WORK/body" \
    --port_file="$WORK/port" > "$WORK/serve.out" 2> "$WORK/serve.log" &
  local pid=$! out rate
  for _ in $(seq 100); do [ -f "$WORK/port" ] && break; sleep 0.1; done
  out="$(h2load -c "$CLIENTS" -m 1 -t 1 -D "$SECONDS_PER_RUN" --warm-up-time=1 \
    -d "$WORK/body" -H 'content-type: application/grpc' -H 'te: trailers' \
    -H 'authorization: Bearer bench' \
    "http://127.0.0.1:$(cat "$WORK/port")/bastion.data.v1.Sessions/ListSessions")"
  kill -TERM "$pid"
  wait "$pid" || { cat "$WORK/serve.out" "$WORK/serve.log" >&2; return 1; }
  grep -q ' 0 failed, 0 errored' <<<"$out" || { echo "$out" >&2; return 1; }
  rate="$(sed -nE 's/^finished in [0-9.]+s, ([0-9.]+) req\/s.*/\1/p' <<<"$out")"
  printf '%.0f\n' "$rate"
}

echo "== throughput, $CLIENTS concurrent calls, ${SECONDS_PER_RUN}s per run, $ROUNDS rounds (alternating)"
for f in h2load grpc pgbench service_tx; do : > "$WORK/$f"; done
for round in $(seq 1 "$ROUNDS"); do
  h2="$(h2load_rate)"
  echo "$h2" >> "$WORK/h2load"
  cpp="$("$BENCH" --conninfo="$SERVICE_URL" --tenant="$TENANT" --user="$USER_ID" \
    --mode=rate --clients="$CLIENTS" --seconds="$SECONDS_PER_RUN" 2>/dev/null \
    | sed -n 's/.*calls_per_s=\([0-9.]*\).*/\1/p')"
  [ -n "$cpp" ] || { echo "sessions_bench --mode=rate failed" >&2; exit 1; }
  echo "$cpp" >> "$WORK/grpc"
  raw="$(pgbench_tps postgres "$WORK/list.sql" prepared)"
  echo "$raw" >> "$WORK/pgbench"
  tx="$(pgbench_tps bastion_data_svc "$WORK/service_tx.sql" extended)"
  echo "$tx" >> "$WORK/service_tx"
  echo "  round $round: data service via h2load $h2/s, via C++ clients $cpp/s;" \
       "pgbench no RLS $raw tps; pgbench service transaction under RLS $tx tps"
done
h2_median="$(median < "$WORK/h2load")"
cpp_median="$(median < "$WORK/grpc")"
pg_median="$(median < "$WORK/pgbench")"
tx_median="$(median < "$WORK/service_tx")"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "== result (medians of $ROUNDS rounds, $CLIENTS concurrent)"
echo "  A data service, h2load client (gRPC + guard + principal tx + RLS): $h2_median calls/s"
echo "  B data service, in-process C++ gRPC clients:                       $cpp_median calls/s"
echo "  C same SQL, pgbench -M prepared, superuser (no RLS, no tx):        $pg_median tps"
echo "  D service's transaction, pgbench -M extended, service role + RLS:  $tx_median tps"
echo "  ratio A/C: $(ratio "$h2_median" "$pg_median")x (target >= 0.8x)"
echo "  ratio B/C: $(ratio "$cpp_median" "$pg_median")x"
echo "  ratio D/C: $(ratio "$tx_median" "$pg_median")x (the database's share: RLS + settings + BEGIN/COMMIT)"
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine depresses every number)"
