#!/usr/bin/python3
"""Drives the `bastion` command-line client (//tools/cli:bastion) against the
real four services and PostgreSQL: login with a development token and with
an API key, the registry, sessions, memories, traces drawn as a tree, API
keys, schedules, cross-user reads answering "not found" with its exit code, every
documented exit code the suite can produce, --json output that parses,
--help for every command, and, under a pseudo-terminal, colours and a
hidden credential prompt (never in a pipe).
"""

import json
import os
import pathlib
import pty
import re
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import ISSUER, PY, RUNFILES, Suite  # noqa: E402

import grpc  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402

SUITE = None
BASTION = str(RUNFILES / "tools/cli/bastion")
# Documented exit codes (README "Command-line client").
OK, USAGE, UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, INVALID = 0, 2, 3, 4, 5, 6
UNAVAILABLE, CONFLICT = 7, 8
# A revoked API key is refused by the other services within this bound
# (see suite_integration_test.py); polled, never slept.
REVOCATION_BOUND_SECONDS = 1.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


class User:
    """One person at a terminal: their own configuration folder (so their
    own stored credential) and the suite's addresses in the environment."""

    def __init__(self, test: unittest.TestCase, name: str):
        self.name = name
        self.config = pathlib.Path(tempfile.mkdtemp(prefix=f"cli-{name}-", dir=SUITE.dir))
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("BASTION_") and key != "NO_COLOR"}
        self.env.update(BASTION_CONFIG_DIR=str(self.config),
                        BASTION_AUTHN_ADDR=SUITE.addresses["authn"],
                        BASTION_DATA_ADDR=SUITE.addresses["data"],
                        BASTION_RUNS_ADDR=SUITE.addresses["run_executor"])
        test.addCleanup(shutil.rmtree, self.config, True)

    def run(self, *args: str, stdin: str = "", env: dict = None) -> subprocess.CompletedProcess:
        return subprocess.run([BASTION, *args], input=stdin, capture_output=True, text=True,
                              env=dict(self.env, **(env or {})), timeout=60)

    def json(self, *args: str):
        done = self.run("--json", *args)
        if done.returncode != 0:
            raise AssertionError(f"bastion {' '.join(args)} exited {done.returncode}: "
                                 f"{done.stderr}")
        return json.loads(done.stdout)

    def login(self, tenant: str = "t1", roles: str = "member", scopes: str = "") -> None:
        args = ["login", "--dev-key", str(SUITE.dir / "keys/it.private.pem"),
                "--issuer", ISSUER, "--sub", self.name, "--tenant", tenant]
        args += [item for role in roles.split() for item in ("--role", role)]
        args += [item for scope in scopes.split() for item in ("--scope", scope)]
        done = self.run(*args)
        if done.returncode != 0:
            raise AssertionError(f"login of {self.name} failed: {done.stderr}")

    @property
    def credentials(self) -> pathlib.Path:
        return self.config / "credentials"


class CliIntegrationTest(unittest.TestCase):

    def assertExit(self, done: subprocess.CompletedProcess, code: int) -> None:
        self.assertEqual(done.returncode, code,
                         f"args={done.args[1:]}\nstdout={done.stdout}\nstderr={done.stderr}")

    def test_help_for_every_command_exits_zero(self):
        user = User(self, "helper")
        top = user.run("--help")
        self.assertExit(top, OK)
        section = top.stdout.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
        commands = [re.split(r"\s{2,}", line.strip())[0] for line in section.splitlines()]
        self.assertLessEqual(
            {"login", "logout", "whoami", "agents list", "agents show", "teams list",
             "teams show", "workflows list", "workflows show", "sessions list",
             "sessions show", "memories list", "memories show", "traces list", "traces show",
             "keys create", "keys list", "keys revoke", "keys rotate"}, set(commands))
        for command in commands:
            with self.subTest(command=command):
                done = user.run(*command.split(), "--help")
                self.assertExit(done, OK)
                self.assertIn(f"Usage:\n  bastion {command}", done.stdout)
        for group in sorted({c.split()[0] for c in commands if " " in c}):
            with self.subTest(group=group):
                self.assertExit(user.run(group, "--help"), OK)
        self.assertIn("Exit codes:", top.stdout)
        self.assertFalse(user.credentials.exists())

    def test_login_with_a_dev_token_stores_it_0600_and_whoami_asks_authn(self):
        alice = User(self, "alice")
        alice.login(roles="member")
        mode = stat.S_IMODE(alice.credentials.stat().st_mode)
        self.assertEqual(mode, 0o600)
        self.assertEqual(stat.S_IMODE(alice.config.stat().st_mode) & 0o077, 0)
        who = alice.json("whoami")
        self.assertEqual((who["subject"], who["tenantId"], who["roles"],
                          who["credentialKind"]),
                         ("alice", "t1", ["member"], "CREDENTIAL_KIND_JWT"))
        human = alice.run("whoami")
        self.assertExit(human, OK)
        self.assertRegex(human.stdout, r"Subject:\s+alice")
        # A file others could read is refused, not used.
        alice.credentials.chmod(0o644)
        refused = alice.run("whoami")
        self.assertExit(refused, INVALID)
        self.assertIn("chmod 600", refused.stderr)
        self.assertExit(alice.run("logout"), OK)
        self.assertFalse(alice.credentials.exists())
        self.assertExit(alice.run("sessions", "list"), UNAUTHENTICATED)

    def test_login_refuses_a_token_authn_does_not_trust(self):
        mallory = User(self, "mallory")
        keys = SUITE.dir / f"rogue-{uuid.uuid4().hex[:6]}"
        subprocess.run([PY, str(RUNFILES / "tools/keygen.py"), "--type", "ed25519",
                        "--kid", "it", "--out", str(keys)], check=True, capture_output=True)
        done = mallory.run("login", "--dev-key", str(keys / "it.private.pem"),
                           "--issuer", ISSUER, "--sub", "alice", "--tenant", "t1")
        self.assertExit(done, UNAUTHENTICATED)
        self.assertFalse(mallory.credentials.exists())
        # Pasted garbage never gets stored either.
        self.assertExit(mallory.run("login", stdin="hunter2\n"), INVALID)
        self.assertFalse(mallory.credentials.exists())

    def test_registry_lists_and_shows_agents_teams_and_workflows(self):
        user = User(self, "reader")
        user.login(roles="member")
        listed = user.run("agents", "list")
        self.assertExit(listed, OK)
        self.assertRegex(listed.stdout, r"(?m)^ID\s+NAME\s+MODEL")
        self.assertRegex(listed.stdout, r"(?m)^echo\s+Echo\s+scripted:echo")
        self.assertIn("echo", [a["agentId"] for a in user.json("agents", "list")["agents"]])
        shown = user.run("agents", "show", "ops")
        self.assertExit(shown, OK)
        self.assertRegex(shown.stdout, r"(?m)^TOOL\s+CONFIRM\s+APPROVAL")
        self.assertEqual(user.json("agents", "show", "echo")["model"], "scripted:echo")
        self.assertExit(user.run("agents", "show", "no-such-agent"), NOT_FOUND)
        self.assertEqual(user.json("teams", "show", "duo")["memberAgentIds"], ["echo", "ops"])
        self.assertIn("duo", user.run("teams", "list").stdout)
        workflow = user.run("workflows", "show", "triage")
        self.assertExit(workflow, OK)
        self.assertRegex(workflow.stdout, r"(?m)^2\s+act\s+team/duo$")
        self.assertEqual([w["workflowId"] for w in user.json("workflows", "list")["workflows"]],
                         ["brief", "triage"])

    def test_a_run_streams_to_completion_and_stays_its_owners(self):
        alice, bob = User(self, "alice"), User(self, "bob")
        # The member role grants no tool; the calculator has its own scope.
        alice.login(roles="member", scopes="tools:calculator:run")
        bob.login(roles="member")
        done = alice.run("--json", "run", "agent", "calculator", "6*7", "--no-prompt")
        self.assertExit(done, OK)
        events = [json.loads(line) for line in done.stdout.splitlines()]
        self.assertIn("started", events[0])
        self.assertIn("completed", events[-1])
        self.assertIn("42", events[-1]["completed"]["output"])
        seqs = [int(event.get("seq", 0)) for event in events]
        self.assertEqual(seqs, sorted(set(seqs)))
        run_id = events[0]["runId"]
        # Human output of the same kind of run ends saying how it ended.
        shown = alice.run("run", "agent", "calculator", "2+3", "--no-prompt")
        self.assertExit(shown, OK)
        self.assertIn("5", shown.stdout)
        self.assertEqual(alice.json("runs", "show", run_id)["runId"], run_id)
        # Someone else's run is not there for bob, whatever he asks.
        for args in (("runs", "show", run_id), ("runs", "stream", run_id),
                     ("cancel", run_id)):
            self.assertExit(bob.run(*args), NOT_FOUND)
        self.assertNotIn(run_id, bob.run("--json", "runs", "list").stdout)

    def test_sessions_are_created_listed_and_hidden_from_other_users(self):
        alice, bob = User(self, "alice"), User(self, "bob")
        alice.login(roles="member")
        bob.login(roles="member")
        created = alice.json("sessions", "create", "--component-type", "agent",
                             "--component-id", "echo", "--name", "alice's notes",
                             "--state", '{"step": 1}')
        session_id = created["sessionId"]
        self.assertEqual((created["userId"], created["componentType"]),
                         ("alice", "COMPONENT_TYPE_AGENT"))
        listed = alice.json("sessions", "list")
        self.assertIn(session_id, [s["sessionId"] for s in listed["sessions"]])
        human = alice.run("sessions", "list")
        self.assertRegex(human.stdout, rf"(?m)^{session_id}\s+agent/echo\s+alice's notes\s+alice")
        shown = alice.run("sessions", "show", session_id)
        self.assertExit(shown, OK)
        self.assertRegex(shown.stdout, r'"step": 1')

        # Someone else's session: not found (exit 5), as if it did not exist.
        stranger = bob.run("sessions", "show", session_id)
        self.assertExit(stranger, NOT_FOUND)
        self.assertIn("not found", stranger.stderr)
        as_json = bob.run("--json", "sessions", "show", session_id)
        self.assertExit(as_json, NOT_FOUND)
        self.assertEqual(json.loads(as_json.stderr)["error"]["code"], "NOT_FOUND")
        self.assertNotIn(session_id, [s["sessionId"] for s in
                                      bob.json("sessions", "list").get("sessions", [])])
        self.assertExit(bob.run("sessions", "delete", session_id), NOT_FOUND)
        self.assertExit(alice.run("sessions", "show", session_id), OK)

        # Taking an id twice is a conflict; a state that is not JSON is invalid.
        fixed = f"cli-{uuid.uuid4().hex[:8]}"
        make = ("sessions", "create", "--component-type", "agent", "--component-id", "echo",
                "--id", fixed)
        self.assertExit(alice.run(*make), OK)
        self.assertExit(bob.run(*make), CONFLICT)
        self.assertExit(alice.run("sessions", "create", "--component-type", "agent",
                                  "--component-id", "echo", "--state", "not json"), INVALID)
        self.assertExit(alice.run("sessions", "delete", fixed), OK)
        self.assertExit(alice.run("sessions", "show", fixed), NOT_FOUND)

    def test_schedules_are_created_triggered_and_private(self):
        alice, bob = User(self, "alice"), User(self, "bob")
        alice.login(roles="member")
        bob.login(roles="member")
        created = alice.json("schedules", "create", "--cron", "0 9 * * 1-5",
                             "--timezone", "Europe/Paris", "--component-type", "agent",
                             "--component-id", "echo", "--input", "daily report")
        schedule_id = created["scheduleId"]
        self.assertEqual((created["userId"], created["timezone"]), ("alice", "Europe/Paris"))
        shown = alice.run("schedules", "show", schedule_id)
        self.assertExit(shown, OK)
        self.assertIn("0 9 * * 1-5 (Europe/Paris)", shown.stdout)
        self.assertIn(schedule_id, [s["scheduleId"] for s in
                                    alice.json("schedules", "list")["schedules"]])
        # A run made now, as alice, through the schedule's grant.
        run_id = alice.json("schedules", "trigger", schedule_id)["runId"]
        deadline = time.monotonic() + 30
        while alice.json("runs", "show", run_id)["status"] != "RUN_STATUS_COMPLETED":
            self.assertLess(time.monotonic(), deadline, "the triggered run did not complete")
            time.sleep(0.2)
        # Bob reaches none of it.
        for args in (("schedules", "show", schedule_id), ("schedules", "trigger", schedule_id),
                     ("schedules", "delete", schedule_id)):
            self.assertExit(bob.run(*args), NOT_FOUND)
        self.assertNotIn(schedule_id, bob.run("--json", "schedules", "list").stdout)
        # A zone that does not exist is invalid, and says which.
        bad = alice.run("schedules", "create", "--cron", "0 9 * * *", "--timezone",
                        "Mars/Olympus_Mons", "--component-type", "agent", "--component-id",
                        "echo")
        self.assertExit(bad, INVALID)
        self.assertIn("Mars/Olympus_Mons", bad.stderr)
        self.assertExit(alice.run("schedules", "delete", schedule_id), OK)
        self.assertExit(alice.run("schedules", "show", schedule_id), NOT_FOUND)

    def test_memories_are_created_listed_by_topic_and_private(self):
        alice, bob = User(self, "alice"), User(self, "bob")
        alice.login(roles="member")
        bob.login(roles="member")
        topic = f"t{uuid.uuid4().hex[:6]}"
        memory = alice.json("memories", "create", "--text", "Prefers tea\nwith lemon",
                            "--topic", topic, "--topic", "drinks")
        self.assertEqual(memory["topics"], [topic, "drinks"])
        by_topic = alice.json("memories", "list", "--topic", topic)["memories"]
        self.assertEqual([m["memoryId"] for m in by_topic], [memory["memoryId"]])
        table = alice.run("memories", "list", "--topic", topic)
        self.assertIn("Prefers tea\\nwith lemon", table.stdout)  # one row per memory
        shown = alice.run("memories", "show", memory["memoryId"])
        self.assertRegex(shown.stdout, r"Text:\s+Prefers tea\n\s+with lemon")
        self.assertExit(bob.run("memories", "show", memory["memoryId"]), NOT_FOUND)
        self.assertEqual(bob.json("memories", "list", "--topic", topic).get("memories", []), [])

    def test_traces_are_listed_and_drawn_as_a_tree(self):
        alice, bob = User(self, "alice"), User(self, "bob")
        alice.login(roles="member")
        bob.login(roles="member")
        trace_id = f"trace-{uuid.uuid4().hex[:8]}"
        self.append_spans("alice", trace_id, [
            # (span, parent, name, start ms, end ms, error)
            ("root", "", "run echo", 0, 90, False),
            ("model-1", "root", "model call", 5, 40, False),
            ("tool-1", "model-1", "tool calculator", 10, 30, True),
            ("answer", "root", "final answer", 50, 85, False),
        ])
        listed = alice.json("traces", "list")["traces"]
        summary = next(t for t in listed if t["traceId"] == trace_id)
        self.assertEqual((summary["spanCount"], summary["rootName"]), ("4", "run echo"))
        shown = alice.run("traces", "show", trace_id)
        self.assertExit(shown, OK)
        lines = shown.stdout.splitlines()
        self.assertRegex(lines[0], rf"Trace {trace_id}\s+4 spans\s+hash chain verified")
        # Each line: tree prefix and name, then the duration, status, span id.
        drawn = [re.match(r"^(.*?\S)\s{2,}(\d|open)", line).group(1) for line in lines[1:]]
        self.assertEqual(drawn, ["run echo", "├─ model call", "│  └─ tool calculator",
                                 "└─ final answer"])
        self.assertRegex(lines[3], r"tool calculator\s+20ms\s+error: tool failed")
        spans = alice.json("traces", "show", trace_id)
        self.assertTrue(spans["chainValid"])
        self.assertEqual([s["spanId"] for s in spans["spans"]],
                         ["root", "model-1", "tool-1", "answer"])
        self.assertExit(bob.run("traces", "show", trace_id), NOT_FOUND)
        self.assertNotIn(trace_id, [t["traceId"] for t in
                                    bob.json("traces", "list").get("traces", [])])

    def append_spans(self, user: str, trace_id: str, spans: list) -> None:
        """Appends spans as run-executor does: its service assertion plus the
        user's forwarded assertion (users cannot append spans themselves)."""
        with grpc.insecure_channel(SUITE.addresses["authn"]) as channel:
            assertion = authn_pb2_grpc.AuthnStub(channel).Authenticate(
                authn_pb2.AuthenticateRequest(credential=SUITE.token(user, roles="member")),
                timeout=10).assertion
        base = time.time_ns()
        request = data_pb2.AppendSpansRequest(spans=[
            data_pb2.Span(trace_id=trace_id, span_id=span_id, parent_span_id=parent, name=name,
                          start_time_unix_nano=base + start * 1_000_000,
                          end_time_unix_nano=base + end * 1_000_000,
                          status=data_pb2.SPAN_STATUS_ERROR if error else data_pb2.SPAN_STATUS_OK,
                          status_message="tool failed" if error else "",
                          attributes_json="{}")
            for span_id, parent, name, start, end, error in spans])
        with grpc.insecure_channel(SUITE.addresses["data"]) as channel:
            data_pb2_grpc.TracesStub(channel).AppendSpans(request, timeout=10, metadata=[
                ("x-bastion-principal-bin", assertion),
                ("x-bastion-service-bin", SUITE.service_assertion())])

    def test_api_keys_are_created_used_rotated_and_revoked(self):
        carol = User(self, "carol")
        carol.login(roles="", scopes="api_keys:write api_keys:read api_keys:delete agents:read")
        created = carol.json("keys", "create", "--name", "ci", "--scope", "agents:read",
                             "--ttl", "30d")
        secret, key_id = created["secret"], created["key"]["keyId"]
        self.assertTrue(secret.startswith("bst_"))
        self.assertIn(key_id, [k["keyId"] for k in carol.json("keys", "list")["keys"]])
        listed = carol.run("keys", "list")
        self.assertRegex(listed.stdout, rf"(?m)^{key_id}\s+ci\s+bst_\S+\s+active")
        self.assertNotIn(secret, listed.stdout)
        # More than the creator holds is refused.
        self.assertExit(carol.run("keys", "create", "--name", "wide", "--scope", "agents:run"),
                        PERMISSION_DENIED)

        # The key, pasted into login, works like a token.
        robot = User(self, "robot")
        self.assertExit(robot.run("login", stdin=secret + "\n"), OK)
        self.assertEqual(robot.json("whoami")["credentialKind"], "CREDENTIAL_KIND_API_KEY")
        self.assertExit(robot.run("agents", "list"), OK)
        self.assertExit(robot.run("sessions", "list"), PERMISSION_DENIED)
        # An API key cannot mint more keys.
        self.assertExit(robot.run("keys", "create", "--name", "child"), PERMISSION_DENIED)

        rotated = carol.json("keys", "rotate", key_id, "--grace", "1h")
        self.assertNotEqual(rotated["secret"], secret)
        self.assertExit(robot.run("agents", "list", env={"BASTION_TOKEN": rotated["secret"]}), OK)

        self.assertExit(carol.run("keys", "revoke", key_id), OK)
        revoked_at = time.monotonic()
        deadline = revoked_at + REVOCATION_BOUND_SECONDS + 10
        while True:
            started = time.monotonic()
            done = robot.run("agents", "list")
            if done.returncode == UNAUTHENTICATED:
                break
            self.assertExit(done, OK)
            self.assertLessEqual(started - revoked_at, REVOCATION_BOUND_SECONDS,
                                 "the revoked key still worked after the bound")
            self.assertLess(time.monotonic(), deadline)
        states = {k["keyId"]: k["revokedAtUnix"] for k in
                  carol.json("keys", "list", "--all")["keys"]}
        self.assertNotEqual(states[key_id], "0")
        self.assertNotIn(key_id, [k["keyId"] for k in
                                  carol.json("keys", "list").get("keys", [])])
        self.assertExit(carol.run("keys", "revoke", "key_" + "0" * 32), NOT_FOUND)

    def test_exit_codes_say_what_went_wrong(self):
        nobody = User(self, "nobody")
        self.assertExit(nobody.run("agents", "list"), UNAUTHENTICATED)
        self.assertExit(nobody.run("agents", "list", "--bogus"), USAGE)
        self.assertExit(nobody.run("agents"), USAGE)
        narrow = User(self, "narrow")
        narrow.login(roles="", scopes="sessions:read")
        self.assertExit(narrow.run("agents", "list"), PERMISSION_DENIED)
        self.assertExit(narrow.run("--data-addr", "127.0.0.1:1", "sessions", "list"),
                        UNAVAILABLE)
        forged = narrow.run("whoami", env={"BASTION_TOKEN": SUITE.token("x")[:-6] + "AAAAAA"})
        self.assertExit(forged, UNAUTHENTICATED)

    def test_json_output_of_every_read_command_parses(self):
        user = User(self, "scripter")
        user.login(roles="member")
        for args in (("whoami",), ("agents", "list"), ("agents", "show", "echo"),
                     ("teams", "list"), ("teams", "show", "duo"), ("workflows", "list"),
                     ("workflows", "show", "triage"), ("sessions", "list"),
                     ("memories", "list"), ("traces", "list"), ("keys", "list")):
            with self.subTest(args=args):
                done = user.run("--json", *args)
                self.assertExit(done, OK)
                self.assertIsInstance(json.loads(done.stdout), dict)
                self.assertNotIn("\x1b", done.stdout)

    # --- under a pseudo-terminal ------------------------------------------

    def run_in_pty(self, user: User, *args: str, env: dict = None, answer: str = None) -> tuple:
        """Runs bastion with stdin, stdout and stderr on a new pseudo-terminal
        (in its own session); when the output shows a prompt, types `answer`
        and Enter. Returns (exit code, everything the terminal showed)."""
        master, slave = pty.openpty()
        process = subprocess.Popen([BASTION, *args], stdin=slave, stdout=slave, stderr=slave,
                                   env=dict(user.env, TERM="xterm", **(env or {})),
                                   start_new_session=True, close_fds=True)
        os.close(slave)
        shown = b""
        answered = answer is None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the other side closed
                    break
                if not chunk:
                    break
                shown += chunk
            if not answered and b"Paste a token" in shown:
                os.write(master, answer.encode() + b"\n")
                answered = True
            if process.poll() is not None and not ready:
                break
        os.close(master)
        return process.wait(timeout=30), shown.decode(errors="replace")

    def test_colours_on_a_terminal_and_never_in_a_pipe(self):
        user = User(self, "viewer")
        user.login(roles="member")
        code, shown = self.run_in_pty(user, "agents", "list")
        self.assertEqual(code, OK, shown)
        self.assertIn("\x1b[1mID\x1b[0m", shown)        # bold header
        self.assertIn("\x1b[36mecho\x1b[0m", shown)     # coloured id
        self.assertIn("Echo", ANSI.sub("", shown))

        piped = user.run("agents", "list")
        self.assertExit(piped, OK)
        self.assertNotIn("\x1b", piped.stdout)
        self.assertIn("echo", piped.stdout)

        code, plain = self.run_in_pty(user, "agents", "list", env={"NO_COLOR": "1"})
        self.assertEqual(code, OK, plain)
        self.assertNotIn("\x1b", plain)
        code, flagged = self.run_in_pty(user, "--no-color", "agents", "list")
        self.assertNotIn("\x1b", flagged)

        code, error = self.run_in_pty(user, "sessions", "show", "nope")
        self.assertEqual(code, NOT_FOUND, error)
        self.assertIn("\x1b[31merror:\x1b[0m", error)

    def test_an_interactive_login_hides_the_pasted_credential(self):
        dave = User(self, "dave")
        token = SUITE.token("dave", roles="member")
        code, shown = self.run_in_pty(dave, "login", answer=token)
        self.assertEqual(code, OK, shown)
        self.assertIn("Paste a token or API key (input hidden):", shown)
        self.assertNotIn(token, shown)
        self.assertNotIn(token[-20:], shown)
        self.assertIn("Logged in as", shown)
        self.assertIn("dave", ANSI.sub("", shown))
        self.assertEqual(stat.S_IMODE(dave.credentials.stat().st_mode), 0o600)
        self.assertEqual(dave.json("whoami")["subject"], "dave")


if __name__ == "__main__":
    bastion_suite.main()
