#!/usr/bin/python3
"""Load test of a running suite: many simulated users of two tenants at
once, for a bounded time, on a mixed workload, with every answer checked to
belong to its caller.

  tools/up.sh --detach --no-demo
  tools/load/load_test.py --users 200 --seconds 60

Each user is one thread with its own token (minted here with the suite's
development key) and loops over:
  run       RunAgent of the echo agent with a message only this user sends:
            every event names the run, the output is the user's own
            message, and the run's session is the user's (GetSession);
  sessions  ListSessions: every session is the user's, in the user's tenant;
  memory    CreateMemory with a text only this user writes, then
            ListMemories: every memory is the user's;
  approval  RunAgent of the ops agent, whose tool needs an approver: the run
            pauses, and ListApprovals shows the user only their own
            requests; one approver per tenant resolves pending approvals of
            its tenant only (every approval it sees is its tenant's; a
            resolve that another approver won answers FAILED_PRECONDITION).
Anything else than OK (or that FAILED_PRECONDITION) is an unexpected error;
anything of another user or tenant is a cross-user result. Prints
throughput and p50/p99 latency per operation; exits 1 when there was any
cross-user result or unexpected error. Loopback only (addresses must be
127.0.0.1 or localhost).
"""

import argparse
import collections
import pathlib
import random
import sys
import threading
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
GENERATED = next((folder for folder in (ROOT / "bazel-bin" / "protos", ROOT / "protos")
                  if any(folder.glob("bastion/*/v1/*_pb2.py"))), None)
if GENERATED is None:
    raise SystemExit("no generated stubs: run `bazel build //protos:all` first")
sys.path.insert(0, str(GENERATED))
sys.path.insert(0, str(ROOT / "tools"))

import grpc  # noqa: E402
import jwt  # noqa: E402
import mint_token  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

OPERATIONS = ("run", "sessions", "memory", "approval")
WEIGHTS = (4, 3, 3, 1)
TENANTS = ("load-a", "load-b")


class Tally:
    """Latencies per operation, and the problems found. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = collections.defaultdict(list)
        self.cross_user = []
        self.unexpected = []

    def done(self, operation: str, seconds: float) -> None:
        with self.lock:
            self.latency[operation].append(seconds)

    def cross(self, what: str) -> None:
        with self.lock:
            self.cross_user.append(what)

    def error(self, what: str) -> None:
        with self.lock:
            self.unexpected.append(what)


def token(key, alg: str, kid: str, issuer: str, audience: str, sub: str, tenant: str,
          roles: str, scopes: str) -> str:
    now = int(time.time())
    claims = {"sub": sub, "iss": issuer, "aud": audience, "iat": now, "nbf": now,
              "exp": now + 7200, "jti": uuid.uuid4().hex, "scopes": scopes.split(),
              "tenant_id": tenant, "roles": roles.split()}
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


class User:
    def __init__(self, name: str, tenant: str, bearer: str, runs_channel, data_channel,
                 tally: Tally):
        self.name, self.tenant, self.tally = name, tenant, tally
        self.metadata = [("authorization", "Bearer " + bearer)]
        self.runs = runs_pb2_grpc.RunsStub(runs_channel)
        self.approvals = runs_pb2_grpc.ApprovalsStub(runs_channel)
        self.sessions = data_pb2_grpc.SessionsStub(data_channel)
        self.memories = data_pb2_grpc.MemoriesStub(data_channel)

    def mine(self, what: str, user: str, tenant: str) -> None:
        if user != self.name or tenant != self.tenant:
            self.tally.cross(f"{self.name}@{self.tenant} got {what} of {user}@{tenant}")

    def run(self) -> None:
        message = f"{self.name} {uuid.uuid4().hex}"
        events = list(self.runs.RunAgent(runs_pb2.RunAgentRequest(
            agent_id="echo", input=message), metadata=self.metadata, timeout=60))
        run_id = events[0].run_id
        if any(event.run_id != run_id for event in events):
            self.tally.cross(f"{self.name}: events of two runs in one stream")
        last = events[-1]
        if last.WhichOneof("event") != "completed":
            self.tally.error(f"run: ended {last.WhichOneof('event')}")
        elif last.completed.output != message:
            self.tally.cross(f"{self.name}: run output {last.completed.output[:40]!r}")
        session = self.sessions.GetSession(
            data_pb2.GetSessionRequest(session_id=events[0].started.session_id),
            metadata=self.metadata, timeout=10)
        self.mine("a run's session", session.user_id, session.tenant_id)

    def list_sessions(self) -> None:
        listed = self.sessions.ListSessions(data_pb2.ListSessionsRequest(
            page=common_pb2.PageRequest(limit=50)), metadata=self.metadata, timeout=10)
        for session in listed.sessions:
            self.mine("a session", session.user_id, session.tenant_id)

    def memory(self) -> None:
        text = f"{self.name} remembers {uuid.uuid4().hex}"
        made = self.memories.CreateMemory(data_pb2.CreateMemoryRequest(text=text),
                                          metadata=self.metadata, timeout=10)
        self.mine("a new memory", made.user_id, made.tenant_id)
        if made.text != text:
            self.tally.cross(f"{self.name}: memory text {made.text[:40]!r}")
        listed = self.memories.ListMemories(data_pb2.ListMemoriesRequest(
            page=common_pb2.PageRequest(limit=50)), metadata=self.metadata, timeout=10)
        for memory in listed.memories:
            self.mine("a memory", memory.user_id, memory.tenant_id)

    def approval(self) -> None:
        events = list(self.runs.RunAgent(runs_pb2.RunAgentRequest(
            agent_id="ops", input=f"restart {self.name}"), metadata=self.metadata,
            timeout=60))
        if events[-1].WhichOneof("event") != "paused":
            self.tally.error(f"approval: the ops run ended {events[-1].WhichOneof('event')}")
        listed = self.approvals.ListApprovals(runs_pb2.ListApprovalsRequest(
            page=common_pb2.PageRequest(limit=50)), metadata=self.metadata, timeout=10)
        for approval in listed.approvals:
            self.mine("an approval", approval.requester, approval.tenant_id)

    def loop(self, until: float, rng: random.Random) -> None:
        actions = {"run": self.run, "sessions": self.list_sessions, "memory": self.memory,
                   "approval": self.approval}
        while time.monotonic() < until:
            operation = rng.choices(OPERATIONS, WEIGHTS)[0]
            started = time.monotonic()
            try:
                actions[operation]()
                self.tally.done(operation, time.monotonic() - started)
            except grpc.RpcError as error:
                self.tally.error(f"{operation}: {error.code().name}: {error.details()}")


class Approver:
    """Resolves pending approvals of its tenant, never its own."""

    def __init__(self, name: str, tenant: str, bearer: str, runs_channel, tally: Tally):
        self.name, self.tenant, self.tally = name, tenant, tally
        self.metadata = [("authorization", "Bearer " + bearer)]
        self.approvals = runs_pb2_grpc.ApprovalsStub(runs_channel)

    def loop(self, until: float, rng: random.Random) -> None:
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                listed = self.approvals.ListApprovals(runs_pb2.ListApprovalsRequest(
                    status=runs_pb2.APPROVAL_STATUS_PENDING,
                    page=common_pb2.PageRequest(limit=20)), metadata=self.metadata, timeout=10)
                for approval in listed.approvals:
                    if approval.tenant_id != self.tenant:
                        self.tally.cross(f"approver {self.name}@{self.tenant} saw an approval "
                                         f"of tenant {approval.tenant_id}")
                if listed.approvals:
                    pick = rng.choice(list(listed.approvals))
                    try:
                        self.approvals.ResolveApproval(runs_pb2.ResolveApprovalRequest(
                            approval_id=pick.approval_id, approve=rng.random() < 0.5),
                            metadata=self.metadata, timeout=10)
                    except grpc.RpcError as error:
                        # Resolved or expired meanwhile.
                        if error.code() != grpc.StatusCode.FAILED_PRECONDITION:
                            raise
                self.tally.done("resolve", time.monotonic() - started)
            except grpc.RpcError as error:
                self.tally.error(f"resolve: {error.code().name}: {error.details()}")
            time.sleep(0.2)


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def loopback(address: str) -> str:
    host = address.rsplit(":", 1)[0]
    if host not in ("127.0.0.1", "localhost", "[::1]"):
        raise SystemExit(f"{address}: the load test runs on loopback only")
    return address


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", default="127.0.0.1:7004", help="run-executor")
    parser.add_argument("--data", default="127.0.0.1:7003", help="data")
    parser.add_argument("--key", default=str(ROOT / ".bastion/keys/dev.private.pem"))
    parser.add_argument("--kid", default="dev")
    parser.add_argument("--iss", default="https://dev.bastion.local")
    parser.add_argument("--aud", default="bastion")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not 1 <= args.users <= 1000 or not 1 <= args.seconds <= 600:
        raise SystemExit("--users 1..1000, --seconds 1..600")

    key, alg = mint_token.load_key(args.key)
    tally = Tally()
    # A few channels shared by the users, as a client pool would.
    runs_channels = [grpc.insecure_channel(loopback(args.runs)) for _ in range(4)]
    data_channels = [grpc.insecure_channel(loopback(args.data)) for _ in range(4)]
    run_id = uuid.uuid4().hex[:6]
    workers = []
    for n in range(args.users):
        tenant = TENANTS[n % 2]
        name = f"user{n}-{run_id}"
        bearer = token(key, alg, args.kid, args.iss, args.aud, name, tenant, "member",
                       "tools:restart_service:run")
        workers.append(User(name, tenant, bearer, runs_channels[n % 4], data_channels[n % 4],
                            tally))
    for n, tenant in enumerate(TENANTS):
        name = f"approver{n}-{run_id}"
        bearer = token(key, alg, args.kid, args.iss, args.aud, name, tenant, "member",
                       "approvals:write")
        workers.append(Approver(name, tenant, bearer, runs_channels[n], tally))

    print(f"{args.users} users of {len(TENANTS)} tenants and {len(TENANTS)} approvers "
          f"for {args.seconds:g} s against {args.runs} and {args.data}")
    started = time.monotonic()
    until = started + args.seconds
    threads = [threading.Thread(target=worker.loop,
                                args=(until, random.Random(args.seed * 100003 + n)))
               for n, worker in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    print(f"{'operation':10} {'count':>7} {'per s':>8} {'p50 ms':>9} {'p99 ms':>9}")
    for operation in OPERATIONS + ("resolve",):
        values = tally.latency.get(operation, [])
        if not values:
            print(f"{operation:10} {0:>7}")
            continue
        print(f"{operation:10} {len(values):>7} {len(values) / elapsed:>8.1f} "
              f"{percentile(values, 0.5) * 1000:>9.1f} {percentile(values, 0.99) * 1000:>9.1f}")
    print(f"cross-user results: {len(tally.cross_user)}")
    print(f"unexpected errors: {len(tally.unexpected)}")
    for problem in (tally.cross_user + tally.unexpected)[:10]:
        print("  " + problem)
    return 1 if tally.cross_user or tally.unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
