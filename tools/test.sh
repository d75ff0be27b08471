#!/usr/bin/env bash
# Builds everything and runs every test against a throwaway PostgreSQL.
# Ends with one line "N passed, M failed" counted from Bazel's build event
# file of this run (tools/lib/count_tests.py): test cases from the XML
# report of each test result it names; a skipped case counts as failed, and
# so does a test that failed without a failing case (a crash, a timeout), a
# target that failed to build, and a run that did not succeed.
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

bazel test "${BAZEL_FLAGS[@]}" "${TARGETS[@]}" 2>&1 \
  | grep -vE 'linux-sandbox|^INFO: From' | tail -n 80

# Prints the reasons for any failure on stderr and, last, "N passed, M
# failed"; exits non-zero when anything failed.
/usr/bin/python3 tools/lib/count_tests.py "$WORK/build_events.json"
