#!/usr/bin/env bash
# Builds everything and runs every test against a throwaway PostgreSQL.
# Ends with one line "N passed, M failed" counted from the real results
# (test cases from each target's XML report written by this run; a skipped
# case counts as failed, and so does a target that failed without a failing
# case or left no fresh report, e.g. a crash or a build error).
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

# Only reports written by this invocation count: a target that did not run
# this time (FAILED TO BUILD, NO STATUS, ...) keeps the test.xml of an
# earlier run in bazel-testlogs, and reading it would report old results.
touch "$WORK/started"
bazel test "${BAZEL_FLAGS[@]}" "${TARGETS[@]}" 2>&1 \
  | grep -vE 'linux-sandbox|^INFO: From' | tee "$WORK/test.log" | tail -n 80
test_rc=${PIPESTATUS[0]}

# count_cases XML... prints "CASES BAD": the <testcase> elements in these
# reports and how many of them did not pass. A case is counted once however
# many assertions failed (gtest writes one <failure> per failed EXPECT).
# Skipped and disabled cases are not passes either: tests here never skip, so
# they count as failed rather than vanishing from the total. A report that
# cannot be parsed counts as one failed case.
count_cases() {
  /usr/bin/python3 - "$@" <<'PY'
import sys
import xml.etree.ElementTree as ET

cases = bad = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        print(f"unreadable test report {path}: {e}", file=sys.stderr)
        cases += 1
        bad += 1
        continue
    for case in root.iter("testcase"):
        cases += 1
        if (case.find("failure") is not None or case.find("error") is not None
                or case.find("skipped") is not None
                or case.get("result") == "skipped"
                or case.get("status") == "notrun"):
            bad += 1
print(cases, bad)
PY
}

# reports DIR CACHED: the target's test.xml files from this invocation
# (DIR/test.xml, or DIR/<run|shard>_i_of_n/test.xml with --runs_per_test or
# sharding). A "(cached)" result was not re-run, so its report keeps its old
# time; Bazel only reports a cached result when those outputs still match
# its action cache, so the existing files are that result.
reports() {
  local dir="$1" cached="$2" f found=()
  for f in "$dir/test.xml" "$dir"/*_of_*/test.xml; do
    [ -f "$f" ] && [ "$f" -nt "$WORK/started" ] && found+=("$f")
  done
  if [ ${#found[@]} -eq 0 ] && [ "$cached" = cached ]; then
    if [ -f "$dir/test.xml" ]; then
      found=("$dir/test.xml")
    else
      for f in "$dir"/*_of_*/test.xml; do [ -f "$f" ] && found+=("$f"); done
    fi
  fi
  if [ ${#found[@]} -gt 0 ]; then printf '%s\n' "${found[@]}"; fi
}

passed=0
failed=0
testlogs="$(bazel info bazel-testlogs 2>/dev/null)"
# Summary lines look like "//pkg:target   PASSED in 0.1s" (or FAILED in 2 out
# of 2, TIMEOUT, FLAKY, NO STATUS, FAILED TO BUILD, SKIPPED, (cached) PASSED
# ...). Every status other than PASSED is a failure. The last line per target
# wins, in case a failed test's log printed above the summary looks like one.
while read -r target cached status; do
  dir="$testlogs/${target#//}"
  dir="${dir/://}"
  mapfile -t xmls < <(reports "$dir" "$cached")
  if [ ${#xmls[@]} -eq 0 ]; then
    # Did not run, or ran without leaving a report: not a pass.
    echo "$target: $status, no test report from this run" >&2
    failed=$((failed + 1))
    continue
  fi
  read -r cases bad < <(count_cases "${xmls[@]}")
  if [ "$status" = PASSED ]; then
    if [ "$cases" -gt 0 ]; then
      passed=$((passed + cases - bad))
      failed=$((failed + bad))
    else
      passed=$((passed + 1))
    fi
  else
    if [ "$bad" -gt 0 ]; then
      passed=$((passed + cases - bad))
      failed=$((failed + bad))
    else
      # Failed without a failing case: a crash, a timeout, a leak check.
      failed=$((failed + 1))
    fi
  fi
done < <(sed -nE 's#^(//[^[:space:]]+)[[:space:]]+(\(cached\) )?([A-Z]+( [A-Z]+)*)( in .*)?[[:space:]]*$#\1 \2\3#p' "$WORK/test.log" \
         | sed -E 's#^([^ ]+) \(cached\) #\1 cached #; t; s#^([^ ]+) #\1 fresh #' \
         | awk '{ last[$1] = $0 } END { for (t in last) print last[t] }' | sort)

if [ "$build_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "the build failed" >&2
  failed=1
fi
# Bazel failing with nothing counted (an analysis error, a target missing
# from the summary, no test targets) is still a failed run.
if [ "$test_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "bazel test failed (exit $test_rc)" >&2
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$test_rc" -eq 0 ] && [ "$build_rc" -eq 0 ] && [ "$failed" -eq 0 ]
