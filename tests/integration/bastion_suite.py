"""The real four Bastion services and their PostgreSQL database, started
for integration tests (imported by the *_integration_test scripts).

Needs the throwaway cluster tools/test.sh starts (BASTION_TEST_PGHOST,
BASTION_TEST_PGPORT); raises, never skips, without it.
"""

import base64
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

RUNFILES = pathlib.Path(os.environ.get("TEST_SRCDIR", ".")) / "bastion"
if not RUNFILES.is_dir():
    RUNFILES = pathlib.Path(".").resolve()
sys.path.insert(0, str(RUNFILES / "protos"))

import grpc  # noqa: E402

PY = "/usr/bin/python3"
ISSUER = "https://it.bastion.local"
SERVICES = ("authn", "authz", "data", "run_executor")
BINARIES = {
    "authn": "services/authn/authn",
    "authz": "services/authz/authz",
    "data": "services/data/data",
    "run_executor": "services/run_executor/run_executor",
}


def health(address: str) -> int:
    """grpc.health.v1.Health/Check for the whole server; returns the status enum."""
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary("/grpc.health.v1.Health/Check",
                                   request_serializer=lambda _: b"",
                                   response_deserializer=lambda data: data)
        data = call(None, timeout=10, wait_for_ready=True)
    return data[1] if len(data) == 2 and data[0] == 0x08 else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Suite:
    """The four services and their database, started once for all tests."""

    def __init__(self) -> None:
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

    def run(self, *args: str) -> str:
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout

    def start(self) -> None:
        migrate = str(RUNFILES / "services/data/migrate/migrate")
        self.run(migrate, "bootstrap", f"--conninfo={self.pg} dbname=postgres user=postgres",
                 f"--database={self.database}")
        self.run(migrate, "up", f"--conninfo={self.pg} dbname={self.database} user=bastion_owner")
        # authn's own schema (API keys) in the same database, its own role.
        self.run(migrate, "--schema=authn", "bootstrap",
                 f"--conninfo={self.pg} dbname=postgres user=postgres",
                 f"--database={self.database}")
        self.run(migrate, "--schema=authn", "up",
                 f"--conninfo={self.pg} dbname={self.database} user=bastion_owner")
        # authz's own schema (custom roles) in the same database, its own role.
        self.run(migrate, "--schema=authz", "bootstrap",
                 f"--conninfo={self.pg} dbname=postgres user=postgres",
                 f"--database={self.database}")
        self.run(migrate, "--schema=authz", "up",
                 f"--conninfo={self.pg} dbname={self.database} user=bastion_owner")
        self.run(str(RUNFILES / "tools/service_identity/service_identity"), "init",
                 str(self.dir / "services"), "run_executor", "authz", "authn")
        keys = self.dir / "keys"
        self.run(PY, str(RUNFILES / "tools/keygen.py"), "--type", "ed25519", "--kid", "it",
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
                    BASTION_SERVICE_KEY_FILE=str(self.dir / "services/authn.pem"))
        self.launch("authz", listen=authz_address,
                    BASTION_AUTHN_ADDRESS=self.addresses["authn"], BASTION_DATABASE_URL=(
                        f"{self.pg} dbname={self.database} user=bastion_authz_svc"),
                    BASTION_DATA_ADDRESS=data_address,
                    BASTION_SERVICE_KEY_FILE=str(self.dir / "services/authz.pem"))
        common = dict(BASTION_AUTHN_ADDRESS=self.addresses["authn"],
                      BASTION_AUTHZ_ADDRESS=self.addresses["authz"])
        self.launch("data", listen=data_address, BASTION_DATABASE_URL=(
            f"{self.pg} dbname={self.database} user=bastion_data_svc"),
            BASTION_TRUSTED_SERVICES_FILE=str(self.dir / "services/trusted_services.json"),
            **common)
        self.launch("run_executor", BASTION_DATA_ADDRESS=self.addresses["data"],
                    BASTION_SERVICE_KEY_FILE=str(self.dir / "services/run_executor.pem"),
                    BASTION_REGISTRY_FILE=str(RUNFILES / "tools/dev/registry.json"), **common)

    def launch(self, name: str, listen: str = "127.0.0.1:0", **env: str) -> None:
        self.launch_env[name] = env
        port_file = self.dir / f"{name}.port"
        if port_file.exists():
            port_file.unlink()
        environment = dict(os.environ, BASTION_LISTEN_ADDRESS=listen,
                           BASTION_PORT_FILE=str(port_file), **env)
        with open(self.dir / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen([str(RUNFILES / BINARIES[name])],
                                                    env=environment, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while not port_file.exists():
            if self.processes[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n" + self.log(name))
            time.sleep(0.05)
        self.addresses[name] = "127.0.0.1:" + port_file.read_text().strip()

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
        subprocess.run(["/usr/bin/psql", f"{self.pg} dbname=postgres user=postgres",
                        "-c", f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)"],
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def service_assertion(self, key_file: str = "", name: str = "run_executor") -> bytes:
        """A fresh service assertion signed with `key_file` (default: the
        run-executor's trusted key)."""
        key_file = key_file or str(self.dir / "services/run_executor.pem")
        printed = self.run(str(RUNFILES / "tools/service_identity/service_identity"),
                           "assertion", key_file, name)
        return base64.b64decode(printed.strip())

    def untrusted_key(self) -> str:
        return str(self.dir / "stranger.pem")

    def row_counts(self, without_audit: bool = False) -> str:
        """Rows per table of the Bastion schemas, read as the superuser;
        `without_audit` leaves out the audit log (which denials append to)."""
        query = ("SELECT string_agg(format('%s=%s', c.relname, "
                 "(xpath('/row/n/text()', query_to_xml(format("
                 "'SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), "
                 "false, true, '')))[1]::text), ',' ORDER BY c.relname) "
                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE n.nspname LIKE 'bastion_%' AND c.relkind = 'r'" +
                 (" AND c.relname <> 'audit_events'" if without_audit else ""))
        return self.run("/usr/bin/psql", f"{self.pg} dbname={self.database} user=postgres",
                        "-At", "-c", query).strip()

    def audit_actions(self, tenant: str) -> list:
        """(action, user, method) of the tenant's audit events, oldest first."""
        out = self.run("/usr/bin/psql", f"{self.pg} dbname={self.database} user=postgres",
                       "-At", "-F", "|", "-c",
                       "SELECT action, user_id, detail->>'method' FROM "
                       "bastion_data.audit_events WHERE tenant_id = '" +
                       tenant.replace("'", "''") + "' ORDER BY occurred_at")
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def token(self, sub: str, tenant: str = "t1", scopes: str = "", roles: str = "") -> str:
        return self.run(PY, str(RUNFILES / "tools/mint_token.py"),
                        "--key", str(self.dir / "keys/it.private.pem"), "--kid", "it",
                        "--iss", ISSUER, "--sub", sub, "--tenant", tenant,
                        "--scopes", scopes, "--roles", roles).strip()


def bearer(token: str):
    return [("authorization", "Bearer " + token)]
