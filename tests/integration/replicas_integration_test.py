#!/usr/bin/python3
"""Two run-executor replicas that share nothing but data: a run started on
one is read, streamed and cancelled through the other (the cancel stops it
within a second), and a run whose replica dies is failed once its lease
(2 s here) has run out instead of staying running. With the small limits
configured here: a principal's third live run is refused, and a reader far
slower than its run (buffer of 8 events) still gets every event once.
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
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None
LEASE_SECONDS = 2
AGENT = common_pb2.COMPONENT_TYPE_AGENT
LONG_INPUT = " ".join(f"w{n}" for n in range(3000))
FINAL = (common_pb2.RUN_STATUS_COMPLETED, common_pb2.RUN_STATUS_FAILED,
         common_pb2.RUN_STATUS_CANCELLED)


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started(run_executor_config={"run_limits": {
        "lease_seconds": LEASE_SECONDS, "poll_interval_ms": 100,
        "max_runs_per_principal": 2, "stream_buffer_events": 8}})
    SUITE.launch_replica("run_executor#2")


def tearDownModule() -> None:
    SUITE.stop()


def kind(event) -> str:
    return event.WhichOneof("event")


class ReplicasIntegrationTest(unittest.TestCase):

    def stub(self, name: str):
        channel = grpc.insecure_channel(SUITE.addresses[name])
        self.addCleanup(channel.close)
        return runs_pb2_grpc.RunsStub(channel)

    def start_long_run(self, runs, who):
        # The slow echo agent streams a word every 2 ms: a run of seconds.
        stream = runs.RunAgent(runs_pb2.RunAgentRequest(agent_id="slow-echo", input=LONG_INPUT),
                               metadata=who, timeout=120)
        started = next(stream)
        self.assertEqual(kind(started), "started")
        return stream, started

    def test_a_run_on_one_replica_is_read_and_streamed_through_the_other(self):
        alice = bearer(SUITE.token("alice", roles="member"))
        one, two = self.stub("run_executor"), self.stub("run_executor#2")
        stream, started = self.start_long_run(one, alice)
        # Through the other replica while it runs: read, then follow from
        # the middle to the end.
        run = two.GetRun(runs_pb2.GetRunRequest(run_id=started.run_id), metadata=alice,
                         timeout=10)
        self.assertEqual(run.status, common_pb2.RUN_STATUS_RUNNING)
        followed = list(two.StreamRun(runs_pb2.StreamRunRequest(
            run_id=started.run_id, after_seq=1), metadata=alice, timeout=120))
        direct = [started] + list(stream)
        self.assertEqual([e.seq for e in followed], [e.seq for e in direct[1:]])
        self.assertEqual([e.SerializeToString() for e in followed],
                         [e.SerializeToString() for e in direct[1:]])
        self.assertEqual(kind(followed[-1]), "completed")
        # Someone else gets nothing through either replica.
        bob = bearer(SUITE.token("bob", roles="member"))
        for runs in (one, two):
            with self.assertRaises(grpc.RpcError) as raised:
                runs.GetRun(runs_pb2.GetRunRequest(run_id=started.run_id), metadata=bob,
                            timeout=10)
            self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_cancel_at_one_replica_stops_the_run_on_the_other_within_a_second(self):
        alice = bearer(SUITE.token("alice", roles="member"))
        one, two = self.stub("run_executor"), self.stub("run_executor#2")
        stream, started = self.start_long_run(one, alice)
        events, ended = [], []
        def read():
            events.extend(stream)
            ended.append(time.monotonic())
        reader = threading.Thread(target=read)
        reader.start()
        began = time.monotonic()
        cancelled = two.CancelRun(runs_pb2.CancelRunRequest(
            run_id=started.run_id, component_type=AGENT, component_id="slow-echo"),
            metadata=alice, timeout=10)
        reader.join(30)
        self.assertEqual(cancelled.run.status, common_pb2.RUN_STATUS_CANCELLED)
        self.assertEqual(kind(events[-1]), "cancelled")
        self.assertLess(ended[0] - began, 1.0)
        run = one.GetRun(runs_pb2.GetRunRequest(run_id=started.run_id), metadata=alice,
                         timeout=10)
        self.assertEqual(run.status, common_pb2.RUN_STATUS_CANCELLED)
        self.assertNotEqual(run.output, LONG_INPUT)

    def test_a_dead_replicas_run_is_failed_after_its_lease(self):
        alice = bearer(SUITE.token("alice", roles="member"))
        SUITE.launch_replica("run_executor#3")
        doomed, survivor = self.stub("run_executor#3"), self.stub("run_executor")
        stream, started = self.start_long_run(doomed, alice)
        next(stream)
        SUITE.kill("run_executor#3")
        killed = time.monotonic()
        while True:
            run = survivor.GetRun(runs_pb2.GetRunRequest(run_id=started.run_id),
                                  metadata=alice, timeout=10)
            if run.status in FINAL or time.monotonic() - killed > 4 * LEASE_SECONDS:
                break
            time.sleep(0.1)
        self.assertEqual(run.status, common_pb2.RUN_STATUS_FAILED)
        self.assertIn("stopped", run.error)
        self.assertLess(time.monotonic() - killed, 2 * LEASE_SECONDS + 1)
        # Its stream through the survivor ends with the failure.
        events = list(survivor.StreamRun(runs_pb2.StreamRunRequest(run_id=started.run_id),
                                         metadata=alice, timeout=30))
        self.assertEqual(kind(events[-1]), "failed")
        self.assertEqual(events[-1].failed.message, run.error)
        # Its session is free again.
        again = list(survivor.RunAgent(runs_pb2.RunAgentRequest(
            agent_id="slow-echo", input="after", session_id=started.started.session_id),
            metadata=alice, timeout=30))
        self.assertEqual(kind(again[-1]), "completed")

    def test_a_principals_runs_at_once_are_limited(self):
        erin = bearer(SUITE.token("erin", roles="member"))
        one = self.stub("run_executor")
        streams = [self.start_long_run(one, erin) for _ in range(2)]
        with self.assertRaises(grpc.RpcError) as raised:
            list(one.RunAgent(runs_pb2.RunAgentRequest(agent_id="echo", input="third"),
                              metadata=erin, timeout=30))
        self.assertEqual(raised.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("runs in progress", raised.exception.details())
        # Someone else is not held up by erin's runs.
        frank = bearer(SUITE.token("frank", roles="member"))
        other = list(one.RunAgent(runs_pb2.RunAgentRequest(agent_id="echo", input="mine"),
                                  metadata=frank, timeout=30))
        self.assertEqual(kind(other[-1]), "completed")
        for stream, started in streams:
            one.CancelRun(runs_pb2.CancelRunRequest(
                run_id=started.run_id, component_type=AGENT, component_id="slow-echo"),
                metadata=erin, timeout=10)
            self.assertEqual(kind(list(stream)[-1]), "cancelled")

    def test_a_slow_reader_gets_every_event_once_without_holding_the_run(self):
        gina = bearer(SUITE.token("gina", roles="member"))
        one = self.stub("run_executor")
        stream, started = self.start_long_run(one, gina)
        # The reader stalls; the run goes on to the end regardless.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run = one.GetRun(runs_pb2.GetRunRequest(run_id=started.run_id),
                             metadata=gina, timeout=10)
            if run.status in FINAL:
                break
            time.sleep(0.2)
        self.assertEqual(run.status, common_pb2.RUN_STATUS_COMPLETED)
        events = [started] + list(stream)
        self.assertEqual([e.seq for e in events], list(range(1, len(events) + 1)))
        self.assertEqual(kind(events[-1]), "completed")
        self.assertEqual("".join(e.model_output.text for e in events
                                 if kind(e) == "model_output"), LONG_INPUT)


if __name__ == "__main__":
    bastion_suite.main()
