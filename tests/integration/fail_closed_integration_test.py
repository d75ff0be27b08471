#!/usr/bin/python3
"""With authn or authz stopped, protected calls answer UNAVAILABLE and do
nothing (not a row written); when the dependency returns, service resumes.
"""

import pathlib
import sys
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


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


class FailClosedTest(unittest.TestCase):

    def setUp(self):
        self.channels = [grpc.insecure_channel(SUITE.addresses[name])
                         for name in ("data", "run_executor")]
        self.sessions = data_pb2_grpc.SessionsStub(self.channels[0])
        self.agents = runs_pb2_grpc.AgentsStub(self.channels[1])

    def tearDown(self):
        for channel in self.channels:
            channel.close()

    def create_session(self, token: str):
        return self.sessions.CreateSession(data_pb2.CreateSessionRequest(
            component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo"),
            metadata=bearer(token), timeout=15)

    def assertUnavailable(self, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, **kwargs)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAVAILABLE,
                         raised.exception.details())

    def check_outage(self, dependency: str):
        # Works before the outage.
        self.eventually(lambda: self.create_session(SUITE.token("alice", roles="member")))
        before = SUITE.table_digests()
        SUITE.stop_one(dependency)
        try:
            # Fresh tokens, so no cached answer can stand in for the check.
            self.assertUnavailable(self.create_session, SUITE.token("alice", roles="member"))
            self.assertUnavailable(self.agents.ListAgents, runs_pb2.ListAgentsRequest(),
                                   metadata=bearer(SUITE.token("bob", scopes="agents:read")),
                                   timeout=15)
            self.assertEqual(SUITE.table_digests(), before, "nothing may be written")
        finally:
            SUITE.restart(dependency)
        # Service resumes once the dependency is back (clients reconnect
        # within about a second; allow a bounded few).
        self.eventually(lambda: self.create_session(SUITE.token("alice", roles="member")))
        listed = self.eventually(lambda: self.agents.ListAgents(
            runs_pb2.ListAgentsRequest(), timeout=15,
            metadata=bearer(SUITE.token("bob", scopes="agents:read"))))
        self.assertTrue(listed.agents)

    @staticmethod
    def eventually(call, seconds: float = 10.0):
        deadline = time.monotonic() + seconds
        while True:
            try:
                return call()
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or \
                        time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def test_authz_down_fails_closed_and_recovers(self):
        self.check_outage("authz")

    def test_authn_down_fails_closed_and_recovers(self):
        self.check_outage("authn")


if __name__ == "__main__":
    bastion_suite.main()
