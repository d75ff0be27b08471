#!/usr/bin/env python3
"""Counts the results of one `bazel test` run from its build event file
(--build_event_json_file) and prints "N passed, M failed".

The build event file is the one source: it names every test target, the
result of each of its runs (cached or not) with the JUnit XML report that
belongs to that result, every target that failed to build, and how the
invocation ended. The counts:

- each <testcase> of a test's report counts once: failed if it has a
  <failure> or <error> child or is marked not run, else skipped if it has a
  <skipped> child or is marked skipped (a test that cannot run here, e.g.
  the Node client without Node: never a pass, and not a failure either),
  else passed; a report with no <testcase> counts as one case with the
  target's status;
- a test whose run did not pass but whose report shows no failed case (a
  crash, a timeout, a sanitizer or leak check) counts one failure;
- a test target with no result at all (it failed to build, or was never
  run), a result without a readable report, and a non-test target that
  failed to build each count one failure;
- an invocation that did not succeed although nothing above failed (an
  analysis error, a bad target pattern, no tests found) counts one failure,
  and so does a build event file that is missing, unreadable or has no
  end (Bazel crashed).

Usage: count_tests.py BUILD_EVENTS.json
Prints "N passed, M failed" last, preceded by "K skipped (...)" when K > 0.
Exit status 0 when nothing failed, 1 otherwise.
"""

import json
import sys
import urllib.parse
import xml.etree.ElementTree as ET


def read_events(path):
    """The events of a build event JSON file (one JSON object per line)."""
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                events.append(json.loads(line))
    return events


def count_cases(path, label="", log=sys.stderr):
    """(cases, bad, skipped) in one JUnit XML report; None when it cannot be
    read. Each skipped case is named on `log` with its reason."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError):
        return None
    cases = bad = skipped = 0
    for case in root.iter("testcase"):
        cases += 1
        if (case.find("failure") is not None or case.find("error") is not None
                or case.get("status") == "notrun"):
            bad += 1
        elif case.find("skipped") is not None or case.get("result") == "skipped":
            skipped += 1
            reason = case.find("skipped")
            reason = reason.get("message", "") if reason is not None else ""
            print(f"{label} {case.get('name', '')}: skipped {reason}".rstrip(),
                  file=log)
    return cases, bad, skipped


def report_path(test_result):
    """The local path of a test result's test.xml, or None."""
    for output in test_result.get("testActionOutput", []):
        if output.get("name") == "test.xml":
            uri = output.get("uri", "")
            if uri.startswith("file://"):
                return urllib.parse.unquote(uri[len("file://"):])
    return None


def count(events, log=sys.stderr):
    """(passed, failed, skipped) for the events of one invocation."""
    test_targets = set()      # labels of test rules
    built = {}                # label -> success, for every completed target
    results = {}              # label -> {(run, shard): (attempt, testResult)}
    finished = None
    for event in events:
        ids = event.get("id", {})
        if "targetConfigured" in ids:
            kind = event.get("configured", {}).get("targetKind", "")
            if kind.endswith(" test") or kind.endswith("_test rule") \
                    or "testSize" in event.get("configured", {}):
                test_targets.add(ids["targetConfigured"]["label"])
        elif "targetCompleted" in ids:
            label = ids["targetCompleted"]["label"]
            success = event.get("completed", {}).get("success", False)
            built[label] = built.get(label, True) and success
        elif "testResult" in ids:
            key = ids["testResult"]
            label = key["label"]
            slot = (key.get("run", 1), key.get("shard", 1))
            attempt = key.get("attempt", 1)
            runs = results.setdefault(label, {})
            if slot not in runs or runs[slot][0] <= attempt:
                runs[slot] = (attempt, event.get("testResult", {}))
        elif "buildFinished" in ids:
            finished = event.get("finished", {})
        if "aborted" in event and "targetCompleted" in ids:
            built[ids["targetCompleted"]["label"]] = False

    passed = failed = skipped = 0
    for label in sorted(test_targets | set(results)):
        runs = results.get(label)
        if not runs:
            print(f"{label}: no test result (did not build or did not run)",
                  file=log)
            failed += 1
            continue
        for (run, shard), (_, result) in sorted(runs.items()):
            status = result.get("status", "NO_STATUS")
            path = report_path(result)
            counted = count_cases(path, label, log) if path else None
            if counted is None:
                print(f"{label} (run {run}, shard {shard}): {status}, "
                      f"no readable test report", file=log)
                failed += 1
                continue
            cases, bad, skips = counted
            if status == "PASSED":
                if cases == 0:
                    passed += 1
                else:
                    passed += cases - bad - skips
                    failed += bad
                    skipped += skips
            elif bad > 0:
                passed += cases - bad - skips
                failed += bad
                skipped += skips
            else:
                print(f"{label} (run {run}, shard {shard}): {status} "
                      f"without a failed case (crash, timeout, check)",
                      file=log)
                failed += 1

    for label, success in sorted(built.items()):
        if not success and label not in test_targets:
            print(f"{label}: failed to build", file=log)
            failed += 1

    if finished is None:
        print("the build event file has no end: bazel did not finish",
              file=log)
        failed = max(failed, 1)
    elif not finished.get("overallSuccess", False) and failed == 0:
        code = finished.get("exitCode", {}).get("name", "unknown")
        print(f"bazel test did not succeed ({code})", file=log)
        failed = 1
    return passed, failed, skipped


def main(argv):
    if len(argv) != 2:
        print("usage: count_tests.py BUILD_EVENTS.json", file=sys.stderr)
        return 2
    try:
        events = read_events(argv[1])
    except (OSError, ValueError) as e:
        print(f"cannot read the build event file {argv[1]}: {e}",
              file=sys.stderr)
        events = []
    passed, failed, skipped = count(events) if events else (0, 1, 0)
    if skipped:
        print(f"{skipped} skipped (counted neither passed nor failed)")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
