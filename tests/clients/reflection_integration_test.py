#!/usr/bin/python3
"""gRPC server reflection on the real binaries, as grpcurl-style tools use
it: every service lists what it serves, and describes each listed service
completely enough to call it (a descriptor pool built only from what the
server sent resolves every method and message). Reflection needs no
credential; the methods it describes still do.
"""

import importlib.util
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "integration"))
import bastion_suite  # noqa: E402
from bastion_suite import RUNFILES, Suite  # noqa: E402

import grpc  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool  # noqa: E402
from bastion.authn.v1 import authn_pb2  # noqa: E402
from bastion.authz.v1 import authz_pb2  # noqa: E402
from bastion.data.v1 import data_pb2  # noqa: E402
from bastion.runs.v1 import runs_pb2  # noqa: E402


def _load_reflection():
    # Loaded by path: its package name, grpc.reflection, would otherwise
    # shadow the grpc module itself.
    path = RUNFILES / "tests/clients/grpc/reflection/v1alpha/reflection_pb2.py"
    spec = importlib.util.spec_from_file_location("reflection_pb2", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reflection_pb2 = _load_reflection()

REFLECTION = "grpc.reflection.v1alpha.ServerReflection"
HEALTH = "grpc.health.v1.Health"

# The proto file whose services each binary serves, and the services it
# serves (run-executor's ToolService, the contract tool servers implement,
# is declared in its file and answers UNIMPLEMENTED behind the guard).
SERVED_BY = {
    "authn": (authn_pb2.DESCRIPTOR, {"bastion.authn.v1.Authn"}),
    "authz": (authz_pb2.DESCRIPTOR, {"bastion.authz.v1.Authz"}),
    "data": (data_pb2.DESCRIPTOR, {
        "bastion.data.v1.Sessions", "bastion.data.v1.Memories",
        "bastion.data.v1.Traces", "bastion.data.v1.AuditLog",
        "bastion.data.v1.AuditWriter"}),
    "run_executor": (runs_pb2.DESCRIPTOR, {
        "bastion.runs.v1.Agents", "bastion.runs.v1.Teams",
        "bastion.runs.v1.Workflows", "bastion.runs.v1.Runs",
        "bastion.runs.v1.Approvals", "bastion.runs.v1.Schedules"}),
}

SUITE = None


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


def reflect(address: str, requests: list) -> list:
    """Sends `requests` on one ServerReflectionInfo stream, without any
    credential; returns the responses."""
    with grpc.insecure_channel(address) as channel:
        stream = channel.stream_stream(
            f"/{REFLECTION}/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        return list(stream(iter(requests), timeout=10))


def listed_services(address: str) -> set:
    [response] = reflect(address, [reflection_pb2.ServerReflectionRequest(list_services="")])
    return {service.name for service in response.list_services_response.service}


def pool_from_server(address: str, symbol: str) -> descriptor_pool.DescriptorPool:
    """A descriptor pool holding only the files the server sent for
    `symbol` (its file and every file that one imports)."""
    [response] = reflect(address, [
        reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol)])
    if response.HasField("error_response"):
        raise AssertionError(f"{symbol}: {response.error_response.error_message}")
    files = {}
    for data in response.file_descriptor_response.file_descriptor_proto:
        file = descriptor_pb2.FileDescriptorProto.FromString(data)
        files[file.name] = file
    pool = descriptor_pool.DescriptorPool()
    added = set()
    while len(added) < len(files):
        ready = [name for name, file in files.items() if name not in added
                 and all(dependency in added for dependency in file.dependency)]
        if not ready:
            missing = {d for f in files.values() for d in f.dependency} - set(files)
            raise AssertionError(f"{symbol}: the server did not send {sorted(missing)}")
        for name in ready:
            pool.Add(files[name])
            added.add(name)
    return pool


class ReflectionTest(unittest.TestCase):

    def test_every_service_lists_what_it_serves(self):
        for binary, (file, served) in SERVED_BY.items():
            with self.subTest(binary=binary):
                listed = listed_services(SUITE.addresses[binary])
                self.assertIn(REFLECTION, listed)
                self.assertIn(HEALTH, listed)
                self.assertLessEqual(served, listed)
                # Nothing beyond its own proto file (no test services).
                own = {service.full_name for service in file.services_by_name.values()}
                self.assertLessEqual(listed - {REFLECTION, HEALTH}, own)

    def test_every_listed_service_is_described_completely(self):
        for binary in SERVED_BY:
            address = SUITE.addresses[binary]
            for name in sorted(listed_services(address) - {REFLECTION, HEALTH}):
                with self.subTest(binary=binary, service=name):
                    described = pool_from_server(address, name).FindServiceByName(name)
                    stub = SERVED_BY[binary][0].pool.FindServiceByName(name)
                    self.assertEqual(
                        [(m.name, m.input_type.full_name, m.output_type.full_name,
                          m.server_streaming) for m in described.methods],
                        [(m.name, m.input_type.full_name, m.output_type.full_name,
                          m.server_streaming) for m in stub.methods])

    def test_an_unknown_symbol_is_an_error_not_a_crash(self):
        [response] = reflect(SUITE.addresses["data"], [
            reflection_pb2.ServerReflectionRequest(
                file_containing_symbol="bastion.data.v1.NoSuchService")])
        self.assertEqual(response.error_response.error_code,
                         grpc.StatusCode.NOT_FOUND.value[0])

    def test_described_methods_still_need_a_credential(self):
        pool = pool_from_server(SUITE.addresses["data"], "bastion.data.v1.Sessions")
        method = pool.FindMethodByName("bastion.data.v1.Sessions.ListSessions")
        with grpc.insecure_channel(SUITE.addresses["data"]) as channel:
            call = channel.unary_unary(
                f"/{method.containing_service.full_name}/{method.name}",
                request_serializer=lambda _: b"", response_deserializer=bytes)
            with self.assertRaises(grpc.RpcError) as raised:
                call(None, timeout=10)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAUTHENTICATED)


if __name__ == "__main__":
    bastion_suite.main()
