#!/usr/bin/python3
"""Starts the real four services on port 0 against a real PostgreSQL and
checks health on each and real RPCs end to end (token -> authn -> authz ->
service -> PostgreSQL with row-level security).

Needs the throwaway cluster tools/test.sh starts (BASTION_TEST_PGHOST,
BASTION_TEST_PGPORT); fails, never skips, without it.
"""

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

RUNFILES = pathlib.Path(os.environ.get("TEST_SRCDIR", ".")) / "bastion"
if not RUNFILES.is_dir():
    RUNFILES = pathlib.Path(".").resolve()
sys.path.insert(0, str(RUNFILES / "protos"))

import grpc  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.authz.v1 import authz_pb2, authz_pb2_grpc  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

PY = "/usr/bin/python3"
ISSUER = "https://it.bastion.local"
SERVICES = ("authn", "authz", "data", "run_executor")
BINARIES = {
    "authn": "services/authn/authn",
    "authz": "services/authz/authz",
    "data": "services/data/data",
    "run_executor": "services/run_executor/run_executor",
}


def health(address: str) -> int:
    """grpc.health.v1.Health/Check for the whole server; returns the status enum."""
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary("/grpc.health.v1.Health/Check",
                                   request_serializer=lambda _: b"",
                                   response_deserializer=lambda data: data)
        data = call(None, timeout=10, wait_for_ready=True)
    return data[1] if len(data) == 2 and data[0] == 0x08 else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Suite:
    """The four services and their database, started once for all tests."""

    def __init__(self) -> None:
        host = os.environ.get("BASTION_TEST_PGHOST")
        port = os.environ.get("BASTION_TEST_PGPORT")
        if not host or not port:
            raise RuntimeError("BASTION_TEST_PGHOST/BASTION_TEST_PGPORT not set: "
                               "run through tools/test.sh")
        self.pg = f"host={host} port={port}"
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="bastion-it-"))
        self.database = "it_" + uuid.uuid4().hex[:12]
        self.processes = {}
        self.addresses = {}

    def run(self, *args: str) -> str:
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout

    def start(self) -> None:
        migrate = str(RUNFILES / "services/data/migrate/migrate")
        self.run(migrate, "bootstrap", f"--conninfo={self.pg} dbname=postgres user=postgres",
                 f"--database={self.database}")
        self.run(migrate, "up", f"--conninfo={self.pg} dbname={self.database} user=bastion_owner")
        keys = self.dir / "keys"
        self.run(PY, str(RUNFILES / "tools/keygen.py"), "--type", "ed25519", "--kid", "it",
                 "--out", str(keys), "--jwks", str(self.dir / "jwks.json"))
        # authn and authz name each other: authz gets a port picked here,
        # every other service listens on port 0 and reports its port.
        authz_address = f"127.0.0.1:{free_port()}"
        self.launch("authn", BASTION_JWKS_FILE=str(self.dir / "jwks.json"),
                    BASTION_ISSUER=ISSUER, BASTION_AUDIENCE="bastion",
                    BASTION_ASSERTION_KEY_FILE=str(self.dir / "assertion.pem"),
                    BASTION_AUTHZ_ADDRESS=authz_address)
        self.launch("authz", listen=authz_address,
                    BASTION_AUTHN_ADDRESS=self.addresses["authn"])
        common = dict(BASTION_AUTHN_ADDRESS=self.addresses["authn"],
                      BASTION_AUTHZ_ADDRESS=self.addresses["authz"])
        self.launch("data", BASTION_DATABASE_URL=(
            f"{self.pg} dbname={self.database} user=bastion_data_svc"), **common)
        self.launch("run_executor", BASTION_DATA_ADDRESS=self.addresses["data"],
                    BASTION_REGISTRY_FILE=str(RUNFILES / "tools/dev/registry.json"), **common)

    def launch(self, name: str, listen: str = "127.0.0.1:0", **env: str) -> None:
        port_file = self.dir / f"{name}.port"
        if port_file.exists():
            port_file.unlink()
        environment = dict(os.environ, BASTION_LISTEN_ADDRESS=listen,
                           BASTION_PORT_FILE=str(port_file), **env)
        with open(self.dir / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen([str(RUNFILES / BINARIES[name])],
                                                    env=environment, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if self.processes[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n" + self.log(name))
            time.sleep(0.05)
        self.addresses[name] = "127.0.0.1:" + port_file.read_text().strip()

    def log(self, name: str) -> str:
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_one(self, name: str) -> int:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=20)

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_one(name)
        subprocess.run(["/usr/bin/psql", f"{self.pg} dbname=postgres user=postgres",
                        "-c", f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"],
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def token(self, sub: str, tenant: str = "t1", scopes: str = "", roles: str = "") -> str:
        return self.run(PY, str(RUNFILES / "tools/mint_token.py"),
                        "--key", str(self.dir / "keys/it.private.pem"), "--kid", "it",
                        "--iss", ISSUER, "--sub", sub, "--tenant", tenant,
                        "--scopes", scopes, "--roles", roles).strip()


SUITE = None


def setUpModule() -> None:
    global SUITE
    SUITE = Suite()
    try:
        SUITE.start()
    except Exception:
        for name in SERVICES:
            sys.stderr.write(f"--- {name} log ---\n{SUITE.log(name)}\n")
        SUITE.stop()
        raise


def tearDownModule() -> None:
    SUITE.stop()


def bearer(token: str):
    return [("authorization", "Bearer " + token)]


class SuiteIntegrationTest(unittest.TestCase):

    def stub(self, service: str, stub_class):
        channel = grpc.insecure_channel(SUITE.addresses[service])
        self.addCleanup(channel.close)
        return stub_class(channel)

    def assertCode(self, code: grpc.StatusCode, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, **kwargs)
        self.assertEqual(raised.exception.code(), code, raised.exception.details())

    def test_every_service_reports_serving(self):
        for name in SERVICES:
            self.assertEqual(health(SUITE.addresses[name]), 1, name)

    def test_authn_authenticates_a_token_and_rejects_a_forgery(self):
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        token = SUITE.token("alice", scopes="agents:read")
        response = authn.Authenticate(authn_pb2.AuthenticateRequest(credential=token), timeout=10)
        self.assertEqual(response.principal.subject, "alice")
        self.assertEqual(response.principal.tenant_id, "t1")
        self.assertTrue(response.assertion)
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, authn.Authenticate,
                        authn_pb2.AuthenticateRequest(credential=forged), timeout=10)
        keys = authn.GetAssertionKeys(authn_pb2.GetAssertionKeysRequest(), timeout=10)
        self.assertEqual(len(keys.keys), 1)

    def test_authz_decides_for_the_assertion_holder(self):
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        authz = self.stub("authz", authz_pb2_grpc.AuthzStub)
        token = SUITE.token("alice", roles="member")
        assertion = authn.Authenticate(
            authn_pb2.AuthenticateRequest(credential=token), timeout=10).assertion
        metadata = [("x-bastion-principal-bin", assertion)]
        allowed = authz.Check(authz_pb2.CheckRequest(
            assertion=assertion, resource="sessions", action="read"),
            metadata=metadata, timeout=10)
        self.assertEqual(allowed.decision, authz_pb2.DECISION_ALLOW)
        denied = authz.Check(authz_pb2.CheckRequest(
            assertion=assertion, resource="roles", action="write"),
            metadata=metadata, timeout=10)
        self.assertEqual(denied.decision, authz_pb2.DECISION_DENY)
        # A client-made assertion does not verify.
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, authz.Check,
                        authz_pb2.CheckRequest(assertion=b"forged"),
                        metadata=[("x-bastion-principal-bin", b"forged")], timeout=10)

    def test_run_executor_lists_agents_only_with_the_scope(self):
        agents = self.stub("run_executor", runs_pb2_grpc.AgentsStub)
        allowed = agents.ListAgents(runs_pb2.ListAgentsRequest(), timeout=10,
                                    metadata=bearer(SUITE.token("alice", scopes="agents:read")))
        self.assertIn("echo", [a.agent_id for a in allowed.agents])
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, agents.ListAgents,
                        runs_pb2.ListAgentsRequest(), timeout=10,
                        metadata=bearer(SUITE.token("bob", scopes="sessions:read")))
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, agents.ListAgents,
                        runs_pb2.ListAgentsRequest(), timeout=10)

    def test_data_sessions_are_isolated_per_user(self):
        sessions = self.stub("data", data_pb2_grpc.SessionsStub)
        alice = bearer(SUITE.token("alice", roles="member"))
        bob = bearer(SUITE.token("bob", roles="member"))
        created = sessions.CreateSession(data_pb2.CreateSessionRequest(
            component_type=data_pb2.COMPONENT_TYPE_AGENT, component_id="echo", name="mine"),
            metadata=alice, timeout=10)
        self.assertTrue(created.session_id)
        fetched = sessions.GetSession(data_pb2.GetSessionRequest(
            session_id=created.session_id), metadata=alice, timeout=10)
        self.assertEqual(fetched.name, "mine")
        self.assertCode(grpc.StatusCode.NOT_FOUND, sessions.GetSession,
                        data_pb2.GetSessionRequest(session_id=created.session_id),
                        metadata=bob, timeout=10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
