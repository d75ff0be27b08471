#!/usr/bin/python3
"""The defects an outside attack run found against the running suite, each
tried again through the public RPCs of the real binaries: every one must now
fail the way the README promises.
"""

import base64
import json
import pathlib
import sys
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import BINARIES, Suite, bearer, spawn  # noqa: E402

import grpc  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.authz.v1 import authz_pb2, authz_pb2_grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


def codes_of(futures) -> dict:
    """How many of the calls ended with each status code."""
    counts = {}
    for future in futures:
        try:
            future.result()
            code = grpc.StatusCode.OK
        except grpc.RpcError as error:
            code = error.code()
        counts[code] = counts.get(code, 0) + 1
    return counts


class HardeningIntegrationTest(unittest.TestCase):

    def stub(self, service: str, stub_class):
        channel = grpc.insecure_channel(SUITE.addresses[service])
        self.addCleanup(channel.close)
        return stub_class(channel)

    def assertCode(self, code: grpc.StatusCode, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, **kwargs)
        self.assertEqual(raised.exception.code(), code, raised.exception.details())
        return raised.exception

    def test_an_api_key_cannot_lift_its_owners_rate_limit(self):
        # The suite runs with the default limit (100/s, burst 200 per user).
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        agents = self.stub("run_executor", runs_pb2_grpc.AgentsStub)
        owner = bearer(SUITE.token("greedy", tenant="rate-keys",
                                   scopes="api_keys:write agents:read"))
        created = authn.CreateApiKey(authn_pb2.CreateApiKeyRequest(
            name="fast", scopes=["agents:read"], rate_limit_per_second=1000000),
            metadata=owner, timeout=10)
        key = bearer(created.secret)
        # 600 calls at once, far over the owner's burst: no more succeed
        # than the owner's own limit allows in that time.
        started = time.monotonic()
        futures = [agents.ListAgents.future(runs_pb2.ListAgentsRequest(),
                                            metadata=key, timeout=30)
                   for _ in range(600)]
        counts = codes_of(futures)
        elapsed = time.monotonic() - started
        self.assertLessEqual(set(counts), {grpc.StatusCode.OK,
                                           grpc.StatusCode.RESOURCE_EXHAUSTED}, counts)
        self.assertGreater(counts.get(grpc.StatusCode.RESOURCE_EXHAUSTED, 0), 0, counts)
        self.assertLessEqual(counts.get(grpc.StatusCode.OK, 0), 200 + 100 * elapsed + 1,
                             (counts, elapsed))

    def test_every_id_that_can_be_created_can_be_read_changed_and_deleted(self):
        sessions = self.stub("data", data_pb2_grpc.SessionsStub)
        memories = self.stub("data", data_pb2_grpc.MemoriesStub)
        user = bearer(SUITE.token("ida", tenant="ids", roles="member"))
        for session_id in ("a:b", "t1:user:42", "x" * 128):
            sessions.CreateSession(data_pb2.CreateSessionRequest(
                session_id=session_id, component_type=common_pb2.COMPONENT_TYPE_AGENT,
                component_id="echo", name="n"), metadata=user, timeout=10)
            got = sessions.GetSession(data_pb2.GetSessionRequest(session_id=session_id),
                                      metadata=user, timeout=10)
            self.assertEqual(got.session_id, session_id)
            updated = sessions.UpdateSession(data_pb2.UpdateSessionRequest(
                session_id=session_id, update_name=True, name="renamed"),
                metadata=user, timeout=10)
            self.assertEqual(updated.name, "renamed")
            sessions.DeleteSession(data_pb2.DeleteSessionRequest(session_id=session_id),
                                   metadata=user, timeout=10)
            self.assertCode(grpc.StatusCode.NOT_FOUND, sessions.GetSession,
                            data_pb2.GetSessionRequest(session_id=session_id),
                            metadata=user, timeout=10)
        memories.CreateMemory(data_pb2.CreateMemoryRequest(memory_id="m:1", text="t"),
                              metadata=user, timeout=10)
        self.assertEqual(memories.GetMemory(data_pb2.GetMemoryRequest(memory_id="m:1"),
                                            metadata=user, timeout=10).text, "t")
        memories.DeleteMemory(data_pb2.DeleteMemoryRequest(memory_id="m:1"),
                              metadata=user, timeout=10)

    def test_a_malformed_id_is_invalid_argument_naming_the_field(self):
        sessions = self.stub("data", data_pb2_grpc.SessionsStub)
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        user = bearer(SUITE.token("ivan", tenant="ids", roles="member",
                                  scopes="api_keys:delete"))
        for bad in ("a b", 'a"b', "a'b", "y" * 129):
            error = self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, sessions.CreateSession,
                                    data_pb2.CreateSessionRequest(
                                        session_id=bad,
                                        component_type=common_pb2.COMPONENT_TYPE_AGENT,
                                        component_id="echo"), metadata=user, timeout=10)
            self.assertIn("session_id", error.details())
            for call, request in (
                    (sessions.GetSession, data_pb2.GetSessionRequest(session_id=bad)),
                    (sessions.UpdateSession, data_pb2.UpdateSessionRequest(session_id=bad)),
                    (sessions.DeleteSession, data_pb2.DeleteSessionRequest(session_id=bad))):
                error = self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, call, request,
                                        metadata=user, timeout=10)
                self.assertIn("session_id", error.details())
            error = self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, authn.RevokeApiKey,
                                    authn_pb2.RevokeApiKeyRequest(key_id=bad),
                                    metadata=user, timeout=10)
            self.assertIn("key_id", error.details())
        # An id of the grammar that is no API key id: refused by authn's own
        # rule, still not an outage.
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, authn.RevokeApiKey,
                        authn_pb2.RevokeApiKeyRequest(key_id="a:b"), metadata=user,
                        timeout=10)

    def eventually_audited(self, tenant: str, expected: set) -> None:
        """Every (action, user, method) in `expected` reaches the audit log
        of `tenant` within 10 s."""
        deadline = time.monotonic() + 10
        while True:
            audited = set(SUITE.audit_actions(tenant))
            if expected <= audited:
                return
            self.assertLess(time.monotonic(), deadline,
                            f"not audited: {expected - audited}")
            time.sleep(0.1)

    def test_escalation_attempts_refused_by_handlers_are_audited(self):
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        authz = self.stub("authz", authz_pb2_grpc.AuthzStub)
        tenant = "escalation"
        eve = bearer(SUITE.token("eve", tenant=tenant,
                                 scopes="api_keys:write roles:write roles:read"))
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, authn.CreateApiKey,
                        authn_pb2.CreateApiKeyRequest(name="k", scopes=["agents:run"]),
                        metadata=eve, timeout=10)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, authz.PutRole,
                        authz_pb2.PutRoleRequest(role=authz_pb2.Role(
                            name="boss", scopes=["agent_os:admin"])),
                        metadata=eve, timeout=10)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, authz.PutToolPolicy,
                        authz_pb2.PutToolPolicyRequest(policy=authz_pb2.ToolPolicy()),
                        metadata=eve, timeout=10)
        self.eventually_audited(tenant, {
            ("denied.permission", "eve", "bastion.authn.v1.Authn/CreateApiKey"),
            ("denied.permission", "eve", "bastion.authz.v1.Authz/PutRole"),
            ("denied.permission", "eve", "bastion.authz.v1.Authz/PutToolPolicy"),
        })

    def test_a_non_admin_cannot_demote_the_tenants_admins(self):
        authz = self.stub("authz", authz_pb2_grpc.AuthzStub)
        tenant = "demotion"
        owner = bearer(SUITE.token("olga", tenant=tenant, roles="owner"))
        clerk = bearer(SUITE.token("carl", tenant=tenant,
                                   scopes="roles:write roles:delete roles:read"))
        authz.PutRole(authz_pb2.PutRoleRequest(role=authz_pb2.Role(
            name="admins", scopes=["agent_os:admin"])), metadata=owner, timeout=10)
        error = self.assertCode(grpc.StatusCode.PERMISSION_DENIED, authz.DeleteRole,
                                authz_pb2.DeleteRoleRequest(name="admins"),
                                metadata=clerk, timeout=10)
        self.assertIn("agent_os:admin", error.details())
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, authz.PutRole,
                        authz_pb2.PutRoleRequest(role=authz_pb2.Role(name="admins")),
                        metadata=clerk, timeout=10)
        role = authz.GetRole(authz_pb2.GetRoleRequest(name="admins"), metadata=owner,
                             timeout=10)
        self.assertEqual(list(role.scopes), ["agent_os:admin"])
        self.eventually_audited(tenant, {
            ("denied.permission", "carl", "bastion.authz.v1.Authz/DeleteRole"),
            ("denied.permission", "carl", "bastion.authz.v1.Authz/PutRole"),
        })
        # The owner, who holds all of it, may.
        authz.DeleteRole(authz_pb2.DeleteRoleRequest(name="admins"), metadata=owner,
                         timeout=10)

    def test_nul_and_invalid_utf8_are_refused_naming_the_field(self):
        sessions = self.stub("data", data_pb2_grpc.SessionsStub)
        memories = self.stub("data", data_pb2_grpc.MemoriesStub)
        user = bearer(SUITE.token("nora", tenant="text", roles="member"))
        error = self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, memories.CreateMemory,
                                data_pb2.CreateMemoryRequest(text="a\u0000b"),
                                metadata=user, timeout=10)
        self.assertIn("text", error.details())
        error = self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, sessions.CreateSession,
                                data_pb2.CreateSessionRequest(
                                    component_type=common_pb2.COMPONENT_TYPE_AGENT,
                                    component_id="echo", name="a\u0000b"),
                                metadata=user, timeout=10)
        self.assertIn("name", error.details())
        # Nothing was stored.
        listed = memories.ListMemories(data_pb2.ListMemoriesRequest(), metadata=user,
                                       timeout=10)
        self.assertEqual(list(listed.memories), [])
        # A string field that is not UTF-8, sent as raw bytes (the Python
        # stubs would refuse to encode it): field 2 of CreateMemoryRequest.
        channel = grpc.insecure_channel(SUITE.addresses["data"])
        self.addCleanup(channel.close)
        raw = channel.unary_unary("/bastion.data.v1.Memories/CreateMemory",
                                  request_serializer=lambda b: b,
                                  response_deserializer=lambda b: b)
        error = self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, raw,
                                b"\x12\x02\xff\xfe", metadata=user, timeout=10)
        self.assertIn("does not parse", error.details())

    def test_a_clients_own_assertion_is_no_credential(self):
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        authz = self.stub("authz", authz_pb2_grpc.AuthzStub)
        sessions = self.stub("data", data_pb2_grpc.SessionsStub)
        agents = self.stub("run_executor", runs_pb2_grpc.AgentsStub)
        token = SUITE.token("mallory", tenant="replay", roles="member",
                            scopes="agents:read")
        assertion = authn.Authenticate(authn_pb2.AuthenticateRequest(credential=token),
                                       timeout=10).assertion
        replayed = [("x-bastion-principal-bin", assertion)]
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, sessions.ListSessions,
                        data_pb2.ListSessionsRequest(), metadata=replayed, timeout=10)
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, agents.ListAgents,
                        runs_pb2.ListAgentsRequest(), metadata=replayed, timeout=10)
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, authz.Check,
                        authz_pb2.CheckRequest(assertion=assertion, resource="sessions",
                                               action="read"),
                        metadata=replayed, timeout=10)
        # A service key nobody trusts does not help.
        stranger = SUITE.service_assertion(SUITE.untrusted_key(), "stranger")
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, sessions.ListSessions,
                        data_pb2.ListSessionsRequest(),
                        metadata=replayed + [("x-bastion-service-bin", stranger)],
                        timeout=10)
        # The same assertion from a trusted service, for its user, on a
        # method listed for that service: accepted; on one not listed for
        # it: PERMISSION_DENIED (service_trust_integration_test checks all).
        forwarded = replayed + [("x-bastion-service-bin", SUITE.service_assertion())]
        self.stub("data", data_pb2_grpc.MemoriesStub).ListMemories(
            data_pb2.ListMemoriesRequest(), metadata=forwarded, timeout=10)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, sessions.ListSessions,
                        data_pb2.ListSessionsRequest(), metadata=forwarded, timeout=10)
        # With the token itself the user is, of course, welcome.
        agents.ListAgents(runs_pb2.ListAgentsRequest(), metadata=bearer(token), timeout=10)

    def own_run_executor(self, name: str, config: dict = None):
        """An Agents stub of a run-executor of its own (the suite's authn,
        authz and data), so that floods from this test's address do not hold
        back the other tests; `config` is its JSON config."""
        env = dict(SUITE.launch_env["run_executor"], BASTION_LISTEN_ADDRESS="127.0.0.1:0")
        config_file = ""
        if config is not None:
            config_file = str(SUITE.dir / f"run_executor-{name}.json")
            with open(config_file, "w") as f:
                json.dump(config, f)
        with open(SUITE.dir / f"run_executor-{name}.log", "ab") as log:
            process, address = spawn(BINARIES["run_executor"],
                                     SUITE.dir / f"run_executor-{name}.port", env,
                                     config_file=config_file, stdout=log, stderr=log)
        self.addCleanup(process.wait, 20)
        self.addCleanup(process.terminate)
        self.assertIsNotNone(address, "run-executor did not start")
        channel = grpc.insecure_channel(address)
        self.addCleanup(channel.close)
        return runs_pb2_grpc.AgentsStub(channel)

    def test_a_flood_of_garbage_tokens_is_refused_after_a_burst(self):
        # Default limits: 20/s, burst 100 per client address.
        agents = self.own_run_executor("flood")
        user = bearer(SUITE.token("una", tenant="flood", scopes="agents:read"))
        started = time.monotonic()
        futures = [agents.ListAgents.future(runs_pb2.ListAgentsRequest(),
                                            metadata=bearer(f"garbage-{i}"), timeout=30)
                   for i in range(600)]
        # An authenticated user at the same address while the flood runs.
        for _ in range(20):
            agents.ListAgents(runs_pb2.ListAgentsRequest(), metadata=user, timeout=10)
        counts = codes_of(futures)
        elapsed = time.monotonic() - started
        self.assertLessEqual(set(counts), {grpc.StatusCode.UNAUTHENTICATED,
                                           grpc.StatusCode.RESOURCE_EXHAUSTED}, counts)
        self.assertLessEqual(counts.get(grpc.StatusCode.UNAUTHENTICATED, 0),
                             100 + 20 * elapsed + 1, (counts, elapsed))
        self.assertGreater(counts.get(grpc.StatusCode.RESOURCE_EXHAUSTED, 0), 0, counts)
        agents.ListAgents(runs_pb2.ListAgentsRequest(), metadata=user, timeout=10)

    def test_a_token_inside_its_leeway_works_everywhere(self):
        # Expired 20 s ago; authn's default leeway is 60 s.
        now = int(time.time())
        token = SUITE.token("lea", tenant="leeway", roles="member",
                            scopes="agents:read", issued_at=now - 300, expires_at=now - 20)
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        agents = self.stub("run_executor", runs_pb2_grpc.AgentsStub)
        sessions = self.stub("data", data_pb2_grpc.SessionsStub)
        answer = authn.Authenticate(authn_pb2.AuthenticateRequest(credential=token),
                                    timeout=10)
        # Valid no longer than exp + leeway.
        self.assertEqual(answer.principal.expires_at_unix, now - 20 + 60)
        self.assertLessEqual(answer.assertion_expires_at_unix, now - 20 + 60)
        self.assertGreater(answer.assertion_expires_at_unix, int(time.time()))
        agents.ListAgents(runs_pb2.ListAgentsRequest(), metadata=bearer(token), timeout=10)
        sessions.ListSessions(data_pb2.ListSessionsRequest(), metadata=bearer(token),
                              timeout=10)
        # Past the leeway: refused, as UNAUTHENTICATED.
        old = SUITE.token("lea", tenant="leeway", roles="member", scopes="agents:read",
                          issued_at=now - 300, expires_at=now - 61)
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, agents.ListAgents,
                        runs_pb2.ListAgentsRequest(), metadata=bearer(old), timeout=10)

    def bad_token_corpus(self) -> list:
        """87 credentials no service may accept, signed with the suite's own
        key where a signature is involved: duplicate claims, `none`, unknown
        keys, tampering, wrong issuer or audience, expired past the leeway,
        garbage and an API-key look-alike; and one whose acceptance ends
        while the calls run (it holds no scope, so it is refused either
        way)."""
        with open(SUITE.dir / "keys/it.private.pem", "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        def signed(header: dict, payload: str) -> str:
            head = b64(json.dumps(header).encode()) + "." + b64(payload.encode())
            return head + "." + b64(key.sign(head.encode()))

        now = int(time.time())
        header = {"alg": "EdDSA", "kid": "it", "typ": "JWT"}

        def claims(exp: int, extra: str = "", iss: str = bastion_suite.ISSUER,
                   aud: str = "bastion") -> str:
            return (f'"iss":"{iss}","aud":"{aud}","iat":{now - 120},"exp":{exp},'
                    f'"tenant_id":"corpus"{extra}')

        corpus = []
        for i in range(12):
            corpus.append(signed(header, '{"sub":"a%d","sub":"b",%s}' % (i, claims(now + 600))))
            corpus.append(signed(header, '{"sub":"c%d",%s,"tenant_id":"x"}' % (i, claims(now + 600))))
            corpus.append(signed({"alg": "none", "kid": "it"}, '{"sub":"n%d",%s}' % (i, claims(now + 600))))
            corpus.append(signed({"alg": "EdDSA", "kid": f"nobody-{i}"}, '{"sub":"k",%s}' % claims(now + 600)))
            corpus.append(signed(header, '{"sub":"t%d",%s}' % (i, claims(now + 600)))[:-4] + "AAAA")
            corpus.append(signed(header, '{"sub":"e%d",%s}' % (i, claims(now - 61 - i))))
            corpus.append(signed(header, '{"sub":"w%d",%s}' % (i, claims(now + 600, iss="https://evil"))))
        # Acceptance ends within the next second or two (exp + 60 s leeway).
        corpus.append(signed(header, '{"sub":"z",%s}' % claims(now - 59)))
        corpus += ["garbage", "bst_" + "A" * 43]
        self.assertEqual(len(corpus), 87)
        return corpus

    def test_bad_tokens_in_rapid_succession_are_always_unauthenticated(self):
        # Room for all 261 failures from this address (the default would
        # answer RESOURCE_EXHAUSTED after 100, which test_a_flood_... covers).
        agents = self.own_run_executor("corpus", {"rateLimits": {"unauthenticatedBurst": 1000}})
        corpus = self.bad_token_corpus()
        seen = {}
        for _ in range(3):
            for i, token in enumerate(corpus):
                try:
                    agents.ListAgents(runs_pb2.ListAgentsRequest(), metadata=bearer(token),
                                      timeout=10)
                    code = grpc.StatusCode.OK
                except grpc.RpcError as error:
                    code = error.code()
                seen.setdefault(code, []).append(i)
        # No scope in any of them: refused as unauthenticated, or (while one
        # that is about to end still counts) as not permitted. Never as an
        # outage: authn and authz are up.
        self.assertLessEqual(set(seen), {grpc.StatusCode.UNAUTHENTICATED,
                                         grpc.StatusCode.PERMISSION_DENIED}, seen)


if __name__ == "__main__":
    bastion_suite.main()
