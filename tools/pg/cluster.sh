#!/usr/bin/env bash
# Throwaway/private PostgreSQL cluster in a folder of its own, reachable only
# through a Unix socket inside that folder (no TCP listener).
#
#   cluster.sh start  DIR [PORT]   initdb if needed, start, print env lines
#   cluster.sh stop   DIR          stop (fast mode); no-op when not running
#   cluster.sh status DIR          exit 0 and print env when running, else 3
#
# `start` prints (and writes to DIR/env):
#   PGHOST=<DIR>/socket
#   PGPORT=<port>
# so `eval "$(cluster.sh start /tmp/pg)"` or `set -a; . /tmp/pg/env` works.
# The superuser is `postgres`, authentication is `trust` (the socket folder is
# the boundary), locale C, encoding UTF8.
#
# initdb and postgres refuse to run as root: when run as root the cluster runs
# as the `postgres` OS user (via runuser) and DIR is chowned to it. When the
# caller is the postgres user, or any non-root user owning DIR, it runs as
# the caller.
#
# Environment:
#   PG_BIN        folder with initdb/pg_ctl (default: Debian's PostgreSQL 15)
#   PG_FSYNC      "off" trades crash safety for speed (test clusters)
#   PG_MAX_CONNECTIONS   default 200
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_OS_USER="postgres"

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
cmd="$1"
dir_arg="$2"
port_arg="${3:-}"

[[ -x "${PG_BIN}/pg_ctl" ]] || die "no pg_ctl in ${PG_BIN} (install postgresql-15 or set PG_BIN)"

if [[ ! -d "${dir_arg}" ]]; then
  case "${cmd}" in
    start) mkdir -p "${dir_arg}" ;;
    stop) echo "cluster.sh: not running (${dir_arg})" >&2; exit 0 ;;
    status) echo "cluster.sh: not running (${dir_arg})" >&2; exit 3 ;;
    *) usage ;;
  esac
fi
DIR="$(cd "${dir_arg}" && pwd -P)"
DATA="${DIR}/data"
SOCK="${DIR}/socket"
LOG="${DIR}/postgres.log"
ENV_FILE="${DIR}/env"

# as_pg CMD...: runs CMD as the cluster's OS user, from a folder it can read.
if [[ "$(id -u)" -eq 0 ]]; then
  id "${PG_OS_USER}" >/dev/null 2>&1 || die "running as root needs the '${PG_OS_USER}' OS user (install postgresql-15)"
  as_pg() { (cd / && runuser -u "${PG_OS_USER}" -- "$@"); }
  RUN_AS="${PG_OS_USER}"
else
  as_pg() { (cd / && "$@"); }
  RUN_AS="$(id -un)"
  owner="$(stat -c %U "${DIR}")"
  [[ "${owner}" == "${RUN_AS}" ]] || die "${DIR} is owned by ${owner}; run as root, as ${owner}, or pick a folder you own"
fi

print_env() {
  local port
  port="$(recorded_port || true)"
  printf 'PGHOST=%s\nPGPORT=%s\n' "${SOCK}" "${port}"
}

recorded_port() {
  [[ -f "${ENV_FILE}" ]] && sed -n 's/^PGPORT=//p' "${ENV_FILE}" | head -n1
}

is_running() {
  [[ -f "${DATA}/PG_VERSION" ]] && as_pg "${PG_BIN}/pg_ctl" status -D "${DATA}" >/dev/null 2>&1
}

port_free() {
  local p="$1"
  # The server only listens on a socket in its own folder, but a free TCP
  # port keeps the door open for a later listen_addresses change.
  if (exec 3<>"/dev/tcp/127.0.0.1/${p}") 2>/dev/null; then return 1; fi
  [[ ! -e "${SOCK}/.s.PGSQL.${p}" ]]
}

pick_port() {
  local p i
  for i in $(seq 1 50); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if port_free "${p}"; then echo "${p}"; return 0; fi
  done
  die "no free port found"
}

check_traversable() {
  # The server user must reach DIR through every parent folder.
  if [[ "${RUN_AS}" != "$(id -un)" ]] && ! as_pg test -x "${DIR}"; then
    die "user ${RUN_AS} cannot reach ${DIR}; pick a folder under /tmp or make its parents world-executable"
  fi
}

start() {
  if is_running; then
    print_env
    return 0
  fi
  mkdir -p "${SOCK}"
  if [[ "$(id -u)" -eq 0 ]]; then
    chown "${PG_OS_USER}:" "${DIR}" "${SOCK}"
    [[ -d "${DATA}" ]] && chown -R "${PG_OS_USER}:" "${DATA}"
    [[ -f "${LOG}" ]] && chown "${PG_OS_USER}:" "${LOG}"
  fi
  chmod 0755 "${DIR}" "${SOCK}"
  check_traversable

  if [[ ! -f "${DATA}/PG_VERSION" ]]; then
    as_pg "${PG_BIN}/initdb" -D "${DATA}" -U postgres -A trust \
      --locale=C -E UTF8 --no-sync >"${DIR}/initdb.log" 2>&1 ||
      { cat "${DIR}/initdb.log" >&2; die "initdb failed (log above)"; }
  fi

  local port="${port_arg}"
  if [[ -z "${port}" ]]; then
    port="$(recorded_port || true)"
    if [[ -z "${port}" ]] || ! port_free "${port}"; then port="$(pick_port)"; fi
  fi
  [[ "${port}" =~ ^[0-9]+$ ]] && (( port > 0 && port < 65536 )) || die "bad port: ${port}"
  # A stale socket lock from a killed server would block the start.
  rm -f "${SOCK}/.s.PGSQL.${port}" "${SOCK}/.s.PGSQL.${port}.lock"

  local opts="-c listen_addresses='' -c unix_socket_directories='${SOCK}' -p ${port}"
  opts+=" -c max_connections=${PG_MAX_CONNECTIONS:-200}"
  [[ "${PG_FSYNC:-on}" == "off" ]] && opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"

  if ! as_pg "${PG_BIN}/pg_ctl" start -D "${DATA}" -l "${LOG}" -w -t 60 -o "${opts}" >/dev/null; then
    tail -n 30 "${LOG}" >&2 || true
    die "postgres did not start (log: ${LOG})"
  fi
  local i
  for i in $(seq 1 100); do
    if "${PG_BIN}/pg_isready" -q -h "${SOCK}" -p "${port}" -U postgres; then break; fi
    sleep 0.1
  done
  "${PG_BIN}/pg_isready" -q -h "${SOCK}" -p "${port}" -U postgres || die "postgres is not accepting connections (log: ${LOG})"

  printf 'PGHOST=%s\nPGPORT=%s\n' "${SOCK}" "${port}" >"${ENV_FILE}.tmp"
  mv "${ENV_FILE}.tmp" "${ENV_FILE}"
  # Leave every file usable by the cluster's user (a later non-root caller).
  [[ "$(id -u)" -eq 0 ]] && chown "${PG_OS_USER}:" "${ENV_FILE}" "${DIR}/initdb.log" 2>/dev/null
  print_env
}

stop() {
  if ! is_running; then
    echo "cluster.sh: not running (${DIR})" >&2
    return 0
  fi
  as_pg "${PG_BIN}/pg_ctl" stop -D "${DATA}" -m fast -w -t 60 >/dev/null
}

status() {
  if is_running; then
    print_env
    return 0
  fi
  echo "cluster.sh: not running (${DIR})" >&2
  return 3
}

case "${cmd}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
