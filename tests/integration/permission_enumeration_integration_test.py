#!/usr/bin/python3
"""Every RPC of every Bastion service, enumerated from the proto descriptors
and called on the real binaries: without a token it answers UNAUTHENTICATED,
with a valid token that lacks the declared permission it answers
PERMISSION_DENIED, and no denied call changes a single database row. A new
RPC is covered the moment it is declared.
"""

import pathlib
import sys
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import Suite, bearer  # noqa: E402

import grpc  # noqa: E402
from google.protobuf import symbol_database  # noqa: E402
from bastion.authn.v1 import authn_pb2  # noqa: E402
from bastion.authz.v1 import authz_pb2  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2  # noqa: E402
from bastion.runs.v1 import runs_pb2  # noqa: E402

# Which binary serves the services of which proto file.
SERVED_BY = {
    "authn": authn_pb2.DESCRIPTOR,
    "authz": authz_pb2.DESCRIPTOR,
    "data": data_pb2.DESCRIPTOR,
    "run_executor": runs_pb2.DESCRIPTOR,
}

SUITE = None


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


def every_method():
    for binary, file in SERVED_BY.items():
        for service in file.services_by_name.values():
            for method in service.methods:
                yield binary, service, method


def permission_of(method) -> common_pb2.Permission:
    return method.GetOptions().Extensions[common_pb2.permission]


def call(address: str, service, method, metadata) -> grpc.StatusCode:
    symbols = symbol_database.Default()
    request_class = symbols.GetSymbol(method.input_type.full_name)
    response_class = symbols.GetSymbol(method.output_type.full_name)
    path = f"/{service.full_name}/{method.name}"
    with grpc.insecure_channel(address) as channel:
        kwargs = dict(request_serializer=request_class.SerializeToString,
                      response_deserializer=response_class.FromString)
        try:
            if method.server_streaming:
                for _ in channel.unary_stream(path, **kwargs)(
                        request_class(), metadata=metadata, timeout=10):
                    pass
            else:
                channel.unary_unary(path, **kwargs)(
                    request_class(), metadata=metadata, timeout=10)
        except grpc.RpcError as error:
            return error.code()
    return grpc.StatusCode.OK


class PermissionEnumerationTest(unittest.TestCase):

    def test_the_enumeration_covers_every_declared_rpc(self):
        methods = list(every_method())
        # 6 authn + 6 authz + 31 data + 27 runs RPCs at the time of writing;
        # the count only grows.
        self.assertGreaterEqual(len(methods), 60)
        for _, service, method in methods:
            self.assertTrue(method.GetOptions().HasExtension(common_pb2.permission),
                            f"{service.full_name}/{method.name}")

    def test_every_rpc_denies_and_denied_calls_change_nothing(self):
        before = SUITE.table_digests(without_audit=True)
        nobody = bearer(SUITE.token("nobody", tenant="t9"))
        checked = set()
        # Service-only methods (internal, no resource) never look at a user's
        # credential, so their denials are recorded for no known actor
        # (common/auth/audit_sink.h kUnauthenticatedTenant, kAnonymousUser).
        service_only = set()
        for binary, service, method in every_method():
            name = f"{service.full_name}/{method.name}"
            permission = permission_of(method)
            if permission.public:
                continue
            address = SUITE.addresses[binary]
            with self.subTest(rpc=name, caller="no token"):
                self.assertEqual(call(address, service, method, []),
                                 grpc.StatusCode.UNAUTHENTICATED)
            if permission.authenticated_only:
                continue
            with self.subTest(rpc=name, caller="token without the permission"):
                self.assertEqual(call(address, service, method, nobody),
                                 grpc.StatusCode.PERMISSION_DENIED)
            if permission.internal and not permission.resource:
                service_only.add(name)
            else:
                checked.add(name)
        self.assertGreater(len(checked), 50)
        self.assertGreater(len(service_only), 0)
        # Nothing changed but the audit log, which recorded every denial.
        self.assertEqual(SUITE.table_digests(without_audit=True), before)
        self.eventually_audited("t9", "nobody", checked)
        self.eventually_audited("_unauthenticated", "anonymous", service_only,
                                every_service=False)

    def eventually_audited(self, tenant: str, user: str, denied: set,
                           every_service: bool = True):
        """Every method in `denied` has a denial of `user` in the audit log."""
        deadline = time.monotonic() + 10
        while True:
            # A missing permission is "denied.permission"; an internal
            # method called without a trusted service is "denied.internal".
            # Every service's guard records: data directly, the others
            # (run-executor, authz, authn) through data's AuditWriter.
            audited = {a[2] for a in SUITE.audit_actions(tenant)
                       if a[0] in ("denied.permission", "denied.internal")
                       and a[1] == user}
            if denied <= audited or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(sorted(denied - audited), [],
                         f"denials of {user} in {tenant} not audited within 10s")
        if not every_service:
            return
        packages = {m.split("/")[0].rsplit(".", 1)[0] for m in audited}
        self.assertIn("bastion.data.v1", packages)
        self.assertIn("bastion.runs.v1", packages)
        self.assertIn("bastion.authz.v1", packages)
        self.assertIn("bastion.authn.v1", packages)

    def test_plain_identity_headers_grant_nothing(self):
        forged = [("x-user-id", "alice"), ("x-tenant-id", "t1"),
                  ("x-bastion-principal-bin", b"forged")]
        data = SERVED_BY["data"].services_by_name["Sessions"]
        self.assertEqual(
            call(SUITE.addresses["data"], data, data.methods_by_name["ListSessions"],
                 forged),
            grpc.StatusCode.UNAUTHENTICATED)


if __name__ == "__main__":
    bastion_suite.main()
