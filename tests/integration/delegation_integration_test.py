#!/usr/bin/python3
"""Delegations against the real suite: run-executor's identity exchanges a
user's assertion for a delegation bound to one run (authn.Delegations), and
data and authz accept it from run-executor alone.

Shows: a delegation keeps working (and renewing) after the user's own token
and assertion have expired; a revoked API key makes renewal fail and ends
the delegation; a delegation for run R reaches neither run S nor another
user's run; nobody but the holder (not a user, not another trusted service)
can use, renew or end it. A schedule grant (ExchangeForSchedule) is no
credential; its holder alone turns it into run delegations, with no more
than the creator's scopes, until the creator's API key is revoked or the
grant ended."""
import os
import pathlib
import sys
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import Suite, bearer  # noqa: E402

import grpc  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402

SUITE = None
# The user's tokens end within seconds here: authn's leeway is 1 s.
LEEWAY_SECONDS = 1


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started(authn_env={
        "BASTION_LEEWAY_SECONDS": str(LEEWAY_SECONDS)})


def tearDownModule() -> None:
    SUITE.stop()


class DelegationIntegrationTest(unittest.TestCase):

    def setUp(self):
        self.channels = {}
        self.authn = authn_pb2_grpc.AuthnStub(self.channel("authn"))
        self.delegations = authn_pb2_grpc.DelegationsStub(self.channel("authn"))
        self.runs = data_pb2_grpc.RunRecordsStub(self.channel("data"))
        self.memories = data_pb2_grpc.MemoriesStub(self.channel("data"))

    def channel(self, service: str):
        if service not in self.channels:
            channel = grpc.insecure_channel(SUITE.addresses[service])
            self.addCleanup(channel.close)
            self.channels[service] = channel
        return self.channels[service]

    def assertCode(self, code, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, **kwargs)
        self.assertEqual(raised.exception.code(), code, raised.exception.details())

    # Who presents what.
    @staticmethod
    def holder(assertion: bytes = None):
        """run-executor's own identity, with `assertion` forwarded."""
        metadata = [("x-bastion-service-bin", SUITE.service_assertion())]
        if assertion is not None:
            metadata.append(("x-bastion-principal-bin", assertion))
        return metadata

    @staticmethod
    def other_service(assertion: bytes = None):
        """authz's identity: trusted by data and authn, but no holder."""
        metadata = [("x-bastion-service-bin", SUITE.service_assertion(
            str(SUITE.dir / "services/authz.pem"), "authz"))]
        if assertion is not None:
            metadata.append(("x-bastion-principal-bin", assertion))
        return metadata

    def assertion_of(self, credential: str) -> bytes:
        return self.authn.Authenticate(
            authn_pb2.AuthenticateRequest(credential=credential), timeout=10).assertion

    def create_run(self, assertion: bytes, run_id: str) -> None:
        self.runs.CreateRun(data_pb2.CreateRunRequest(
            run_id=run_id, component_type=common_pb2.COMPONENT_TYPE_AGENT,
            component_id="echo", status=common_pb2.RUN_STATUS_RUNNING),
            metadata=self.holder(assertion), timeout=10)

    def exchange(self, assertion: bytes, run_id: str):
        return self.delegations.ExchangeForRun(
            authn_pb2.ExchangeForRunRequest(run_id=run_id),
            metadata=self.holder(assertion), timeout=10)

    def get_run(self, metadata, run_id: str):
        return self.runs.GetRun(data_pb2.GetRunRequest(run_id=run_id),
                                metadata=metadata, timeout=10)

    def test_a_delegation_outlives_the_users_token(self):
        now = int(time.time())
        token = SUITE.token("dana", scopes="memories:write memories:read",
                            issued_at=now, expires_at=now + 3)
        assertion = self.assertion_of(token)
        self.create_run(assertion, "run-outlive")
        grant = self.exchange(assertion, "run-outlive")
        self.assertTrue(grant.delegation_id.startswith("dlg_"))
        self.assertGreater(grant.renewable_until_unix, grant.expires_at_unix)

        # The token and the assertion made for it end (exp + leeway).
        time.sleep(max(0.0, now + 3 + LEEWAY_SECONDS + 1 - time.time()))
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.get_run,
                        self.holder(assertion), "run-outlive")
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.assertion_of, token)

        # The run's delegation goes on, renewed by its holder.
        self.assertEqual(self.get_run(self.holder(grant.delegation),
                                      "run-outlive").run.user_id, "dana")
        renewed = self.delegations.RenewDelegation(
            authn_pb2.RenewDelegationRequest(delegation_id=grant.delegation_id),
            metadata=self.holder(), timeout=10)
        self.assertEqual(renewed.delegation_id, grant.delegation_id)
        self.assertGreaterEqual(renewed.expires_at_unix, grant.expires_at_unix)
        self.assertEqual(self.get_run(self.holder(renewed.delegation),
                                      "run-outlive").run.run_id, "run-outlive")
        # A user method, decided by authz with the delegation: as the user.
        memory = self.memories.CreateMemory(
            data_pb2.CreateMemoryRequest(memory_id="m-outlive", text="tea"),
            metadata=self.holder(renewed.delegation), timeout=10)
        self.assertEqual(memory.user_id, "dana")

        # The run ends: no more renewals.
        self.delegations.EndDelegation(
            authn_pb2.EndDelegationRequest(delegation_id=grant.delegation_id),
            metadata=self.holder(), timeout=10)
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION,
                        self.delegations.RenewDelegation,
                        authn_pb2.RenewDelegationRequest(
                            delegation_id=grant.delegation_id),
                        metadata=self.holder(), timeout=10)

    def test_end_delegations_ends_what_the_holder_holds_in_one_call(self):
        kim = self.assertion_of(SUITE.token("kim"))
        lea = self.assertion_of(SUITE.token("lea"))
        self.create_run(kim, "kim-R")
        self.create_run(lea, "lea-R")
        grants = [self.exchange(kim, "kim-R"), self.exchange(lea, "lea-R")]
        ids = [g.delegation_id for g in grants]
        missing = "dlg_" + "0" * 32
        ended = self.delegations.EndDelegations(
            authn_pb2.EndDelegationsRequest(delegation_ids=ids + [missing]),
            metadata=self.holder(), timeout=10)
        self.assertEqual(sorted(ended.ended_delegation_ids), sorted(ids))
        for delegation_id in ids:
            self.assertCode(grpc.StatusCode.FAILED_PRECONDITION,
                            self.delegations.RenewDelegation,
                            authn_pb2.RenewDelegationRequest(
                                delegation_id=delegation_id),
                            metadata=self.holder(), timeout=10)
        self.assertCode(grpc.StatusCode.INVALID_ARGUMENT,
                        self.delegations.EndDelegations,
                        authn_pb2.EndDelegationsRequest(
                            delegation_ids=[missing] * 1001),
                        metadata=self.holder(), timeout=10)

    def test_a_revoked_api_key_makes_renewal_fail(self):
        token = SUITE.token("erin", scopes="api_keys:write api_keys:delete memories:read")
        key = self.authn.CreateApiKey(
            authn_pb2.CreateApiKeyRequest(name="runs", scopes=["memories:read"]),
            metadata=bearer(token), timeout=10)
        grant = self.exchange(self.assertion_of(key.secret), "run-key")
        renew = authn_pb2.RenewDelegationRequest(delegation_id=grant.delegation_id)
        self.delegations.RenewDelegation(renew, metadata=self.holder(), timeout=10)

        self.authn.RevokeApiKey(authn_pb2.RevokeApiKeyRequest(key_id=key.key.key_id),
                                metadata=bearer(token), timeout=10)
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION,
                        self.delegations.RenewDelegation, renew,
                        metadata=self.holder(), timeout=10)
        self.assertEqual(SUITE.query(
            "SELECT end_reason FROM bastion_authn.delegations "
            "WHERE delegation_id = %s", (grant.delegation_id,)), [("revoked",)])

    def test_a_delegation_for_run_r_reaches_neither_run_s_nor_another_user(self):
        frank = self.assertion_of(SUITE.token("frank"))
        gina = self.assertion_of(SUITE.token("gina"))
        for run_id in ("frank-R", "frank-S"):
            self.create_run(frank, run_id)
        self.create_run(gina, "gina-G")
        grant = self.exchange(frank, "frank-R")
        as_run = self.holder(grant.delegation)

        self.assertEqual(self.get_run(as_run, "frank-R").run.run_id, "frank-R")
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.get_run, as_run, "frank-S")
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.get_run, as_run, "gina-G")
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.runs.UpdateRun,
                        data_pb2.UpdateRunRequest(
                            run_id="frank-S", status=common_pb2.RUN_STATUS_CANCELLED),
                        metadata=as_run, timeout=10)
        listed = self.runs.ListRuns(data_pb2.ListRunsRequest(), metadata=as_run,
                                    timeout=10)
        self.assertEqual([r.run_id for r in listed.runs], ["frank-R"])
        # Bound to gina's run id, frank's delegation still sees only frank.
        other = self.exchange(frank, "gina-G")
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.get_run,
                        self.holder(other.delegation), "gina-G")
        # run S is untouched.
        self.assertEqual(self.get_run(self.holder(frank), "frank-S").run.status,
                         common_pb2.RUN_STATUS_RUNNING)

    def test_only_the_holder_can_use_a_delegation(self):
        hana = self.assertion_of(SUITE.token("hana", scopes="memories:read"))
        self.create_run(hana, "hana-R")
        grant = self.exchange(hana, "hana-R")
        # A user holding the bytes: as a forwarded assertion, or as a token.
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.get_run,
                        [("x-bastion-principal-bin", grant.delegation)], "hana-R")
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.memories.ListMemories,
                        data_pb2.ListMemoriesRequest(),
                        metadata=[("x-bastion-principal-bin", grant.delegation)],
                        timeout=10)
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.memories.ListMemories,
                        data_pb2.ListMemoriesRequest(),
                        metadata=bearer(grant.delegation.hex()), timeout=10)
        # Another trusted service.
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.get_run,
                        self.other_service(grant.delegation), "hana-R")
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.memories.ListMemories,
                        data_pb2.ListMemoriesRequest(),
                        metadata=self.other_service(grant.delegation), timeout=10)
        for call, request in (
                (self.delegations.RenewDelegation, authn_pb2.RenewDelegationRequest(
                    delegation_id=grant.delegation_id)),
                (self.delegations.EndDelegation, authn_pb2.EndDelegationRequest(
                    delegation_id=grant.delegation_id)),
                (self.delegations.EndDelegations, authn_pb2.EndDelegationsRequest(
                    delegation_ids=[grant.delegation_id]))):
            # Delegations are not among its granted methods.
            self.assertCode(grpc.StatusCode.PERMISSION_DENIED, call, request,
                            metadata=self.other_service(), timeout=10)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED,
                        self.delegations.ExchangeForRun,
                        authn_pb2.ExchangeForRunRequest(run_id="hana-S"),
                        metadata=self.other_service(hana), timeout=10)
        # A delegation is never exchanged for another run.
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED,
                        self.delegations.ExchangeForRun,
                        authn_pb2.ExchangeForRunRequest(run_id="hana-S"),
                        metadata=self.holder(grant.delegation), timeout=10)
        # None of it ended the holder's delegation.
        self.delegations.RenewDelegation(
            authn_pb2.RenewDelegationRequest(delegation_id=grant.delegation_id),
            metadata=self.holder(), timeout=10)

    def test_a_schedule_grant_runs_as_its_creator_until_its_key_is_revoked(self):
        token = SUITE.token("ivan", scopes="api_keys:write api_keys:delete "
                            "memories:read memories:write")
        key = self.authn.CreateApiKey(
            authn_pb2.CreateApiKeyRequest(name="nightly", scopes=["memories:read"]),
            metadata=bearer(token), timeout=10)
        ivan = self.assertion_of(key.secret)
        schedule = authn_pb2.ExchangeForScheduleRequest(schedule_id="sched-ivan")
        # No other service may ask, and no delegation is exchanged for one.
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED,
                        self.delegations.ExchangeForSchedule, schedule,
                        metadata=self.other_service(ivan), timeout=10)
        run_grant = self.exchange(ivan, "ivan-R")
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED,
                        self.delegations.ExchangeForSchedule, schedule,
                        metadata=self.holder(run_grant.delegation), timeout=10)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED,
                        self.delegations.ExchangeForSchedule,
                        authn_pb2.ExchangeForScheduleRequest(
                            schedule_id="sched-ivan", scopes=["memories:write"]),
                        metadata=self.holder(ivan), timeout=10)
        grant = self.delegations.ExchangeForSchedule(
            schedule, metadata=self.holder(ivan), timeout=10)
        self.assertTrue(grant.grant_id.startswith("sgr_"))
        # The grant is no credential.
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.memories.ListMemories,
                        data_pb2.ListMemoriesRequest(),
                        metadata=bearer(grant.grant_id), timeout=10)

        fire = authn_pb2.ExchangeScheduleForRunRequest(grant_id=grant.grant_id,
                                                       run_id="ivan-S1")
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED,
                        self.delegations.ExchangeScheduleForRun, fire,
                        metadata=self.other_service(), timeout=10)
        self.create_run(ivan, "ivan-S1")
        scheduled = self.delegations.ExchangeScheduleForRun(
            fire, metadata=self.holder(), timeout=10)
        as_run = self.holder(scheduled.delegation)
        self.assertEqual(self.get_run(as_run, "ivan-S1").run.user_id, "ivan")
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.get_run, as_run, "ivan-R")
        # The key's scopes, no more.
        self.memories.ListMemories(data_pb2.ListMemoriesRequest(),
                                   metadata=as_run, timeout=10)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, self.memories.CreateMemory,
                        data_pb2.CreateMemoryRequest(memory_id="m-ivan", text="x"),
                        metadata=as_run, timeout=10)
        self.delegations.RenewDelegation(
            authn_pb2.RenewDelegationRequest(delegation_id=scheduled.delegation_id),
            metadata=self.holder(), timeout=10)
        self.assertEqual(SUITE.query(
            "SELECT schedule_grant_id FROM bastion_authn.delegations "
            "WHERE delegation_id = %s", (scheduled.delegation_id,)),
            [(grant.grant_id,)])

        # The key is revoked: the schedule runs no more.
        self.authn.RevokeApiKey(authn_pb2.RevokeApiKeyRequest(key_id=key.key.key_id),
                                metadata=bearer(token), timeout=10)
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION,
                        self.delegations.ExchangeScheduleForRun,
                        authn_pb2.ExchangeScheduleForRunRequest(
                            grant_id=grant.grant_id, run_id="ivan-S2"),
                        metadata=self.holder(), timeout=10)
        self.assertEqual(SUITE.query(
            "SELECT end_reason FROM bastion_authn.schedule_grants "
            "WHERE grant_id = %s", (grant.grant_id,)), [("revoked",)])

    def test_an_ended_schedule_grant_issues_nothing(self):
        jo = self.assertion_of(SUITE.token("jo", scopes="memories:read"))
        grant = self.delegations.ExchangeForSchedule(
            authn_pb2.ExchangeForScheduleRequest(schedule_id="sched-jo"),
            metadata=self.holder(jo), timeout=10)
        end = authn_pb2.EndScheduleGrantRequest(grant_id=grant.grant_id)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED,
                        self.delegations.EndScheduleGrant, end,
                        metadata=self.other_service(), timeout=10)
        ended = self.delegations.EndScheduleGrant(end, metadata=self.holder(),
                                                  timeout=10)
        self.assertEqual(self.delegations.EndScheduleGrant(
            end, metadata=self.holder(), timeout=10).ended_at_unix,
            ended.ended_at_unix)
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION,
                        self.delegations.ExchangeScheduleForRun,
                        authn_pb2.ExchangeScheduleForRunRequest(
                            grant_id=grant.grant_id, run_id="jo-S1"),
                        metadata=self.holder(), timeout=10)


if __name__ == "__main__":
    bastion_suite.main()
