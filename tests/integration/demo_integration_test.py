#!/usr/bin/python3
"""tools/demo.sh, the narrated demo tools/up.sh ends with, against the real
suite: it must finish (it checks each step itself and exits non-zero when
one does not turn out as narrated), and its key lines must be there: two
runs completed, each user seeing only their own sessions, the run paused
for approval, the requester refused, the admin's approval, the completed
continuation and the audit log naming who asked and who decided."""

import os
import pathlib
import re
import subprocess
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import ISSUER, RUNFILES, Suite  # noqa: E402

SUITE = None
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


class DemoIntegrationTest(unittest.TestCase):

    def test_the_demo_tells_the_main_job_as_it_happens(self):
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("BASTION_")}
        env.update(BASTION_AUTHN_ADDR=SUITE.addresses["authn"],
                   BASTION_AUTHZ_ADDR=SUITE.addresses["authz"],
                   BASTION_DATA_ADDR=SUITE.addresses["data"],
                   BASTION_RUNS_ADDR=SUITE.addresses["run_executor"],
                   DEMO_KEY=str(SUITE.dir / "keys/it.private.pem"),
                   DEMO_ISSUER=ISSUER, DEMO_AUDIENCE="bastion",
                   BASTION_CLI=str(RUNFILES / "tools/cli/bastion"),
                   CALL_PY=str(RUNFILES / "tools/call.py"))
        # As on a terminal: the narration (stderr) among the output.
        done = subprocess.run([str(RUNFILES / "tools/demo.sh")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=240)
        out = ANSI.sub("", done.stdout)
        self.assertEqual(done.returncode, 0, out)
        lines = out.splitlines()

        def after(heading: str) -> list:
            start = next(i for i, line in enumerate(lines) if line.startswith("== " + heading))
            end = next((i for i in range(start + 1, len(lines))
                        if lines[i].startswith("== ")), len(lines))
            return [line for line in lines[start + 1:end] if line.strip()]

        self.assertEqual([line for line in after("each runs") if "Completed" in line],
                         ["✓ Completed", "✓ Completed"])
        sessions = after("each sees only their own")
        alice_at = sessions.index("$ bastion sessions list --limit 3   (alice)")
        bob_at = sessions.index("$ bastion sessions list --limit 3   (bob)")
        self.assertTrue(all(" alice " in line for line in sessions[alice_at + 2:bob_at]))
        self.assertTrue(all(" bob " in line for line in sessions[bob_at + 2:]))
        paused = after("alice runs the agent again")[-1]
        match = re.fullmatch(r"run (run-[0-9a-f]+) paused: tool call (\S+) waits for "
                             r"approval (\S+)", paused)
        self.assertIsNotNone(match, paused)
        approval = match.group(3)
        self.assertIn("error: the requester cannot resolve its own approval",
                      after("alice approves calls, but not her own"))
        self.assertIn(f"Approved calculator for run {match.group(1)} (approval {approval}).",
                      after("carol approves it"))
        self.assertEqual(after("alice continues the run")[-2:],
                         ['19*3 = {"result":57}', "✓ Completed"])
        audit = [line.split()[1:3] for line in after("the audit log")
                 if line.endswith(approval) or "(requested by" in line]
        self.assertEqual(audit, [["alice", "approvals.requested"],
                                 ["carol", "approvals.approved"]])


if __name__ == "__main__":
    bastion_suite.main()
