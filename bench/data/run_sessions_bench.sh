#!/usr/bin/env bash
# Benchmark of "the 20 newest sessions of one user":
#   1. latency (p50/p99) through the data service at 10^4 and 10^6 rows in
#      the table (the other rows belong to 20,000 other users in 4 tenants),
#      with the query plan under row-level security at each size;
#   2. throughput through the data service (real Sessions gRPC adapter, call
#      guard, sessions domain, principal transaction and RLS store,
#      in-process; authn/authz answered by in-process fakes), driven by
#      h2load (A); the same binary and RPC with the guard and row security
#      switched off (B: sessions_bench --security=off, the same list query
#      without principal settings as the superuser), so A/B is the cost of
#      security on the same gRPC path; the same list query through
#      `pgbench -M prepared` as the superuser (C: no RLS, no settings, no
#      gRPC) and, to show the database's share, the service's exact request
#      through pgbench as the service role (D: settings + query in one
#      pipeline, RLS); the SQL comes from the binary itself (sessions_bench
#      --mode=sql). Alternating rounds, medians of BENCH_ROUNDS, ratios, and
#      the CPU time per call of each process (PostgreSQL, the data service,
#      the load generator).
# Starts its own throwaway cluster under /tmp, builds with -c opt (without
# touching the workspace's bazel-* symlinks), and cleans up.
#
#   bench/data/run_sessions_bench.sh
#
# Needs postgresql-15 (pgbench) and nghttp2-client (h2load).
# Environment: BENCH_CLIENTS (8), BENCH_SECONDS (5), BENCH_ROUNDS (3),
# BENCH_LATENCY_CALLS (2000), BENCH_KEEP=1 keeps the work folder,
# BENCH_PIN=1 runs the throughput part with PostgreSQL on CPU 0 and
# everything else (data service, h2load, pgbench) on CPU 1, a stand-in for
# a database on its own host (needs 2 or more cores).
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

# Both load generators, before the build and the 10^6-row seeding: installed
# like the suite's other packages (as root), else named.
# shellcheck source=tools/lib/ensure_deps.sh
. tools/lib/ensure_deps.sh
command -v h2load >/dev/null || bastion_ensure_packages nghttp2-client || true
[ -x "$PG_BIN/pgbench" ] || bastion_ensure_packages postgresql-15 || true
command -v h2load >/dev/null || { echo "h2load missing (package nghttp2-client)" >&2; exit 1; }
[ -x "$PG_BIN/pgbench" ] || { echo "$PG_BIN/pgbench missing (package postgresql-15, or set PG_BIN)" >&2; exit 1; }

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
  //tools/migrate 2>&1 | grep -vE 'linux-sandbox|^INFO: From' \
  | tail -n 3
BIN="$(bazel info -c opt bazel-bin 2>/dev/null)"
BENCH="$BIN/bench/data/sessions_bench"

echo "== cluster, roles, migrations"
MIGRATE="$BIN/tools/migrate/migrate" PG_FSYNC=off \
  tools/pg/setup_db.sh "$WORK/pg" bench > "$WORK/urls"
SERVICE_URL="$(sed -n 's/^BASTION_PG_SERVICE_URL=//p' "$WORK/urls")"
# shellcheck disable=SC1091
. "$WORK/pg/env"
# B's connection: the superuser, which row security does not apply to.
SUPER_URL="host=$PGHOST port=$PGPORT user=postgres dbname=bench"
SUPER=(-h "$PGHOST" -p "$PGPORT" -U postgres)
psql_super() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "${SUPER[@]}" -d bench "$@"; }
psql_service() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" \
    -U bastion_data_svc -d bench "$@"
}

# The statements the data service sends for the bench's call, as the binary
# itself prints them (principal settings, "--", the store's list query),
# bound for pgbench: tenant and user as pgbench variables; the filters the
# call leaves unset and the limit (20 + 1 to detect a next page) as
# constants, which lets the planner drop those clauses for the reference
# (it can only favour the reference).
"$BENCH" --mode=sql > "$WORK/service.sql"
SETTINGS_SQL="$(sed -n '1p' "$WORK/service.sql")"
LIST_SQL="$(sed -n '3p' "$WORK/service.sql")"
[ -n "$SETTINGS_SQL" ] && [ -n "$LIST_SQL" ] || { echo "no SQL from sessions_bench --mode=sql" >&2; exit 1; }
bind_list() { # TENANT USER: the list query with its parameters bound
  sed -e 's/\$7/21/g; s/\$6/NULL::text/g; s/\$5/NULL::bigint/g' \
      -e 's/\$4/NULL::text/g; s/\$3/NULL::text/g' \
      -e "s/\\\$2/$2/g; s/\\\$1/$1/g" <<<"$LIST_SQL"
}
bind_list ':tenant' ':user' | sed 's/$/;/' > "$WORK/list.sql"
# The service's request exactly as common/pg sends it (RunAsPrincipal): the
# settings and the query in one pipeline ending in one sync, no BEGIN or
# COMMIT (one implicit transaction), prepared statements, service role, RLS.
{
  echo '\startpipeline'
  sed -e "s/\\\$3/'none'/; s/\\\$2/:user/; s/\\\$1/:tenant/; s/\$/;/" <<<"$SETTINGS_SQL"
  bind_list ':tenant' ':user' | sed 's/$/;/'
  echo '\endpipeline'
} > "$WORK/service_tx.sql"

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
PREPARE q(text, text, text, text, bigint, text, int) AS $LIST_SQL;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  EXECUTE q('$TENANT', '$USER_ID', NULL, NULL, NULL, NULL, 21);
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
micros_per() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.0f\n", t * 1e6 / ('"$(getconf CLK_TCK)"' * n) }'; }

# CPU ticks used so far by the cluster: the postmaster, its live children
# and the children it has reaped (backends of closed connections).
pg_ticks() {
  local pm t c
  pm="$(head -n 1 "$WORK/pg/data/postmaster.pid")"
  t="$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")"
  for c in $(pgrep -P "$pm"); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
# Waits (up to 2 s) until the postmaster has reaped its exited backends, so
# their CPU time has moved into its children's total that pg_ticks reads.
pg_settle() {
  local pm
  pm="$(head -n 1 "$WORK/pg/data/postmaster.pid")"
  for _ in $(seq 40); do
    ps --ppid "$pm" -o stat= | grep -q '^Z' || return 0
    sleep 0.05
  done
}
# Runs "$@" in a subshell: its output, then "ticks=N", the CPU ticks it used.
with_ticks() {
  ( me=$BASHPID; "$@"; rc=$?
    echo "ticks=$(awk '{print $16 + $17}' "/proc/$me/stat")"; exit "$rc" )
}

# Prints "RATE CALLS PG_TICKS CLIENT_TICKS" for one pgbench run.
pgbench_run() { # USER SCRIPT
  local before out tps n
  before="$(pg_ticks)"
  out="$(with_ticks "${PIN[@]}" "$PG_BIN/pgbench" -n -M prepared -c "$CLIENTS" -j 2 \
    -T "$SECONDS_PER_RUN" -D tenant="$TENANT" -D user="$USER_ID" -f "$2" \
    -h "$PGHOST" -p "$PGPORT" -U "$1" bench 2>&1)"
  tps="$(sed -nE 's/^tps = ([0-9.]+) .*/\1/p' <<<"$out")"
  n="$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' <<<"$out")"
  [ -n "$tps" ] && [ -n "$n" ] || { echo "$out" >&2; return 1; }
  pg_settle
  printf '%.0f %s %s %s\n' "$tps" "$n" "$(( $(pg_ticks) - before ))" \
    "$(sed -n 's/^ticks=//p' <<<"$out")"
}

# The data service driven by h2load (a light HTTP/2 client, so the load
# generator takes little of the machine's CPU, as pgbench's does). h2load
# counts HTTP statuses only: the server checks every answer itself and the
# run fails if any was wrong. Both sides get the same request, bearer
# header included. Prints "RATE CALLS PG_TICKS CLIENT_TICKS SERVER_TICKS".
h2load_run() { # SECURITY (on|off) CONNINFO
  rm -f "$WORK/port"
  "${PIN[@]}" "$BENCH" --conninfo="$2" --security="$1" --tenant="$TENANT" \
    --user="$USER_ID" --clients="$CLIENTS" --mode=serve --body_file="$WORK/body" \
    --port_file="$WORK/port" > "$WORK/serve.out" 2> "$WORK/serve.log" &
  local pid=$! out rate before pg server calls
  for _ in $(seq 100); do [ -f "$WORK/port" ] && break; sleep 0.1; done
  before="$(pg_ticks)"
  out="$(with_ticks "${PIN[@]}" h2load -c "$CLIENTS" -m 1 -t 1 -D "$SECONDS_PER_RUN" \
    --warm-up-time=1 -d "$WORK/body" -H 'content-type: application/grpc' \
    -H 'te: trailers' -H 'authorization: Bearer bench' \
    "http://127.0.0.1:$(cat "$WORK/port")/bastion.data.v1.Sessions/ListSessions")"
  pg=$(( $(pg_ticks) - before ))
  server="$(awk '{print $14 + $15}' "/proc/$pid/stat")"
  kill -TERM "$pid"
  wait "$pid" || { cat "$WORK/serve.out" "$WORK/serve.log" >&2; return 1; }
  grep -q ' 0 failed, 0 errored' <<<"$out" || { echo "$out" >&2; return 1; }
  rate="$(sed -nE 's/^finished in [0-9.]+s, ([0-9.]+) req\/s.*/\1/p' <<<"$out")"
  # Every call the server answered, warm-up included, as the CPU counts.
  calls="$(sed -nE 's/^served ok=([0-9]+) .*/\1/p' "$WORK/serve.out")"
  printf '%.0f %s %s %s %s\n' "$rate" "$calls" "$pg" \
    "$(sed -n 's/^ticks=//p' <<<"$out")" "$server"
}

# Everything but PostgreSQL runs through $PIN (empty unless BENCH_PIN=1).
PIN=()
if [ "${BENCH_PIN:-0}" = 1 ]; then
  pm="$(head -n 1 "$WORK/pg/data/postmaster.pid")"
  # Backends forked from now on inherit the postmaster's CPU.
  for p in "$pm" $(pgrep -P "$pm"); do taskset -pc 0 "$p" > /dev/null; done
  PIN=(taskset -c 1)
  echo "== pinned: PostgreSQL on CPU 0; data service, h2load and pgbench on CPU 1"
fi

echo "== throughput, $CLIENTS concurrent, ${SECONDS_PER_RUN}s per run, $ROUNDS rounds (alternating)"
for f in a b c d a_pg a_client a_server a_ratio b_pg b_client b_server c_pg c_client d_pg; do
  : > "$WORK/$f"
done
for round in $(seq 1 "$ROUNDS"); do
  read -r a_rate a_calls a_pg a_client a_server <<<"$(h2load_run on "$SERVICE_URL")"
  read -r b_rate b_calls b_pg b_client b_server <<<"$(h2load_run off "$SUPER_URL")"
  read -r c_rate c_calls c_pg c_client <<<"$(pgbench_run postgres "$WORK/list.sql")"
  read -r d_rate d_calls d_pg _ <<<"$(pgbench_run bastion_data_svc "$WORK/service_tx.sql")"
  [ -n "$a_calls" ] && [ -n "$b_calls" ] && [ -n "$c_calls" ] && [ -n "$d_calls" ] || exit 1
  echo "$a_rate" >> "$WORK/a"; echo "$b_rate" >> "$WORK/b"
  echo "$c_rate" >> "$WORK/c"; echo "$d_rate" >> "$WORK/d"
  micros_per "$a_pg" "$a_calls" >> "$WORK/a_pg"
  micros_per "$a_client" "$a_calls" >> "$WORK/a_client"
  micros_per "$a_server" "$a_calls" >> "$WORK/a_server"
  # The data service's CPU per call over PostgreSQL's, in this round.
  awk -v s="$a_server" -v p="$a_pg" 'BEGIN { printf "%.2f\n", s / p }' >> "$WORK/a_ratio"
  micros_per "$b_pg" "$b_calls" >> "$WORK/b_pg"
  micros_per "$b_client" "$b_calls" >> "$WORK/b_client"
  micros_per "$b_server" "$b_calls" >> "$WORK/b_server"
  micros_per "$c_pg" "$c_calls" >> "$WORK/c_pg"
  micros_per "$c_client" "$c_calls" >> "$WORK/c_client"
  micros_per "$d_pg" "$d_calls" >> "$WORK/d_pg"
  echo "  round $round: A $a_rate calls/s; B $b_rate calls/s; C $c_rate tps; D $d_rate tps"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
m() { median < "$WORK/$1"; }
echo "== result (medians of $ROUNDS rounds, $CLIENTS concurrent; CPU in microseconds per call)"
echo "  A data service via h2load (gRPC + guard + principal settings + RLS): $(m a) calls/s"
echo "      CPU per call: PostgreSQL $(m a_pg), data service $(m a_server), h2load $(m a_client)"
echo "      data service CPU / PostgreSQL CPU per call: $(m a_ratio)x (target <= 0.7x)"
echo "  B the same binary and RPC, guard and row security off (no settings, superuser): $(m b) calls/s"
echo "      CPU per call: PostgreSQL $(m b_pg), data service $(m b_server), h2load $(m b_client)"
echo "  C the same list query via pgbench -M prepared, superuser (no RLS, no settings): $(m c) tps"
echo "      CPU per call: PostgreSQL $(m c_pg), pgbench $(m c_client)"
echo "  D the service's request via pgbench (settings + query in one pipeline, service role, RLS): $(m d) tps"
echo "      CPU per call: PostgreSQL $(m d_pg)"
echo "  ratio A/B: $(ratio "$(m a)" "$(m b)")x (secured / unsecured on the same gRPC path; target >= 0.8x)"
echo "  ratio A/C: $(ratio "$(m a)" "$(m c)")x (the data service against raw pgbench)"
echo "  ratio D/C: $(ratio "$(m d)" "$(m c)")x (the database's own work for the service's request, no gRPC;"
if [ ${#PIN[@]} -eq 0 ]; then
  echo "             A/C cannot exceed it while everything shares these $(nproc) cores)"
else
  echo "             with the database on its own CPU, A/C cannot exceed it either)"
fi
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine depresses every number)"
