#!/usr/bin/python3
"""Runs act for their users through run delegations, against the real suite:
run-executor exchanges the caller's assertion for a delegation bound to the
run at its start, renews it while the run lives and ends it with the run.

Shows: a run that outlives its user's token (and the assertion made for it)
keeps working and stores its events; revoking the API key a run was started
with stops the run at its next step, failed, saying the credential was
revoked; the delegation is ended once its run is over.

The runs call a slow tool served here (ToolService "wait"), so that they
last longer than the user's credentials."""
import concurrent.futures
import json
import pathlib
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
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None
TOOLS = None
# The user's tokens end within seconds here: authn's leeway is 1 s, and a
# delegation lives 3 s before it must be renewed.
LEEWAY_SECONDS = 1
DELEGATION_TTL_SECONDS = 3
CHECK_INTERVAL_MS = 300


class WaitTool(runs_pb2_grpc.ToolServiceServicer):
    """Tool "wait": sleeps {"seconds": "n"} (at most 20), unless the call is
    cancelled first; remembers the principal assertion of each call."""

    def __init__(self):
        self.assertions = []
        self.lock = threading.Lock()

    def ListTools(self, request, context):
        return runs_pb2.ListToolsResponse()

    def Invoke(self, request, context):
        with self.lock:
            self.assertions.append(dict(context.invocation_metadata()).get(
                "x-bastion-principal-bin", b""))
        seconds = min(20.0, float(json.loads(request.arguments_json)["seconds"]))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and context.is_active():
            time.sleep(0.05)
        return runs_pb2.InvokeToolResponse(result=runs_pb2.ToolResult(
            tool_call_id=request.tool_call_id, content=f"waited {seconds:g}s"))


def registry(tool_address: str) -> dict:
    """An agent "waiter" whose model calls "wait" for as many seconds as
    its input says ("6" waits 6 s), then answers with the tool's result."""
    schema = json.dumps({"type": "object",
                         "properties": {"seconds": {"type": "string"}},
                         "required": ["seconds"]})
    return {
        "agents": [{
            "agentId": "waiter",
            "model": "scripted:waiter",
            "tools": [{"name": "wait", "description": "Waits.",
                       "parametersJsonSchema": schema,
                       "endpoint": tool_address, "timeoutMs": 60000}],
        }],
        "models": [{
            "name": "scripted:waiter",
            "scripted": {
                "rules": [
                    {"reply": "Waiting.",
                     "toolCalls": [{"toolName": "wait",
                                    "argumentsJson": '{"seconds": "{input}"}'}]},
                    {"afterTool": "wait", "reply": "Done: {tool_result}"},
                ],
            },
        }],
    }


def setUpModule() -> None:
    global SUITE, TOOLS
    TOOLS = WaitTool()
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=8))
    runs_pb2_grpc.add_ToolServiceServicer_to_server(TOOLS, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    TOOLS.server = server
    folder = pathlib.Path(tempfile.mkdtemp(prefix="bastion-run-delegation-"))
    registry_file = folder / "registry.json"
    registry_file.write_text(json.dumps(registry(f"127.0.0.1:{port}")))
    SUITE = Suite.started(
        authn_env={"BASTION_LEEWAY_SECONDS": str(LEEWAY_SECONDS),
                   "BASTION_DELEGATION_TTL_SECONDS": str(DELEGATION_TTL_SECONDS)},
        run_executor_config={"run_limits": {
            "delegation_check_interval_ms": CHECK_INTERVAL_MS}},
        registry_file=str(registry_file))


def tearDownModule() -> None:
    SUITE.stop()
    TOOLS.server.stop(0)


def kind(event) -> str:
    return event.WhichOneof("event")


class RunDelegationIntegrationTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.channel = grpc.insecure_channel(SUITE.addresses["run_executor"])
        cls.authn_channel = grpc.insecure_channel(SUITE.addresses["authn"])
        cls.runs = runs_pb2_grpc.RunsStub(cls.channel)
        cls.authn = authn_pb2_grpc.AuthnStub(cls.authn_channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.authn_channel.close()

    def delegation_of(self, run_id: str):
        """(delegation id, end reason) of the run, from the databases."""
        stored = SUITE.query("SELECT delegation_id FROM bastion_data.runs "
                             "WHERE run_id = %s", (run_id,))
        self.assertEqual(len(stored), 1)
        delegation_id = stored[0][0]
        self.assertTrue(delegation_id.startswith("dlg_"), delegation_id)
        ended = SUITE.query("SELECT end_reason FROM bastion_authn.delegations "
                            "WHERE delegation_id = %s", (delegation_id,))
        return delegation_id, ended[0][0] if ended else None

    def wait_status(self, who, run_id: str, statuses, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while True:
            run = self.runs.GetRun(runs_pb2.GetRunRequest(run_id=run_id),
                                   metadata=who, timeout=10)
            if run.status in statuses or time.monotonic() > deadline:
                return run
            time.sleep(0.1)

    def test_a_run_outlives_its_users_token_and_ends_its_delegation(self):
        now = int(time.time())
        token = SUITE.token("olga", roles="member", scopes="tools:wait:run",
                            issued_at=now,
                            expires_at=now + 3)
        events = list(self.runs.RunAgent(runs_pb2.RunAgentRequest(
            agent_id="waiter", input="7"), metadata=bearer(token), timeout=60))
        # The token (and the assertion made for it) ended mid-run.
        self.assertGreater(time.time(), now + 3 + LEEWAY_SECONDS + 1)
        self.assertEqual(kind(events[-1]), "completed", events[-1])
        self.assertEqual(events[-1].completed.output, "Done: waited 7s")
        self.assertEqual([kind(e) for e in events if kind(e) != "model_output"],
                         ["started", "tool_call", "tool_result", "completed"])
        run_id = events[0].run_id

        # Everything was stored, read now with a fresh token of hers.
        fresh = bearer(SUITE.token("olga", roles="member"))
        run = self.runs.GetRun(runs_pb2.GetRunRequest(run_id=run_id),
                               metadata=fresh, timeout=10)
        self.assertEqual(run.status, common_pb2.RUN_STATUS_COMPLETED)
        stored = list(self.runs.StreamRun(runs_pb2.StreamRunRequest(run_id=run_id),
                                          metadata=fresh, timeout=30))
        self.assertEqual([e.SerializeToString() for e in stored],
                         [e.SerializeToString() for e in events])
        spans = SUITE.query("SELECT count(*) FROM bastion_data.spans "
                            "WHERE trace_id = %s", (run_id,))
        self.assertGreaterEqual(spans[0][0], 3)

        # The tool was called with the run's delegation, and the delegation
        # was ended with the run (authn no longer renews it): at once, or
        # within the batching delay of run-executor's ends (100 ms).
        self.assertTrue(TOOLS.assertions[-1])
        deadline = time.monotonic() + 5
        delegation_id, end_reason = self.delegation_of(run_id)
        while end_reason is None and time.monotonic() < deadline:
            time.sleep(0.05)
            delegation_id, end_reason = self.delegation_of(run_id)
        self.assertEqual(end_reason, "ended")
        with self.assertRaises(grpc.RpcError) as raised:
            authn_pb2_grpc.DelegationsStub(self.authn_channel).RenewDelegation(
                authn_pb2.RenewDelegationRequest(delegation_id=delegation_id),
                metadata=[("x-bastion-service-bin", SUITE.service_assertion())],
                timeout=10)
        self.assertEqual(raised.exception.code(),
                         grpc.StatusCode.FAILED_PRECONDITION)

    def test_revoking_the_api_key_stops_its_run_at_the_next_step(self):
        # An API key holds only its own scopes (no roles): those a run of
        # the agent needs, each held by the token that creates the key.
        run_scopes = ["agents:run", "sessions:read", "sessions:write",
                      "runs:read", "runs:write", "traces:write",
                      "tools:wait:run"]
        token = SUITE.token("pia", roles="member",
                            scopes=" ".join(["api_keys:write", "api_keys:delete",
                                             *run_scopes]))
        key = self.authn.CreateApiKey(
            authn_pb2.CreateApiKeyRequest(name="runs", scopes=run_scopes),
            metadata=bearer(token), timeout=10)
        stream = self.runs.RunAgent(runs_pb2.RunAgentRequest(
            agent_id="waiter", input="15"), metadata=bearer(key.secret),
            timeout=60)
        seen = []
        for event in stream:
            seen.append(event)
            if kind(event) == "tool_call":
                break
        run_id = seen[0].run_id
        started = time.monotonic()
        self.authn.RevokeApiKey(authn_pb2.RevokeApiKeyRequest(key_id=key.key.key_id),
                                metadata=bearer(token), timeout=10)
        rest = list(stream)
        stopped = time.monotonic() - started
        self.assertEqual(kind(rest[-1]), "failed", rest[-1])
        self.assertIn("revoked", rest[-1].failed.message)
        # Stopped at its next check, long before the tool would have ended.
        self.assertLess(stopped, 8)
        run = self.wait_status(bearer(token), run_id, (common_pb2.RUN_STATUS_FAILED,))
        self.assertEqual(run.status, common_pb2.RUN_STATUS_FAILED)
        self.assertIn("revoked", run.error)
        _, end_reason = self.delegation_of(run_id)
        self.assertEqual(end_reason, "revoked")


if __name__ == "__main__":
    bastion_suite.main()
