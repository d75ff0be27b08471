#!/usr/bin/python3
"""Schedules through the real services: create, list, get, update, delete
and trigger one's own schedules; another user's schedule is NOT_FOUND; a
schedule of an agent its creator may not run is refused; a schedule does
not outlive its creator's permission (a role change that takes the agent's
run permission away fails the firing with a clear message, audits it and
disables the schedule) nor its credential (a revoked API key ends its
grant); and two run-executor replicas fire a due schedule once, however
many windows were missed. Every scheduled run acts through a delegation of
the schedule's grant, bound to that run.
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
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None
AGENT = common_pb2.COMPONENT_TYPE_AGENT
# A scheduled run starts a session of its own, as its creator: the role
# grants what a run needs besides the component's run permission.
SCHEDULER_SCOPES = ["schedules:read", "schedules:write", "schedules:delete",
                    "schedules:run", "runs:read", "sessions:read", "sessions:write"]


def setUpModule() -> None:
    global SUITE
    # Replicas look for due schedules every 200 ms.
    SUITE = Suite.started(run_executor_config={"scheduler": {"pollIntervalMs": 200}})
    SUITE.launch_replica("run_executor#2")


def tearDownModule() -> None:
    SUITE.stop()


class SchedulesIntegrationTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.channel = grpc.insecure_channel(SUITE.addresses["run_executor"])
        cls.authz_channel = grpc.insecure_channel(SUITE.addresses["authz"])
        cls.schedules = runs_pb2_grpc.SchedulesStub(cls.channel)
        cls.runs = runs_pb2_grpc.RunsStub(cls.channel)
        cls.authz = authz_pb2_grpc.AuthzStub(cls.authz_channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.authz_channel.close()

    def put_role(self, tenant: str, scopes: list) -> None:
        """Sets the tenant's custom role "echo_scheduler" (as its owner)."""
        owner = bearer(SUITE.token("owner", tenant=tenant, roles="owner"))
        self.authz.PutRole(authz_pb2.PutRoleRequest(role=authz_pb2.Role(
            name="echo_scheduler", scopes=scopes)), metadata=owner, timeout=10)

    def user(self, sub: str, tenant: str):
        return bearer(SUITE.token(sub, tenant=tenant, roles="echo_scheduler"))

    def create(self, who, cron: str = "0 9 * * *", timezone: str = "",
               agent: str = "echo", **fields):
        return self.schedules.CreateSchedule(runs_pb2.CreateScheduleRequest(
            schedule=runs_pb2.Schedule(cron=cron, timezone=timezone,
                                       component_type=AGENT, component_id=agent,
                                       input="hello from a schedule",
                                       enabled=True, **fields)),
            metadata=who, timeout=10)

    def assertCode(self, code, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.code(), code, caught.exception.details())
        return caught.exception

    def wait_run(self, who, run_id: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while True:
            run = self.runs.GetRun(runs_pb2.GetRunRequest(run_id=run_id),
                                   metadata=who, timeout=10)
            if run.status == common_pb2.RUN_STATUS_COMPLETED or \
                    time.monotonic() > deadline:
                return run
            time.sleep(0.2)

    def test_create_list_get_update_delete_and_trigger_own_schedules(self):
        tenant = "sched-crud"
        self.put_role(tenant, SCHEDULER_SCOPES + ["agents:echo:run"])
        ann = self.user("ann", tenant)
        created = self.create(ann, timezone="Europe/Paris")
        self.assertEqual(created.user_id, "ann")
        self.assertEqual(created.tenant_id, tenant)
        self.assertEqual(created.timezone, "Europe/Paris")
        self.assertGreater(created.next_run_at_unix, int(time.time()))
        got = self.schedules.GetSchedule(runs_pb2.GetScheduleRequest(
            schedule_id=created.schedule_id), metadata=ann, timeout=10)
        self.assertEqual(got, created)
        listed = self.schedules.ListSchedules(runs_pb2.ListSchedulesRequest(),
                                              metadata=ann, timeout=10)
        self.assertEqual([s.schedule_id for s in listed.schedules],
                         [created.schedule_id])
        updated = self.schedules.UpdateSchedule(runs_pb2.UpdateScheduleRequest(
            schedule_id=created.schedule_id, schedule=runs_pb2.Schedule(
                cron="*/5 * * * *", timezone="UTC", input="updated",
                enabled=False)), metadata=ann, timeout=10)
        self.assertEqual((updated.cron, updated.timezone, updated.input,
                          updated.enabled),
                         ("*/5 * * * *", "UTC", "updated", False))
        self.assertLessEqual(updated.next_run_at_unix, int(time.time()) + 300)

        triggered = self.schedules.TriggerSchedule(runs_pb2.TriggerScheduleRequest(
            schedule_id=created.schedule_id), metadata=ann, timeout=30)
        run = self.wait_run(ann, triggered.run_id)
        self.assertEqual(run.status, common_pb2.RUN_STATUS_COMPLETED)
        self.assertEqual(run.user_id, "ann")
        # The run acted through a delegation bound to it, from the
        # schedule's grant.
        rows = SUITE.query(
            "SELECT d.user_id, d.run_id FROM bastion_authn.delegations d "
            "JOIN bastion_data.runs r ON r.delegation_id = d.delegation_id "
            "WHERE r.run_id = %s", (triggered.run_id,))
        self.assertEqual([tuple(r) for r in rows], [("ann", triggered.run_id)])

        self.schedules.DeleteSchedule(runs_pb2.DeleteScheduleRequest(
            schedule_id=created.schedule_id), metadata=ann, timeout=10)
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.schedules.GetSchedule,
                        runs_pb2.GetScheduleRequest(schedule_id=created.schedule_id),
                        metadata=ann, timeout=10)

    def test_invalid_cron_or_zone_is_invalid_argument(self):
        tenant = "sched-invalid"
        self.put_role(tenant, SCHEDULER_SCOPES + ["agents:echo:run"])
        ann = self.user("ann", tenant)
        error = self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.create,
                                ann, cron="61 * * * *")
        self.assertIn("minute", error.details())
        error = self.assertCode(grpc.StatusCode.INVALID_ARGUMENT, self.create,
                                ann, timezone="Mars/Olympus_Mons")
        self.assertIn("Mars/Olympus_Mons", error.details())

    def test_another_users_schedule_is_not_found(self):
        tenant = "sched-isolation"
        self.put_role(tenant, SCHEDULER_SCOPES + ["agents:echo:run"])
        ann, ben = self.user("ann", tenant), self.user("ben", tenant)
        mine = self.create(ann)
        listed = self.schedules.ListSchedules(runs_pb2.ListSchedulesRequest(),
                                              metadata=ben, timeout=10)
        self.assertEqual(list(listed.schedules), [])
        for call, request in (
                (self.schedules.GetSchedule,
                 runs_pb2.GetScheduleRequest(schedule_id=mine.schedule_id)),
                (self.schedules.UpdateSchedule,
                 runs_pb2.UpdateScheduleRequest(schedule_id=mine.schedule_id,
                                                schedule=runs_pb2.Schedule())),
                (self.schedules.TriggerSchedule,
                 runs_pb2.TriggerScheduleRequest(schedule_id=mine.schedule_id)),
                (self.schedules.DeleteSchedule,
                 runs_pb2.DeleteScheduleRequest(schedule_id=mine.schedule_id))):
            self.assertCode(grpc.StatusCode.NOT_FOUND, call, request,
                            metadata=ben, timeout=10)
        self.schedules.GetSchedule(runs_pb2.GetScheduleRequest(
            schedule_id=mine.schedule_id), metadata=ann, timeout=10)

    def test_a_member_cannot_schedule_an_agent_it_may_not_run(self):
        tenant = "sched-denied"
        # The role lets its holders schedule, and run the echo agent alone.
        self.put_role(tenant, SCHEDULER_SCOPES + ["agents:echo:run"])
        ann = self.user("ann", tenant)
        error = self.assertCode(grpc.StatusCode.PERMISSION_DENIED, self.create,
                                ann, agent="ops")
        self.assertIn("agents:ops", error.details())
        listed = self.schedules.ListSchedules(runs_pb2.ListSchedulesRequest(),
                                              metadata=ann, timeout=10)
        self.assertEqual(list(listed.schedules), [])

    def test_a_schedule_does_not_outlive_its_creators_permission(self):
        tenant = "sched-revoked"
        self.put_role(tenant, SCHEDULER_SCOPES + ["agents:echo:run"])
        ann = self.user("ann", tenant)
        created = self.create(ann)
        # The role no longer grants the agent's run permission.
        self.put_role(tenant, SCHEDULER_SCOPES)
        error = self.assertCode(
            grpc.StatusCode.PERMISSION_DENIED, self.schedules.TriggerSchedule,
            runs_pb2.TriggerScheduleRequest(schedule_id=created.schedule_id),
            metadata=ann, timeout=30)
        self.assertIn("may no longer run agents:echo", error.details())
        # The firing left a failed run saying why, and stopped the schedule.
        run_id = error.details().split("(run ")[1].split(" ")[0]
        run = self.runs.GetRun(runs_pb2.GetRunRequest(run_id=run_id),
                               metadata=ann, timeout=10)
        self.assertEqual(run.status, common_pb2.RUN_STATUS_FAILED)
        self.assertIn("may no longer run agents:echo", run.error)
        got = self.schedules.GetSchedule(runs_pb2.GetScheduleRequest(
            schedule_id=created.schedule_id), metadata=ann, timeout=10)
        self.assertFalse(got.enabled)
        expected = ("schedules.refused", "ann", "/bastion.runs.v1.Schedules/fire")
        deadline = time.monotonic() + 20
        while expected not in SUITE.audit_actions(tenant) and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertIn(expected, SUITE.audit_actions(tenant))

    def test_a_revoked_api_key_ends_its_schedules(self):
        tenant = "sched-key"
        self.put_role(tenant, SCHEDULER_SCOPES + ["agents:echo:run"])
        ann = self.user("ann", tenant)
        scopes = SCHEDULER_SCOPES + ["agents:echo:run"]
        owner = bearer(SUITE.token("ann", tenant=tenant, roles="echo_scheduler",
                                   scopes=" ".join(scopes + ["api_keys:write",
                                                             "api_keys:delete"])))
        channel = grpc.insecure_channel(SUITE.addresses["authn"])
        self.addCleanup(channel.close)
        authn = authn_pb2_grpc.AuthnStub(channel)
        key = authn.CreateApiKey(authn_pb2.CreateApiKeyRequest(
            name="nightly", scopes=scopes), metadata=owner, timeout=10)
        with_key = bearer(key.secret)
        created = self.create(with_key)
        triggered = self.schedules.TriggerSchedule(runs_pb2.TriggerScheduleRequest(
            schedule_id=created.schedule_id), metadata=with_key, timeout=30)
        self.assertEqual(self.wait_run(ann, triggered.run_id).status,
                         common_pb2.RUN_STATUS_COMPLETED)
        authn.RevokeApiKey(authn_pb2.RevokeApiKeyRequest(key_id=key.key.key_id),
                           metadata=owner, timeout=10)
        # The owner triggers it with a token: the schedule still acts only
        # as the key it was made with, which is gone.
        error = self.assertCode(
            grpc.StatusCode.FAILED_PRECONDITION, self.schedules.TriggerSchedule,
            runs_pb2.TriggerScheduleRequest(schedule_id=created.schedule_id),
            metadata=ann, timeout=30)
        self.assertIn("grant ended", error.details())
        got = self.schedules.GetSchedule(runs_pb2.GetScheduleRequest(
            schedule_id=created.schedule_id), metadata=ann, timeout=10)
        self.assertFalse(got.enabled)

    def test_two_replicas_fire_a_due_schedule_once_after_missed_windows(self):
        tenant = "sched-fire"
        self.put_role(tenant, SCHEDULER_SCOPES + ["agents:echo:run", "runs:read"])
        ann = self.user("ann", tenant)
        created = self.create(ann, cron="*/5 * * * *")
        # Both replicas were away for three days: hundreds of 5-minute
        # windows were missed.
        SUITE.query("UPDATE bastion_data.schedules SET next_run_at = now() - "
                    "interval '3 days' WHERE schedule_id = %s",
                    (created.schedule_id,))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            due = SUITE.query("SELECT next_run_at > now() FROM bastion_data.schedules "
                              "WHERE schedule_id = %s", (created.schedule_id,))[0][0]
            if due:
                break
            time.sleep(0.2)
        # Several more polls of both replicas.
        time.sleep(2)
        runs = SUITE.query("SELECT run_id, delegation_id FROM bastion_data.runs "
                           "WHERE tenant_id = %s AND user_id = 'ann'", (tenant,))
        self.assertEqual(len(runs), 1, runs)
        run_id, delegation_id = runs[0]
        self.assertTrue(delegation_id.startswith("dlg_"))
        self.assertEqual(self.wait_run(ann, run_id).status,
                         common_pb2.RUN_STATUS_COMPLETED)
        got = self.schedules.GetSchedule(runs_pb2.GetScheduleRequest(
            schedule_id=created.schedule_id), metadata=ann, timeout=10)
        self.assertTrue(got.enabled)
        self.assertGreater(got.next_run_at_unix, int(time.time()))
        self.assertLessEqual(got.next_run_at_unix, int(time.time()) + 300)
        # Exactly one replica fired it, once.
        fired = [(name, line) for name in ("run_executor", "run_executor#2")
                 for line in SUITE.log(name).splitlines()
                 if '"schedule_fired"' in line and run_id in line]
        self.assertEqual(len(fired), 1, fired)


if __name__ == "__main__":
    bastion_suite.main()
