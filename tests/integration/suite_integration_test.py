#!/usr/bin/python3
"""Starts the real four services on port 0 against a real PostgreSQL and
checks health on each and real RPCs end to end (token -> authn -> authz ->
service -> PostgreSQL with row-level security).
"""

import hashlib
import os
import pathlib
import sys
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import SERVICES, Suite, bearer, health  # noqa: E402

import grpc  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.authz.v1 import authz_pb2, authz_pb2_grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None
# A revoked API key stops working at a service other than authn within this
# many seconds (common/auth/guard_wiring.h kCredentialCacheTtl; authn
# itself does not cache API key lookups).
REVOCATION_BOUND_SECONDS = 1.0
# A role change governs every decision within this many seconds: authz
# rechecks a tenant's stored policy version at most 1 s after a change
# (services/authz/policy_engine.h kPolicyRecheckInterval), and services
# cache authz's decisions for at most 5 s (kDecisionCacheTtl).
ROLE_CHANGE_BOUND_SECONDS = 6.0


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


class SuiteIntegrationTest(unittest.TestCase):

    def stub(self, service: str, stub_class):
        channel = grpc.insecure_channel(SUITE.addresses[service])
        self.addCleanup(channel.close)
        return stub_class(channel)

    def assertCode(self, code: grpc.StatusCode, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, **kwargs)
        self.assertEqual(raised.exception.code(), code, raised.exception.details())

    def test_every_service_reports_serving(self):
        for name in SERVICES:
            self.assertEqual(health(SUITE.addresses[name]), 1, name)

    def test_authn_authenticates_a_token_and_rejects_a_forgery(self):
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        token = SUITE.token("alice", scopes="agents:read")
        response = authn.Authenticate(authn_pb2.AuthenticateRequest(credential=token), timeout=10)
        self.assertEqual(response.principal.subject, "alice")
        self.assertEqual(response.principal.tenant_id, "t1")
        self.assertTrue(response.assertion)
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, authn.Authenticate,
                        authn_pb2.AuthenticateRequest(credential=forged), timeout=10)
        keys = authn.GetAssertionKeys(authn_pb2.GetAssertionKeysRequest(), timeout=10)
        self.assertEqual(len(keys.keys), 1)

    def test_authz_decides_for_the_assertion_holder(self):
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        authz = self.stub("authz", authz_pb2_grpc.AuthzStub)
        token = SUITE.token("alice", roles="member")
        assertion = authn.Authenticate(
            authn_pb2.AuthenticateRequest(credential=token), timeout=10).assertion
        # As a service asks: the user's assertion with the service's own.
        metadata = [("x-bastion-principal-bin", assertion),
                    ("x-bastion-service-bin", SUITE.service_assertion())]
        allowed = authz.Check(authz_pb2.CheckRequest(
            assertion=assertion, resource="sessions", action="read"),
            metadata=metadata, timeout=10)
        self.assertEqual(allowed.decision, authz_pb2.DECISION_ALLOW)
        denied = authz.Check(authz_pb2.CheckRequest(
            assertion=assertion, resource="roles", action="write"),
            metadata=metadata, timeout=10)
        self.assertEqual(denied.decision, authz_pb2.DECISION_DENY)
        # A client-made assertion does not verify.
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, authz.Check,
                        authz_pb2.CheckRequest(assertion=b"forged"),
                        metadata=[("x-bastion-principal-bin", b"forged")], timeout=10)

    def test_authz_answers_only_about_the_caller_itself(self):
        # authz's RequireSelf: the assertion in CheckRequest must be the one
        # that authenticated the call, so alice cannot ask about bob.
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        authz = self.stub("authz", authz_pb2_grpc.AuthzStub)
        alice = authn.Authenticate(authn_pb2.AuthenticateRequest(
            credential=SUITE.token("alice", roles="member")), timeout=10).assertion
        bob = authn.Authenticate(authn_pb2.AuthenticateRequest(
            credential=SUITE.token("bob", roles="member")), timeout=10).assertion
        service = ("x-bastion-service-bin", SUITE.service_assertion())
        # Both assertions are valid: each holder may ask about itself.
        for assertion in (alice, bob):
            own = authz.Check(authz_pb2.CheckRequest(
                assertion=assertion, resource="sessions", action="read"),
                metadata=[("x-bastion-principal-bin", assertion), service], timeout=10)
            self.assertEqual(own.decision, authz_pb2.DECISION_ALLOW)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, authz.Check,
                        authz_pb2.CheckRequest(
                            assertion=bob, resource="sessions", action="read"),
                        metadata=[("x-bastion-principal-bin", alice), service], timeout=10)

    def test_run_executor_lists_agents_only_with_the_scope(self):
        agents = self.stub("run_executor", runs_pb2_grpc.AgentsStub)
        allowed = agents.ListAgents(runs_pb2.ListAgentsRequest(), timeout=10,
                                    metadata=bearer(SUITE.token("alice", scopes="agents:read")))
        self.assertIn("echo", [a.agent_id for a in allowed.agents])
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, agents.ListAgents,
                        runs_pb2.ListAgentsRequest(), timeout=10,
                        metadata=bearer(SUITE.token("bob", scopes="sessions:read")))
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, agents.ListAgents,
                        runs_pb2.ListAgentsRequest(), timeout=10)

    def test_data_sessions_are_isolated_per_user(self):
        sessions = self.stub("data", data_pb2_grpc.SessionsStub)
        alice = bearer(SUITE.token("alice", roles="member"))
        bob = bearer(SUITE.token("bob", roles="member"))
        created = sessions.CreateSession(data_pb2.CreateSessionRequest(
            component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo", name="mine"),
            metadata=alice, timeout=10)
        self.assertTrue(created.session_id)
        fetched = sessions.GetSession(data_pb2.GetSessionRequest(
            session_id=created.session_id), metadata=alice, timeout=10)
        self.assertEqual(fetched.name, "mine")
        self.assertCode(grpc.StatusCode.NOT_FOUND, sessions.GetSession,
                        data_pb2.GetSessionRequest(session_id=created.session_id),
                        metadata=bob, timeout=10)

    def test_an_owner_by_role_is_a_tenant_admin_in_data(self):
        # authz makes the built-in `owner` role a tenant admin; data's row
        # security agrees although the token carries no admin scope.
        tenant = "t-owner-role"
        sessions = self.stub("data", data_pb2_grpc.SessionsStub)
        mia = bearer(SUITE.token("mia", tenant=tenant, roles="member"))
        created = sessions.CreateSession(data_pb2.CreateSessionRequest(
            component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo", name="mias"),
            metadata=mia, timeout=10)
        owner = bearer(SUITE.token("olga", tenant=tenant, roles="owner"))
        listed = sessions.ListSessions(data_pb2.ListSessionsRequest(user_id="mia"),
                                       metadata=owner, timeout=10)
        self.assertEqual([s.session_id for s in listed.sessions], [created.session_id])
        fetched = sessions.GetSession(data_pb2.GetSessionRequest(
            session_id=created.session_id), metadata=owner, timeout=10)
        self.assertEqual(fetched.user_id, "mia")
        # A member is no admin, and another tenant's owner sees nothing.
        max_ = bearer(SUITE.token("max", tenant=tenant, roles="member"))
        other = bearer(SUITE.token("oleg", tenant=tenant + "-other", roles="owner"))
        for stranger in (max_, other):
            self.assertCode(grpc.StatusCode.NOT_FOUND, sessions.GetSession,
                            data_pb2.GetSessionRequest(session_id=created.session_id),
                            metadata=stranger, timeout=10)
            listed = sessions.ListSessions(data_pb2.ListSessionsRequest(user_id="mia"),
                                           metadata=stranger, timeout=10)
            self.assertEqual(list(listed.sessions), [])
        # The owner's reads of another user's data are in the audit log.
        actions = {(a[0], a[1]) for a in SUITE.audit_actions(tenant)}
        self.assertLessEqual({("sessions.list", "olga"), ("sessions.get", "olga")},
                             actions)

    def test_internal_rpcs_need_a_trusted_service_and_a_forwarded_user(self):
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        runs = self.stub("data", data_pb2_grpc.RunRecordsStub)
        token = SUITE.token("alice", roles="member")
        assertion = authn.Authenticate(
            authn_pb2.AuthenticateRequest(credential=token), timeout=10).assertion
        request = data_pb2.CreateRunRequest(
            component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo",
            input_json='"hi"')
        # The user's own credentials are not enough (no confused deputy).
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, runs.CreateRun, request,
                        metadata=bearer(token), timeout=10)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, runs.CreateRun, request,
                        metadata=[("x-bastion-principal-bin", assertion)], timeout=10)
        # A service key data does not trust is refused.
        stranger = SUITE.service_assertion(SUITE.untrusted_key(), "stranger")
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, runs.CreateRun, request,
                        metadata=[("x-bastion-principal-bin", assertion),
                                  ("x-bastion-service-bin", stranger)], timeout=10)
        # The trusted run-executor acting for alice: the run is alice's.
        run = runs.CreateRun(request, timeout=10, metadata=[
            ("x-bastion-principal-bin", assertion),
            ("x-bastion-service-bin", SUITE.service_assertion())])
        self.assertEqual(run.user_id, "alice")

    def test_an_admin_or_approver_by_custom_role_is_one_in_data(self):
        # authz alone decides who is an admin or an approver, from token
        # scopes and the tenant's custom roles; data takes its decision for
        # public calls and for the internal calls a trusted service makes
        # on a user's behalf alike.
        authz = self.stub("authz", authz_pb2_grpc.AuthzStub)
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        sessions = self.stub("data", data_pb2_grpc.SessionsStub)
        runs = self.stub("data", data_pb2_grpc.RunRecordsStub)
        approvals = self.stub("data", data_pb2_grpc.ApprovalRecordsStub)
        tenant = "custom-admin-" + os.urandom(4).hex()
        owner = bearer(SUITE.token("olive", tenant=tenant, roles="owner"))
        for name, scopes in (("deputy", ["agent_os:admin"]),
                             ("reviewer", ["approvals:write"])):
            authz.PutRole(authz_pb2.PutRoleRequest(role=authz_pb2.Role(
                name=name, scopes=scopes)), metadata=owner, timeout=10)

        def for_user(token: str):
            assertion = authn.Authenticate(
                authn_pb2.AuthenticateRequest(credential=token), timeout=10).assertion
            return [("x-bastion-principal-bin", assertion),
                    ("x-bastion-service-bin", SUITE.service_assertion())]

        # mia's session, run and pending approval.
        mia = SUITE.token("mia", tenant=tenant, roles="member")
        session = sessions.CreateSession(data_pb2.CreateSessionRequest(
            component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo"),
            metadata=bearer(mia), timeout=10)
        run = runs.CreateRun(data_pb2.CreateRunRequest(
            component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo"),
            metadata=for_user(mia), timeout=10)
        approval = approvals.CreateApproval(data_pb2.CreateApprovalRequest(
            run_id=run.run_id, tool_call_id="call-1", tool_name="transfer",
            arguments_json="{}", args_sha256=hashlib.sha256(b"{}").hexdigest(),
            ttl_seconds=600), metadata=for_user(mia), timeout=10)

        # Neither role's holder carries the scope in its token.
        dora = SUITE.token("dora", tenant=tenant, roles="member deputy")
        rex = SUITE.token("rex", tenant=tenant, roles="member reviewer")
        max_ = SUITE.token("max", tenant=tenant, roles="member")
        # The roles were stored by the one authz instance, which applies a
        # change at once; poll within the bound anyway.
        deadline = time.monotonic() + ROLE_CHANGE_BOUND_SECONDS + 10
        while True:
            listed = runs.ListRuns(data_pb2.ListRunsRequest(user_id="mia"),
                                   metadata=for_user(dora), timeout=10)
            if [r.run_id for r in listed.runs] == [run.run_id]:
                break
            self.assertLess(time.monotonic(), deadline, "deputy never an admin")
            time.sleep(0.1)
        fetched = sessions.GetSession(data_pb2.GetSessionRequest(
            session_id=session.session_id), metadata=bearer(dora), timeout=10)
        self.assertEqual(fetched.user_id, "mia")

        seen = approvals.GetApproval(data_pb2.GetApprovalRequest(
            approval_id=approval.approval_id), metadata=for_user(rex), timeout=10)
        self.assertEqual(seen.requester_user_id, "mia")
        resolved = approvals.ResolveApproval(data_pb2.ResolveApprovalRequest(
            approval_id=approval.approval_id,
            decision=data_pb2.APPROVAL_DECISION_APPROVE,
            expected_args_sha256=hashlib.sha256(b"{}").hexdigest()),
            metadata=for_user(rex), timeout=10)
        self.assertEqual((resolved.status, resolved.resolver_user_id),
                         (data_pb2.APPROVAL_STATUS_APPROVED, "rex"))

        # A reviewer is no admin, and a plain member is neither.
        listed = runs.ListRuns(data_pb2.ListRunsRequest(user_id="mia"),
                               metadata=for_user(rex), timeout=10)
        self.assertEqual(list(listed.runs), [])
        self.assertCode(grpc.StatusCode.NOT_FOUND, approvals.GetApproval,
                        data_pb2.GetApprovalRequest(approval_id=approval.approval_id),
                        metadata=for_user(max_), timeout=10)
        self.assertCode(grpc.StatusCode.NOT_FOUND, sessions.GetSession,
                        data_pb2.GetSessionRequest(session_id=session.session_id),
                        metadata=bearer(max_), timeout=10)
        # The admin's and the approver's reach into mia's rows is audited.
        actions = {(a[0], a[1]) for a in SUITE.audit_actions(tenant)}
        self.assertLessEqual({("runs.list", "dora"), ("sessions.get", "dora"),
                              ("approvals.get", "rex"), ("approvals.resolve", "rex")},
                             actions)

    def test_api_key_made_with_a_jwt_works_until_revoked(self):
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        agents = self.stub("run_executor", runs_pb2_grpc.AgentsStub)
        owner = bearer(SUITE.token(
            "carol", scopes="api_keys:write api_keys:read api_keys:delete agents:read"))
        created = authn.CreateApiKey(authn_pb2.CreateApiKeyRequest(
            name="integration", scopes=["agents:read"]), metadata=owner, timeout=10)
        self.assertTrue(created.secret.startswith("bst_"))
        self.assertEqual(created.key.owner_subject, "carol")
        key = bearer(created.secret)
        listed = agents.ListAgents(runs_pb2.ListAgentsRequest(), metadata=key, timeout=10)
        self.assertIn("echo", [a.agent_id for a in listed.agents])
        # Never more than the creator holds.
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, authn.CreateApiKey,
                        authn_pb2.CreateApiKeyRequest(name="wider", scopes=["agents:run"]),
                        metadata=owner, timeout=10)

        authn.RevokeApiKey(authn_pb2.RevokeApiKeyRequest(key_id=created.key.key_id),
                           metadata=owner, timeout=10)
        revoked_at = time.monotonic()
        # authn does not cache key lookups: refused at once.
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, authn.Authenticate,
                        authn_pb2.AuthenticateRequest(credential=created.secret), timeout=10)
        # run-executor caches authn's answer for at most the bound: every call
        # started later than that must be refused. Bounded poll, no fixed sleep.
        deadline = revoked_at + REVOCATION_BOUND_SECONDS + 10
        while True:
            started = time.monotonic()
            try:
                agents.ListAgents(runs_pb2.ListAgentsRequest(), metadata=key, timeout=10)
            except grpc.RpcError as error:
                self.assertEqual(error.code(), grpc.StatusCode.UNAUTHENTICATED, error.details())
                break
            self.assertLessEqual(started - revoked_at, REVOCATION_BOUND_SECONDS,
                                 "a call started after the revocation bound succeeded")
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        inactive = authn.ListApiKeys(authn_pb2.ListApiKeysRequest(include_inactive=True),
                                     metadata=owner, timeout=10)
        self.assertEqual([k.key_id for k in inactive.keys if k.revoked_at_unix],
                         [created.key.key_id])

    def test_a_custom_role_takes_effect_within_the_bound(self):
        authz = self.stub("authz", authz_pb2_grpc.AuthzStub)
        agents = self.stub("run_executor", runs_pb2_grpc.AgentsStub)
        tenant = "roles-" + os.urandom(4).hex()
        owner = bearer(SUITE.token("olive", tenant=tenant, roles="owner"))
        reader = bearer(SUITE.token("rita", tenant=tenant, roles="agent_reader"))
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, agents.ListAgents,
                        runs_pb2.ListAgentsRequest(), metadata=reader, timeout=10)

        role = authz_pb2.Role(name="agent_reader", scopes=["agents:read"])
        put = authz.PutRole(authz_pb2.PutRoleRequest(role=role), metadata=owner, timeout=10)
        changed_at = time.monotonic()
        self.assertEqual((put.name, list(put.scopes), put.built_in, put.version),
                         ("agent_reader", ["agents:read"], False, 1))
        # Refused: built-in names, malformed scopes (named), the platform
        # admin scope, and callers without roles:write.
        for name, scopes in (("owner", ["agents:read"]), ("r", ["agents:Read"]),
                             ("r", ["bastion:platform_admin"])):
            self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, authz.PutRole,
                            authz_pb2.PutRoleRequest(role=authz_pb2.Role(
                                name=name, scopes=scopes)), metadata=owner, timeout=10)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, authz.PutRole,
                        authz_pb2.PutRoleRequest(role=role), metadata=reader, timeout=10)

        # Every call started after the bound must be allowed. Bounded poll,
        # no fixed sleep.
        deadline = changed_at + ROLE_CHANGE_BOUND_SECONDS + 10
        while True:
            started = time.monotonic()
            try:
                listed = agents.ListAgents(runs_pb2.ListAgentsRequest(),
                                           metadata=reader, timeout=10)
                break
            except grpc.RpcError as error:
                self.assertEqual(error.code(), grpc.StatusCode.PERMISSION_DENIED,
                                 error.details())
                self.assertLessEqual(started - changed_at, ROLE_CHANGE_BOUND_SECONDS,
                                     "still denied after the role-change bound")
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
        self.assertIn("echo", [a.agent_id for a in listed.agents])
        # The change (and rita's earlier denial) reached the suite's audit
        # log, which the tenant's admins read through AuditLog.
        deadline = time.monotonic() + 10
        while True:
            actions = {(a[0], a[1]) for a in SUITE.audit_actions(tenant)}
            if {("role.put", "olive"), ("denied.permission", "rita")} <= actions:
                break
            self.assertLess(time.monotonic(), deadline, actions)
            time.sleep(0.1)

        # The role is the tenant's own: another tenant sees nothing of it.
        roles = authz.ListRoles(authz_pb2.ListRolesRequest(), metadata=owner, timeout=10)
        self.assertEqual([r.name for r in roles.roles],
                         ["owner", "admin", "member", "agent_reader"])
        self.assertEqual(roles.policy_version, 1)
        other = bearer(SUITE.token("otto", tenant=tenant + "-other", roles="owner"))
        self.assertCode(grpc.StatusCode.NOT_FOUND, authz.GetRole,
                        authz_pb2.GetRoleRequest(name="agent_reader"), metadata=other,
                        timeout=10)
        self.assertCode(grpc.StatusCode.NOT_FOUND, authz.DeleteRole,
                        authz_pb2.DeleteRoleRequest(name="agent_reader"), metadata=other,
                        timeout=10)

    def test_check_tool_uses_the_tenants_stored_tool_policy(self):
        authn = self.stub("authn", authn_pb2_grpc.AuthnStub)
        authz = self.stub("authz", authz_pb2_grpc.AuthzStub)
        tenant = "tools-" + os.urandom(4).hex()
        owner = bearer(SUITE.token("olive", tenant=tenant, roles="owner"))
        authz.PutRole(authz_pb2.PutRoleRequest(role=authz_pb2.Role(
            name="tool_user", allowed_tools=["shell"])), metadata=owner, timeout=10)
        stored = authz.PutToolPolicy(authz_pb2.PutToolPolicyRequest(
            policy=authz_pb2.ToolPolicy(requires_approval=["shell"])),
            metadata=owner, timeout=10)
        self.assertEqual((list(stored.requires_approval), stored.version), (["shell"], 2))
        listed = authz.ListRoles(authz_pb2.ListRolesRequest(), metadata=owner, timeout=10)
        self.assertEqual(list(listed.tool_policy.requires_approval), ["shell"])

        def check_tool(token: str, tool: str):
            assertion = authn.Authenticate(
                authn_pb2.AuthenticateRequest(credential=token), timeout=10).assertion
            return authz.CheckTool(authz_pb2.CheckToolRequest(
                assertion=assertion, tool_name=tool),
                metadata=[("x-bastion-principal-bin", assertion),
                          ("x-bastion-service-bin", SUITE.service_assertion())],
                timeout=10)

        user = SUITE.token("tom", tenant=tenant, roles="tool_user")
        decision = check_tool(user, "shell")
        self.assertEqual((decision.decision, decision.requires_confirmation,
                          decision.requires_approval, decision.policy_version),
                         (authz_pb2.DECISION_ALLOW, False, True, 2))
        self.assertEqual(check_tool(user, "http").decision, authz_pb2.DECISION_DENY)
        # The same role name in another tenant grants nothing there.
        stranger = SUITE.token("tom", tenant=tenant + "-other", roles="tool_user")
        self.assertEqual(check_tool(stranger, "shell").decision, authz_pb2.DECISION_DENY)

    def test_authz_without_a_database_serves_builtin_roles_only(self):
        with open(SUITE.dir / "authz-nodb.log", "ab") as log:
            process, address = bastion_suite.spawn(
                bastion_suite.BINARIES["authz"], SUITE.dir / "authz-nodb.port",
                dict(BASTION_LISTEN_ADDRESS="127.0.0.1:0",
                     BASTION_AUTHN_ADDRESS=SUITE.addresses["authn"],
                     BASTION_TRUSTED_SERVICES_FILE=SUITE.trusted_services(),
                     BASTION_DATABASE_URL=None),
                stdout=log, stderr=log)
        self.addCleanup(process.wait, 20)
        self.addCleanup(process.terminate)
        self.assertIsNotNone(address, "authz without a database did not start")
        channel = grpc.insecure_channel(address)
        self.addCleanup(channel.close)
        authz = authz_pb2_grpc.AuthzStub(channel)
        owner = bearer(SUITE.token("olive", tenant="nodb", roles="owner"))
        with self.assertRaises(grpc.RpcError) as raised:
            authz.PutRole(authz_pb2.PutRoleRequest(role=authz_pb2.Role(
                name="reader", scopes=["agents:read"])), metadata=owner, timeout=10)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("database_url", raised.exception.details())
        # Authorization still comes first: no roles:write, no hint.
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, authz.PutRole,
                        authz_pb2.PutRoleRequest(role=authz_pb2.Role(name="reader")),
                        metadata=bearer(SUITE.token("mia", tenant="nodb", roles="member")),
                        timeout=10)
        roles = authz.ListRoles(authz_pb2.ListRolesRequest(), metadata=owner, timeout=10)
        self.assertEqual([r.name for r in roles.roles], ["owner", "admin", "member"])


if __name__ == "__main__":
    bastion_suite.main()
