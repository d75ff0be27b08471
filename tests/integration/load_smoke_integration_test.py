#!/usr/bin/python3
"""tools/load/load_test.py at a tiny size (8 users, 4 seconds) against the
real suite: the program runs every operation of its mixed workload, finds
no cross-user result and no unexpected error, and says so. The load test
itself (200 users, 60 seconds) is a documented command, not a test."""

import pathlib
import subprocess
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import ISSUER, PY, RUNFILES, Suite  # noqa: E402

SUITE = None


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


class LoadSmokeIntegrationTest(unittest.TestCase):

    def test_a_short_mixed_load_stays_with_its_callers(self):
        done = subprocess.run(
            [PY, str(RUNFILES / "tools/load/load_test.py"), "--users", "8", "--seconds", "4",
             "--runs", SUITE.addresses["run_executor"], "--data", SUITE.addresses["data"],
             "--key", str(SUITE.dir / "keys/it.private.pem"), "--kid", "it", "--iss", ISSUER],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        lines = done.stdout.splitlines()
        self.assertIn("cross-user results: 0", lines)
        self.assertIn("unexpected errors: 0", lines)
        counts = {line.split()[0]: int(line.split()[1]) for line in lines
                  if line.split() and line.split()[0] in ("run", "sessions", "memory",
                                                           "approval", "resolve")}
        for operation in ("run", "sessions", "memory", "approval"):
            self.assertGreater(counts.get(operation, 0), 0, done.stdout)


if __name__ == "__main__":
    bastion_suite.main()
