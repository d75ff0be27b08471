#!/usr/bin/python3
"""The Approvals API of run-executor through the real services: who sees
and who resolves an approval (the requester, members, approvers by scope
and by custom role, admins, another tenant), four eyes, once only (also
when two approvers race), expiry, and the audit of each approval's life.

The pending approvals are made here the way run-executor makes them when a
run pauses: data's RunRecords.CreateRun and ApprovalRecords.CreateApproval
as the requesting user, carried by the suite's trusted run-executor
identity.
"""

import hashlib
import json
import os
import pathlib
import sys
import threading
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import Suite, bearer  # noqa: E402

import grpc  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.authz.v1 import authz_pb2, authz_pb2_grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None
# A role change governs every decision within this many seconds (see
# suite_integration_test.ROLE_CHANGE_BOUND_SECONDS).
ROLE_CHANGE_BOUND_SECONDS = 6.0


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


class ApprovalsIntegrationTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.channel = grpc.insecure_channel(SUITE.addresses["run_executor"])
        cls.data_channel = grpc.insecure_channel(SUITE.addresses["data"])
        cls.authn_channel = grpc.insecure_channel(SUITE.addresses["authn"])
        cls.authz_channel = grpc.insecure_channel(SUITE.addresses["authz"])
        cls.approvals = runs_pb2_grpc.ApprovalsStub(cls.channel)
        cls.records = data_pb2_grpc.ApprovalRecordsStub(cls.data_channel)
        cls.run_records = data_pb2_grpc.RunRecordsStub(cls.data_channel)
        cls.authn = authn_pb2_grpc.AuthnStub(cls.authn_channel)
        cls.authz = authz_pb2_grpc.AuthzStub(cls.authz_channel)

    @classmethod
    def tearDownClass(cls):
        for channel in (cls.channel, cls.data_channel, cls.authn_channel,
                        cls.authz_channel):
            channel.close()

    # --- helpers -------------------------------------------------------

    def tenant(self) -> str:
        return "apv-" + os.urandom(4).hex()

    def as_service_for(self, token: str):
        """Metadata of a call run-executor makes for the token's user."""
        assertion = self.authn.Authenticate(
            authn_pb2.AuthenticateRequest(credential=token), timeout=10).assertion
        return [("x-bastion-principal-bin", assertion),
                ("x-bastion-service-bin", SUITE.service_assertion())]

    def pending(self, token: str, tool: str = "transfer", amount: int = 100,
                ttl_seconds: int = 600) -> data_pb2.Approval:
        """A pending approval of a run of the token's user, as a paused run
        makes it."""
        metadata = self.as_service_for(token)
        run = self.run_records.CreateRun(data_pb2.CreateRunRequest(
            component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo",
            input_json='"pay"', status=common_pb2.RUN_STATUS_PAUSED),
            metadata=metadata, timeout=10)
        arguments = json.dumps({"amount": amount, "to": "acct-9"})
        return self.records.CreateApproval(data_pb2.CreateApprovalRequest(
            run_id=run.run_id, tool_call_id="call-1", tool_name=tool,
            arguments_json=arguments,
            args_sha256=hashlib.sha256(arguments.encode()).hexdigest(),
            ttl_seconds=ttl_seconds), metadata=metadata, timeout=10)

    def resolve(self, token: str, approval_id: str, approve: bool = True):
        """(code, reply) of Approvals.ResolveApproval as the token's user."""
        return bastion_suite.invoke(
            self.channel, runs_pb2.DESCRIPTOR.services_by_name["Approvals"]
            .methods_by_name["ResolveApproval"],
            runs_pb2.ResolveApprovalRequest(approval_id=approval_id, approve=approve),
            metadata=bearer(token))

    def get(self, token: str, approval_id: str):
        return bastion_suite.invoke(
            self.channel, runs_pb2.DESCRIPTOR.services_by_name["Approvals"]
            .methods_by_name["GetApproval"],
            runs_pb2.GetApprovalRequest(approval_id=approval_id),
            metadata=bearer(token))

    def listed(self, token: str, status=runs_pb2.APPROVAL_STATUS_UNSPECIFIED) -> list:
        reply = self.approvals.ListApprovals(
            runs_pb2.ListApprovalsRequest(status=status), metadata=bearer(token),
            timeout=10)
        return sorted(a.approval_id for a in reply.approvals)

    def count(self, token: str, status=runs_pb2.APPROVAL_STATUS_UNSPECIFIED) -> int:
        return self.approvals.CountApprovals(
            runs_pb2.CountApprovalsRequest(status=status), metadata=bearer(token),
            timeout=10).count

    def stored_status(self, tenant: str, approval_id: str) -> str:
        return SUITE.query("SELECT status FROM bastion_data.approvals"
                           " WHERE tenant_id = %s AND approval_id = %s",
                           (tenant, approval_id))[0][0]

    # --- tests ---------------------------------------------------------

    def test_an_approver_sees_the_stored_call_and_resolves_it_once(self):
        tenant = self.tenant()
        mia = SUITE.token("mia", tenant=tenant, roles="member")
        ann = SUITE.token("ann", tenant=tenant, roles="member",
                          scopes="approvals:write")
        bob = SUITE.token("bob", tenant=tenant, roles="member",
                          scopes="approvals:write")
        record = self.pending(mia, amount=250)
        code, shown = self.get(ann, record.approval_id)
        self.assertEqual(code, grpc.StatusCode.OK)
        self.assertEqual(
            (shown.requester, shown.tool_name, json.loads(shown.arguments_json),
             shown.arguments_sha256, shown.status, shown.tenant_id, shown.run_id),
            ("mia", "transfer", {"amount": 250, "to": "acct-9"}, record.args_sha256,
             runs_pb2.APPROVAL_STATUS_PENDING, tenant, record.run_id))
        self.assertEqual(shown.created_at_unix, record.created_at_unix_micros // 10**6)
        self.assertEqual(shown.expires_at_unix, record.expires_at_unix_micros // 10**6)

        code, approved = self.resolve(ann, record.approval_id)
        self.assertEqual(code, grpc.StatusCode.OK)
        self.assertEqual((approved.status, approved.resolved_by),
                         (runs_pb2.APPROVAL_STATUS_APPROVED, "ann"))
        self.assertGreaterEqual(approved.resolved_at_unix, shown.created_at_unix)
        # Once: neither the same approver nor another changes it again.
        self.assertEqual(self.resolve(ann, record.approval_id, approve=False)[0],
                         grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(self.resolve(bob, record.approval_id, approve=False)[0],
                         grpc.StatusCode.FAILED_PRECONDITION)
        code, seen = self.get(mia, record.approval_id)
        self.assertEqual((code, seen.status, seen.resolved_by),
                         (grpc.StatusCode.OK, runs_pb2.APPROVAL_STATUS_APPROVED, "ann"))

        # A rejection is a resolution too.
        other = self.pending(mia, tool="delete_account")
        code, rejected = self.resolve(bob, other.approval_id, approve=False)
        self.assertEqual((code, rejected.status),
                         (grpc.StatusCode.OK, runs_pb2.APPROVAL_STATUS_REJECTED))
        self.assertEqual(self.resolve(ann, other.approval_id)[0],
                         grpc.StatusCode.FAILED_PRECONDITION)
        self.assertEqual(self.stored_status(tenant, other.approval_id), "rejected")

    def test_the_requester_cannot_resolve_its_own_call(self):
        # FAILED_PRECONDITION, whatever the requester's standing: it holds
        # the permission, the approval's state (its own) forbids it.
        tenant = self.tenant()
        for name, scopes, roles in (("ada", "approvals:write", "member"),
                                    ("oli", "", "owner"),
                                    ("adm", "", "admin")):
            token = SUITE.token(name, tenant=tenant, roles=roles, scopes=scopes)
            record = self.pending(token)
            for approve in (True, False):
                self.assertEqual(self.resolve(token, record.approval_id, approve)[0],
                                 grpc.StatusCode.FAILED_PRECONDITION, name)
            self.assertEqual(self.stored_status(tenant, record.approval_id), "pending")
        # A member without approvals:write is refused by the guard before.
        max_ = SUITE.token("max", tenant=tenant, roles="member")
        record = self.pending(max_)
        self.assertEqual(self.resolve(max_, record.approval_id)[0],
                         grpc.StatusCode.PERMISSION_DENIED)

    def test_another_tenant_reaches_nothing(self):
        tenant, elsewhere = self.tenant(), self.tenant()
        mia = SUITE.token("mia", tenant=tenant, roles="member")
        record = self.pending(mia)
        for name, scopes, roles in (("ann", "approvals:write", "member"),
                                    ("oli", "", "owner"),
                                    ("mia", "approvals:write", "member")):
            token = SUITE.token(name, tenant=elsewhere, roles=roles, scopes=scopes)
            self.assertEqual(self.get(token, record.approval_id)[0],
                             grpc.StatusCode.NOT_FOUND, name)
            for approve in (True, False):
                self.assertEqual(self.resolve(token, record.approval_id, approve)[0],
                                 grpc.StatusCode.NOT_FOUND, name)
            self.assertEqual(self.listed(token), [], name)
            self.assertEqual(self.count(token), 0, name)
        self.assertEqual(self.stored_status(tenant, record.approval_id), "pending")

    def test_two_approvers_racing_exactly_one_wins(self):
        tenant = self.tenant()
        mia = SUITE.token("mia", tenant=tenant, roles="member")
        approvers = [SUITE.token(f"approver{n}", tenant=tenant, roles="member",
                                 scopes="approvals:write") for n in range(2)]
        # Authenticate each once, so the race is not one of cold caches.
        for token in approvers:
            self.assertEqual(self.count(token), 0)
        for attempt in range(5):
            record = self.pending(mia)
            start = threading.Barrier(len(approvers))
            codes, replies = [None] * len(approvers), [None] * len(approvers)

            def race(n: int) -> None:
                start.wait()
                codes[n], replies[n] = self.resolve(approvers[n], record.approval_id,
                                                    approve=n == 0)

            threads = [threading.Thread(target=race, args=(n,))
                       for n in range(len(approvers))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.assertEqual(sorted(codes, key=str),
                             sorted([grpc.StatusCode.OK,
                                     grpc.StatusCode.FAILED_PRECONDITION], key=str),
                             attempt)
            winner = codes.index(grpc.StatusCode.OK)
            code, seen = self.get(mia, record.approval_id)
            self.assertEqual(seen.resolved_by, f"approver{winner}")
            self.assertEqual(seen.status, runs_pb2.APPROVAL_STATUS_APPROVED
                             if winner == 0 else runs_pb2.APPROVAL_STATUS_REJECTED)

    def test_a_member_sees_only_its_own_requests(self):
        tenant = self.tenant()
        mia = SUITE.token("mia", tenant=tenant, roles="member")
        max_ = SUITE.token("max", tenant=tenant, roles="member")
        ann = SUITE.token("ann", tenant=tenant, roles="member",
                          scopes="approvals:write")
        oli = SUITE.token("oli", tenant=tenant, roles="owner")
        mine = self.pending(mia)
        theirs = self.pending(max_)
        self.assertEqual(self.listed(mia), [mine.approval_id])
        self.assertEqual(self.count(mia), 1)
        self.assertEqual(self.get(mia, theirs.approval_id)[0], grpc.StatusCode.NOT_FOUND)
        self.assertEqual(self.listed(max_), [theirs.approval_id])
        both = sorted([mine.approval_id, theirs.approval_id])
        self.assertEqual(self.listed(ann), both)
        self.assertEqual(self.count(ann), 2)
        self.assertEqual(self.listed(oli), both)
        # Filters by state, in lists and counts alike.
        self.assertEqual(self.resolve(ann, theirs.approval_id)[0], grpc.StatusCode.OK)
        self.assertEqual(self.listed(ann, runs_pb2.APPROVAL_STATUS_PENDING),
                         [mine.approval_id])
        self.assertEqual(self.count(ann, runs_pb2.APPROVAL_STATUS_APPROVED), 1)
        self.assertEqual(self.count(mia, runs_pb2.APPROVAL_STATUS_APPROVED), 0)
        self.assertEqual(self.count(max_, runs_pb2.APPROVAL_STATUS_APPROVED), 1)
        # Without approvals:read, nothing at all.
        nobody = SUITE.token("nobody", tenant=tenant, scopes="agents:read")
        self.assertEqual(bastion_suite.invoke(
            self.channel, runs_pb2.DESCRIPTOR.services_by_name["Approvals"]
            .methods_by_name["ListApprovals"], runs_pb2.ListApprovalsRequest(),
            metadata=bearer(nobody))[0], grpc.StatusCode.PERMISSION_DENIED)

    def test_an_approver_by_custom_role_is_one_everywhere(self):
        # authz decides approvers from token scopes and the tenant's roles;
        # run-executor's guard and data's both take that decision.
        tenant = self.tenant()
        owner = bearer(SUITE.token("olive", tenant=tenant, roles="owner"))
        self.authz.PutRole(authz_pb2.PutRoleRequest(role=authz_pb2.Role(
            name="reviewer", scopes=["approvals:write"])), metadata=owner, timeout=10)
        mia = SUITE.token("mia", tenant=tenant, roles="member")
        rex = SUITE.token("rex", tenant=tenant, roles="member reviewer")
        first, second = self.pending(mia), self.pending(mia, tool="wire")
        deadline = time.monotonic() + ROLE_CHANGE_BOUND_SECONDS + 10
        while self.listed(rex) != sorted([first.approval_id, second.approval_id]):
            self.assertLess(time.monotonic(), deadline, "reviewer never an approver")
            time.sleep(0.1)
        self.assertEqual(self.count(rex, runs_pb2.APPROVAL_STATUS_PENDING), 2)
        code, approved = self.resolve(rex, first.approval_id)
        self.assertEqual((code, approved.status, approved.resolved_by),
                         (grpc.StatusCode.OK, runs_pb2.APPROVAL_STATUS_APPROVED, "rex"))
        code, rejected = self.resolve(rex, second.approval_id, approve=False)
        self.assertEqual((code, rejected.status),
                         (grpc.StatusCode.OK, runs_pb2.APPROVAL_STATUS_REJECTED))
        # The role grants no four-eyes exception: its holder's own request.
        own = self.pending(rex)
        self.assertEqual(self.resolve(rex, own.approval_id)[0],
                         grpc.StatusCode.FAILED_PRECONDITION)
        # Without the role, the same user is a plain member again.
        plain = SUITE.token("rex", tenant=tenant, roles="member")
        self.assertEqual(self.listed(plain), [own.approval_id])

    def test_an_expired_approval_reads_expired_and_cannot_be_approved(self):
        tenant = self.tenant()
        mia = SUITE.token("mia", tenant=tenant, roles="member")
        ann = SUITE.token("ann", tenant=tenant, roles="member",
                          scopes="approvals:write")
        record = self.pending(mia)
        # Its time runs out (moved, not waited for).
        SUITE.query("UPDATE bastion_data.approvals SET"
                    " created_at = now() - interval '2 hours',"
                    " expires_at = now() - interval '1 hour'"
                    " WHERE tenant_id = %s AND approval_id = %s",
                    (tenant, record.approval_id))
        for approve in (True, False):
            self.assertEqual(self.resolve(ann, record.approval_id, approve)[0],
                             grpc.StatusCode.FAILED_PRECONDITION)
        code, seen = self.get(mia, record.approval_id)
        self.assertEqual((code, seen.status, seen.resolved_by),
                         (grpc.StatusCode.OK, runs_pb2.APPROVAL_STATUS_EXPIRED, ""))
        self.assertEqual(self.count(ann, runs_pb2.APPROVAL_STATUS_EXPIRED), 1)
        self.assertEqual(self.count(ann, runs_pb2.APPROVAL_STATUS_PENDING), 0)
        self.assertEqual(self.stored_status(tenant, record.approval_id), "expired")

    def test_every_request_decision_and_expiry_is_audited(self):
        tenant = self.tenant()
        mia = SUITE.token("mia", tenant=tenant, roles="member")
        ann = SUITE.token("ann", tenant=tenant, roles="member",
                          scopes="approvals:write")
        approved, rejected, expired = (self.pending(mia), self.pending(mia),
                                       self.pending(mia))
        self.assertEqual(self.resolve(ann, approved.approval_id)[0], grpc.StatusCode.OK)
        self.assertEqual(self.resolve(ann, rejected.approval_id, approve=False)[0],
                         grpc.StatusCode.OK)
        SUITE.query("UPDATE bastion_data.approvals SET"
                    " created_at = now() - interval '2 hours',"
                    " expires_at = now() - interval '1 hour'"
                    " WHERE tenant_id = %s AND approval_id = %s",
                    (tenant, expired.approval_id))
        self.assertEqual(self.get(ann, expired.approval_id)[1].status,
                         runs_pb2.APPROVAL_STATUS_EXPIRED)
        rows = SUITE.query(
            "SELECT action, user_id, target_user_id, resource_id, occurred_at"
            " FROM bastion_data.audit_events WHERE tenant_id = %s"
            " AND action IN ('approvals.requested', 'approvals.approved',"
            " 'approvals.rejected', 'approvals.expired')", (tenant,))
        self.assertEqual(
            sorted((action, user, target, approval) for action, user, target, approval, _
                   in rows),
            sorted([("approvals.requested", "mia", "mia", approved.approval_id),
                    ("approvals.requested", "mia", "mia", rejected.approval_id),
                    ("approvals.requested", "mia", "mia", expired.approval_id),
                    ("approvals.approved", "ann", "mia", approved.approval_id),
                    ("approvals.rejected", "ann", "mia", rejected.approval_id),
                    ("approvals.expired", "ann", "mia", expired.approval_id)]))
        self.assertTrue(all(row[4] is not None for row in rows))


if __name__ == "__main__":
    bastion_suite.main()
