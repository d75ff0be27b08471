#!/usr/bin/python3
"""Faults under load: while eight users keep running agents (on two
run-executor replicas), listing sessions and writing memories, authn,
authz, data, the database and one of the two run-executors are stopped and
started again, one after the other. While a dependency is down, calls fail
closed (UNAVAILABLE or DEADLINE_EXCEEDED, never another user's data, never
a wrong verdict such as UNAUTHENTICATED); within seconds of its return,
calls succeed again; in steady state nothing fails. Afterwards no run
stays in progress once the lease has run out (reading it fails it), and no
run is half-written: a finished run's last stored event is the one its
status says.

The database outage is this suite's database refusing connections (its
existing ones terminated): the cluster itself is shared with other tests.
"""

import pathlib
import subprocess
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import Suite, bearer  # noqa: E402

import grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None
LEASE_SECONDS = 2
USERS = 8
# How long a dependency stays down, and the bound on coming back.
DOWN_SECONDS = 3.0
RECOVERY_BOUND_SECONDS = 10.0
FAIL_CLOSED = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
RUN_WORDS = " ".join(f"w{n}" for n in range(30))


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started(run_executor_config={"run_limits": {
        "lease_seconds": LEASE_SECONDS, "poll_interval_ms": 100}})
    SUITE.launch_replica("run_executor#2")


def tearDownModule() -> None:
    SUITE.stop()


class Load:
    """USERS threads of mixed calls; each outcome recorded with the phase it
    was made in. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.phase = "steady"
        self.outcomes = []  # (phase, operation, code)
        self.cross_user = []
        self.stopping = threading.Event()
        self.channels = {name: grpc.insecure_channel(SUITE.addresses[name])
                         for name in ("data", "run_executor", "run_executor#2")}
        self.threads = [threading.Thread(target=self.user, args=(n,)) for n in range(USERS)]

    def set_phase(self, phase: str) -> None:
        with self.lock:
            self.phase = phase

    def record(self, phase: str, operation: str, code) -> None:
        """`phase` is the one the call started in; a call that began in
        steady state and ended in an outage counts for the outage."""
        with self.lock:
            if phase.startswith("steady"):
                phase = self.phase
            self.outcomes.append((phase, operation, code))

    def user(self, n: int) -> None:
        name, tenant = f"fault-user{n}", f"ft{n % 2}"
        sessions = data_pb2_grpc.SessionsStub(self.channels["data"])
        memories = data_pb2_grpc.MemoriesStub(self.channels["data"])
        replicas = [runs_pb2_grpc.RunsStub(self.channels[r])
                    for r in ("run_executor", "run_executor#2")]
        token, minted = None, 0.0
        step = 0
        while not self.stopping.is_set():
            # A token a minute old at most; minted before the phase is read.
            if time.monotonic() - minted > 60:
                token = bearer(SUITE.token(name, tenant=tenant, roles="member"))
                minted = time.monotonic()
            with self.lock:
                phase = self.phase
            step += 1
            operation = ("run", "sessions", "memory")[step % 3]
            try:
                if operation == "run":
                    message = f"{name} {uuid.uuid4().hex} {RUN_WORDS}"
                    events = list(replicas[step % 2].RunAgent(runs_pb2.RunAgentRequest(
                        agent_id="echo", input=message), metadata=token, timeout=30))
                    last = events[-1]
                    if last.WhichOneof("event") == "completed" and \
                            last.completed.output != message:
                        self.cross("a run's output", name)
                elif operation == "sessions":
                    listed = sessions.ListSessions(data_pb2.ListSessionsRequest(
                        page=common_pb2.PageRequest(limit=20)), metadata=token, timeout=10)
                    for session in listed.sessions:
                        if (session.user_id, session.tenant_id) != (name, tenant):
                            self.cross("a session", name)
                else:
                    text = f"{name} {uuid.uuid4().hex}"
                    made = memories.CreateMemory(data_pb2.CreateMemoryRequest(text=text),
                                                 metadata=token, timeout=10)
                    if (made.user_id, made.tenant_id, made.text) != (name, tenant, text):
                        self.cross("a memory", name)
                self.record(phase, operation, grpc.StatusCode.OK)
            except grpc.RpcError as error:
                self.record(phase, operation, error.code())
                time.sleep(0.1)

    def cross(self, what: str, name: str) -> None:
        with self.lock:
            self.cross_user.append(f"{name} got {what} of someone else")

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)
        for channel in self.channels.values():
            channel.close()


def set_database(allow: bool) -> None:
    """This suite's database accepts connections again, or refuses new ones
    and drops those it has (all but the suite's own superuser session)."""
    statements = [f"ALTER DATABASE {SUITE.database} ALLOW_CONNECTIONS {str(allow).lower()}"]
    if not allow:
        statements.append(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{SUITE.database}' AND usename <> 'postgres'")
    for statement in statements:
        subprocess.run(["/usr/bin/psql", f"{SUITE.pg} dbname=postgres user=postgres",
                        "-v", "ON_ERROR_STOP=1", "-c", statement],
                       check=True, capture_output=True)


class FaultIntegrationTest(unittest.TestCase):

    def probe(self) -> None:
        """One fresh-token call through each path: data, and a short run on
        each replica."""
        # A fresh token (its own id): no cached answer stands in for authn.
        token = bearer(SUITE.token("fault-probe", tenant="ft0", roles="member"))
        with grpc.insecure_channel(SUITE.addresses["data"]) as channel:
            data_pb2_grpc.SessionsStub(channel).ListSessions(
                data_pb2.ListSessionsRequest(), metadata=token, timeout=5)
        for replica in ("run_executor", "run_executor#2"):
            with grpc.insecure_channel(SUITE.addresses[replica]) as channel:
                events = list(runs_pb2_grpc.RunsStub(channel).RunAgent(
                    runs_pb2.RunAgentRequest(agent_id="echo", input="probe"),
                    metadata=token, timeout=10))
                if events[-1].WhichOneof("event") != "completed":
                    raise RuntimeError(f"probe run on {replica} ended "
                                       f"{events[-1].WhichOneof('event')}")

    def recovered_within(self, seconds: float) -> float:
        started = time.monotonic()
        while True:
            try:
                self.probe()
                return time.monotonic() - started
            except (grpc.RpcError, RuntimeError) as error:
                if time.monotonic() - started > seconds:
                    self.fail(f"not back within {seconds} s: {error}")
                time.sleep(0.2)

    def test_every_dependency_fails_closed_and_comes_back(self):
        faults = [
            ("authn", lambda: SUITE.kill("authn"), lambda: SUITE.restart("authn")),
            ("authz", lambda: SUITE.kill("authz"), lambda: SUITE.restart("authz")),
            ("data", lambda: SUITE.kill("data"), lambda: SUITE.restart("data")),
            ("database", lambda: set_database(False), lambda: set_database(True)),
            ("run_executor#2", lambda: SUITE.kill("run_executor#2"),
             lambda: SUITE.restart("run_executor#2")),
        ]
        recovery = {}
        with Load() as load:
            time.sleep(2)
            for name, stop, start in faults:
                load.set_phase(f"down:{name}")
                stop()
                try:
                    time.sleep(DOWN_SECONDS / 2)
                    # A fresh token's calls fail closed (no cached answer
                    # stands in), whatever the load happened to be doing.
                    with self.assertRaises(grpc.RpcError, msg=name) as raised:
                        self.probe()
                    self.assertIn(raised.exception.code(), FAIL_CLOSED,
                                  f"{name}: {raised.exception.details()}")
                    time.sleep(DOWN_SECONDS / 2)
                finally:
                    load.set_phase(f"back:{name}")
                    start()
                recovery[name] = self.recovered_within(RECOVERY_BOUND_SECONDS)
                load.set_phase(f"steady after {name}")
                time.sleep(2)
        print("seconds to recover:", {k: round(v, 2) for k, v in recovery.items()})

        self.assertEqual(load.cross_user, [])
        by_phase = {}
        for phase, operation, code in load.outcomes:
            by_phase.setdefault(phase, []).append((operation, code))
        for phase, outcomes in sorted(by_phase.items()):
            codes = {code for _, code in outcomes}
            if phase.startswith("steady"):
                # Steady state: everything succeeds.
                failed = [o for o in outcomes if o[1] != grpc.StatusCode.OK]
                self.assertEqual(failed, [], phase)
            else:
                # Down, or coming back: success or failing closed.
                self.assertLessEqual(codes, FAIL_CLOSED | {grpc.StatusCode.OK},
                                     f"{phase}: {sorted(str(c) for c in codes)}")

        # No run stays in progress: once the lease is over, reading a run
        # whose replica died fails it.
        time.sleep(LEASE_SECONDS + 1)
        with grpc.insecure_channel(SUITE.addresses["run_executor"]) as channel:
            runs = runs_pb2_grpc.RunsStub(channel)
            for n in range(USERS):
                token = bearer(SUITE.token(f"fault-user{n}", tenant=f"ft{n % 2}",
                                           roles="member"))
                runs.ListRuns(runs_pb2.ListRunsRequest(
                    page=common_pb2.PageRequest(limit=1000)), metadata=token, timeout=30)
        in_progress = SUITE.query(
            "SELECT run_id, status FROM bastion_data.runs "
            "WHERE status IN ('pending', 'running')")
        self.assertEqual(in_progress, [])
        # Nothing half-written: a finished run's last event is its status's.
        mismatched = SUITE.query(
            "SELECT r.run_id, r.status, e.type FROM bastion_data.runs r "
            "LEFT JOIN LATERAL (SELECT type FROM bastion_data.run_events e "
            "  WHERE e.tenant_id = r.tenant_id AND e.run_id = r.run_id "
            "  ORDER BY seq DESC LIMIT 1) e ON true "
            "WHERE r.status IN ('completed', 'failed', 'cancelled') "
            "  AND e.type IS DISTINCT FROM r.status")
        self.assertEqual(mismatched, [])
        self.assertGreater(len(SUITE.query("SELECT 1 FROM bastion_data.runs "
                                           "WHERE status = 'completed'")), 10)


if __name__ == "__main__":
    bastion_suite.main()
