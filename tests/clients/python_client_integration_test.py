#!/usr/bin/python3
"""The Python client example (examples/python) as its README section runs
it: stubs generated from the protos by examples/python/generate.sh, then
walkthrough.py against the real suite. Its steps are checked in its output
and, independently, in the database.
"""

import os
import pathlib
import subprocess
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "integration"))
import bastion_suite  # noqa: E402
from bastion_suite import PY, RUNFILES, Suite  # noqa: E402

SUITE = None


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


class PythonClientTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls) -> None:
        cls.generated = str(SUITE.dir / "python-stubs")
        subprocess.run([str(RUNFILES / "examples/python/generate.sh"), cls.generated],
                       check=True, capture_output=True, text=True)

    def walkthrough(self, tenant: str) -> subprocess.CompletedProcess:
        # Only the generated stubs on the path, not the ones Bazel built.
        return subprocess.run(
            [PY, str(RUNFILES / "examples/python/walkthrough.py"),
             "--authn", SUITE.addresses["authn"], "--data", SUITE.addresses["data"],
             "--dev-key", str(SUITE.key_file("it")), "--kid", "it",
             "--issuer", bastion_suite.ISSUER, "--tenant", tenant],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONPATH=self.generated))

    def test_the_generated_stubs_cover_every_public_proto(self):
        generated = sorted(str(path.relative_to(self.generated))
                           for path in pathlib.Path(self.generated).rglob("*_pb2*.py"))
        for name in ("authn", "authz", "data", "runs"):
            self.assertIn(f"bastion/{name}/v1/{name}_pb2.py", generated)
            self.assertIn(f"bastion/{name}/v1/{name}_pb2_grpc.py", generated)
        self.assertIn("bastion/common/v1/common_pb2.py", generated)
        self.assertFalse([path for path in generated if "/test/" in path])

    def test_walkthrough_shows_each_user_only_their_own(self):
        done = self.walkthrough("t-python")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        lines = done.stdout.splitlines()
        self.assertIn("alice logged in: subject alice, tenant t-python, roles member", lines)
        self.assertIn("bob logged in: subject bob, tenant t-python, roles member", lines)
        self.assertIn("bob reads alice's session: NOT_FOUND", lines)
        self.assertIn("bob reads alice's memory: NOT_FOUND", lines)
        self.assertIn("alice lists 2 memories: prefers short answers; "
                      "works in the Berlin office", lines)
        self.assertIn("bob lists 0 memories", lines)
        self.assertEqual(lines[-1], "every check held: each user sees only their own")

        # What the output claims is what the database holds.
        session_id = next(line.split()[3] for line in lines
                          if line.startswith("alice created session "))
        self.assertEqual(SUITE.query(
            "SELECT tenant_id, user_id FROM bastion_data.sessions WHERE session_id = %s",
            (session_id,)), [("t-python", "alice")])
        self.assertEqual(SUITE.query(
            "SELECT user_id, count(*) FROM bastion_data.memories "
            "WHERE tenant_id = 't-python' GROUP BY user_id"), [("alice", 2)])

    def test_a_token_of_an_unknown_key_is_refused(self):
        other = str(SUITE.dir / "python-stranger")
        SUITE.run(PY, str(RUNFILES / "tools/keygen.py"), "--type", "ed25519",
                  "--kid", "it", "--out", other, "--jwks", f"{other}/jwks.json")
        done = subprocess.run(
            [PY, str(RUNFILES / "examples/python/walkthrough.py"),
             "--authn", SUITE.addresses["authn"], "--data", SUITE.addresses["data"],
             "--dev-key", f"{other}/it.private.pem", "--kid", "it",
             "--issuer", bastion_suite.ISSUER, "--tenant", "t-python-forged"],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONPATH=self.generated))
        self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
        self.assertIn("UNAUTHENTICATED", done.stderr)
        self.assertEqual(SUITE.query(
            "SELECT count(*) FROM bastion_data.sessions WHERE tenant_id = 't-python-forged'"),
            [(0,)])


if __name__ == "__main__":
    bastion_suite.main()
