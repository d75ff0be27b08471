#!/usr/bin/env python3
"""count_tests.py on made-up build event files: what passes, what fails,
and that a crash, a build failure, a missing report or an unfinished or
unsuccessful invocation can never read as all passed."""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import count_tests  # noqa: E402

PASS_CASE = '<testcase name="{0}"/>'
FAIL_CASE = '<testcase name="{0}"><failure message="no"/></testcase>'
SKIP_CASE = '<testcase name="{0}"><skipped/></testcase>'


class Invocation:
    """Builds the events of one made-up `bazel test` run."""

    def __init__(self, tmp):
        self.tmp = pathlib.Path(tmp)
        self.events = []

    def test_target(self, label, kind="cc_test rule"):
        self.events.append({"id": {"targetConfigured": {"label": label}},
                            "configured": {"targetKind": kind,
                                           "testSize": "SMALL"}})

    def library(self, label):
        self.events.append({"id": {"targetConfigured": {"label": label}},
                            "configured": {"targetKind": "cc_library rule"}})

    def completed(self, label, success):
        event = {"id": {"targetCompleted": {"label": label}}, "completed": {}}
        if success:
            event["completed"]["success"] = True
        self.events.append(event)

    def result(self, label, status, cases=None, attempt=1, run=1):
        outputs = []
        if cases is not None:
            path = self.tmp / f"{len(self.events)}.xml"
            path.write_text("<testsuites><testsuite>" + "".join(
                case.format(f"c{i}") for i, case in enumerate(cases))
                + "</testsuite></testsuites>")
            outputs.append({"name": "test.xml", "uri": f"file://{path}"})
        self.events.append({
            "id": {"testResult": {"label": label, "run": run, "shard": 1,
                                  "attempt": attempt}},
            "testResult": {"status": status, "testActionOutput": outputs}})

    def finished(self, success=True, code="SUCCESS"):
        self.events.append({"id": {"buildFinished": {}},
                            "finished": {"overallSuccess": success,
                                         "exitCode": {"name": code}}})

    def count(self):
        with open(os.devnull, "w") as log:
            return count_tests.count(self.events, log=log)


class CountTestsTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.invocation = Invocation(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def test_counts_every_case_of_every_report(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.test_target("//b:b_test")
        r.result("//a:a_test", "PASSED", [PASS_CASE] * 3)
        r.result("//b:b_test", "PASSED", [PASS_CASE])
        r.finished()
        self.assertEqual(r.count(), (4, 0, 0))

    def test_failed_cases_count_as_failed_and_skipped_as_skipped(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "FAILED", [PASS_CASE, FAIL_CASE, SKIP_CASE])
        r.finished(success=False, code="TESTS_FAILED")
        self.assertEqual(r.count(), (1, 1, 1))

    def test_a_skipped_case_is_never_a_pass(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "PASSED", [PASS_CASE, SKIP_CASE,
                                         '<testcase name="{0}" result="skipped"/>'])
        r.finished()
        self.assertEqual(r.count(), (1, 0, 2))

    def test_a_case_not_run_is_a_failure(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "PASSED", [PASS_CASE, '<testcase name="{0}" status="notrun"/>'])
        r.finished()
        self.assertEqual(r.count(), (1, 1, 0))

    def test_a_report_without_cases_is_one_case(self):
        r = self.invocation
        r.test_target("//a:a_test", kind="sh_test rule")
        r.result("//a:a_test", "PASSED", [])
        r.finished()
        self.assertEqual(r.count(), (1, 0, 0))

    def test_a_crash_after_passing_cases_is_a_failure(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "FAILED", [PASS_CASE, PASS_CASE])
        r.finished(success=False, code="TESTS_FAILED")
        self.assertEqual(r.count(), (0, 1, 0))

    def test_a_timeout_without_a_report_is_a_failure(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "TIMEOUT", cases=None)
        r.finished(success=False, code="TESTS_FAILED")
        self.assertEqual(r.count(), (0, 1, 0))

    def test_a_test_that_did_not_build_is_a_failure(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.test_target("//b:b_test")
        r.completed("//a:a_test", success=False)
        r.result("//b:b_test", "PASSED", [PASS_CASE])
        r.finished(success=False, code="BUILD_FAILURE")
        self.assertEqual(r.count(), (1, 1, 0))

    def test_a_library_that_did_not_build_is_a_failure(self):
        r = self.invocation
        r.library("//a:lib")
        r.test_target("//b:b_test")
        r.completed("//a:lib", success=False)
        r.completed("//b:b_test", success=True)
        r.result("//b:b_test", "PASSED", [PASS_CASE])
        r.finished(success=False, code="BUILD_FAILURE")
        self.assertEqual(r.count(), (1, 1, 0))

    def test_the_last_attempt_of_a_flaky_test_counts(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "FAILED", [FAIL_CASE], attempt=1)
        r.result("//a:a_test", "PASSED", [PASS_CASE], attempt=2)
        r.finished()
        self.assertEqual(r.count(), (1, 0, 0))

    def test_every_run_counts(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "PASSED", [PASS_CASE], run=1)
        r.result("//a:a_test", "FAILED", [FAIL_CASE], run=2)
        r.finished(success=False, code="TESTS_FAILED")
        self.assertEqual(r.count(), (1, 1, 0))

    def test_an_unsuccessful_invocation_is_never_all_passed(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "PASSED", [PASS_CASE])
        r.finished(success=False, code="ANALYSIS_FAILURE")
        self.assertEqual(r.count(), (1, 1, 0))

    def test_no_end_of_the_build_is_a_failure(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "PASSED", [PASS_CASE])
        self.assertEqual(r.count(), (1, 1, 0))

    def test_last_line_and_exit_status(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "PASSED", [PASS_CASE, PASS_CASE])
        r.finished()
        events = pathlib.Path(self._tmp.name) / "events.json"
        events.write_text("\n".join(json.dumps(e) for e in r.events) + "\n")
        script = str(HERE / "count_tests.py")
        ok = subprocess.run([sys.executable, script, str(events)],
                            capture_output=True, text=True)
        self.assertEqual((ok.returncode, ok.stdout.splitlines()[-1]),
                         (0, "2 passed, 0 failed"))
        missing = subprocess.run(
            [sys.executable, script, str(events) + ".missing"],
            capture_output=True, text=True)
        self.assertEqual((missing.returncode, missing.stdout.splitlines()[-1]),
                         (1, "0 passed, 1 failed"))

    def test_last_line_with_skips_and_exit_status(self):
        r = self.invocation
        r.test_target("//a:a_test")
        r.result("//a:a_test", "PASSED", [PASS_CASE, SKIP_CASE])
        r.finished()
        events = pathlib.Path(self._tmp.name) / "events.json"
        events.write_text("\n".join(json.dumps(e) for e in r.events) + "\n")
        done = subprocess.run([sys.executable, str(HERE / "count_tests.py"), str(events)],
                              capture_output=True, text=True)
        self.assertEqual((done.returncode, done.stdout.splitlines()[-2:]),
                         (0, ["1 skipped (counted neither passed nor failed)",
                              "1 passed, 0 failed"]))
        self.assertIn("//a:a_test c1: skipped", done.stderr)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
