#!/usr/bin/python3
"""Identity spoofing through the real services: headers a client makes up
to pass for someone else (x-user-id and friends, a forged or replayed
x-bastion-principal-bin, a forged x-bastion-service-bin), and user
credentials on internal RPCs (no confused deputy). Every RPC concerned is
enumerated from the descriptors; no refused call changes a row.

  plain identity headers, no credential      UNAUTHENTICATED
  plain identity headers beside a token      ignored: the token's owner
  forged principal assertion                 UNAUTHENTICATED
  genuine principal assertion, bare client   UNAUTHENTICATED
  a user's credential on an internal RPC     PERMISSION_DENIED
  a forged or foreign service assertion      PERMISSION_DENIED
"""

import os
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import Suite, bearer, invoke  # noqa: E402
import edge  # noqa: E402
from edge import addressed_request, edge_methods, every_method, permission_of  # noqa: E402

import grpc  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402

PRINCIPAL = "x-bastion-principal-bin"
SERVICE = "x-bastion-service-bin"
# What a principal assertion's signature covers (common.proto
# SignedAssertion): this context, a zero byte, then the claims.
ASSERTION_CONTEXT = b"bastion.assertion.v1\x00"
# Headers other systems trust for identity; Bastion reads none of them.
IDENTITY_HEADERS = [("x-user-id", "alice"), ("x-tenant-id", "t1"),
                    ("x-bastion-user", "alice"), ("x-forwarded-user", "alice"),
                    ("x-remote-user", "alice"), ("x-auth-request-user", "alice"),
                    ("x-principal", "t1/alice"), ("x-bastion-admin-level", "platform")]

SUITE = None
CHANNELS = {}


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started(unauthenticated_per_second=10000)
    for binary in edge.SERVED_BY:
        CHANNELS[binary] = grpc.insecure_channel(SUITE.addresses[binary])


def tearDownModule() -> None:
    for channel in CHANNELS.values():
        channel.close()
    SUITE.stop()


def token(sub: str, tenant: str = "t1", scopes=(), roles=("member",)) -> str:
    return edge.token(SUITE, sub, tenant, scopes, roles)


def assertion_of(credential: str) -> bytes:
    """The principal assertion authn issues for `credential`."""
    return authn_pb2_grpc.AuthnStub(CHANNELS["authn"]).Authenticate(
        authn_pb2.AuthenticateRequest(credential=credential), timeout=10).assertion


def reissued(assertion: bytes, change=None, key=None, key_id=None,
             signature=None) -> bytes:
    """`assertion` with its claims changed by `change(claims)`, and/or
    signed again with `key`, given another key id, or another signature."""
    signed = common_pb2.SignedAssertion.FromString(assertion)
    if change is not None:
        claims = common_pb2.AssertionClaims.FromString(signed.claims)
        change(claims)
        signed.claims = claims.SerializeToString()
    if key is not None:
        signed.signature = key.sign(ASSERTION_CONTEXT + signed.claims)
    if key_id is not None:
        signed.key_id = key_id
    if signature is not None:
        signed.signature = signature
    return signed.SerializeToString()


def flip_last_bit(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


class SpoofingTest(unittest.TestCase):

    def setUp(self):
        self.before = SUITE.table_digests(without_audit=True)

    def tearDown(self):
        self.assertEqual(SUITE.table_digests(without_audit=True), self.before,
                         "a refused call changed a row")

    def assertEveryRpc(self, methods, metadata, want: grpc.StatusCode, case: str = ""):
        """Each of `methods` ((binary, name, descriptor)) answers `want` to
        `metadata`."""
        checked = 0
        for binary, name, method in methods:
            with self.subTest(rpc=name, case=case):
                code, _ = invoke(CHANNELS[binary], method, addressed_request(method),
                                 metadata)
                self.assertEqual(code, want)
            checked += 1
        self.assertGreater(checked, 0)


class HeaderSpoofingTest(SpoofingTest):

    def test_identity_headers_alone_are_no_credential(self):
        self.assertEveryRpc(edge_methods(), IDENTITY_HEADERS,
                            grpc.StatusCode.UNAUTHENTICATED)

    def test_identity_headers_beside_a_token_change_nothing(self):
        sessions = data_pb2_grpc.SessionsStub(CHANNELS["data"])
        alices = sessions.CreateSession(data_pb2.CreateSessionRequest(
            component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo"),
            metadata=bearer(token("alice")), timeout=10)
        self.before = SUITE.table_digests(without_audit=True)
        bob = bearer(token("bob")) + IDENTITY_HEADERS
        listed = sessions.ListSessions(data_pb2.ListSessionsRequest(user_id="alice"),
                                       metadata=bob, timeout=10)
        self.assertEqual([s.session_id for s in listed.sessions], [])
        for call, request in (
                (sessions.GetSession, data_pb2.GetSessionRequest(
                    session_id=alices.session_id)),
                (sessions.UpdateSession, data_pb2.UpdateSessionRequest(
                    session_id=alices.session_id, update_name=True, name="bob's now")),
                (sessions.DeleteSession, data_pb2.DeleteSessionRequest(
                    session_id=alices.session_id))):
            with self.subTest(rpc=call._method):
                with self.assertRaises(grpc.RpcError) as raised:
                    call(request, metadata=bob, timeout=10)
                self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)
        # What bob writes is bob's, whatever the headers say.
        created = sessions.CreateSession(data_pb2.CreateSessionRequest(
            component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo"),
            metadata=bob, timeout=10)
        self.assertEqual((created.tenant_id, created.user_id), ("t1", "bob"))
        self.before = SUITE.table_digests(without_audit=True)

    def test_forged_principal_assertions_are_refused(self):
        bob = assertion_of(token("bob"))
        alice = assertion_of(token("alice"))
        attacker = ed25519.Ed25519PrivateKey.generate()

        def as_alice_admin(claims):
            claims.principal.subject = "alice"
            claims.principal.scopes.append("bastion:platform_admin")

        def longer(claims):
            claims.expires_at_unix += 3600

        forgeries = {
            "random bytes": os.urandom(120),
            "empty": b"",
            "bob's, claims changed to alice": reissued(bob, change=as_alice_admin),
            "bob's, lifetime extended": reissued(bob, change=longer),
            "alice's, signature one bit off": reissued(
                alice, signature=flip_last_bit(
                    common_pb2.SignedAssertion.FromString(alice).signature)),
            "alice's, no signature": reissued(alice, signature=b""),
            "alice's, unknown key id": reissued(alice, key_id="attacker"),
            "made by the client under authn's key id": reissued(
                bob, change=as_alice_admin, key=attacker),
        }
        for case, forged in forgeries.items():
            self.assertEveryRpc(edge_methods(), [(PRINCIPAL, forged)],
                                grpc.StatusCode.UNAUTHENTICATED, case)

    def test_a_genuine_assertion_from_a_bare_client_is_refused(self):
        # A user (or whoever stole it) presents the assertion authn gave it
        # directly, with no service vouching for the call: it is not a
        # credential a client may use.
        alice = assertion_of(token("alice"))
        self.assertEveryRpc(edge_methods(), [(PRINCIPAL, alice)],
                            grpc.StatusCode.UNAUTHENTICATED, "alone")
        self.assertEveryRpc(edge_methods(), [(PRINCIPAL, alice), (SERVICE, os.urandom(80))],
                            grpc.StatusCode.UNAUTHENTICATED, "with a forged service assertion")

    def test_a_service_assertion_beside_a_token_grants_nothing_more(self):
        # Even a genuine service assertion (leaked) does not widen a user's
        # call on a public RPC: bob stays bob, a member.
        sessions = data_pb2_grpc.SessionsStub(CHANNELS["data"])
        alices = sessions.CreateSession(data_pb2.CreateSessionRequest(
            component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo"),
            metadata=bearer(token("alice")), timeout=10)
        self.before = SUITE.table_digests(without_audit=True)
        for case, service in (("genuine", SUITE.service_assertion()),
                              ("forged", os.urandom(80))):
            bob = bearer(token("bob")) + [(SERVICE, service)]
            with self.subTest(service_assertion=case):
                listed = sessions.ListSessions(
                    data_pb2.ListSessionsRequest(user_id="alice"), metadata=bob, timeout=10)
                self.assertEqual([s.session_id for s in listed.sessions], [])
                with self.assertRaises(grpc.RpcError) as raised:
                    sessions.GetSession(data_pb2.GetSessionRequest(
                        session_id=alices.session_id), metadata=bob, timeout=10)
                self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)


def internal_methods(for_a_user_only: bool = False):
    """Every internal RPC of every service: a trusted service calls it for
    a user (whose assertion it forwards) or, without a resource, for
    itself; `for_a_user_only` keeps the former."""
    for binary, name, method in every_method():
        permission = permission_of(method)
        if permission.internal and (permission.resource or not for_a_user_only):
            yield binary, name, method


class InternalRpcTest(SpoofingTest):

    def test_the_enumeration_finds_the_internal_rpcs(self):
        names = {name for _, name, _ in internal_methods()}
        # Data's run, approval and schedule records, spans, audit writer;
        # the ToolService contract.
        self.assertLessEqual({"RunRecords/CreateRun", "ApprovalRecords/ResolveApproval",
                              "ScheduleRecords/ClaimDueSchedules", "Traces/AppendSpans",
                              "AuditWriter/AppendAuditEvents", "ToolService/Invoke"}, names)

    def test_user_credentials_are_refused_on_internal_rpcs(self):
        for who, credential in (
                ("member", token("alice")),
                ("tenant owner", token("olga", roles=("owner",))),
                ("tenant admin scope", token("adam", scopes=("agent_os:admin",), roles=())),
                ("platform admin", token("root", "t0", scopes=("bastion:platform_admin",),
                                         roles=()))):
            self.assertEveryRpc(internal_methods(), bearer(credential),
                                grpc.StatusCode.PERMISSION_DENIED, f"bearer of a {who}")
        alice = assertion_of(token("alice"))
        self.assertEveryRpc(internal_methods(), [(PRINCIPAL, alice)],
                            grpc.StatusCode.PERMISSION_DENIED, "alice's own assertion")

    def test_forged_or_foreign_service_assertions_are_refused(self):
        alice_token = token("alice")
        alice = assertion_of(alice_token)
        genuine = SUITE.service_assertion()
        stranger = SUITE.service_assertion(SUITE.untrusted_key(), "run_executor")
        # For a user, a service forwards the user's assertion, never a
        # bearer token. (A service's own calls take its assertion alone.)
        self.assertEveryRpc(internal_methods(for_a_user_only=True),
                            bearer(alice_token) + [(SERVICE, genuine)],
                            grpc.StatusCode.PERMISSION_DENIED,
                            "a user's bearer token beside a genuine service assertion")
        for case, metadata in (
                ("random bytes as the service assertion",
                 [(PRINCIPAL, alice), (SERVICE, os.urandom(80))]),
                ("an untrusted key naming run_executor",
                 [(PRINCIPAL, alice), (SERVICE, stranger)]),
                ("the genuine one, signature one bit off",
                 [(PRINCIPAL, alice), (SERVICE, reissued(genuine, signature=flip_last_bit(
                     common_pb2.SignedAssertion.FromString(genuine).signature)))]),
                ("the genuine one, claims changed",
                 [(PRINCIPAL, alice), (SERVICE, reissued(
                     genuine, change=lambda c: setattr(c.principal, "subject", "data")))]),
                ("a user's assertion posing as a service's",
                 [(PRINCIPAL, alice), (SERVICE, alice)]),
                ("two service assertions",
                 [(PRINCIPAL, alice), (SERVICE, genuine), (SERVICE, genuine)])):
            self.assertEveryRpc(internal_methods(), metadata,
                                grpc.StatusCode.PERMISSION_DENIED, case)


if __name__ == "__main__":
    bastion_suite.main()
