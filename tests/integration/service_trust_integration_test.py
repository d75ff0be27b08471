#!/usr/bin/python3
"""Least privilege between services, against the real data (and authz)
service: each service of the suite, proving itself with its own key, may
call exactly the methods its grant lists (tools/service_identity
suite_grants.cc, written into the trusted-services file every service
loads); any other method answers PERMISSION_DENIED and is audited. A bare
key list (the file form without grants) refuses startup, saying why.
"""

import json
import pathlib
import sys
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import SERVICES, Suite, spawn  # noqa: E402

import grpc  # noqa: E402
from google.protobuf import symbol_database  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.authz.v1 import authz_pb2, authz_pb2_grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2  # noqa: E402

SUITE = None


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


def granted() -> dict:
    """service name -> the methods the suite's trusted-services file lists."""
    with open(SUITE.trusted_services()) as file:
        trusted = json.load(file)
    return {entry["name"]: set(entry.get("methods", ())) for entry in trusted["services"]}


def data_methods():
    """(full name, method) of every non-public data RPC."""
    for service in data_pb2.DESCRIPTOR.services_by_name.values():
        for method in service.methods:
            permission = method.GetOptions().Extensions[common_pb2.permission]
            if not permission.public:
                yield f"{service.full_name}/{method.name}", method, permission


def call(address: str, full_name: str, method, metadata) -> grpc.StatusCode:
    symbols = symbol_database.Default()
    request_class = symbols.GetSymbol(method.input_type.full_name)
    response_class = symbols.GetSymbol(method.output_type.full_name)
    with grpc.insecure_channel(address) as channel:
        kwargs = dict(request_serializer=request_class.SerializeToString,
                      response_deserializer=response_class.FromString)
        try:
            if method.server_streaming:
                for _ in channel.unary_stream("/" + full_name, **kwargs)(
                        request_class(), metadata=metadata, timeout=10):
                    pass
            else:
                channel.unary_unary("/" + full_name, **kwargs)(
                    request_class(), metadata=metadata, timeout=10)
        except grpc.RpcError as error:
            return error.code()
    return grpc.StatusCode.OK


class ServiceTrustTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        with grpc.insecure_channel(SUITE.addresses["authn"]) as channel:
            cls.user_assertion = authn_pb2_grpc.AuthnStub(channel).Authenticate(
                authn_pb2.AuthenticateRequest(
                    credential=SUITE.token("ursula", tenant="trust", roles="member")),
                timeout=10).assertion

    def service_assertion(self, name: str) -> bytes:
        return SUITE.service_assertion(str(SUITE.dir / "services" / f"{name}.pem"), name)

    def grant_denials(self) -> set:
        """(service subject, method) of every "denied.service_grant" audited."""
        rows = SUITE.query(
            "SELECT detail->>'method', detail->>'reason' FROM bastion_data.audit_events "
            "WHERE action = 'denied.service_grant'")
        return {(reason.split(" may not call ")[0], method) for method, reason in rows}

    def test_the_grants_are_least_privilege(self):
        grants = granted()
        self.assertEqual(set(grants), set(SERVICES))
        self.assertIn("bastion.data.v1.RunRecords/CreateRun", grants["run_executor"])
        self.assertIn("bastion.data.v1.Traces/AppendSpans", grants["run_executor"])
        self.assertNotIn("bastion.data.v1.Traces/GetTrace", grants["run_executor"])
        self.assertEqual(grants["authz"], {"bastion.data.v1.AuditWriter/AppendAuditEvents"})
        self.assertFalse({m for m in grants["data"] if m.startswith("bastion.data.")})

    def test_each_service_calls_exactly_its_listed_data_methods(self):
        grants = granted()
        allowed, denied = set(), set()
        for service in SERVICES:
            mine = self.service_assertion(service)
            for full_name, method, permission in data_methods():
                # A service's own call names no user; any other carries the
                # user it acts for.
                metadata = [("x-bastion-service-bin", mine)]
                if not (permission.internal and not permission.resource):
                    metadata.append(("x-bastion-principal-bin", self.user_assertion))
                code = call(SUITE.addresses["data"], full_name, method, metadata)
                key = (f"service:{service}", full_name)
                with self.subTest(service=service, rpc=full_name):
                    if full_name in grants[service]:
                        self.assertNotIn(code, (grpc.StatusCode.UNAUTHENTICATED,
                                                grpc.StatusCode.UNAVAILABLE))
                        allowed.add(key)
                    else:
                        self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED)
                        denied.add(key)
        self.assertGreaterEqual(len({m for s, m in allowed if s == "service:run_executor"}), 20)
        self.assertGreater(len(denied), 60)
        # Every unlisted call is in the audit log as a grant denial (with
        # the service and the method); no listed one is.
        deadline = time.monotonic() + 10
        while not denied <= self.grant_denials() and time.monotonic() < deadline:
            time.sleep(0.2)
        audited = self.grant_denials()
        self.assertEqual(sorted(denied - audited), [])
        self.assertEqual(sorted(allowed & audited), [])

    def test_only_the_services_that_ask_authz_may_call_check(self):
        request = authz_pb2.CheckRequest(assertion=self.user_assertion,
                                         resource="sessions", action="read")
        with grpc.insecure_channel(SUITE.addresses["authz"]) as channel:
            stub = authz_pb2_grpc.AuthzStub(channel)
            for service, code in (("run_executor", grpc.StatusCode.OK),
                                  ("data", grpc.StatusCode.OK),
                                  ("authn", grpc.StatusCode.OK),
                                  ("authz", grpc.StatusCode.PERMISSION_DENIED)):
                metadata = [("x-bastion-service-bin", self.service_assertion(service)),
                            ("x-bastion-principal-bin", self.user_assertion)]
                with self.subTest(service=service):
                    try:
                        stub.Check(request, metadata=metadata, timeout=10)
                        got = grpc.StatusCode.OK
                    except grpc.RpcError as error:
                        got = error.code()
                    self.assertEqual(got, code)

    def test_a_bare_key_list_refuses_startup_saying_why(self):
        with open(SUITE.trusted_services()) as file:
            trusted = json.load(file)
        bare = SUITE.dir / "bare_trusted_services.json"
        bare.write_text(json.dumps({"keys": [entry["key"] for entry in trusted["services"]]}))
        log_path = SUITE.dir / "bare_data.log"
        env = dict(SUITE.launch_env["data"], BASTION_TRUSTED_SERVICES_FILE=str(bare),
                   BASTION_LISTEN_ADDRESS="127.0.0.1:0")
        with open(log_path, "wb") as log:
            process, address = spawn(bastion_suite.BINARIES["data"],
                                     SUITE.dir / "bare_data.port", env,
                                     timeout=20, stdout=log, stderr=log)
        try:
            self.assertIsNone(address)
            self.assertEqual(process.wait(timeout=20), 1)
        finally:
            if process.poll() is None:
                process.kill()
        text = log_path.read_text(errors="replace")
        self.assertIn("bare list of keys", text)
        self.assertIn("service_identity init", text)


if __name__ == "__main__":
    bastion_suite.main()
