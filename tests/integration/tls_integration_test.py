#!/usr/bin/python3
"""A real Bastion service (run-executor) configured for mutual TLS with
certificates from tools/dev/gen_certs.sh: a client with a certificate from
the suite's CA is served; one without a certificate, with another CA's, or
in plaintext is refused at the handshake. A bad TLS file refuses startup.
"""

import os
import pathlib
import signal
import subprocess
import tempfile
import time
import unittest

import grpc

RUNFILES = pathlib.Path(os.environ.get("TEST_SRCDIR", ".")) / "bastion"
if not RUNFILES.is_dir():
    RUNFILES = pathlib.Path(".").resolve()
BINARY = str(RUNFILES / "services/run_executor/run_executor")
GEN_CERTS = str(RUNFILES / "tools/dev/gen_certs.sh")


def health(channel) -> int:
    call = channel.unary_unary("/grpc.health.v1.Health/Check",
                               request_serializer=lambda _: b"",
                               response_deserializer=lambda data: data)
    data = call(None, timeout=5)
    return data[1] if len(data) == 2 and data[0] == 0x08 else 0


class TlsIntegrationTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = pathlib.Path(tempfile.mkdtemp(prefix="bastion-tls-"))
        subprocess.run([GEN_CERTS, str(cls.dir / "suite"), "run_executor", "client"],
                       check=True, capture_output=True)
        subprocess.run([GEN_CERTS, str(cls.dir / "other"), "stranger"],
                       check=True, capture_output=True)
        cls.process, cls.address = cls.start(cls.dir / "suite")

    @classmethod
    def tearDownClass(cls):
        cls.process.send_signal(signal.SIGTERM)
        cls.process.wait(timeout=20)

    @classmethod
    def start(cls, certs: pathlib.Path, **overrides):
        port_file = cls.dir / "port"
        if port_file.exists():
            port_file.unlink()
        settings = dict(BASTION_LISTEN_ADDRESS="127.0.0.1:0",
                   BASTION_PORT_FILE=str(port_file),
                   BASTION_AUTHN_ADDRESS="127.0.0.1:1", BASTION_AUTHZ_ADDRESS="127.0.0.1:1",
                   BASTION_REGISTRY_FILE=str(RUNFILES / "tools/dev/registry.json"),
                   BASTION_TLS_CERT_FILE=str(certs / "run_executor.pem"),
                   BASTION_TLS_KEY_FILE=str(certs / "run_executor.key"),
                   BASTION_TLS_CA_FILE=str(certs / "ca.pem"),
                   BASTION_TLS_REQUIRE_CLIENT_CERT="true")
        settings.update(overrides)
        env = dict(os.environ, **settings)
        process = subprocess.Popen([BINARY], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not port_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                return process, None
            time.sleep(0.05)
        return process, "127.0.0.1:" + port_file.read_text().strip()

    def tls_channel(self, certs: pathlib.Path = None, name: str = None):
        root = (self.dir / "suite/ca.pem").read_bytes()
        key = chain = None
        if certs is not None:
            key = (certs / f"{name}.key").read_bytes()
            chain = (certs / f"{name}.pem").read_bytes()
        credentials = grpc.ssl_channel_credentials(root, key, chain)
        return grpc.secure_channel(self.address, credentials)

    def assertRefused(self, channel):
        with channel:
            with self.assertRaises(grpc.RpcError) as raised:
                health(channel)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAVAILABLE)

    def test_client_with_a_certificate_from_the_suite_ca_is_served(self):
        self.assertIsNotNone(self.address)
        with self.tls_channel(self.dir / "suite", "client") as channel:
            self.assertEqual(health(channel), 1)

    def test_client_without_a_certificate_is_refused(self):
        self.assertRefused(self.tls_channel())

    def test_client_with_another_cas_certificate_is_refused(self):
        self.assertRefused(self.tls_channel(self.dir / "other", "stranger"))

    def test_plaintext_client_is_refused(self):
        self.assertRefused(grpc.insecure_channel(self.address))

    def test_a_bad_tls_file_refuses_startup_naming_it(self):
        process, address = self.start(self.dir / "suite",
                                      BASTION_TLS_KEY_FILE=str(self.dir / "missing.key"))
        output = process.communicate(timeout=20)[0].decode()
        self.assertIsNone(address)
        self.assertNotEqual(process.returncode, 0)
        self.assertIn("missing.key", output)


if __name__ == "__main__":
    unittest.main(verbosity=2)
