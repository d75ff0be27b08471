#!/usr/bin/python3
"""The isolation matrix through the public edge: every public RPC of data
and of run-executor's registry, enumerated from the descriptors, called on
the real binaries with real tokens by six principals against objects user A
owns. The expected outcome of each cell is written in MATRIX; an RPC
without a row fails the test, so a new RPC is covered the day it is
declared.

The principals of each row live in tenants of their own ("t1-<row>",
"t2-<row>"), so rows cannot see each other's objects and no principal nears
its rate limit; the platform admin lives in "t0":

  A         alice   of T1, role member
  B         bob     of T1, role member
  C         carol   of T2, role member
  T1-admin  admin1  of T1, role owner (a tenant admin by role)
  T2-admin  admin2  of T2, scope agent_os:admin (a tenant admin by scope)
  platform  root    of t0, scope bastion:platform_admin

Runs rows act on a run of the echo agent that A made through RunAgent
($ID is its id, $SESSION its session). Approvals rows act on a pending
approval $ID of a run of A, made as a paused run makes it (data's
RunRecords.CreateRun and ApprovalRecords.CreateApproval as A, through the
suite's trusted run-executor identity). Schedules rows act on a schedule
of the echo agent that A created through CreateSchedule.
"""

import concurrent.futures
import hashlib
import pathlib
import sys
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import Suite, bearer, invoke  # noqa: E402
import edge  # noqa: E402
from edge import edge_methods, find_method, new_request, permission_of  # noqa: E402

import grpc  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2  # noqa: E402
from bastion.runs.v1 import runs_pb2  # noqa: E402

WHO = ("A", "B", "C", "T1-admin", "T2-admin", "platform")

# Outcomes of a cell. Every outcome but OK also proves that A's rows are
# exactly as before the call; NF, AE, PD, FP and HID also that no row of
# anyone changed (the audit log aside, which records admin reads and
# denials).
OK = "OK"    # succeeds and reaches A's object (names it, counts it, or
             # changes A's rows)
HID = "HID"  # succeeds without naming A's object
NEW = "NEW"  # succeeds creating an object of the caller's own
NF = grpc.StatusCode.NOT_FOUND
AE = grpc.StatusCode.ALREADY_EXISTS
PD = grpc.StatusCode.PERMISSION_DENIED
FP = grpc.StatusCode.FAILED_PRECONDITION

# (binary, "Service/Method", request as text proto, what A's object is
# called in replies, the outcome per column of WHO). $ID is the id of A's
# objects of the cell: a session, a memory and a trace, all seeded as A
# through the public edge, and T1-admin's audited read of that session.
# Same tenant: A and the tenant admin reach A's objects, B does not. The
# other tenant (C, its admin) never does. The platform admin lists every
# tenant but addresses ids within its own (ids are unique per tenant). A
# taken id is ALREADY_EXISTS within the tenant and free in another.
MATRIX = (
    # ----------------------------------------------------------- Sessions
    ("data", "Sessions/CreateSession",
     "session_id: '$ID' component_type: COMPONENT_TYPE_AGENT component_id: 'echo'",
     "$ID", (AE, AE, NEW, AE, NEW, NEW)),
    ("data", "Sessions/GetSession", "session_id: '$ID'",
     "$ID", (OK, NF, NF, OK, NF, NF)),
    ("data", "Sessions/ListSessions", "page { limit: 1000 }",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    # A filter naming A: honoured for admins only, ignored for the others.
    ("data", "Sessions/ListSessions", "page { limit: 1000 } user_id: 'alice'",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    ("data", "Sessions/UpdateSession",
     "session_id: '$ID' update_name: true name: 'changed'",
     "$ID", (OK, NF, NF, OK, NF, NF)),
    ("data", "Sessions/DeleteSession", "session_id: '$ID'",
     "$ID", (OK, NF, NF, OK, NF, NF)),
    ("data", "Sessions/DeleteSessions", "session_ids: '$ID'",
     "$ID", (OK, HID, HID, OK, HID, HID)),
    # ----------------------------------------------------------- Memories
    ("data", "Memories/CreateMemory", "memory_id: '$ID' text: 'mine'",
     "$ID", (AE, AE, NEW, AE, NEW, NEW)),
    ("data", "Memories/GetMemory", "memory_id: '$ID'",
     "$ID", (OK, NF, NF, OK, NF, NF)),
    ("data", "Memories/ListMemories", "page { limit: 1000 }",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    ("data", "Memories/ListMemories", "page { limit: 1000 } user_id: 'alice'",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    ("data", "Memories/ListMemories", "page { limit: 1000 } text_query: 'remember'",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    ("data", "Memories/UpdateMemory", "memory_id: '$ID' update_text: true text: 'changed'",
     "$ID", (OK, NF, NF, OK, NF, NF)),
    ("data", "Memories/DeleteMemory", "memory_id: '$ID'",
     "$ID", (OK, NF, NF, OK, NF, NF)),
    # ------------------------------------------------------------- Traces
    ("data", "Traces/GetTrace", "trace_id: '$ID'",
     "$ID", (OK, NF, NF, OK, NF, NF)),
    ("data", "Traces/ListTraces", "page { limit: 1000 }",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    ("data", "Traces/ListTraces", "page { limit: 1000 } user_id: 'alice'",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    # ----------------------------------------------------------- AuditLog
    # A's object here is T1-admin's audited read of A's session. Members
    # hold no audit:read; the actor's tenant admin and the platform admin
    # see the event, the other tenant's admin does not.
    ("data", "AuditLog/ListAuditEvents", "page { limit: 1000 }",
     "$ID", (PD, PD, PD, OK, HID, OK)),
    ("data", "AuditLog/ListAuditEvents", "page { limit: 1000 } user_id: 'admin1'",
     "$ID", (PD, PD, PD, OK, HID, OK)),
    # ----------------------------------------------------------- registry
    # The registry is the deployment's configuration, the same for every
    # caller allowed to read it; no caller's data is in it.
    ("run_executor", "Agents/ListAgents", "", "echo", (OK, OK, OK, OK, OK, OK)),
    ("run_executor", "Agents/GetAgent", "agent_id: 'echo'", "echo", (OK, OK, OK, OK, OK, OK)),
    ("run_executor", "Teams/ListTeams", "", "duo", (OK, OK, OK, OK, OK, OK)),
    ("run_executor", "Teams/GetTeam", "team_id: 'duo'", "duo", (OK, OK, OK, OK, OK, OK)),
    ("run_executor", "Workflows/ListWorkflows", "", "triage", (OK, OK, OK, OK, OK, OK)),
    ("run_executor", "Workflows/GetWorkflow", "workflow_id: 'triage'", "triage",
     (OK, OK, OK, OK, OK, OK)),
    # --------------------------------------------------------------- Runs
    # Runs go only into the caller's own session: A's is NOT_FOUND for
    # everyone else, tenant admins included, and nothing is written. A's
    # agent session named for a team or a workflow is the wrong component.
    ("run_executor", "Runs/RunAgent",
     "agent_id: 'echo' input: 'again' session_id: '$SESSION'",
     "$SESSION", (OK, NF, NF, NF, NF, NF)),
    ("run_executor", "Runs/RunTeam", "team_id: 'duo' input: 'x' session_id: '$SESSION'",
     "$SESSION", (FP, NF, NF, NF, NF, NF)),
    ("run_executor", "Runs/RunWorkflow",
     "workflow_id: 'triage' input: 'x' session_id: '$SESSION'",
     "$SESSION", (FP, NF, NF, NF, NF, NF)),
    # A and A's tenant admin reach A's run; the platform admin lists it
    # across tenants but addresses ids within its own.
    ("run_executor", "Runs/GetRun", "run_id: '$ID'",
     "$ID", (OK, NF, NF, OK, NF, NF)),
    ("run_executor", "Runs/StreamRun", "run_id: '$ID'",
     "$ID", (OK, NF, NF, OK, NF, NF)),
    ("run_executor", "Runs/ListRuns", "page { limit: 1000 }",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    ("run_executor", "Runs/ListRuns", "page { limit: 1000 } session_id: '$SESSION'",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    # A's run has completed: neither A nor its tenant admin may cancel or
    # continue it (runs:write, which members hold).
    ("run_executor", "Runs/CancelRun",
     "run_id: '$ID' component_type: COMPONENT_TYPE_AGENT component_id: 'echo'",
     "$ID", (FP, NF, NF, FP, NF, NF)),
    ("run_executor", "Runs/CancelRun",
     "run_id: '$ID' component_type: COMPONENT_TYPE_TEAM component_id: 'echo'",
     "$ID", (NF, NF, NF, NF, NF, NF)),
    ("run_executor", "Runs/ContinueRun",
     "run_id: '$ID' component_type: COMPONENT_TYPE_AGENT component_id: 'echo'",
     "$ID", (FP, NF, NF, FP, NF, NF)),
    # ---------------------------------------------------------- Approvals
    # A sees its own request; the tenant owner is an approver (an admin)
    # and sees the tenant's; members see only their own; another tenant
    # nothing. The platform admin lists (and counts) every tenant but
    # addresses ids within its own. Members hold no approvals:write; the
    # tenant owner resolves A's approval (it is not the requester).
    ("run_executor", "Approvals/ListApprovals", "page { limit: 1000 }",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    ("run_executor", "Approvals/ListApprovals",
     "status: APPROVAL_STATUS_PENDING page { limit: 1000 }",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    ("run_executor", "Approvals/CountApprovals", "status: APPROVAL_STATUS_PENDING",
     "$ID", (OK, HID, HID, OK, HID, OK)),
    ("run_executor", "Approvals/GetApproval", "approval_id: '$ID'",
     "$ID", (OK, NF, NF, OK, NF, NF)),
    ("run_executor", "Approvals/ResolveApproval", "approval_id: '$ID' approve: true",
     "$ID", (PD, PD, PD, OK, NF, NF)),
    ("run_executor", "Approvals/ResolveApproval", "approval_id: '$ID' approve: false",
     "$ID", (PD, PD, PD, OK, NF, NF)),
)

# ---------------------------------------------------------- Schedules
# A schedule is only ever its creator's: admins, whose data reads reach
# other users' rows, get NOT_FOUND too, and lists hold the caller's own.
# A's trigger makes a run of A's (through the schedule's grant).
MATRIX += (
    ("run_executor", "Schedules/CreateSchedule",
     "schedule { cron: '0 9 * * *' component_type: COMPONENT_TYPE_AGENT "
     "component_id: 'echo' enabled: true }",
     "$ID", (OK, NEW, NEW, NEW, NEW, NEW)),
    ("run_executor", "Schedules/ListSchedules", "page { limit: 1000 }",
     "$ID", (OK, HID, HID, HID, HID, HID)),
    ("run_executor", "Schedules/GetSchedule", "schedule_id: '$ID'",
     "$ID", (OK, NF, NF, NF, NF, NF)),
    ("run_executor", "Schedules/UpdateSchedule",
     "schedule_id: '$ID' schedule { cron: '*/5 * * * *' enabled: true }",
     "$ID", (OK, NF, NF, NF, NF, NF)),
    ("run_executor", "Schedules/DeleteSchedule", "schedule_id: '$ID'",
     "$ID", (OK, NF, NF, NF, NF, NF)),
    ("run_executor", "Schedules/TriggerSchedule", "schedule_id: '$ID'",
     "$ID", (OK, NF, NF, NF, NF, NF)),
)

SUITE = None
CHANNELS = {}


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()
    for binary in ("authn", "data", "run_executor"):
        CHANNELS[binary] = grpc.insecure_channel(SUITE.addresses[binary])


def tearDownModule() -> None:
    for channel in CHANNELS.values():
        channel.close()
    SUITE.stop()


def token(sub: str, tenant: str, scopes=(), roles=()) -> str:
    return edge.token(SUITE, sub, tenant, scopes, roles)


class Principal:
    """One column of the matrix in one row: who, and its bearer token."""

    def __init__(self, who: str, row: int):
        t1, t2 = f"t1-r{row:02d}", f"t2-r{row:02d}"
        self.tenant, self.subject, scopes, roles = {
            "A": (t1, "alice", (), ("member",)),
            "B": (t1, "bob", (), ("member",)),
            "C": (t2, "carol", (), ("member",)),
            "T1-admin": (t1, "admin1", (), ("owner",)),
            "T2-admin": (t2, "admin2", ("agent_os:admin",), ()),
            "platform": ("t0", "root", ("bastion:platform_admin",), ()),
        }[who]
        self.token = token(self.subject, self.tenant, scopes, roles)
        self.metadata = bearer(self.token)


def strings_in(message):
    """Every string value in `message`, nested messages included."""
    for field, value in message.ListFields():
        values = value if field.label == field.LABEL_REPEATED else [value]
        for item in values:
            if field.type == field.TYPE_MESSAGE:
                yield from strings_in(item)
            elif field.type == field.TYPE_STRING:
                yield item


def names(reply, value: str) -> bool:
    """`value` is a whole string field somewhere in `reply`; a count (which
    names nothing) counts A's object when it is above zero: the other
    principals' tenants hold no approvals but A's."""
    if isinstance(reply, runs_pb2.CountApprovalsResponse):
        return reply.count > 0
    replies = reply if isinstance(reply, list) else [reply]
    return any(value == s for r in replies for s in strings_in(r))


def wait_for_runs_to_settle() -> None:
    """Waits (at most 10 s) until every run delegation has ended: a run's
    last event reaches its client just before run-executor ends the run's
    delegation, and that late write must not count against the next cell."""
    deadline = time.monotonic() + 10
    while SUITE.query("SELECT count(*) FROM bastion_authn.delegations "
                      "WHERE ended_at IS NULL")[0][0] > 0:
        if time.monotonic() > deadline:
            raise AssertionError("a run's delegation did not end within 10 s")
        time.sleep(0.05)


def owned_by(principal) -> str:
    """The digest of the principal's rows in the data schema (its audit
    events aside: denials of its calls are recorded there)."""
    return SUITE.table_digests(without_audit=True,
                               owner=(principal.tenant, principal.subject))


class IsolationMatrixTest(unittest.TestCase):

    def call(self, binary: str, method, request, metadata):
        return invoke(CHANNELS[binary], method, request, metadata)

    def ok(self, binary: str, name: str, text: str, metadata):
        method = find_method(binary, name)
        code, reply = self.call(binary, method, new_request(method, text), metadata)
        self.assertEqual(code, grpc.StatusCode.OK, f"{name} {text}")
        return reply

    def seed(self, object_id: str, a: Principal, t1_admin: Principal,
             service_assertion: bytes) -> None:
        """A's session, memory and trace `object_id`, and T1-admin's audited
        read of the session, all through the real services."""
        self.ok("data", "Sessions/CreateSession",
                f"session_id: '{object_id}' component_type: COMPONENT_TYPE_AGENT "
                "component_id: 'echo'", a.metadata)
        self.ok("data", "Memories/CreateMemory",
                f"memory_id: '{object_id}' text: 'remember {object_id}'", a.metadata)
        assertion = authn_pb2_grpc.AuthnStub(CHANNELS["authn"]).Authenticate(
            authn_pb2.AuthenticateRequest(credential=a.token), timeout=10).assertion
        self.ok("data", "Traces/AppendSpans",
                f"spans {{ trace_id: '{object_id}' span_id: 'root' name: 'root' "
                "start_time_unix_nano: 1700000000000000000 }",
                [("x-bastion-principal-bin", assertion),
                 ("x-bastion-service-bin", service_assertion)])
        self.ok("data", "Sessions/GetSession", f"session_id: '{object_id}'",
                t1_admin.metadata)

    def seed_run(self, a: Principal) -> tuple:
        """A completed run of the echo agent by A, through the real
        services; returns its run id and session id."""
        method = find_method("run_executor", "Runs/RunAgent")
        code, events = self.call("run_executor", method,
                                 new_request(method, "agent_id: 'echo' input: 'mine'"),
                                 a.metadata)
        self.assertEqual(code, grpc.StatusCode.OK)
        self.assertEqual(events[-1].WhichOneof("event"), "completed")
        return events[0].run_id, events[0].started.session_id

    def seed_schedule(self, a: Principal) -> str:
        """A schedule of the echo agent by A; returns its id."""
        reply = self.ok("run_executor", "Schedules/CreateSchedule",
                        "schedule { cron: '0 9 * * *' "
                        "component_type: COMPONENT_TYPE_AGENT component_id: 'echo' "
                        "enabled: true }", a.metadata)
        return reply.schedule_id

    def seed_approval(self, object_id: str, a: Principal,
                      service_assertion: bytes) -> None:
        """A pending approval `object_id` of a paused run of A, made as
        run-executor makes it: as A, through its trusted identity."""
        assertion = authn_pb2_grpc.AuthnStub(CHANNELS["authn"]).Authenticate(
            authn_pb2.AuthenticateRequest(credential=a.token), timeout=10).assertion
        as_a = [("x-bastion-principal-bin", assertion),
                ("x-bastion-service-bin", service_assertion)]
        run = self.ok("data", "RunRecords/CreateRun",
                      "component_type: COMPONENT_TYPE_AGENT component_id: 'echo' "
                      "status: RUN_STATUS_PAUSED", as_a)
        arguments = '{"path": "/etc/hosts"}'
        self.ok("data", "ApprovalRecords/CreateApproval",
                f"approval_id: '{object_id}' run_id: '{run.run_id}' "
                "tool_call_id: 'call-1' tool_name: 'shell' "
                f"arguments_json: '{arguments}' "
                f"args_sha256: '{hashlib.sha256(arguments.encode()).hexdigest()}' "
                "ttl_seconds: 3600", as_a)

    def test_every_edge_rpc_has_a_row_and_every_row_an_rpc(self):
        rows = {(binary, name) for binary, name, *_ in MATRIX}
        for binary, name in rows:
            with self.subTest(row=name):
                find_method(binary, name)  # raises KeyError for a stale row
        covered = {name for _, name in rows}
        served = {name for _, name, _ in edge_methods()}
        self.assertEqual(sorted(served - covered), [],
                         "RPCs without a row in the isolation matrix")
        # 14 data + 6 registry + 8 runs + 4 approvals + 6 schedules RPCs
        # when this was written.
        self.assertGreaterEqual(len(served), 38)

    def test_every_cell_as_written(self):
        service_assertion = SUITE.service_assertion()
        for row, (binary, name, text, target, wants) in enumerate(MATRIX):
            method = find_method(binary, name)
            for column, (who, want) in enumerate(zip(WHO, wants)):
                object_id = f"o{row:02d}{column}"
                a, t1_admin = Principal("A", row), Principal("T1-admin", row)
                caller = Principal(who, row)
                with self.subTest(rpc=name, request=text, caller=who, want=str(want)):
                    session_id = ""
                    if binary == "data":
                        self.seed(object_id, a, t1_admin, service_assertion)
                    elif name.startswith("Runs/"):
                        object_id, session_id = self.seed_run(a)
                    elif name.startswith("Approvals/"):
                        self.seed_approval(object_id, a, service_assertion)
                    elif name.startswith("Schedules/"):
                        object_id = self.seed_schedule(a)
                    fill = lambda t: t.replace("$ID", object_id).replace(  # noqa: E731
                        "$SESSION", session_id)
                    self.check_cell(binary, method, fill(text), fill(target), caller,
                                    want, a)

    def check_cell(self, binary, method, text, target, caller, want, a):
        wait_for_runs_to_settle()
        a_before = owned_by(a)
        all_before = SUITE.table_digests(without_audit=True)
        code, reply = self.call(binary, method, new_request(method, text), caller.metadata)
        a_after = owned_by(a)
        if want == OK:
            self.assertEqual(code, grpc.StatusCode.OK)
            self.assertTrue(names(reply, target) or a_after != a_before,
                            f"A's object was not reached: {reply}")
            return
        self.assertEqual(a_after, a_before, "A's rows changed")
        if want == NEW:
            self.assertEqual(code, grpc.StatusCode.OK)
            self.assertTrue(names(reply, caller.subject), reply)
            self.assertFalse(names(reply, "alice"), reply)
            return
        if want == HID:
            self.assertEqual(code, grpc.StatusCode.OK)
            self.assertFalse(names(reply, target), reply)
        else:
            self.assertEqual(code, want)
        self.assertEqual(SUITE.table_digests(without_audit=True), all_before,
                         "a row changed")

    def test_id_scoped_grants_reach_only_their_id(self):
        # Every edge RPC that names one resource (its permission's id_field):
        # A holding the permission for another id is refused before the
        # handler runs; for that id, or for "*", it reaches its object.
        service_assertion = SUITE.service_assertion()
        registry_ids = {"agent_id": "echo", "team_id": "duo", "workflow_id": "triage"}
        checked = 0
        for binary, name, method in edge_methods():
            permission = permission_of(method)
            if not permission.id_field:
                continue
            row = 50 + checked
            checked += 1
            a, t1_admin = Principal("A", row), Principal("T1-admin", row)
            # Starting a run also creates the caller's session; cancelling or
            # continuing names the run's component, and A's run has ended.
            extra_scopes, extra_text, granted = [], "", grpc.StatusCode.OK
            if binary == "data":
                mine, also_mine = f"g{row}", f"h{row}"
                self.seed(mine, a, t1_admin, service_assertion)
                self.seed(also_mine, a, t1_admin, service_assertion)
            elif permission.id_field == "approval_id":
                mine, also_mine = f"g{row}", f"h{row}"
                self.seed_approval(mine, a, service_assertion)
                self.seed_approval(also_mine, a, service_assertion)
                # A may read its own approval; it never resolves it.
                if name == "Approvals/ResolveApproval":
                    granted = grpc.StatusCode.FAILED_PRECONDITION
            elif permission.id_field == "run_id":
                mine, _ = self.seed_run(a)
                also_mine, _ = self.seed_run(a)
                if name in ("Runs/CancelRun", "Runs/ContinueRun"):
                    extra_text = " component_type: COMPONENT_TYPE_AGENT component_id: 'echo'"
                    granted = grpc.StatusCode.FAILED_PRECONDITION
            elif permission.id_field == "schedule_id":
                # A trigger acts through the schedule's grant (A's member
                # role), whatever the trigger's own credential holds.
                mine, also_mine = self.seed_schedule(a), self.seed_schedule(a)
            else:
                mine = also_mine = registry_ids[permission.id_field]
                if name.startswith("Runs/"):
                    extra_scopes = ["sessions:write"]
            for grant, object_id, want in (
                    ("someone-else", mine, grpc.StatusCode.PERMISSION_DENIED),
                    (mine, mine, granted),
                    ("*", also_mine, granted)):
                scope = f"{permission.resource}:{grant}:{permission.action}"
                metadata = bearer(token("alice", a.tenant, scopes=[scope] + extra_scopes))
                request = new_request(
                    method, f"{permission.id_field}: '{object_id}'{extra_text}")
                with self.subTest(rpc=name, scope=scope):
                    before = owned_by(a)
                    code, _ = self.call(binary, method, request, metadata)
                    self.assertEqual(code, want)
                    if want != grpc.StatusCode.OK:
                        self.assertEqual(owned_by(a), before)
        # Get/Update/Delete of sessions and memories, GetTrace, the three
        # registry Gets and seven Runs RPCs when this was written.
        self.assertGreaterEqual(checked, 10)

    def test_owner_fields_smuggled_into_a_write_land_as_the_caller(self):
        # A stored Session shares fields 1-5 with CreateSessionRequest and
        # adds tenant_id (6) and user_id (7); sent as a create request, those
        # two arrive as unknown fields and must not decide the owner. The
        # same for Memory (tenant_id 4, user_id 5).
        bob, carol = Principal("B", 90), Principal("C", 90)
        alice = Principal("A", 90)
        for caller in (bob, carol):
            for name, smuggled in (
                    ("Sessions/CreateSession", data_pb2.Session(
                        session_id=f"smuggled-{caller.subject}",
                        component_type=common_pb2.COMPONENT_TYPE_AGENT,
                        component_id="echo", tenant_id=alice.tenant, user_id="alice")),
                    ("Memories/CreateMemory", data_pb2.Memory(
                        memory_id=f"smuggled-{caller.subject}", text="x",
                        tenant_id=alice.tenant, user_id="alice"))):
                with self.subTest(rpc=name, caller=caller.subject):
                    code, stored = self.call("data", find_method("data", name), smuggled,
                                             caller.metadata)
                    self.assertEqual(code, grpc.StatusCode.OK)
                    self.assertEqual((stored.tenant_id, stored.user_id),
                                     (caller.tenant, caller.subject))
        # Nothing landed as alice.
        self.assertEqual(SUITE.query(
            "SELECT user_id, count(*) FROM (SELECT user_id FROM bastion_data.sessions "
            "WHERE session_id LIKE %s UNION ALL SELECT user_id FROM bastion_data.memories "
            "WHERE memory_id LIKE %s) owners GROUP BY 1 ORDER BY 1",
            ("smuggled-%", "smuggled-%")), [("bob", 2), ("carol", 2)])

    def test_concurrent_callers_on_pooled_connections_get_only_their_own(self):
        # data's pool holds a few connections; three users of two tenants
        # call at once, so each connection serves them in turn. Every reply
        # names only the caller's own objects.
        callers = [Principal(who, 95) for who in ("A", "B", "C")]
        for caller in callers:
            for n in range(3):
                self.ok("data", "Sessions/CreateSession",
                        f"session_id: 'own-{caller.subject}-{n}' "
                        "component_type: COMPONENT_TYPE_AGENT component_id: 'echo'",
                        caller.metadata)
        list_sessions = find_method("data", "Sessions/ListSessions")

        def calls(caller: Principal) -> list:
            problems = []
            for _ in range(60):
                code, reply = self.call("data", list_sessions,
                                        new_request(list_sessions, "user_id: 'alice'"),
                                        caller.metadata)
                owners = {(s.tenant_id, s.user_id) for s in reply.sessions} if reply else set()
                ids = sorted(s.session_id for s in reply.sessions) if reply else []
                if code != grpc.StatusCode.OK or owners != {(caller.tenant, caller.subject)} \
                        or ids != [f"own-{caller.subject}-{n}" for n in range(3)]:
                    problems.append((code, sorted(owners), ids))
            return problems

        with concurrent.futures.ThreadPoolExecutor(len(callers)) as pool:
            results = dict(zip((c.subject for c in callers), pool.map(calls, callers)))
        self.assertEqual(results, {c.subject: [] for c in callers})


if __name__ == "__main__":
    bastion_suite.main()
