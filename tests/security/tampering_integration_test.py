#!/usr/bin/python3
"""Tampering with traces and the audit log, against the real data service
and its real database:

  an RPC that changes or removes spans or audit events    none exists
  UPDATE / DELETE / TRUNCATE as the service role          refused (42501)
  ... as the owner role                                   refused by trigger (42501)
  the owner disables the trigger and edits, deletes or    GetTrace answers
    reorders spans                                         chain_valid = false,
                                                           naming the first bad span

Spans are appended as the real run-executor would (its trusted service
assertion plus the user's forwarded assertion); traces are read back by
their owner through the public edge.
"""

import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import Suite, bearer  # noqa: E402
import edge  # noqa: E402

import grpc  # noqa: E402
import psycopg2  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402

# PostgreSQL's insufficient_privilege: a missing grant, or the append_only
# trigger (bastion_data.refuse_change).
INSUFFICIENT_PRIVILEGE = "42501"
# Verbs of the RPCs that may touch spans and audit events.
APPEND_ONLY_VERBS = ("Append", "Get", "List")

SUITE = None
CHANNELS = {}
TENANT, USER = "t1", "alice"
# What data's principal transactions set first (common/pg/
# principal_transaction.h), here for the widest principal: row security
# then shows every row, so only grants and triggers stand in the way.
PLATFORM_SETTINGS = ("SELECT set_config('bastion.tenant_id', %s, true),"
                     " set_config('bastion.user_id', %s, true),"
                     " set_config('bastion.admin_level', 'platform', true)")


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()
    for binary in ("authn", "data"):
        CHANNELS[binary] = grpc.insecure_channel(SUITE.addresses[binary])


def tearDownModule() -> None:
    for channel in CHANNELS.values():
        channel.close()
    SUITE.stop()


def alice_token() -> str:
    return edge.token(SUITE, USER, TENANT, roles=("member",))


def append_trace(trace_id: str, spans: int = 3) -> None:
    """alice's trace of `spans` spans, appended as run-executor does."""
    assertion = authn_pb2_grpc.AuthnStub(CHANNELS["authn"]).Authenticate(
        authn_pb2.AuthenticateRequest(credential=alice_token()), timeout=10).assertion
    request = data_pb2.AppendSpansRequest(spans=[
        data_pb2.Span(trace_id=trace_id, span_id=f"s{n}", name=f"step {n}",
                      parent_span_id="s1" if n > 1 else "",
                      start_time_unix_nano=1700000000000000000 + n * 1000,
                      attributes_json='{"tool": "calculator"}')
        for n in range(1, spans + 1)])
    data_pb2_grpc.TracesStub(CHANNELS["data"]).AppendSpans(
        request, timeout=10, metadata=[("x-bastion-principal-bin", assertion),
                                       ("x-bastion-service-bin", SUITE.service_assertion())])


def get_trace(trace_id: str) -> data_pb2.GetTraceResponse:
    return data_pb2_grpc.TracesStub(CHANNELS["data"]).GetTrace(
        data_pb2.GetTraceRequest(trace_id=trace_id), metadata=bearer(alice_token()),
        timeout=10)


def audit_an_admin_read() -> None:
    """An audit event: a tenant owner reads alice's session."""
    sessions = data_pb2_grpc.SessionsStub(CHANNELS["data"])
    created = sessions.CreateSession(data_pb2.CreateSessionRequest(
        component_type=1, component_id="echo"), metadata=bearer(alice_token()), timeout=10)
    sessions.GetSession(data_pb2.GetSessionRequest(session_id=created.session_id),
                        metadata=bearer(edge.token(SUITE, "olga", TENANT, roles=("owner",))),
                        timeout=10)


class TamperingTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        append_trace("kept")
        audit_an_admin_read()

    def refused(self, role: str, statements, settings: bool = False):
        """Runs each statement in a transaction of its own as `role` (after
        the service's own principal settings for a platform admin, the
        widest, when `settings`); returns {statement: (SQLSTATE, message)}
        of each refusal and fails for any statement that went through."""
        connection = SUITE.connect(role)
        connection.autocommit = False
        self.addCleanup(connection.close)
        outcomes = {}
        for statement in statements:
            with connection.cursor() as cursor:
                try:
                    if settings:
                        cursor.execute(PLATFORM_SETTINGS, (TENANT, USER))
                    cursor.execute(statement)
                    connection.rollback()
                    self.fail(f"{role} could run: {statement}")
                except psycopg2.Error as error:
                    connection.rollback()
                    outcomes[statement] = (error.pgcode, error.pgerror)
        return outcomes

    def test_no_rpc_changes_or_removes_spans_or_audit_events(self):
        services = ("Traces", "AuditLog", "AuditWriter")
        names = [name for binary, name, _ in edge.every_method(("data",))
                 if name.split("/")[0] in services]
        self.assertGreaterEqual(len(names), 5)
        for name in names:
            with self.subTest(rpc=name):
                self.assertTrue(name.split("/")[1].startswith(APPEND_ONLY_VERBS), name)

    def test_the_service_role_cannot_change_spans_or_audit_events(self):
        before = SUITE.table_digests()
        for table in ("spans", "audit_events"):
            statements = [
                f"UPDATE bastion_data.{table} SET tenant_id = tenant_id",
                f"DELETE FROM bastion_data.{table}",
                f"TRUNCATE bastion_data.{table}",
                f"ALTER TABLE bastion_data.{table} DISABLE TRIGGER append_only",
                f"DROP TRIGGER append_only ON bastion_data.{table}",
            ]
            for settings in (False, True):
                with self.subTest(table=table, principal_settings=settings):
                    outcomes = self.refused("bastion_data_svc", statements, settings)
                    self.assertEqual({s: o[0] for s, o in outcomes.items()},
                                     dict.fromkeys(statements, INSUFFICIENT_PRIVILEGE))
        self.assertEqual(SUITE.table_digests(), before)

    def test_the_owner_role_is_refused_by_the_append_only_triggers(self):
        before = SUITE.table_digests()
        for table in ("spans", "audit_events"):
            statements = [f"UPDATE bastion_data.{table} SET tenant_id = tenant_id",
                          f"DELETE FROM bastion_data.{table}",
                          f"TRUNCATE bastion_data.{table}"]
            with self.subTest(table=table):
                outcomes = self.refused("bastion_owner", statements, settings=True)
                for statement, (code, message) in outcomes.items():
                    self.assertEqual(code, INSUFFICIENT_PRIVILEGE, statement)
                    self.assertIn("append-only", message, statement)
        self.assertEqual(SUITE.table_digests(), before)

    def tamper_as_owner(self, trace_id: str, *statements: str) -> None:
        """Runs `statements` ({where} names alice's trace `trace_id`) as the
        owner role, with the append-only trigger off for that transaction
        and the settings row security needs to show the rows."""
        connection = SUITE.connect("bastion_owner")
        connection.autocommit = False
        try:
            with connection.cursor() as cursor:
                cursor.execute(PLATFORM_SETTINGS, (TENANT, USER))
                cursor.execute("ALTER TABLE bastion_data.spans DISABLE TRIGGER append_only")
                for statement in statements:
                    cursor.execute(statement.format(
                        where=f"tenant_id = '{TENANT}' AND trace_id = '{trace_id}'"))
                cursor.execute("ALTER TABLE bastion_data.spans ENABLE TRIGGER append_only")
            connection.commit()
        finally:
            connection.close()

    def test_the_hash_chain_reveals_what_the_owner_changed(self):
        update = "UPDATE bastion_data.spans s SET {change} WHERE {{where}} AND seq = {seq}"
        cases = (
            # (what the owner does, the first span GetTrace reports as bad)
            ("a name edited", (update.format(change="name = 'harmless'", seq=2),), 2),
            ("attributes edited", (update.format(
                change="attributes = '{{\"tool\": \"shell\"}}'", seq=2),), 2),
            ("an error hidden", (update.format(change="status_code = 'ok'", seq=1),), 1),
            ("a start time moved", (update.format(
                change="start_time = start_time - interval '1 hour'", seq=3),), 3),
            ("a middle span removed",
             ("DELETE FROM bastion_data.spans WHERE {where} AND seq = 2",), 3),
            ("two spans swapped", (update.format(change="seq = -2", seq=2),
                                   update.format(change="seq = 2", seq=3),
                                   update.format(change="seq = 3", seq=-2)), 2),
            ("an edit with its own hash recomputed", (
                update.format(change="name = 'harmless'", seq=2),
                update.format(change="hash = sha256(s.prev_hash || "
                                     "bastion_data.span_canonical(s))", seq=2)), 3),
        )
        for n, (case, statements, first_invalid) in enumerate(cases):
            trace_id = f"tampered-{n}"
            with self.subTest(case=case):
                append_trace(trace_id)
                intact = get_trace(trace_id)
                self.assertEqual((intact.chain_valid, intact.first_invalid_seq), (True, 0))
                self.tamper_as_owner(trace_id, *statements)
                after = get_trace(trace_id)
                self.assertEqual((after.chain_valid, after.first_invalid_seq),
                                 (False, first_invalid))
        # The trigger is back: the owner is refused again.
        self.assertIn("append-only", self.refused("bastion_owner", [
            "DELETE FROM bastion_data.spans"], settings=True)[
                "DELETE FROM bastion_data.spans"][1])


if __name__ == "__main__":
    bastion_suite.main()
