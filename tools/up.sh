#!/usr/bin/env bash
# Brings up the whole suite locally: a private PostgreSQL cluster, the data,
# authn and authz migrations, development keys, and the four services, then
# shows a short narrated demo (tools/demo.sh; --no-demo skips it). Ctrl-C
# stops everything; --detach leaves it running (tools/down.sh stops it).
# Running it again while the suite is up is safe.
#
# Environment:
#   BASTION_HOME       state folder (default: .bastion/ in the checkout)
#   BASTION_PORT_BASE  authn BASE+1, authz BASE+2, data BASE+3,
#                      run-executor BASE+4, PostgreSQL BASE+10 (default 7000)
#   BASTION_JWKS_FILE or BASTION_JWKS_URL, BASTION_ISSUER, BASTION_AUDIENCE
#                      your identity provider's keys and claims instead of
#                      the development keys generated here
# -E: the ERR trap below also fires for failures inside functions (start),
# which would otherwise exit through set -e without stopping anything.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
DETACH=0
DEMO=1
for arg in "$@"; do
  case "$arg" in
    --detach) DETACH=1 ;;
    --no-demo) DEMO=0 ;;
    *) echo "usage: tools/up.sh [--detach] [--no-demo]" >&2; exit 2 ;;
  esac
done

# shellcheck source=tools/lib/ensure_deps.sh
. tools/lib/ensure_deps.sh
bastion_ensure_packages

export BASTION_HOME="${BASTION_HOME:-$ROOT/.bastion}"
BASE="${BASTION_PORT_BASE:-7000}"
mkdir -p "$BASTION_HOME"/{bin,logs,run,keys,config}
chmod 755 "$BASTION_HOME"
PY=/usr/bin/python3

# Nothing is left half-started: any failure stops what is running. With -E
# subshells inherit the trap too (ALICE=$(mint ...), the services started
# with &); only the main shell stops the suite, once, and a failure in a
# command substitution reaches it through the assignment's status.
trap 'if [ "$BASHPID" = "$$" ]; then
        echo "tools/up.sh failed; stopping the suite" >&2; tools/down.sh
      fi' ERR

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

say "building"
bazel build //services/authn:authn //services/authz:authz //services/data:data \
  //services/run_executor:run_executor //tools/migrate //protos:all \
  //tools/service_identity //tools/cli:bastion \
  2>&1 | grep -vE 'linux-sandbox|^INFO: From' | tail -n 3
# Copies, so a later rebuild does not change binaries under running services.
for bin in services/authn/authn services/authz/authz services/data/data \
           services/run_executor/run_executor tools/migrate/migrate; do
  install -m 755 "bazel-bin/$bin" "$BASTION_HOME/bin/$(basename "$bin").new"
done
install -m 755 bazel-bin/tools/service_identity/service_identity "$BASTION_HOME/bin/service_identity"
install -m 755 bazel-bin/tools/cli/bastion "$BASTION_HOME/bin/bastion"

say "PostgreSQL"
PG_PORT=$((BASE + 10))
tools/pg/cluster.sh start "$BASTION_HOME/pg" "$PG_PORT" > "$BASTION_HOME/pg.env"
# shellcheck disable=SC1091
. "$BASTION_HOME/pg.env"
# The data, authn and authz schemas in database bastion, each with its role.
MIGRATE="$BASTION_HOME/bin/migrate.new" tools/pg/migrate_all.sh \
  "host=$PGHOST port=$PGPORT" bastion

say "keys"
ISSUER="${BASTION_ISSUER:-https://dev.bastion.local}"
AUDIENCE="${BASTION_AUDIENCE:-bastion}"
if [ -n "${BASTION_JWKS_URL:-}" ]; then
  KEY_SOURCE=(BASTION_JWKS_URL="$BASTION_JWKS_URL")
  echo "using your identity provider $BASTION_JWKS_URL (issuer $ISSUER, audience $AUDIENCE)"
elif [ -n "${BASTION_JWKS_FILE:-}" ]; then
  KEY_SOURCE=(BASTION_JWKS_FILE="$BASTION_JWKS_FILE")
  echo "using your JWKS file $BASTION_JWKS_FILE (issuer $ISSUER, audience $AUDIENCE)"
else
  JWKS="$BASTION_HOME/keys/jwks.json"
  if [ ! -f "$BASTION_HOME/keys/dev.private.pem" ]; then
    $PY tools/keygen.py --type ed25519 --kid dev --out "$BASTION_HOME/keys" --jwks "$JWKS" >/dev/null
  fi
  KEY_SOURCE=(BASTION_JWKS_FILE="$JWKS")
  echo "development key $BASTION_HOME/keys/dev.private.pem (kid dev)"
fi

start() {  # start NAME PORT ENV...
  local name="$1" port="$2"
  shift 2
  local pidfile="$BASTION_HOME/run/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "$name already running (pid $(cat "$pidfile"))"
    return
  fi
  mv -f "$BASTION_HOME/bin/$name.new" "$BASTION_HOME/bin/$name"
  env "$@" BASTION_LISTEN_ADDRESS="127.0.0.1:$port" \
    setsid "$BASTION_HOME/bin/$name" >>"$BASTION_HOME/logs/$name.log" 2>&1 &
  echo $! > "$pidfile"
  echo "$name started on 127.0.0.1:$port (log $BASTION_HOME/logs/$name.log)"
}

# Service identity: each service's key, and the trusted-services file data
# (internal RPCs), authn (delegations) and authz (users' assertions) load:
# every service's key with the methods it may call
# (tools/service_identity/suite_grants.cc), written again on every start.
"$BASTION_HOME/bin/service_identity" init "$BASTION_HOME/keys/services" run_executor authz authn data >/dev/null
TRUSTED="$BASTION_HOME/keys/services/trusted_services.json"

say "services"
AUTHN=127.0.0.1:$((BASE + 1)); AUTHZ=127.0.0.1:$((BASE + 2))
DATA=127.0.0.1:$((BASE + 3)); RUNS=127.0.0.1:$((BASE + 4))
start authn $((BASE + 1)) "${KEY_SOURCE[@]}" BASTION_ISSUER="$ISSUER" \
  BASTION_AUDIENCE="$AUDIENCE" BASTION_AUTHZ_ADDRESS="$AUTHZ" \
  BASTION_ASSERTION_KEY_FILE="$BASTION_HOME/keys/assertion.pem" \
  BASTION_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=bastion user=bastion_authn_svc" \
  BASTION_DATA_ADDRESS="$DATA" BASTION_SERVICE_KEY_FILE="$BASTION_HOME/keys/services/authn.pem" \
  BASTION_TRUSTED_SERVICES_FILE="$TRUSTED"
start authz $((BASE + 2)) BASTION_AUTHN_ADDRESS="$AUTHN" \
  BASTION_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=bastion user=bastion_authz_svc" \
  BASTION_DATA_ADDRESS="$DATA" BASTION_SERVICE_KEY_FILE="$BASTION_HOME/keys/services/authz.pem" \
  BASTION_TRUSTED_SERVICES_FILE="$TRUSTED"
start data $((BASE + 3)) BASTION_AUTHN_ADDRESS="$AUTHN" BASTION_AUTHZ_ADDRESS="$AUTHZ" \
  BASTION_DATABASE_URL="host=$PGHOST port=$PGPORT dbname=bastion user=bastion_data_svc" \
  BASTION_TRUSTED_SERVICES_FILE="$TRUSTED" \
  BASTION_SERVICE_KEY_FILE="$BASTION_HOME/keys/services/data.pem"
start run_executor $((BASE + 4)) BASTION_AUTHN_ADDRESS="$AUTHN" BASTION_AUTHZ_ADDRESS="$AUTHZ" \
  BASTION_DATA_ADDRESS="$DATA" BASTION_REGISTRY_FILE="$ROOT/tools/dev/registry.json" \
  BASTION_SERVICE_KEY_FILE="$BASTION_HOME/keys/services/run_executor.pem"
rm -f "$BASTION_HOME"/bin/*.new

for addr in "$AUTHN" "$AUTHZ" "$DATA" "$RUNS"; do
  if ! $PY tools/call.py "$addr" grpc.health.v1.Health/Check --timeout 20 >/dev/null; then
    echo "service at $addr did not become healthy; see $BASTION_HOME/logs/" >&2
    tools/down.sh
    exit 1
  fi
  echo "healthy: $addr"
done

# The narrated demo (tools/demo.sh) needs the development key to sign its
# users' tokens.
if [ "$DEMO" -eq 1 ] && [ -z "${BASTION_JWKS_FILE:-}${BASTION_JWKS_URL:-}" ]; then
  say "demo"
  BASTION_AUTHN_ADDR="$AUTHN" BASTION_AUTHZ_ADDR="$AUTHZ" BASTION_DATA_ADDR="$DATA" \
    BASTION_RUNS_ADDR="$RUNS" DEMO_KEY="$BASTION_HOME/keys/dev.private.pem" \
    DEMO_ISSUER="$ISSUER" DEMO_AUDIENCE="$AUDIENCE" \
    BASTION_CLI="$BASTION_HOME/bin/bastion" tools/demo.sh ||
    echo "the demo did not finish as narrated; the suite stays up" >&2
fi

cat <<MSG

Bastion is up.
  authn         $AUTHN      authz  $AUTHZ
  data          $DATA      run-executor  $RUNS
  PostgreSQL    socket $PGHOST port $PGPORT (database bastion)
  logs          $BASTION_HOME/logs/

Mint a token and call any RPC:
  TOKEN=\$(tools/mint_token.py --key $BASTION_HOME/keys/dev.private.pem --kid dev \\
            --sub you --tenant acme --roles member --scopes "tools:calculator:run")
  tools/call.py $RUNS bastion.runs.v1.Agents/ListAgents --token "\$TOKEN"
MSG

if [ "$DETACH" -eq 1 ]; then
  echo "Running in the background; stop with tools/down.sh"
  exit 0
fi
echo "Press Ctrl-C to stop."
trap 'echo; tools/down.sh; exit 0' INT TERM
# Short sleeps in the foreground: the trap runs within a second of Ctrl-C
# and no child is left holding the terminal.
while true; do sleep 1; done
