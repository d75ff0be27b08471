#!/usr/bin/python3
"""A real Bastion service (run-executor) configured for mutual TLS with
certificates from tools/dev/gen_certs.sh: a client with a certificate from
the suite's CA is served; one without a certificate, with another CA's, or
in plaintext is refused at the handshake. A bad TLS file refuses startup.
"""

import pathlib
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import RUNFILES, health, spawn  # noqa: E402

import grpc  # noqa: E402

BINARY = "services/run_executor/run_executor"
GEN_CERTS = str(RUNFILES / "tools/dev/gen_certs.sh")


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
        settings = dict(BASTION_LISTEN_ADDRESS="127.0.0.1:0",
                        BASTION_AUTHN_ADDRESS="127.0.0.1:1", BASTION_AUTHZ_ADDRESS="127.0.0.1:1",
                        BASTION_DATA_ADDRESS="127.0.0.1:1",
                        BASTION_REGISTRY_FILE=str(RUNFILES / "tools/dev/registry.json"),
                        # Generated at first start.
                        BASTION_SERVICE_KEY_FILE=str(cls.dir / "run_executor.pem"),
                        BASTION_TLS_CERT_FILE=str(certs / "run_executor.pem"),
                        BASTION_TLS_KEY_FILE=str(certs / "run_executor.key"),
                        BASTION_TLS_CA_FILE=str(certs / "ca.pem"),
                        BASTION_TLS_REQUIRE_CLIENT_CERT="true")
        settings.update(overrides)
        return spawn(BINARY, cls.dir / "port", settings, timeout=20,
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

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
                health(channel, timeout=5, wait_for_ready=False)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAVAILABLE)

    def test_client_with_a_certificate_from_the_suite_ca_is_served(self):
        self.assertIsNotNone(self.address)
        with self.tls_channel(self.dir / "suite", "client") as channel:
            self.assertEqual(health(channel, timeout=5, wait_for_ready=False), 1)

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
    bastion_suite.main()
