#!/usr/bin/env bash
# Builds everything and runs every test against a throwaway PostgreSQL.
# Ends with one line "N passed, M failed" counted from the real results
# (test cases from each target's XML report; a target that failed without a
# failing case, e.g. a crash or a build error, counts as one failure).
#
#   tools/test.sh                 all tests
#   tools/test.sh //common/...    only these targets
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

BAZEL_FLAGS=(--keep_going --test_output=errors
  "--test_env=BASTION_TEST_PGHOST=$PGHOST"
  "--test_env=BASTION_TEST_PGPORT=$PGPORT")

bazel build --keep_going //... 2>&1 | grep -vE 'linux-sandbox|^INFO: From' | tail -n 40
build_rc=${PIPESTATUS[0]}

bazel test "${BAZEL_FLAGS[@]}" "${TARGETS[@]}" 2>&1 \
  | grep -vE 'linux-sandbox|^INFO: From' | tee "$WORK/test.log" | tail -n 80
test_rc=${PIPESTATUS[0]}

passed=0
failed=0
testlogs="$(bazel info bazel-testlogs 2>/dev/null)"
# Summary lines look like "//pkg:target   PASSED in 0.1s" (or FAILED,
# TIMEOUT, NO STATUS, FAILED TO BUILD, (cached) PASSED ...).
while read -r target status; do
  xml="$testlogs/${target#//}"
  xml="${xml/://}/test.xml"
  cases=0
  failures=0
  if [ -f "$xml" ]; then
    cases=$(grep -c '<testcase ' "$xml" || true)
    failures=$(grep -c '<failure' "$xml" || true)
  fi
  if [ "$status" = PASSED ]; then
    if [ "$cases" -gt 0 ]; then
      passed=$((passed + cases - failures))
      failed=$((failed + failures))
    else
      passed=$((passed + 1))
    fi
  else
    if [ "$failures" -gt 0 ]; then
      passed=$((passed + cases - failures))
      failed=$((failed + failures))
    else
      failed=$((failed + 1))
    fi
  fi
done < <(sed -nE 's#^(//[^ ]+)[[:space:]]+(\(cached\) )?(PASSED|FAILED|TIMEOUT|FLAKY|NO STATUS|FAILED TO BUILD|INCOMPLETE).*#\1 \3#p' "$WORK/test.log" \
         | sed -E 's/ (NO STATUS|FAILED TO BUILD)$/ FAILED/')

if [ "$build_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "the build failed" >&2
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$test_rc" -eq 0 ] && [ "$build_rc" -eq 0 ] && [ "$failed" -eq 0 ]
