#!/usr/bin/python3
"""The Node client example (examples/node/walkthrough.js, @grpc/grpc-js and
@grpc/proto-loader) against the real suite, checked in its output and in the
database.

Runs where Node is installed and tools/test.sh has installed the example's
npm packages (it passes their folder as BASTION_NODE_MODULES). Otherwise
the test is skipped, and says why: the closing count of tools/test.sh shows
it as skipped, never as passed.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "integration"))
import bastion_suite  # noqa: E402
from bastion_suite import RUNFILES, Suite  # noqa: E402

NODE = shutil.which("node")
NODE_MODULES = os.environ.get("BASTION_NODE_MODULES", "")


def missing() -> str:
    """Why the example cannot run here; empty when it can."""
    if NODE is None:
        return "node is not installed"
    if not NODE_MODULES or not pathlib.Path(NODE_MODULES, "@grpc/grpc-js").is_dir():
        return ("the npm packages of examples/node are not installed "
                "(tools/test.sh installs them with npm ci)")
    return ""


SUITE = None


def setUpModule() -> None:
    global SUITE
    if not missing():
        SUITE = Suite.started()


def tearDownModule() -> None:
    if SUITE is not None:
        SUITE.stop()


class NodeClientTest(unittest.TestCase):

    def setUp(self) -> None:
        reason = missing()
        if reason:
            self.skipTest(reason)

    def walkthrough(self, tenant: str, key: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [NODE, str(RUNFILES / "examples/node/walkthrough.js"),
             "--authn", SUITE.addresses["authn"], "--data", SUITE.addresses["data"],
             "--dev-key", key, "--kid", "it", "--issuer", bastion_suite.ISSUER,
             "--tenant", tenant, "--protos", str(RUNFILES / "protos")],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, NODE_PATH=NODE_MODULES))

    def test_walkthrough_shows_each_user_only_their_own(self):
        done = self.walkthrough("t-node", str(SUITE.key_file("it")))
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        lines = done.stdout.splitlines()
        self.assertIn("alice logged in: subject alice, tenant t-node, roles member", lines)
        self.assertIn("bob logged in: subject bob, tenant t-node, roles member", lines)
        self.assertIn("bob reads alice's session: NOT_FOUND", lines)
        self.assertIn("bob reads alice's memory: NOT_FOUND", lines)
        self.assertIn("alice lists 2 memories: prefers short answers; "
                      "works in the Berlin office", lines)
        self.assertIn("bob lists 0 memories", lines)
        self.assertEqual(lines[-1], "every check held: each user sees only their own")

        session_id = next(line.split()[3] for line in lines
                          if line.startswith("alice created session "))
        self.assertEqual(SUITE.query(
            "SELECT tenant_id, user_id FROM bastion_data.sessions WHERE session_id = %s",
            (session_id,)), [("t-node", "alice")])
        self.assertEqual(SUITE.query(
            "SELECT user_id, count(*) FROM bastion_data.memories "
            "WHERE tenant_id = 't-node' GROUP BY user_id"), [("alice", 2)])

    def test_a_token_of_an_unknown_key_is_refused(self):
        other = pathlib.Path(SUITE.dir, "node-stranger")
        SUITE.run(bastion_suite.PY, str(RUNFILES / "tools/keygen.py"), "--type", "ed25519",
                  "--kid", "it", "--out", str(other), "--jwks", str(other / "jwks.json"))
        done = self.walkthrough("t-node-forged", str(other / "it.private.pem"))
        self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
        self.assertIn("UNAUTHENTICATED", done.stderr)
        self.assertEqual(SUITE.query(
            "SELECT count(*) FROM bastion_data.sessions WHERE tenant_id = 't-node-forged'"),
            [(0,)])


if __name__ == "__main__":
    bastion_suite.main()
