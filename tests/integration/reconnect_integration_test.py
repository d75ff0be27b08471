#!/usr/bin/python3
"""Every service is back within about a second of a dependency's return.

A dependency (authz, then authn) is stopped long enough that gRPC's default
reconnect backoff would have grown to several seconds, then started again on
the same port; each service that depends on it must answer a call again
within RECOVERY_SECONDS of that. Every call uses a fresh token, so no cached
answer stands in for the dependency.
"""

import pathlib
import sys
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import Suite, bearer  # noqa: E402

import grpc  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.authz.v1 import authz_pb2, authz_pb2_grpc  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None
# How long the dependency stays down: with gRPC's default backoff (1 s,
# growing 1.6x, jittered) the next attempt after this is seconds away.
DOWN_SECONDS = 12.0
# The bound: channels retry at least every second (ChannelFactory), plus
# the call itself.
RECOVERY_SECONDS = 2.0


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


class ReconnectTest(unittest.TestCase):

    def setUp(self):
        self.channels = {name: grpc.insecure_channel(SUITE.addresses[name])
                         for name in ("authn", "authz", "data", "run_executor")}
        # One call per service that needs the stopped dependency to answer,
        # made with a given user's token.
        stubs = {"authn": authn_pb2_grpc.AuthnStub(self.channels["authn"]),
                 "authz": authz_pb2_grpc.AuthzStub(self.channels["authz"]),
                 "data": data_pb2_grpc.SessionsStub(self.channels["data"]),
                 "run_executor": runs_pb2_grpc.AgentsStub(self.channels["run_executor"])}
        self.calls = {
            "authn": (lambda token: stubs["authn"].ListApiKeys(
                authn_pb2.ListApiKeysRequest(), timeout=5, metadata=bearer(token)),
                dict(scopes="api_keys:read")),
            "authz": (lambda token: stubs["authz"].ListRoles(
                authz_pb2.ListRolesRequest(), timeout=5, metadata=bearer(token)),
                dict(scopes="roles:read")),
            "data": (lambda token: stubs["data"].ListSessions(
                data_pb2.ListSessionsRequest(), timeout=5, metadata=bearer(token)),
                dict(roles="member")),
            "run_executor": (lambda token: stubs["run_executor"].ListAgents(
                runs_pb2.ListAgentsRequest(), timeout=5, metadata=bearer(token)),
                dict(scopes="agents:read")),
        }

    def tearDown(self):
        for channel in self.channels.values():
            channel.close()

    def code_of(self, name: str, token: str):
        try:
            self.calls[name][0](token)
            return grpc.StatusCode.OK
        except grpc.RpcError as error:
            return error.code()

    def check_back_within_a_second(self, dependency: str, clients: tuple):
        # A user per phase, so that no answer cached in one phase (authn's
        # for 1 s, authz's for 5 s) can stand in for the dependency in the next.
        tokens = {(name, phase): SUITE.token(f"{phase}-{name}", **self.calls[name][1])
                  for name in clients for phase in ("before", "down", "after")}
        for name in clients:
            self.assertEqual(self.code_of(name, tokens[name, "before"]),
                             grpc.StatusCode.OK, name)
        SUITE.stop_one(dependency)
        try:
            down_until = time.monotonic() + DOWN_SECONDS
            while time.monotonic() < down_until:
                for name in clients:
                    self.assertEqual(self.code_of(name, tokens[name, "down"]),
                                     grpc.StatusCode.UNAVAILABLE,
                                     f"{name} with {dependency} down")
                time.sleep(0.5)
        finally:
            SUITE.restart(dependency)
        # The dependency listens again: poll every client until each answers.
        back = time.monotonic()
        recovered = {}
        while len(recovered) < len(clients) and time.monotonic() < back + 10:
            for name in clients:
                if name not in recovered and self.code_of(
                        name, tokens[name, "after"]) == grpc.StatusCode.OK:
                    recovered[name] = time.monotonic() - back
            time.sleep(0.05)
        sys.stderr.write(f"back after {dependency} returned: " + ", ".join(
            f"{name} {seconds:.2f} s" for name, seconds in recovered.items()) + "\n")
        for name in clients:
            with self.subTest(service=name, dependency=dependency):
                self.assertIn(name, recovered, f"{name} never recovered")
                self.assertLessEqual(recovered[name], RECOVERY_SECONDS,
                                     f"{name} took {recovered[name]:.2f} s")

    def test_authn_data_and_run_executor_are_back_within_a_second_of_authz(self):
        self.check_back_within_a_second("authz", ("authn", "data", "run_executor"))

    def test_authz_data_and_run_executor_are_back_within_a_second_of_authn(self):
        self.check_back_within_a_second("authn", ("authz", "data", "run_executor"))


if __name__ == "__main__":
    bastion_suite.main()
