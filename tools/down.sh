#!/usr/bin/env bash
# Stops what tools/up.sh started: the four services (gracefully), then the
# private PostgreSQL cluster. Safe to run when nothing is running.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BASTION_HOME="${BASTION_HOME:-$ROOT/.bastion}"

for name in run_executor data authz authn; do
  pidfile="$BASTION_HOME/run/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $name"
  fi
  rm -f "$pidfile"
done
if [ -d "$BASTION_HOME/pg" ] && "$ROOT/tools/pg/cluster.sh" status "$BASTION_HOME/pg" >/dev/null 2>&1; then
  "$ROOT/tools/pg/cluster.sh" stop "$BASTION_HOME/pg" >/dev/null && echo "stopped PostgreSQL"
fi
exit 0
