"""Shared by the *_integration_test scripts: the real four Bastion services
and their PostgreSQL database (Suite), the runfiles, a health check, starting
a server and waiting for its port file, and main(), the unittest runner that
writes the JUnit XML report Bazel asks for.

Suite needs the throwaway cluster tools/test.sh starts (BASTION_TEST_PGHOST,
BASTION_TEST_PGPORT); raises, never skips, without it.
"""

import base64
import importlib.util
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import unittest
import uuid
import xml.etree.ElementTree as ET

# The workspace's runfiles under Bazel; the checkout when run by hand from
# its root.
RUNFILES = pathlib.Path(os.environ.get("TEST_SRCDIR", ".")) / "bastion"
if not RUNFILES.is_dir():
    RUNFILES = pathlib.Path(".").resolve()
sys.path.insert(0, str(RUNFILES / "protos"))

import grpc  # noqa: E402
import psycopg2  # noqa: E402
from google.protobuf import symbol_database  # noqa: E402

PY = "/usr/bin/python3"
ISSUER = "https://it.bastion.local"
SERVICES = ("authn", "authz", "data", "run_executor")
BINARIES = {
    "authn": "services/authn/authn",
    "authz": "services/authz/authz",
    "data": "services/data/data",
    "run_executor": "services/run_executor/run_executor",
}


def _load_call_tool():
    """tools/call.py as a module: its health_status is the one wire-level
    Health/Check, shared with the command-line tool (which tools/up.sh
    uses)."""
    spec = importlib.util.spec_from_file_location("bastion_call_tool",
                                                  RUNFILES / "tools/call.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CALL_TOOL = _load_call_tool()


def health(target, timeout: float = 10, wait_for_ready: bool = True) -> int:
    """grpc.health.v1.Health/Check for the whole server; returns the status
    enum (1 is SERVING). `target` is an address (plaintext) or a channel.
    Without `wait_for_ready` a refused connection or handshake raises
    UNAVAILABLE at once instead of waiting out the timeout."""
    if isinstance(target, str):
        with grpc.insecure_channel(target) as channel:
            return _CALL_TOOL.health_status(channel, timeout, wait_for_ready)
    return _CALL_TOOL.health_status(target, timeout, wait_for_ready)


def spawn(binary: str, port_file: pathlib.Path, env: dict, timeout: float = 30,
          config_file: str = "", **popen):
    """Starts a Bastion server (`binary`: a path in the runfiles) with
    BASTION_PORT_FILE=`port_file` and `env` over this process's environment
    (a None value removes that variable), and `config_file` as its JSON
    config when given, and waits until the server writes its port file.
    Returns (process, "127.0.0.1:PORT"), or (process, None) when it exited or
    wrote no port file within `timeout` seconds (it may still be running
    then). `popen` goes to Popen (stdout, stderr)."""
    if port_file.exists():
        port_file.unlink()
    environment = dict(os.environ, BASTION_PORT_FILE=str(port_file))
    for key, value in env.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    command = [str(RUNFILES / binary)] + ([config_file] if config_file else [])
    process = subprocess.Popen(command, env=environment, **popen)
    deadline = time.monotonic() + timeout
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            return process, None
        time.sleep(0.05)
    return process, "127.0.0.1:" + port_file.read_text().strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Suite:
    """The four services and their database, started once for all tests.

    authn trusts the JWKS of the Ed25519 key "it" and, for each (type, kid)
    of `extra_jwt_keys` (types as tools/keygen.py takes them: rsa, ec,
    ed25519), of one more key; key_file(kid) is a key's signing half.

    `authn_env` adds environment settings to authn's (e.g. a shorter
    leeway).

    `unauthenticated_per_second`, when given, raises every service's limit
    on calls that fail authentication (per client address; burst the same):
    attack suites send thousands of bad credentials from one address.

    `run_executor_config`, when given, is the run-executors' config file
    (e.g. {"run_limits": {"lease_seconds": 2}}).

    `registry_file`, when given, replaces tools/dev/registry.json as the
    run-executors' registry."""

    def __init__(self, extra_jwt_keys: tuple = (),
                 unauthenticated_per_second: float = 0,
                 authn_env: dict = None,
                 run_executor_config: dict = None,
                 registry_file: str = None) -> None:
        host = os.environ.get("BASTION_TEST_PGHOST")
        port = os.environ.get("BASTION_TEST_PGPORT")
        if not host or not port:
            raise RuntimeError("BASTION_TEST_PGHOST/BASTION_TEST_PGPORT not set: "
                               "run through tools/test.sh")
        self.pg = f"host={host} port={port}"
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="bastion-it-"))
        self.database = "it_" + uuid.uuid4().hex[:12]
        self.processes = {}
        self.addresses = {}
        self.launch_env = {}
        self.extra_jwt_keys = tuple(extra_jwt_keys)
        self.authn_env = dict(authn_env or {})
        self.config_file = ""
        if unauthenticated_per_second:
            self.config_file = str(self.dir / "config.json")
            with open(self.config_file, "w") as config:
                json.dump({"rate_limits": {
                    "unauthenticated_per_second": unauthenticated_per_second,
                    "unauthenticated_burst": unauthenticated_per_second}}, config)
        self.run_executor_config = run_executor_config or {}
        self.registry_file = registry_file or str(RUNFILES / "tools/dev/registry.json")
        self.superuser = None  # query()'s connection, opened on first use

    @classmethod
    def started(cls, **options) -> "Suite":
        """A started suite (for setUpModule), made with `options` (see
        Suite). When starting fails, every service's log goes to stderr,
        then everything is stopped and the error raised."""
        suite = cls(**options)
        try:
            suite.start()
        except Exception:
            for name in SERVICES:
                sys.stderr.write(f"--- {name} log ---\n{suite.log(name)}\n")
            suite.stop()
            raise
        return suite

    def run(self, *args: str, **env: str) -> str:
        """Runs a command (with `env` over this process's environment) and
        returns its stdout; raises with its stderr if it fails."""
        done = subprocess.run(args, capture_output=True, text=True,
                              env=dict(os.environ, **env))
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> None:
        # The same schemas tools/up.sh sets up (data, authn, authz), by the
        # same script.
        self.run(str(RUNFILES / "tools/pg/migrate_all.sh"), self.pg, self.database,
                 MIGRATE=str(RUNFILES / "tools/migrate/migrate"))
        self.run(str(RUNFILES / "tools/service_identity/service_identity"), "init",
                 str(self.dir / "services"), "run_executor", "authz", "authn", "data")
        keys = self.dir / "keys"
        for key_type, kid in (("ed25519", "it"),) + self.extra_jwt_keys:
            self.run(PY, str(RUNFILES / "tools/keygen.py"), "--type", key_type, "--kid", kid,
                     "--out", str(keys), "--jwks", str(self.dir / "jwks.json"))
        # A port picked here can be taken by another test before the service
        # binds it: start again on fresh ports, a bounded number of times.
        for attempt in range(3):
            try:
                self.launch_services()
                return
            except RuntimeError:
                for name in list(self.processes):
                    self.stop_one(name)
                if attempt == 2:
                    raise

    def launch_services(self) -> None:
        # authn and authz name each other, and authz names data (audit):
        # those two get ports picked here, the others listen on port 0 and
        # report theirs.
        authz_address = f"127.0.0.1:{free_port()}"
        data_address = f"127.0.0.1:{free_port()}"
        self.launch("authn", BASTION_JWKS_FILE=str(self.dir / "jwks.json"),
                    BASTION_ISSUER=ISSUER, BASTION_AUDIENCE="bastion",
                    BASTION_ASSERTION_KEY_FILE=str(self.dir / "assertion.pem"),
                    BASTION_AUTHZ_ADDRESS=authz_address, BASTION_DATABASE_URL=(
                        f"{self.pg} dbname={self.database} user=bastion_authn_svc"),
                    BASTION_DATA_ADDRESS=data_address,
                    BASTION_SERVICE_KEY_FILE=str(self.dir / "services/authn.pem"),
                    BASTION_TRUSTED_SERVICES_FILE=self.trusted_services(),
                    **self.authn_env)
        self.launch("authz", listen=authz_address,
                    BASTION_AUTHN_ADDRESS=self.addresses["authn"], BASTION_DATABASE_URL=(
                        f"{self.pg} dbname={self.database} user=bastion_authz_svc"),
                    BASTION_DATA_ADDRESS=data_address,
                    BASTION_SERVICE_KEY_FILE=str(self.dir / "services/authz.pem"),
                    BASTION_TRUSTED_SERVICES_FILE=self.trusted_services())
        common = dict(BASTION_AUTHN_ADDRESS=self.addresses["authn"],
                      BASTION_AUTHZ_ADDRESS=self.addresses["authz"])
        self.launch("data", listen=data_address, BASTION_DATABASE_URL=(
            f"{self.pg} dbname={self.database} user=bastion_data_svc"),
            BASTION_TRUSTED_SERVICES_FILE=self.trusted_services(),
            BASTION_SERVICE_KEY_FILE=str(self.dir / "services/data.pem"),
            **common)
        self.launch("run_executor", BASTION_DATA_ADDRESS=self.addresses["data"],
                    BASTION_SERVICE_KEY_FILE=str(self.dir / "services/run_executor.pem"),
                    BASTION_REGISTRY_FILE=self.registry_file, **common)

    def launch(self, name: str, listen: str = "127.0.0.1:0", **env: str) -> None:
        self.launch_env[name] = env
        with open(self.dir / f"{name}.log", "ab") as log:
            process, address = spawn(BINARIES[name.split("#")[0]],
                                     self.dir / f"{name}.port",
                                     dict(env, BASTION_LISTEN_ADDRESS=listen),
                                     config_file=self.config_of(name),
                                     stdout=log, stderr=log)
        self.processes[name] = process
        if address is None:
            raise RuntimeError(f"{name} did not start:\n" + self.log(name))
        self.addresses[name] = address

    def config_of(self, name: str) -> str:
        """The config file of service `name`: run-executors get
        `run_executor_config` (with the suite's rate limits) when given."""
        if not name.startswith("run_executor") or not self.run_executor_config:
            return self.config_file
        path = self.dir / "run_executor_config.json"
        config = dict(self.run_executor_config)
        if self.config_file:
            with open(self.config_file) as shared:
                config.update(json.load(shared))
        with open(path, "w") as out:
            json.dump(config, out)
        return str(path)

    def launch_replica(self, name: str) -> None:
        """Starts another run-executor `name` ("run_executor#2", ...) with
        the first one's settings: the two share nothing but data."""
        self.launch(name, **self.launch_env["run_executor"])

    def kill(self, name: str) -> None:
        """Stops service `name` at once (SIGKILL), as a crash would."""
        process = self.processes.pop(name)
        process.kill()
        process.wait(timeout=20)

    def restart(self, name: str) -> None:
        """Starts a stopped service again on the address it had."""
        self.launch(name, listen=self.addresses[name], **self.launch_env[name])

    def log(self, name: str) -> str:
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_one(self, name: str) -> int:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=20)

    def stop(self) -> None:
        for name in list(self.processes):
            self.stop_one(name)
        if self.superuser is not None:
            self.superuser.close()
        subprocess.run(["/usr/bin/psql", f"{self.pg} dbname=postgres user=postgres",
                        "-c", f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"],
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def trusted_services(self) -> str:
        """The trusted-services file every service of the suite reads."""
        return str(self.dir / "services/trusted_services.json")

    def service_assertion(self, key_file: str = "", name: str = "run_executor") -> bytes:
        """A fresh service assertion signed with `key_file` (default: the
        run-executor's trusted key)."""
        key_file = key_file or str(self.dir / "services/run_executor.pem")
        printed = self.run(str(RUNFILES / "tools/service_identity/service_identity"),
                           "assertion", key_file, name)
        return base64.b64decode(printed.strip())

    def untrusted_key(self) -> str:
        return str(self.dir / "stranger.pem")

    def key_file(self, kid: str = "it") -> pathlib.Path:
        """The signing key (PEM) of the JWT key `kid`."""
        return self.dir / "keys" / f"{kid}.private.pem"

    def connect(self, user: str = "postgres"):
        """A new autocommit connection (psycopg2) to the suite's database as
        the role `user`; the caller closes it."""
        connection = psycopg2.connect(f"{self.pg} dbname={self.database} user={user}")
        connection.autocommit = True
        return connection

    def query(self, sql: str, params: tuple = None) -> list:
        """The rows of `sql` (with %s `params`, if any) run as the superuser,
        which row security does not restrict, on one connection kept for
        the suite."""
        if self.superuser is None:
            self.superuser = self.connect()
        with self.superuser.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def table_digests(self, without_audit: bool = False, owner: tuple = None) -> str:
        """Every table of the Bastion schemas as "schema.table=ROWS:MD5", the
        MD5 over the text of all its rows in a fixed order, read as the
        superuser (no row security): equal results mean no row was added,
        removed or changed. `without_audit` leaves out the audit log (which
        denials append to). `owner`, a (tenant, user) pair, keeps only that
        user's rows of the data schema (where every table has tenant_id and
        user_id)."""
        # The row alias must not be a column name (a column would win).
        per_table = ("SELECT count(*) || '':'' || coalesce(md5(string_agg("
                     "digest_row_::text, '','' ORDER BY digest_row_::text)), '''') "
                     "AS d FROM %I.%I digest_row_")
        schemas, owner_args = "n.nspname LIKE 'bastion_%'", ""
        if owner is not None:
            per_table += " WHERE tenant_id = %L AND user_id = %L"
            schemas = "n.nspname = 'bastion_data'"
            owner_args = "".join(", '" + value.replace("'", "''") + "'" for value in owner)
        query = ("SELECT string_agg(format('%s.%s=%s', n.nspname, c.relname, "
                 "(xpath('/row/d/text()', query_to_xml(format("
                 f"'{per_table}', n.nspname, c.relname{owner_args}), "
                 "false, true, '')))[1]::text), ',' ORDER BY n.nspname, c.relname) "
                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 f"WHERE {schemas} AND c.relkind = 'r'" +
                 (" AND c.relname <> 'audit_events'" if without_audit else ""))
        return self.query(query)[0][0]

    def audit_actions(self, tenant: str) -> list:
        """(action, user, method) of the tenant's audit events, oldest first."""
        return [tuple(row) for row in self.query(
            "SELECT action, user_id, detail->>'method' FROM bastion_data.audit_events "
            "WHERE tenant_id = %s ORDER BY occurred_at", (tenant,))]

    def token(self, sub: str, tenant: str = "t1", scopes: str = "", roles: str = "",
              issued_at: int = 0, expires_at: int = 0) -> str:
        """A token of the suite's issuer; `issued_at`/`expires_at` (Unix
        seconds) pin its lifetime, e.g. to one that has already ended."""
        times = []
        if issued_at:
            times += ["--iat", str(issued_at)]
        if expires_at:
            times += ["--exp", str(expires_at)]
        return self.run(PY, str(RUNFILES / "tools/mint_token.py"),
                        "--key", str(self.dir / "keys/it.private.pem"), "--kid", "it",
                        "--iss", ISSUER, "--sub", sub, "--tenant", tenant,
                        "--scopes", scopes, "--roles", roles, *times).strip()


def bearer(token: str):
    return [("authorization", "Bearer " + token)]


def invoke(channel, method, request, metadata=(), timeout: float = 10):
    """Calls `method` (a protobuf MethodDescriptor of a generated service)
    on `channel` with `request` and `metadata`. Returns (grpc.StatusCode,
    reply): the reply message, or for a server-streaming method the list of
    messages received; None when the call failed."""
    reply_class = symbol_database.Default().GetSymbol(method.output_type.full_name)
    path = f"/{method.containing_service.full_name}/{method.name}"
    kwargs = dict(request_serializer=type(request).SerializeToString,
                  response_deserializer=reply_class.FromString)
    try:
        if method.server_streaming:
            reply = list(channel.unary_stream(path, **kwargs)(
                request, metadata=metadata, timeout=timeout))
        else:
            reply = channel.unary_unary(path, **kwargs)(
                request, metadata=metadata, timeout=timeout)
    except grpc.RpcError as error:
        return error.code(), None
    return grpc.StatusCode.OK, reply


# --- JUnit XML report -------------------------------------------------------

# Characters XML 1.0 cannot hold (a service log in a traceback may have them).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("?", text)


class JUnitResult(unittest.TextTestResult):
    """The usual verbose console output, and for every test method one
    outcome: passed, or its failures/errors (subtests included, under their
    method), or skipped. Errors outside a test (setUpModule, setUpClass,
    tearDownModule ...) are recorded under their own names."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = {}  # test id -> {"class", "name", "time", "problems"}
        self._started = {}

    def _case(self, test) -> dict:
        if isinstance(test, unittest.TestCase):
            classname, name = type(test).__name__, test._testMethodName
        else:  # a fixture error: unittest's _ErrorHolder, e.g. "setUpModule (__main__)"
            classname, name = "fixture", test.id()
        key = f"{classname}.{name}"
        return self.cases.setdefault(
            key, {"class": classname, "name": name, "time": 0.0, "problems": []})

    def _problem(self, test, kind: str, err, prefix: str = "") -> None:
        exception_type, value, _ = err
        lines = str(value).splitlines()
        message = prefix + (lines[0] if lines else exception_type.__name__)
        self._case(test)["problems"].append(
            (kind, exception_type.__name__, message,
             "".join(traceback.format_exception(*err))))

    def startTest(self, test):
        super().startTest(test)
        self._case(test)
        self._started[test.id()] = time.monotonic()

    def stopTest(self, test):
        super().stopTest(test)
        began = self._started.pop(test.id(), None)
        if began is not None:
            self._case(test)["time"] = time.monotonic() - began

    def addError(self, test, err):
        super().addError(test, err)
        self._problem(test, "error", err)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._problem(test, "failure", err)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = "failure" if issubclass(err[0], test.failureException) else "error"
            self._problem(test, kind, err, prefix=f"{subtest}: ")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._case(test)["problems"].append(("skipped", "", reason, ""))

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._case(test)["problems"].append(
            ("failure", "UnexpectedSuccess", "passed although expected to fail", ""))

    def not_run(self, tests) -> None:
        """Records `tests` that never started (a fixture before them
        failed) as errors, so every method is in the report."""
        for test in tests:
            if isinstance(test, unittest.TestCase) and \
                    f"{type(test).__name__}.{test._testMethodName}" not in self.cases:
                self._case(test)["problems"].append(
                    ("error", "NotRun", "not run: a fixture before it failed", ""))
                self.errors.append((test, "not run: a fixture before it failed"))

    def write_xml(self, path: str, suite_name: str) -> None:
        """Writes the report to `path` (replacing it in one step)."""
        root = ET.Element("testsuites")
        suites = {}  # class name -> (<testsuite>, its counts)
        totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
        for case in self.cases.values():
            classname = f"{suite_name}.{case['class']}"
            if case["class"] not in suites:
                suites[case["class"]] = (ET.SubElement(root, "testsuite", name=classname),
                                         dict.fromkeys(totals, 0))
            suite, counts = suites[case["class"]]
            element = ET.SubElement(suite, "testcase", name=case["name"],
                                    classname=classname, time=f"{case['time']:.3f}")
            kinds = set()
            for kind, type_name, message, details in case["problems"]:
                child = ET.SubElement(element, kind, message=_xml_text(message))
                if type_name:
                    child.set("type", type_name)
                child.text = _xml_text(details)
                kinds.add(kind)
            counts["tests"] += 1
            # A case is counted once: as an error, else a failure, else skipped.
            for kind, key in (("error", "errors"), ("failure", "failures"),
                              ("skipped", "skipped")):
                if kind in kinds:
                    counts[key] += 1
                    break
        for suite, counts in suites.values():
            for key, value in counts.items():
                suite.set(key, str(value))
                totals[key] += value
        for key, value in totals.items():
            root.set(key, str(value))
        ET.indent(root)
        temporary = f"{path}.partial"
        ET.ElementTree(root).write(temporary, encoding="UTF-8", xml_declaration=True)
        os.replace(temporary, path)


def _tests_of(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _tests_of(item)
        else:
            yield item


def main() -> None:
    """Runs the calling script's tests (unittest.main's job) and, when
    Bazel sets XML_OUTPUT_FILE, writes its JUnit XML report there: one
    <testcase> per test method with <failure>/<error>/<skipped> children.
    The exit status is 0 only when every test passed. A crash before the
    report is written exits non-zero and writes nothing; Bazel then fails
    the target and writes its own one-case report with an <error>."""
    tests = unittest.defaultTestLoader.loadTestsFromModule(sys.modules["__main__"])
    everything = list(_tests_of(tests))
    runner = unittest.TextTestRunner(resultclass=JUnitResult, verbosity=2)
    result = runner.run(tests)
    result.not_run(everything)
    path = os.environ.get("XML_OUTPUT_FILE")
    if path:
        name = os.environ.get("TEST_TARGET") or pathlib.Path(sys.argv[0]).stem
        result.write_xml(path, name.lstrip("/").replace("/", ".").replace(":", "."))
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
