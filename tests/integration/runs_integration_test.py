#!/usr/bin/python3
"""The Runs API through the real services: runs of agents, teams and
workflows stream their events and are stored in data as their owners (runs,
events, the trace tree); only the owner reaches a run, and only through the
component it belongs to; sessions, their concurrency policies, reconnecting
with after_seq, cancelling, and a client that goes away mid-run.
"""

import pathlib
import sys
import threading
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import Suite, bearer  # noqa: E402

import grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None
AGENT = common_pb2.COMPONENT_TYPE_AGENT
TEAM = common_pb2.COMPONENT_TYPE_TEAM
# The echo agent streams its answer word by word, each word an event stored
# in data first: a long input makes a run that lasts a few seconds.
LONG_INPUT = " ".join(f"w{n}" for n in range(1500))


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


def kind(event) -> str:
    return event.WhichOneof("event")


class RunsIntegrationTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.channel = grpc.insecure_channel(SUITE.addresses["run_executor"])
        cls.data_channel = grpc.insecure_channel(SUITE.addresses["data"])
        cls.runs = runs_pb2_grpc.RunsStub(cls.channel)
        cls.agents = runs_pb2_grpc.AgentsStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.data_channel.close()

    def member(self, sub: str, tenant: str = "t1"):
        # The member role grants no tool: the demo's calculator is granted
        # by its own scope.
        return bearer(SUITE.token(sub, tenant=tenant, roles="member",
                                  scopes="tools:calculator:run"))

    def run_agent(self, who, text: str, agent: str = "echo", **fields):
        return list(self.runs.RunAgent(runs_pb2.RunAgentRequest(
            agent_id=agent, input=text, **fields), metadata=who, timeout=60))

    def start_long_run(self, who, **fields):
        """Starts a long run (the slow echo agent streams a word every 2 ms);
        returns (stream, started event)."""
        stream = self.runs.RunAgent(runs_pb2.RunAgentRequest(
            agent_id="slow-echo", input=LONG_INPUT, **fields), metadata=who, timeout=120)
        started = next(stream)
        self.assertEqual(kind(started), "started")
        return stream, started

    def wait_status(self, who, run_id: str, statuses, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while True:
            run = self.runs.GetRun(runs_pb2.GetRunRequest(run_id=run_id),
                                   metadata=who, timeout=10)
            if run.status in statuses or time.monotonic() > deadline:
                return run
            time.sleep(0.05)

    def assertCode(self, code, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as raised:
            result = call(*args, **kwargs)
            if hasattr(result, "__iter__") and not hasattr(result, "ListFields"):
                list(result)
        self.assertEqual(raised.exception.code(), code, raised.exception.details())
        return raised.exception.details()

    def test_an_agent_run_streams_its_events_and_is_stored(self):
        alice = self.member("alice")
        events = self.run_agent(alice, "hello there world")
        self.assertEqual(kind(events[0]), "started")
        self.assertEqual(events[0].started.component_id, "echo")
        self.assertTrue(events[0].started.session_id)
        self.assertEqual(kind(events[-1]), "completed")
        self.assertEqual(events[-1].completed.output, "hello there world")
        self.assertEqual([e.seq for e in events], list(range(1, len(events) + 1)))
        run_id = events[0].run_id
        self.assertTrue(all(e.run_id == run_id for e in events))
        text = "".join(e.model_output.text for e in events if kind(e) == "model_output")
        self.assertEqual(text, "hello there world")

        run = self.runs.GetRun(runs_pb2.GetRunRequest(run_id=run_id), metadata=alice,
                               timeout=10)
        self.assertEqual(run.status, common_pb2.RUN_STATUS_COMPLETED)
        self.assertEqual((run.user_id, run.tenant_id), ("alice", "t1"))
        self.assertEqual((run.input, run.output), ("hello there world", "hello there world"))
        self.assertEqual(run.session_id, events[0].started.session_id)
        listed = self.runs.ListRuns(runs_pb2.ListRunsRequest(
            session_id=run.session_id, page=common_pb2.PageRequest(limit=10)),
            metadata=alice, timeout=10)
        self.assertEqual([r.run_id for r in listed.runs], [run_id])
        # Stored as alice, in data: the run, its events, its trace.
        self.assertEqual(SUITE.query(
            "SELECT tenant_id, user_id, status FROM bastion_data.runs WHERE run_id = %s",
            (run_id,)), [("t1", "alice", "completed")])
        self.assertEqual(SUITE.query(
            "SELECT count(*) FROM bastion_data.run_events WHERE run_id = %s AND "
            "user_id = 'alice'", (run_id,)), [(len(events),)])
        trace = data_pb2_grpc.TracesStub(self.data_channel).GetTrace(
            data_pb2.GetTraceRequest(trace_id=run_id), metadata=alice, timeout=10)
        self.assertTrue(trace.chain_valid)
        root = [s for s in trace.spans if s.span_id == run_id]
        self.assertEqual(len(root), 1)
        self.assertEqual(root[0].parent_span_id, "")
        self.assertEqual(root[0].name, "run agent echo")
        children = [s for s in trace.spans if s.span_id != run_id]
        self.assertTrue(children)
        self.assertTrue(all(s.parent_span_id == run_id for s in children))
        self.assertIn("model scripted:echo", [s.name for s in children])

    def test_a_team_and_a_workflow_run_to_completion(self):
        alice = self.member("alice")
        team = list(self.runs.RunTeam(runs_pb2.RunTeamRequest(
            team_id="duo", input="both of you"), metadata=alice, timeout=60))
        self.assertEqual(kind(team[-1]), "completed", team[-1])
        self.assertEqual(team[-1].completed.output, "both of you")
        flow = list(self.runs.RunWorkflow(runs_pb2.RunWorkflowRequest(
            workflow_id="triage", input="step by step"), metadata=alice, timeout=60))
        self.assertEqual(kind(flow[-1]), "completed", flow[-1])
        self.assertEqual(flow[-1].completed.output, "step by step")
        trace = data_pb2_grpc.TracesStub(self.data_channel).GetTrace(
            data_pb2.GetTraceRequest(trace_id=flow[0].run_id), metadata=alice, timeout=10)
        by_id = {s.span_id: s for s in trace.spans}
        steps = [s for s in trace.spans if s.name.startswith("step ")]
        self.assertEqual(sorted(s.name for s in steps), ["step act", "step listen"])
        self.assertTrue(all(s.parent_span_id == flow[0].run_id for s in steps))
        # The team step's leader model call hangs under the step.
        act = [s for s in steps if s.name == "step act"][0]
        self.assertTrue(any(s.parent_span_id == act.span_id for s in by_id.values()))

    def test_only_the_owner_reaches_a_run_and_only_through_its_component(self):
        alice, bob = self.member("alice"), self.member("bob")
        carol = self.member("carol", tenant="t2")
        run_id = self.run_agent(alice, "private words")[0].run_id
        for who in (bob, carol):
            self.assertCode(grpc.StatusCode.NOT_FOUND, self.runs.GetRun,
                            runs_pb2.GetRunRequest(run_id=run_id), metadata=who, timeout=10)
            self.assertCode(grpc.StatusCode.NOT_FOUND, self.runs.StreamRun,
                            runs_pb2.StreamRunRequest(run_id=run_id), metadata=who,
                            timeout=10)
            self.assertCode(grpc.StatusCode.NOT_FOUND, self.runs.CancelRun,
                            runs_pb2.CancelRunRequest(run_id=run_id, component_type=AGENT,
                                                      component_id="echo"),
                            metadata=who, timeout=10)
            listed = self.runs.ListRuns(runs_pb2.ListRunsRequest(
                page=common_pb2.PageRequest(limit=1000)), metadata=who, timeout=10)
            self.assertNotIn(run_id, [r.run_id for r in listed.runs])
        # The owner naming another component: as if the run did not exist.
        missing = self.assertCode(
            grpc.StatusCode.NOT_FOUND, self.runs.GetRun,
            runs_pb2.GetRunRequest(run_id="run-does-not-exist"), metadata=alice, timeout=10)
        for component_type, component_id in ((TEAM, "echo"), (AGENT, "ops")):
            details = self.assertCode(
                grpc.StatusCode.NOT_FOUND, self.runs.CancelRun,
                runs_pb2.CancelRunRequest(run_id=run_id, component_type=component_type,
                                          component_id=component_id),
                metadata=alice, timeout=10)
            self.assertEqual(details.replace(run_id, "run-does-not-exist"), missing)
        # A finished run cannot be cancelled; it cannot be continued either.
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION, self.runs.CancelRun,
                        runs_pb2.CancelRunRequest(run_id=run_id, component_type=AGENT,
                                                  component_id="echo"),
                        metadata=alice, timeout=10)
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION, self.runs.ContinueRun,
                        runs_pb2.ContinueRunRequest(run_id=run_id, component_type=AGENT,
                                                    component_id="echo"),
                        metadata=alice, timeout=10)

    def test_a_run_in_someone_elses_session_is_not_found_and_writes_nothing(self):
        alice, bob = self.member("alice"), self.member("bob")
        bobs = self.run_agent(bob, "mine")[0].started.session_id
        before = SUITE.table_digests(without_audit=True)
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.run_agent, alice, "hi",
                        session_id=bobs)
        self.assertEqual(SUITE.table_digests(without_audit=True), before)
        # Her own session is used as given.
        own = self.run_agent(alice, "first")[0].started.session_id
        again = self.run_agent(alice, "second", session_id=own)
        self.assertEqual(again[0].started.session_id, own)
        self.assertEqual(kind(again[-1]), "completed")

    def test_session_policies_reject_enqueue_and_interrupt(self):
        alice = self.member("alice")
        stream, first = self.start_long_run(alice)
        session = first.started.session_id
        details = self.assertCode(grpc.StatusCode.FAILED_PRECONDITION, self.run_agent,
                                  alice, "me too", agent="slow-echo", session_id=session)
        self.assertIn(first.run_id, details)
        # Interrupt: the first run is cancelled, the new one runs.
        interrupting = self.run_agent(alice, "now", agent="slow-echo", session_id=session,
                                      session_policy=runs_pb2.SESSION_POLICY_INTERRUPT)
        self.assertEqual(kind(interrupting[-1]), "completed")
        self.assertEqual(kind(list(stream)[-1]), "cancelled")
        self.assertEqual(self.wait_status(alice, first.run_id, ()).status,
                         common_pb2.RUN_STATUS_CANCELLED)
        # Enqueue: the new run starts once the running one has ended.
        stream, second = self.start_long_run(alice, session_id=session)
        queued = self.run_agent(alice, "later", agent="slow-echo", session_id=session,
                                session_policy=runs_pb2.SESSION_POLICY_ENQUEUE)
        self.assertEqual(kind(queued[-1]), "completed")
        self.assertEqual(kind(list(stream)[-1]), "completed")
        earlier = self.runs.GetRun(runs_pb2.GetRunRequest(run_id=second.run_id),
                                   metadata=alice, timeout=10)
        later = self.runs.GetRun(runs_pb2.GetRunRequest(run_id=queued[0].run_id),
                                 metadata=alice, timeout=10)
        self.assertEqual(earlier.status, common_pb2.RUN_STATUS_COMPLETED)
        self.assertGreaterEqual(later.updated_at_unix, earlier.updated_at_unix)
        stored = SUITE.query(
            "SELECT max(created_at) FROM bastion_data.run_events WHERE run_id = %s "
            "UNION ALL SELECT min(created_at) FROM bastion_data.run_events "
            "WHERE run_id = %s", (second.run_id, queued[0].run_id))
        self.assertLessEqual(stored[0][0], stored[1][0])

    def test_reconnecting_replays_after_seq_without_loss_or_duplicates(self):
        alice = self.member("alice")
        stream, started = self.start_long_run(alice)
        seen = [started]
        for event in stream:
            seen.append(event)
            if len(seen) == 40:
                break
        stream.cancel()  # the client goes away; the run goes on
        rest = list(self.runs.StreamRun(runs_pb2.StreamRunRequest(
            run_id=started.run_id, after_seq=seen[-1].seq), metadata=alice, timeout=120))
        events = seen + rest
        self.assertEqual([e.seq for e in events], list(range(1, len(events) + 1)))
        self.assertEqual(kind(events[-1]), "completed")
        self.assertEqual(events[-1].completed.output, LONG_INPUT)
        text = "".join(e.model_output.text for e in events if kind(e) == "model_output")
        self.assertEqual(text, LONG_INPUT)
        # A second reconnect from the start replays the same events.
        again = list(self.runs.StreamRun(runs_pb2.StreamRunRequest(
            run_id=started.run_id), metadata=alice, timeout=60))
        self.assertEqual([e.SerializeToString() for e in again],
                         [e.SerializeToString() for e in events])

    def test_a_client_that_disconnects_does_not_cancel_the_run(self):
        alice = self.member("alice")
        stream, started = self.start_long_run(alice)
        stream.cancel()
        run = self.wait_status(alice, started.run_id, (common_pb2.RUN_STATUS_COMPLETED,
                                                       common_pb2.RUN_STATUS_CANCELLED,
                                                       common_pb2.RUN_STATUS_FAILED), 60)
        self.assertEqual(run.status, common_pb2.RUN_STATUS_COMPLETED)
        self.assertEqual(run.output, LONG_INPUT)

    def test_cancel_stops_a_running_run(self):
        alice = self.member("alice")
        stream, started = self.start_long_run(alice)
        events = []
        reader = threading.Thread(target=lambda: events.extend(stream))
        reader.start()
        began = time.monotonic()
        cancelled = self.runs.CancelRun(runs_pb2.CancelRunRequest(
            run_id=started.run_id, component_type=AGENT, component_id="slow-echo"),
            metadata=alice, timeout=10)
        self.assertEqual(cancelled.run.status, common_pb2.RUN_STATUS_CANCELLED)
        self.assertLess(time.monotonic() - began, 1.0)
        reader.join(30)
        self.assertEqual(kind(events[-1]), "cancelled")
        self.assertEqual(events[-1].cancelled.cancelled_by, "alice")
        self.assertNotEqual(cancelled.run.output, LONG_INPUT)

    def test_the_demo_agent_team_and_workflow(self):
        # What tools/up.sh shows: the calculator agent calls its tool, the
        # desk team delegates to echo and calculator, the brief workflow
        # runs the desk and then echo.
        alice = self.member("alice")
        events = list(self.runs.RunAgent(runs_pb2.RunAgentRequest(
            agent_id="calculator", input="6*7"), metadata=alice, timeout=60))
        self.assertEqual([kind(e) for e in events if kind(e) in ("tool_call", "tool_result")],
                         ["tool_call", "tool_result"])
        self.assertEqual(events[-1].completed.output, '6*7 = {"result":42}')
        desk = list(self.runs.RunTeam(runs_pb2.RunTeamRequest(team_id="desk", input="2+2"),
                                      metadata=alice, timeout=60))
        self.assertEqual(desk[-1].completed.output,
                         'The desk\'s answer:\n2+2\n2+2 = {"result":4}')
        self.assertEqual([e.tool_call.tool_name for e in desk if kind(e) == "tool_call"],
                         ["echo", "calculator", "calculator"])
        brief = list(self.runs.RunWorkflow(runs_pb2.RunWorkflowRequest(
            workflow_id="brief", input="1+2*3"), metadata=alice, timeout=60))
        self.assertEqual(brief[-1].completed.output,
                         'The desk\'s answer:\n1+2*3\n1+2*3 = {"result":7}')

    def test_per_id_scopes_list_and_run_only_their_components(self):
        # agents:echo:run (and sessions:write for the run's session): the
        # agent list shows echo only, and echo runs.
        scoped = bearer(SUITE.token("dave", scopes="agents:echo:run sessions:write"))
        listed = self.agents.ListAgents(runs_pb2.ListAgentsRequest(), metadata=scoped,
                                        timeout=10)
        self.assertEqual([a.agent_id for a in listed.agents], ["echo"])
        teams = runs_pb2_grpc.TeamsStub(self.channel)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, teams.ListTeams,
                        runs_pb2.ListTeamsRequest(), metadata=scoped, timeout=10)
        events = list(self.runs.RunAgent(runs_pb2.RunAgentRequest(
            agent_id="echo", input="scoped"), metadata=scoped, timeout=60))
        self.assertEqual(kind(events[-1]), "completed")
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, lambda: list(
            self.runs.RunAgent(runs_pb2.RunAgentRequest(agent_id="ops", input="x"),
                               metadata=scoped, timeout=10)))

    def test_bad_input_is_refused_with_a_clear_status(self):
        alice = self.member("alice")
        details = self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.run_agent,
                                  alice, "x" * (64 * 1024 + 1))
        self.assertIn("65536", details)
        self.assertCode(grpc.StatusCode.NOT_FOUND, lambda: list(self.runs.RunAgent(
            runs_pb2.RunAgentRequest(agent_id="nobody", input="x"), metadata=alice,
            timeout=10)))
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, lambda: list(self.runs.StreamRun(
            runs_pb2.StreamRunRequest(run_id="r", after_seq=-1), metadata=alice,
            timeout=10)))


if __name__ == "__main__":
    bastion_suite.main()
