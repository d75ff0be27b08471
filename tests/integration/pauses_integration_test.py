#!/usr/bin/python3
"""Pausing and continuing runs through the real services: tool calls that
need the owner's confirmation or an approver's approval pause the run, and
only its owner continues it, with one decision per paused call.

The runs call the sample tool server (tools/sample_tool_server), started
here next to the suite and trusting its run-executor: its count file says
whether a call reached a tool, and its results name the arguments it got and
the user it acted for.

Members continue their own runs with the member role's runs:write.

Shows: confirmation (continue confirmed, refused, and the bad decisions;
StreamRun of a continued run goes past its pause);
approval (the approver sees the stored call, the requester cannot approve,
another tenant reaches nothing, continue waits for the approval, a rejected
call is not made); the attacks on it (approving twice and racing, racing
continues, someone else's run, arguments other than the approved ones, data
refusing a forged hash); a member without the tool's scope (not reached,
refused to the model, audited as denied.tool); the tenant's tool policy.
"""

import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import Suite, bearer  # noqa: E402

import grpc  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.authz.v1 import authz_pb2, authz_pb2_grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None
TOOL_SERVER = None  # (process, count file, folder)
AGENT = common_pb2.COMPONENT_TYPE_AGENT
OK = grpc.StatusCode.OK
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
NOT_FOUND = grpc.StatusCode.NOT_FOUND
PERMISSION_DENIED = grpc.StatusCode.PERMISSION_DENIED
# Bound on how long an audit event or a stored tool policy takes to show.
SETTLE_SECONDS = 10.0
RUNS = runs_pb2.DESCRIPTOR.services_by_name["Runs"]
APPROVALS = runs_pb2.DESCRIPTOR.services_by_name["Approvals"]


def registry(tool_address: str) -> dict:
    """Agents whose scripted models call one sample tool with their input:
    "confirmer" (lookup_order, requires_confirmation), "restarter"
    (restart_service, requires_approval), "looker" (lookup_order,
    unmarked), "asker" (lookup_order, its order_id filled in by the owner),
    "deployer" (deploy, executed by the owner outside Bastion) and
    "auditor" (lookup_order, confirmed and recorded as an audit approval);
    each answers with the tool's result."""
    def tool(name: str, **flags) -> dict:
        return dict({"name": name, "endpoint": tool_address, "timeoutMs": 10000},
                    **flags)

    def model(name: str, tool_name: str, argument: str) -> dict:
        return {"name": name, "scripted": {"rules": [
            {"reply": "Calling.",
             "toolCalls": [{"toolName": tool_name,
                            "argumentsJson": '{"%s": "{input}"}' % argument}]},
            {"afterTool": tool_name, "reply": "Result: {tool_result}"}]}}

    return {
        "agents": [
            {"agentId": "confirmer", "model": "scripted:lookup",
             "tools": [tool("lookup_order", requiresConfirmation=True)]},
            {"agentId": "restarter", "model": "scripted:restart",
             "tools": [tool("restart_service", requiresApproval=True)]},
            {"agentId": "looker", "model": "scripted:lookup",
             "tools": [tool("lookup_order")]},
            {"agentId": "asker", "model": "scripted:lookup",
             "tools": [tool("lookup_order", userInputFields=["order_id"],
                            parametersJsonSchema=json.dumps({
                                "type": "object",
                                "properties": {"order_id": {"type": "string",
                                                            "maxLength": 12}},
                                "required": ["order_id"]}))]},
            {"agentId": "deployer", "model": "scripted:deploy",
             "tools": [{"name": "deploy", "externalExecution": True}]},
            {"agentId": "auditor", "model": "scripted:lookup",
             "tools": [tool("lookup_order", auditConfirmation=True)]},
        ],
        "models": [model("scripted:lookup", "lookup_order", "order_id"),
                   model("scripted:restart", "restart_service", "name"),
                   model("scripted:deploy", "deploy", "target")],
    }


def setUpModule() -> None:
    global SUITE, TOOL_SERVER
    folder = pathlib.Path(tempfile.mkdtemp(prefix="bastion-pauses-"))
    # The registry names the tool server's address before either starts.
    tool_address = f"127.0.0.1:{bastion_suite.free_port()}"
    registry_file = folder / "registry.json"
    registry_file.write_text(json.dumps(registry(tool_address)))
    SUITE = Suite.started(registry_file=str(registry_file))
    count_file = folder / "counts.json"
    log = open(folder / "sample_tool_server.log", "ab")
    process = subprocess.Popen(
        [str(bastion_suite.RUNFILES / "tools/sample_tool_server/sample_tool_server"),
         "--listen_address=" + tool_address,
         "--port_file=" + str(folder / "tools.port"),
         "--trusted_services_file=" + SUITE.trusted_services(),
         "--authn_address=" + SUITE.addresses["authn"],
         "--count_file=" + str(count_file)],
        stdout=log, stderr=log)
    log.close()
    TOOL_SERVER = (process, count_file, folder)
    deadline = time.monotonic() + 30
    while not (folder / "tools.port").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            tearDownModule()
            raise RuntimeError("the sample tool server did not start:\n" +
                               (folder / "sample_tool_server.log").read_text())
        time.sleep(0.05)


def tearDownModule() -> None:
    if TOOL_SERVER is not None:
        process, _, folder = TOOL_SERVER
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)
        # Its log (refusals and their reasons) goes to the test's log.
        sys.stderr.write("--- sample_tool_server log ---\n" +
                         (folder / "sample_tool_server.log").read_text(errors="replace"))
    SUITE.stop()


def kind(event) -> str:
    return event.WhichOneof("event")


def tool_counts() -> dict:
    """Calls that reached each sample tool so far (the count file; absent
    before the first call)."""
    path = TOOL_SERVER[1]
    return json.loads(path.read_text())["counts"] if path.exists() else {}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class PausesIntegrationTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.channel = grpc.insecure_channel(SUITE.addresses["run_executor"])
        cls.data_channel = grpc.insecure_channel(SUITE.addresses["data"])
        cls.authn_channel = grpc.insecure_channel(SUITE.addresses["authn"])
        cls.authz_channel = grpc.insecure_channel(SUITE.addresses["authz"])
        cls.runs = runs_pb2_grpc.RunsStub(cls.channel)
        cls.approvals = runs_pb2_grpc.ApprovalsStub(cls.channel)
        cls.authn = authn_pb2_grpc.AuthnStub(cls.authn_channel)
        cls.authz = authz_pb2_grpc.AuthzStub(cls.authz_channel)
        cls.audit = data_pb2_grpc.AuditLogStub(cls.data_channel)
        cls.approval_records = data_pb2_grpc.ApprovalRecordsStub(cls.data_channel)

    @classmethod
    def tearDownClass(cls):
        for channel in (cls.channel, cls.data_channel, cls.authn_channel,
                        cls.authz_channel):
            channel.close()

    # --- helpers -------------------------------------------------------

    def tenant(self) -> str:
        return "pause-" + os.urandom(4).hex()

    def member(self, sub: str, tenant: str, scopes: str = "") -> str:
        """A member's token with `scopes` besides the member role."""
        return SUITE.token(sub, tenant=tenant, roles="member", scopes=scopes)

    def run_agent(self, token: str, agent_id: str, text: str) -> list:
        return list(self.runs.RunAgent(runs_pb2.RunAgentRequest(
            agent_id=agent_id, input=text), metadata=bearer(token), timeout=60))

    def paused_run(self, token: str, agent_id: str, text: str):
        """Runs the agent until it pauses; returns (run id, the paused
        calls). The paused event's seq is kept in self.paused_seq."""
        events = self.run_agent(token, agent_id, text)
        self.assertEqual(kind(events[-1]), "paused", events)
        self.paused_seq = events[-1].seq
        return events[-1].run_id, list(events[-1].paused.requirements)

    def continue_run(self, token: str, run_id: str, agent_id: str, decisions,
                     request: runs_pb2.ContinueRunRequest = None):
        """(code, events) of ContinueRun as the token's user; `decisions`
        are (tool call id, confirmed) pairs."""
        if request is None:
            request = runs_pb2.ContinueRunRequest(
                run_id=run_id, component_type=AGENT, component_id=agent_id,
                decisions=[runs_pb2.ToolDecision(tool_call_id=call, confirmed=yes)
                           for call, yes in decisions])
        return bastion_suite.invoke(self.channel, RUNS.methods_by_name["ContinueRun"],
                                    request, metadata=bearer(token), timeout=60)

    def status_of(self, token: str, run_id: str):
        return self.runs.GetRun(runs_pb2.GetRunRequest(run_id=run_id),
                                metadata=bearer(token), timeout=10)

    def results_and_output(self, events: list):
        """(the tool results, the completed output) of a continue's events."""
        self.assertEqual(kind(events[-1]), "completed", events)
        return ([e.tool_result for e in events if kind(e) == "tool_result"],
                events[-1].completed.output)

    def approval(self, token: str, approval_id: str):
        return bastion_suite.invoke(self.channel, APPROVALS.methods_by_name["GetApproval"],
                                    runs_pb2.GetApprovalRequest(approval_id=approval_id),
                                    metadata=bearer(token))

    def resolve(self, token: str, approval_id: str, approve: bool = True):
        return bastion_suite.invoke(
            self.channel, APPROVALS.methods_by_name["ResolveApproval"],
            runs_pb2.ResolveApprovalRequest(approval_id=approval_id, approve=approve),
            metadata=bearer(token))

    def pending_ids(self, token: str) -> list:
        reply = self.approvals.ListApprovals(runs_pb2.ListApprovalsRequest(
            status=runs_pb2.APPROVAL_STATUS_PENDING), metadata=bearer(token), timeout=10)
        return [a.approval_id for a in reply.approvals]

    def as_run_executor_for(self, token: str):
        """Metadata of a call run-executor makes to data for the token's
        user (the suite's trusted run-executor key)."""
        assertion = self.authn.Authenticate(
            authn_pb2.AuthenticateRequest(credential=token), timeout=10).assertion
        return [("x-bastion-principal-bin", assertion),
                ("x-bastion-service-bin", SUITE.service_assertion())]

    def assertCounts(self, before: dict, **added: int) -> None:
        """The sample tools reached since `before`: exactly `added`."""
        after = tool_counts()
        grown = {tool: after.get(tool, 0) - before.get(tool, 0)
                 for tool in set(after) | set(before)}
        self.assertEqual({tool: n for tool, n in grown.items() if n}, added)

    # --- confirmation --------------------------------------------------

    def test_a_confirmation_call_pauses_and_the_owner_continues_it(self):
        tenant = self.tenant()
        mia = self.member("mia", tenant, "tools:lookup_order:run")
        before = tool_counts()
        run_id, paused = self.paused_run(mia, "confirmer", "A-1001")
        self.assertEqual(
            [(c.tool_call_id, c.tool_name, json.loads(c.arguments_json),
              c.requires_confirmation, c.requires_approval, c.approval_id)
             for c in paused],
            [("call-1", "lookup_order", {"order_id": "A-1001"}, True, False, "")])
        run = self.status_of(mia, run_id)
        self.assertEqual(run.status, common_pb2.RUN_STATUS_PAUSED)
        self.assertEqual([c.tool_call_id for c in run.pending_tool_calls], ["call-1"])
        self.assertCounts(before)

        # Bad decisions answer FAILED_PRECONDITION and leave it paused.
        for name, decisions in (("unknown call", [("call-1", True), ("call-9", True)]),
                                ("only an unknown call", [("call-9", True)]),
                                ("missing", []),
                                ("twice", [("call-1", True), ("call-1", False)])):
            code, _ = self.continue_run(mia, run_id, "confirmer", decisions)
            self.assertEqual(code, FAILED_PRECONDITION, name)
        self.assertEqual(self.status_of(mia, run_id).status, common_pb2.RUN_STATUS_PAUSED)
        self.assertCounts(before)

        code, events = self.continue_run(mia, run_id, "confirmer", [("call-1", True)])
        self.assertEqual(code, OK)
        # The continue's stream carries the events after the paused one.
        self.assertEqual(events[0].seq, self.paused_seq + 1)
        results, output = self.results_and_output(events)
        self.assertEqual([(r.tool_call_id, r.is_error) for r in results], [("call-1", False)],
                         results)
        self.assertEqual(json.loads(results[0].content), {
            "order_id": "A-1001", "status": "shipped",
            "acted_for": {"tenant_id": tenant, "subject": "mia"}})
        self.assertEqual(output, "Result: " + results[0].content)
        self.assertCounts(before, lookup_order=1)
        run = self.status_of(mia, run_id)
        self.assertEqual((run.status, run.output, len(run.pending_tool_calls)),
                         (common_pb2.RUN_STATUS_COMPLETED, output, 0))

        # Once only.
        self.assertEqual(self.continue_run(mia, run_id, "confirmer", [("call-1", True)])[0],
                         FAILED_PRECONDITION)
        self.assertCounts(before, lookup_order=1)
        # Followed again from its start, the run goes past its pause to its end.
        stored = list(self.runs.StreamRun(runs_pb2.StreamRunRequest(run_id=run_id),
                                          metadata=bearer(mia), timeout=30))
        self.assertEqual([e.seq for e in stored], list(range(1, len(stored) + 1)))
        self.assertEqual([kind(e) for e in stored if kind(e) != "model_output"],
                         ["started", "tool_call", "paused", "tool_result", "completed"])

    def test_a_refused_confirmation_is_not_called_and_the_model_is_told(self):
        tenant = self.tenant()
        mia = self.member("mia", tenant, "tools:lookup_order:run")
        before = tool_counts()
        run_id, _ = self.paused_run(mia, "confirmer", "A-1002")
        code, events = self.continue_run(mia, run_id, "confirmer", [("call-1", False)])
        self.assertEqual(code, OK)
        results, output = self.results_and_output(events)
        self.assertEqual([(r.tool_call_id, r.is_error) for r in results], [("call-1", True)])
        self.assertEqual(results[0].content,
                         "the run's owner refused this call of lookup_order; "
                         "it was not called")
        self.assertEqual(output, "Result: " + results[0].content)
        self.assertCounts(before)
        self.assertEqual(self.status_of(mia, run_id).status, common_pb2.RUN_STATUS_COMPLETED)

    # --- approval ------------------------------------------------------

    def test_an_approved_call_runs_with_its_stored_arguments(self):
        tenant = self.tenant()
        # The requester holds approvals:write itself: still not its own approver.
        mia = self.member("mia", tenant, "tools:restart_service:run approvals:write")
        ann = self.member("ann", tenant, "approvals:write")
        before = tool_counts()
        run_id, paused = self.paused_run(mia, "restarter", "billing")
        self.assertEqual(
            [(c.tool_call_id, c.tool_name, c.requires_confirmation, c.requires_approval)
             for c in paused], [("call-1", "restart_service", False, True)])
        approval_id = paused[0].approval_id
        self.assertTrue(approval_id)
        stored_arguments = paused[0].arguments_json
        self.assertEqual(json.loads(stored_arguments), {"name": "billing"})

        self.assertIn(approval_id, self.pending_ids(ann))
        code, shown = self.approval(ann, approval_id)
        self.assertEqual(code, OK)
        self.assertEqual(
            (shown.run_id, shown.tool_call_id, shown.tool_name, shown.arguments_json,
             shown.arguments_sha256, shown.requester, shown.tenant_id, shown.status),
            (run_id, "call-1", "restart_service", stored_arguments,
             sha256(stored_arguments), "mia", tenant, runs_pb2.APPROVAL_STATUS_PENDING))

        # While it is pending the owner cannot have it called.
        self.assertEqual(self.continue_run(mia, run_id, "restarter",
                                           [("call-1", True)])[0], FAILED_PRECONDITION)
        self.assertEqual(self.status_of(mia, run_id).status, common_pb2.RUN_STATUS_PAUSED)
        # Nobody approves their own call.
        for approve in (True, False):
            self.assertEqual(self.resolve(mia, approval_id, approve)[0],
                             FAILED_PRECONDITION)
        # Another tenant's approver and admin reach nothing.
        elsewhere = self.tenant()
        for token in (self.member("ann", elsewhere, "approvals:write"),
                      SUITE.token("oli", tenant=elsewhere, roles="owner")):
            self.assertEqual(self.approval(token, approval_id)[0], NOT_FOUND)
            for approve in (True, False):
                self.assertEqual(self.resolve(token, approval_id, approve)[0], NOT_FOUND)
            self.assertNotIn(approval_id, self.pending_ids(token))
        self.assertEqual(self.approval(mia, approval_id)[1].status,
                         runs_pb2.APPROVAL_STATUS_PENDING)
        self.assertCounts(before)

        code, approved = self.resolve(ann, approval_id)
        self.assertEqual((code, approved.status, approved.resolved_by),
                         (OK, runs_pb2.APPROVAL_STATUS_APPROVED, "ann"))
        code, events = self.continue_run(mia, run_id, "restarter", [("call-1", True)])
        self.assertEqual(code, OK)
        results, output = self.results_and_output(events)
        self.assertEqual([(r.tool_call_id, r.is_error) for r in results], [("call-1", False)],
                         results)
        self.assertEqual(json.loads(results[0].content), {
            "service": "billing", "restart": "requested",
            "acted_for": {"tenant_id": tenant, "subject": "mia"}})
        self.assertEqual(output, "Result: " + results[0].content)
        self.assertCounts(before, restart_service=1)
        self.assertEqual(self.status_of(mia, run_id).status, common_pb2.RUN_STATUS_COMPLETED)

    def test_a_rejected_call_is_not_made_and_the_model_is_told(self):
        tenant = self.tenant()
        mia = self.member("mia", tenant, "tools:restart_service:run")
        ann = self.member("ann", tenant, "approvals:write")
        before = tool_counts()
        run_id, paused = self.paused_run(mia, "restarter", "payroll")
        code, rejected = self.resolve(ann, paused[0].approval_id, approve=False)
        self.assertEqual((code, rejected.status), (OK, runs_pb2.APPROVAL_STATUS_REJECTED))
        # The owner's "yes" does not outweigh the approver's "no".
        code, events = self.continue_run(mia, run_id, "restarter", [("call-1", True)])
        self.assertEqual(code, OK)
        results, output = self.results_and_output(events)
        self.assertEqual([(r.tool_call_id, r.is_error) for r in results], [("call-1", True)])
        self.assertEqual(results[0].content,
                         "an approver rejected this call of restart_service; "
                         "it was not called")
        self.assertEqual(output, "Result: " + results[0].content)
        self.assertCounts(before)

    # --- attacks -------------------------------------------------------

    def test_approving_twice_or_racing_resolves_once(self):
        tenant = self.tenant()
        mia = self.member("mia", tenant, "tools:restart_service:run")
        approvers = [self.member(f"approver{n}", tenant, "approvals:write")
                     for n in range(2)]
        for token in approvers:  # authenticated once, so the race is not of cold caches
            self.assertEqual(self.pending_ids(token), [])
        for attempt in range(3):
            run_id, paused = self.paused_run(mia, "restarter", f"svc-{attempt}")
            approval_id = paused[0].approval_id
            start = threading.Barrier(len(approvers))
            codes = [None] * len(approvers)

            def race(n: int) -> None:
                start.wait()
                codes[n] = self.resolve(approvers[n], approval_id, approve=n == 0)[0]

            threads = [threading.Thread(target=race, args=(n,))
                       for n in range(len(approvers))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.assertEqual(sorted(codes, key=str),
                             sorted([OK, FAILED_PRECONDITION], key=str), attempt)
            winner = codes.index(OK)
            # Once resolved, nobody changes it, the winner included.
            for token in approvers:
                for approve in (True, False):
                    self.assertEqual(self.resolve(token, approval_id, approve)[0],
                                     FAILED_PRECONDITION)
            before = tool_counts()
            code, events = self.continue_run(mia, run_id, "restarter", [("call-1", True)])
            self.assertEqual(code, OK)
            results, _ = self.results_and_output(events)
            # Approver 0 approves, approver 1 rejects: the winner decides.
            self.assertEqual(results[0].is_error, winner == 1, attempt)
            if winner == 0:
                self.assertCounts(before, restart_service=1)
            else:
                self.assertCounts(before)

    def test_two_racing_continues_run_the_call_once(self):
        tenant = self.tenant()
        mia = self.member("mia", tenant, "tools:lookup_order:run")
        for attempt in range(3):
            run_id, _ = self.paused_run(mia, "confirmer", "A-1003")
            before = tool_counts()
            start = threading.Barrier(2)
            outcomes = [None, None]

            def race(n: int) -> None:
                start.wait()
                outcomes[n] = self.continue_run(mia, run_id, "confirmer",
                                                [("call-1", True)])

            threads = [threading.Thread(target=race, args=(n,)) for n in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            codes = [code for code, _ in outcomes]
            self.assertEqual(sorted(codes, key=str),
                             sorted([OK, FAILED_PRECONDITION], key=str), attempt)
            results, _ = self.results_and_output(outcomes[codes.index(OK)][1])
            self.assertEqual([r.is_error for r in results], [False], results)
            self.assertCounts(before, lookup_order=1)
            # The run's stored events hold one result of the call.
            stored = list(self.runs.StreamRun(runs_pb2.StreamRunRequest(run_id=run_id),
                                              metadata=bearer(mia), timeout=30))
            self.assertEqual(len([e for e in stored if kind(e) == "tool_result"]), 1)
            self.assertEqual(kind(stored[-1]), "completed")

    def test_only_the_owner_continues_its_run(self):
        tenant = self.tenant()
        scopes = "tools:lookup_order:run"
        mia = self.member("mia", tenant, scopes)
        before = tool_counts()
        run_id, _ = self.paused_run(mia, "confirmer", "A-1001")
        # Someone else's run answers as a run that does not exist, also
        # through the wrong component.
        for name, token, agent_id in (
                ("same tenant", self.member("max", tenant, scopes), "confirmer"),
                ("other tenant, same name", self.member("mia", self.tenant(), scopes),
                 "confirmer"),
                ("other tenant's admin", SUITE.token("oli", tenant=self.tenant(),
                                                     roles="owner"), "confirmer"),
                ("the owner, another agent", mia, "looker")):
            code, _ = self.continue_run(token, run_id, agent_id, [("call-1", True)])
            self.assertEqual(code, NOT_FOUND, name)
        # Its tenant admin sees the run but does not act for its owner.
        admin = SUITE.token("oli", tenant=tenant, roles="owner")
        self.assertEqual(self.continue_run(admin, run_id, "confirmer",
                                           [("call-1", True)])[0], PERMISSION_DENIED)
        self.assertEqual(self.status_of(mia, run_id).status, common_pb2.RUN_STATUS_PAUSED)
        self.assertCounts(before)
        self.assertEqual(self.continue_run(mia, run_id, "confirmer",
                                           [("call-1", True)])[0], OK)
        self.assertCounts(before, lookup_order=1)

    def test_continue_cannot_change_the_approved_arguments(self):
        # ContinueRun has no field for arguments: a decision is a call id, a
        # yes or no, and for the other pauses the owner's input fields or an
        # external result, refused for an approval call.
        self.assertEqual([f.name for f in runs_pb2.ToolDecision.DESCRIPTOR.fields],
                         ["tool_call_id", "confirmed", "user_input_json",
                          "external_result", "external_is_error"])
        self.assertEqual([f.name for f in runs_pb2.ContinueRunRequest.DESCRIPTOR.fields],
                         ["run_id", "component_type", "component_id", "decisions"])
        tenant = self.tenant()
        mia = self.member("mia", tenant, "tools:restart_service:run")
        ann = self.member("ann", tenant, "approvals:write")
        before = tool_counts()
        run_id, paused = self.paused_run(mia, "restarter", "billing")
        approval_id = paused[0].approval_id
        self.assertEqual(self.resolve(ann, approval_id)[0], OK)
        forged = json.dumps({"name": "payroll"})
        # Other arguments as the owner's input, or as the call's result, are
        # refused for an approved call, and it stays paused.
        for field in ("user_input_json", "external_result"):
            refused = runs_pb2.ContinueRunRequest(
                run_id=run_id, component_type=AGENT, component_id="restarter",
                decisions=[runs_pb2.ToolDecision(tool_call_id="call-1", confirmed=True,
                                                 **{field: forged})])
            code, _ = self.continue_run(mia, run_id, "restarter", [], request=refused)
            self.assertEqual(code, FAILED_PRECONDITION, field)
        self.assertEqual(self.status_of(mia, run_id).status, common_pb2.RUN_STATUS_PAUSED)
        # Other arguments smuggled in as unknown fields of the request and of
        # the decision are carried on the wire and ignored.
        forged = forged.encode()
        smuggled = b"\x3a" + bytes([len(forged)]) + forged
        decision = runs_pb2.ToolDecision()
        decision.MergeFromString(runs_pb2.ToolDecision(
            tool_call_id="call-1", confirmed=True).SerializeToString() + smuggled)
        request = runs_pb2.ContinueRunRequest()
        request.MergeFromString(runs_pb2.ContinueRunRequest(
            run_id=run_id, component_type=AGENT, component_id="restarter",
            decisions=[decision]).SerializeToString() + b"\xfa\x01" +
            bytes([len(forged)]) + forged)
        self.assertIn(forged, request.SerializeToString())
        code, events = self.continue_run(mia, run_id, "restarter", [], request=request)
        self.assertEqual(code, OK)
        results, _ = self.results_and_output(events)
        # The tool got the approved arguments, as its result repeats them.
        self.assertEqual(json.loads(results[0].content)["service"], "billing")
        self.assertCounts(before, restart_service=1)
        code, shown = self.approval(ann, approval_id)
        self.assertEqual((code, json.loads(shown.arguments_json)), (OK, {"name": "billing"}))

    def test_data_refuses_an_approval_whose_hash_is_not_of_its_arguments(self):
        # data's ApprovalRecords are internal: a user reaches them only
        # through run-executor. The suite's own run-executor key stands in
        # for a run-executor that would try to store other arguments.
        tenant = self.tenant()
        mia = self.member("mia", tenant, "tools:restart_service:run approvals:write")
        run_id, paused = self.paused_run(mia, "restarter", "billing")
        forged = json.dumps({"name": "payroll"})
        request = data_pb2.CreateApprovalRequest(
            run_id=run_id, tool_call_id="call-1", tool_name="restart_service",
            arguments_json=forged, args_sha256=sha256(paused[0].arguments_json),
            ttl_seconds=600)
        for token in (mia, SUITE.token("oli", tenant=tenant, roles="owner")):
            with self.assertRaises(grpc.RpcError) as refused:
                self.approval_records.CreateApproval(request, metadata=bearer(token),
                                                     timeout=10)
            self.assertEqual(refused.exception.code(), PERMISSION_DENIED)
        with self.assertRaises(grpc.RpcError) as refused:
            self.approval_records.CreateApproval(
                request, metadata=self.as_run_executor_for(mia), timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(
            SUITE.query("SELECT count(*) FROM bastion_data.approvals WHERE tenant_id = %s",
                        (tenant,))[0][0], 1)
        # Nor does an approval resolve for arguments other than the stored
        # ones: data compares the resolver's hash with the stored one.
        ann = self.member("ann", tenant, "approvals:write")
        with self.assertRaises(grpc.RpcError) as refused:
            self.approval_records.ResolveApproval(data_pb2.ResolveApprovalRequest(
                approval_id=paused[0].approval_id,
                decision=data_pb2.APPROVAL_DECISION_APPROVE,
                expected_args_sha256=sha256(forged)),
                metadata=self.as_run_executor_for(ann), timeout=10)
        self.assertEqual(refused.exception.code(), FAILED_PRECONDITION)
        self.assertEqual(self.approval(ann, paused[0].approval_id)[1].status,
                         runs_pb2.APPROVAL_STATUS_PENDING)

    # --- per-user tool permissions -------------------------------------

    def test_a_member_without_the_tools_scope_does_not_reach_it(self):
        tenant = self.tenant()
        max_ = self.member("max", tenant)
        before = tool_counts()
        events = self.run_agent(max_, "looker", "A-1001")
        results, output = self.results_and_output(events)
        run_id = events[-1].run_id
        self.assertEqual([(r.tool_call_id, r.is_error, r.content) for r in results],
                         [("call-1", True, "tool lookup_order was not called: "
                           "you are not allowed to use it")])
        self.assertEqual(output, "Result: " + results[0].content)
        self.assertCounts(before)
        # Another tool's scope is not this one's.
        events = self.run_agent(self.member("max", tenant, "tools:restart_service:run"),
                                "looker", "A-1001")
        self.assertEqual([r.tool_result.is_error for r in events
                          if kind(r) == "tool_result"], [True])
        self.assertCounts(before)

        # The refusal is in the audit log, for the tenant's admin to read.
        admin = SUITE.token("oli", tenant=tenant, roles="owner")
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            listed = self.audit.ListAuditEvents(data_pb2.ListAuditEventsRequest(
                action="denied.tool", page=common_pb2.PageRequest(limit=100)),
                metadata=bearer(admin), timeout=10).events
            ours = [e for e in listed if run_id in json.loads(e.detail_json).get("reason", "")]
            if ours or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual([(e.tenant_id, e.user_id, e.action, e.resource, e.resource_id)
                          for e in ours],
                         [(tenant, "max", "denied.tool", "tools", "lookup_order")])

        # The same agent with the tool's scope reaches it.
        events = self.run_agent(self.member("max", tenant, "tools:lookup_order:run"),
                                "looker", "A-1001")
        results, _ = self.results_and_output(events)
        self.assertEqual([r.is_error for r in results], [False], results)
        self.assertEqual(json.loads(results[0].content)["acted_for"],
                         {"tenant_id": tenant, "subject": "max"})
        self.assertCounts(before, lookup_order=1)

    def test_the_tenants_tool_policy_pauses_an_unmarked_tool(self):
        tenant = self.tenant()
        owner = SUITE.token("oli", tenant=tenant, roles="owner")
        mia = self.member("mia", tenant, "tools:lookup_order:run")
        # Only the tenant admin sets the policy.
        with self.assertRaises(grpc.RpcError) as refused:
            self.authz.PutToolPolicy(authz_pb2.PutToolPolicyRequest(
                policy=authz_pb2.ToolPolicy(requires_confirmation=["lookup_order"])),
                metadata=bearer(mia), timeout=10)
        self.assertEqual(refused.exception.code(), PERMISSION_DENIED)
        self.authz.PutToolPolicy(authz_pb2.PutToolPolicyRequest(
            policy=authz_pb2.ToolPolicy(requires_confirmation=["lookup_order"])),
            metadata=bearer(owner), timeout=10)
        before = tool_counts()
        deadline, completed = time.monotonic() + SETTLE_SECONDS, 0
        while True:
            events = self.run_agent(mia, "looker", "A-1002")
            if kind(events[-1]) == "paused" or time.monotonic() > deadline:
                break
            completed += 1
            time.sleep(0.2)
        self.assertEqual(kind(events[-1]), "paused")
        self.assertEqual([(c.tool_call_id, c.tool_name, c.requires_confirmation,
                           c.requires_approval) for c in events[-1].paused.requirements],
                         [("call-1", "lookup_order", True, False)])
        run_id = events[-1].run_id
        # Runs made before the policy showed called the tool; the paused one did not.
        if completed:
            self.assertCounts(before, lookup_order=completed)
        else:
            self.assertCounts(before)
        code, continued = self.continue_run(mia, run_id, "looker", [("call-1", True)])
        self.assertEqual(code, OK)
        results, _ = self.results_and_output(continued)
        self.assertEqual(json.loads(results[0].content)["status"], "processing")
        self.assertCounts(before, lookup_order=completed + 1)
        # Another tenant's policy is its own: there the tool is not marked.
        events = self.run_agent(self.member("mia", self.tenant(), "tools:lookup_order:run"),
                                "looker", "A-1002")
        self.assertEqual(kind(events[-1]), "completed")

    # --- the other pauses ----------------------------------------------

    def test_user_input_completes_the_call_the_owner_confirms(self):
        tenant = self.tenant()
        mia = self.member("mia", tenant, "tools:lookup_order:run")
        before = tool_counts()
        run_id, paused = self.paused_run(mia, "asker", "unknown")
        self.assertEqual([(c.tool_call_id, list(c.user_input_fields)) for c in paused],
                         [("call-1", ["order_id"])])

        def decide(user_input: str):
            return runs_pb2.ContinueRunRequest(
                run_id=run_id, component_type=AGENT, component_id="asker",
                decisions=[runs_pb2.ToolDecision(tool_call_id="call-1", confirmed=True,
                                                 user_input_json=user_input)])
        for bad, want in (("", FAILED_PRECONDITION),
                          ('{"order_id": 7}', FAILED_PRECONDITION),
                          ('{"order_id": "far-too-long-an-id"}', FAILED_PRECONDITION),
                          ('{"order_id": "A-1", "name": "x"}', FAILED_PRECONDITION),
                          ("[1]", grpc.StatusCode.INVALID_ARGUMENT)):
            code, _ = self.continue_run(mia, run_id, "asker", None, request=decide(bad))
            self.assertEqual(code, want, bad)
        self.assertEqual(self.status_of(mia, run_id).status, common_pb2.RUN_STATUS_PAUSED)
        self.assertCounts(before)
        code, events = self.continue_run(mia, run_id, "asker", None,
                                         request=decide('{"order_id": "A-1003"}'))
        self.assertEqual(code, OK)
        results, _ = self.results_and_output(events)
        # The owner's value ran, not the model's.
        self.assertEqual(json.loads(results[0].content)["order_id"], "A-1003")
        self.assertCounts(before, lookup_order=1)

    def test_an_external_result_is_bound_to_its_call_and_never_reaches_a_server(self):
        tenant = self.tenant()
        mia = self.member("mia", tenant, "tools:deploy:run")
        before = tool_counts()
        run_id, paused = self.paused_run(mia, "deployer", "prod")
        self.assertEqual([(c.tool_call_id, c.external_execution) for c in paused],
                         [("call-1", True)])

        def decide(call: str, result: str):
            return runs_pb2.ContinueRunRequest(
                run_id=run_id, component_type=AGENT, component_id="deployer",
                decisions=[runs_pb2.ToolDecision(tool_call_id=call, confirmed=True,
                                                 external_result=result)])
        for call, result in (("call-9", "done"), ("call-1", "")):
            code, _ = self.continue_run(mia, run_id, "deployer", None,
                                        request=decide(call, result))
            self.assertEqual(code, FAILED_PRECONDITION, (call, result))
        code, events = self.continue_run(mia, run_id, "deployer", None,
                                         request=decide("call-1", '{"deployed": true}'))
        self.assertEqual(code, OK)
        results, output = self.results_and_output(events)
        self.assertEqual([(r.tool_call_id, r.content) for r in results],
                         [("call-1", '{"deployed": true}')])
        self.assertEqual(output, 'Result: {"deployed": true}')
        self.assertCounts(before)

    def test_an_audited_confirmation_is_recorded_as_an_approval_of_the_owner(self):
        tenant = self.tenant()
        mia = self.member("mia", tenant, "tools:lookup_order:run")
        owner = SUITE.token("olga", tenant=tenant, roles="owner")
        before = tool_counts()
        run_id, paused = self.paused_run(mia, "auditor", "A-1004")
        self.assertEqual([(c.tool_call_id, c.audit_confirmation) for c in paused],
                         [("call-1", True)])
        code, events = self.continue_run(mia, run_id, "auditor", [("call-1", True)])
        self.assertEqual(code, OK)
        self.results_and_output(events)
        self.assertCounts(before, lookup_order=1)
        # The tenant's approvers see the record, of audit kind, resolved by
        # the owner who confirmed the call.
        listed = self.approvals.ListApprovals(runs_pb2.ListApprovalsRequest(),
                                              metadata=bearer(owner), timeout=10)
        records = [a for a in listed.approvals if a.run_id == run_id]
        self.assertEqual([(a.kind, a.status, a.requester, a.resolved_by) for a in records],
                         [(runs_pb2.APPROVAL_KIND_AUDIT, runs_pb2.APPROVAL_STATUS_APPROVED,
                           "mia", "mia")])


if __name__ == "__main__":
    bastion_suite.main()
