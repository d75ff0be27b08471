#!/usr/bin/env bash
# Builds everything and runs every test against a throwaway PostgreSQL.
# Ends with one line "N passed, M failed" (after a line "K skipped ..." when
# a test was skipped) counted from Bazel's build event file of this run
# (tools/lib/count_tests.py): test cases from the XML report of each test
# result it names; a skipped case is never a pass; a test that failed without
# a failing case (a crash, a timeout), a target that failed to build, and a
# run that did not succeed count as failed.
#
#   tools/test.sh                 builds and tests everything
#   tools/test.sh //common/...    builds and tests only these targets
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# shellcheck source=tools/lib/ensure_deps.sh
. tools/lib/ensure_deps.sh
bastion_ensure_packages || exit 1

TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(//...)

WORK="$(mktemp -d /tmp/bastion-test.XXXXXX)"
chmod 755 "$WORK"
cleanup() {
  tools/pg/cluster.sh stop "$WORK/pg" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PG_FSYNC=off tools/pg/cluster.sh start "$WORK/pg" > "$WORK/pg.env" || {
  echo "could not start the test PostgreSQL cluster" >&2
  echo "0 passed, 1 failed"
  exit 1
}
# shellcheck disable=SC1091
. "$WORK/pg.env"

# One invocation builds and tests the targets (everything by default) and
# writes its build event file, the one source of the counts.
BAZEL_FLAGS=(--keep_going --test_output=errors
  "--build_event_json_file=$WORK/build_events.json"
  "--test_env=BASTION_TEST_PGHOST=$PGHOST"
  "--test_env=BASTION_TEST_PGPORT=$PGPORT")

# The Node client example's npm packages (@grpc/grpc-js, @grpc/proto-loader),
# where Node is installed; without them its test is skipped, and counted so.
if command -v node >/dev/null && command -v npm >/dev/null; then
  if [ ! -d examples/node/node_modules ] ||
     [ examples/node/package-lock.json -nt examples/node/node_modules ]; then
    (cd examples/node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2 ||
      echo "npm ci in examples/node failed: the Node client test will be skipped" >&2
  fi
  if [ -d examples/node/node_modules/@grpc/grpc-js ]; then
    BAZEL_FLAGS+=("--test_env=BASTION_NODE_MODULES=$ROOT/examples/node/node_modules")
  fi
fi

bazel test "${BAZEL_FLAGS[@]}" "${TARGETS[@]}" 2>&1 \
  | grep -vE 'linux-sandbox|^INFO: From' | tail -n 80

# Prints the reasons for any failure or skip on stderr, the number of skipped
# cases if any, and, last, "N passed, M failed"; exits non-zero when anything failed.
/usr/bin/python3 tools/lib/count_tests.py "$WORK/build_events.json"
