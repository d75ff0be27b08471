#!/usr/bin/python3
"""Every token attack class of shared/THREATS.md ("Tokens (authn)") through
the real services: each forged, malformed or stolen-and-bent credential is
presented to authn's Authenticate and, as a bearer token, to data (a write:
CreateSession) and to run-executor (ListAgents). Each answers
UNAUTHENTICATED; authn's log names the defence that fired (the "jwt:<reason>"
of services/authn/jwt/reason.h), so a test fails when that defence is
removed even if a later check would still catch the token; and no row of
any table changes. Every class also has a control: the same construction
with nothing wrong is accepted, so a refusal is never an accident of how
the test built its token.

authn trusts three keys here: Ed25519 "it" (EdDSA), RSA "it-rsa" (RS256) and
P-256 "it-ec" (ES256), from a JWKS file.
"""

import base64
import datetime
import json
import os
import pathlib
import secrets
import socket
import sys
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import ISSUER, Suite, bearer  # noqa: E402
import jose  # noqa: E402

import grpc  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from bastion.authn.v1 import authn_pb2, authn_pb2_grpc  # noqa: E402
from bastion.common.v1 import common_pb2  # noqa: E402
from bastion.data.v1 import data_pb2, data_pb2_grpc  # noqa: E402
from bastion.runs.v1 import runs_pb2, runs_pb2_grpc  # noqa: E402

SUITE = None
KEYS = {}  # kid -> private key
AUTHN = DATA = AGENTS = None
CHANNELS = []
# The guard's and authn's answer to every refused credential; the precise
# reason is only logged.
EDGE_DETAILS = "missing or invalid credentials"
AUTHN_DETAILS = "invalid credentials"
# authn's cap on a credential (common/auth/caller.h kMaxCredentialBytes).
MAX_CREDENTIAL_BYTES = 8 * 1024
# A revoked API key stops working at a service other than authn within
# this many seconds (README, API keys: the authn answer cache).
REVOCATION_BOUND_SECONDS = 1.0


def setUpModule() -> None:
    global SUITE, AUTHN, DATA, AGENTS
    SUITE = Suite.started(extra_jwt_keys=(("rsa", "it-rsa"), ("ec", "it-ec")),
                          unauthenticated_per_second=10000)
    for kid in ("it", "it-rsa", "it-ec"):
        KEYS[kid] = jose.load_private_key(SUITE.key_file(kid))
    channels = {name: grpc.insecure_channel(SUITE.addresses[name])
                for name in ("authn", "data", "run_executor")}
    CHANNELS.extend(channels.values())
    AUTHN = authn_pb2_grpc.AuthnStub(channels["authn"])
    DATA = data_pb2_grpc.SessionsStub(channels["data"])
    AGENTS = runs_pb2_grpc.AgentsStub(channels["run_executor"])


def tearDownModule() -> None:
    for channel in CHANNELS:
        channel.close()
    SUITE.stop()


def good_claims(**changes) -> dict:
    """Claims authn accepts (mallory, a member of t1, so ListAgents is
    allowed), with `changes` (None removes a claim)."""
    return jose.claims(ISSUER, **dict(dict(sub="mallory", roles=["member"]), **changes))


def header(kid: str = "it", alg: str = "", **params) -> dict:
    out = {"alg": alg or {"it": "EdDSA", "it-rsa": "RS256", "it-ec": "ES256"}[kid],
           "kid": kid, "typ": "JWT"}
    out.update(params)
    return out


def signed(head: dict = None, payload=None, key: str = "", alg: str = "") -> str:
    """A token signed with the private key of `key` (default: the header's
    kid) for `alg` (default: the header's alg)."""
    head = head or header()
    payload = good_claims() if payload is None else payload
    return jose.compact(head, payload, KEYS[key or head["kid"]], alg)


def signed_text(header_b64: str, payload_b64: str, kid: str = "it", alg: str = "") -> str:
    """A token of these exact base64url texts, signed over them."""
    signing_input = f"{header_b64}.{payload_b64}"
    alg = alg or header(kid)["alg"]
    return f"{signing_input}.{jose.b64url(jose.sign(alg, KEYS[kid], signing_input.encode()))}"


def raw_claims(**raw: str) -> bytes:
    """good_claims() as JSON text with the named claims set to raw JSON
    text (a float, an exponent, a literal NaN...)."""
    text = jose.json_bytes(good_claims(**{name: f"@{name}@" for name in raw})).decode()
    for name, value in raw.items():
        text = text.replace(f'"@{name}@"', value)
    return text.encode()


def is_header_value(text: str) -> bool:
    """gRPC sends only printable ASCII in a text metadata value."""
    return all(0x20 <= ord(c) <= 0x7E for c in text)


class TokenAttackTest(unittest.TestCase):

    def setUp(self):
        self.before = SUITE.table_digests(without_audit=True)

    def tearDown(self):
        # Denials are audited; nothing else may change.
        self.assertEqual(SUITE.table_digests(without_audit=True), self.before,
                         "a refused credential changed a row")

    def authn_log_size(self) -> int:
        path = SUITE.dir / "authn.log"
        return path.stat().st_size if path.exists() else 0

    def rejections_since(self, offset: int) -> list:
        """The reasons of authn's credential_rejected lines logged after
        `offset`."""
        with open(SUITE.dir / "authn.log", "rb") as log:
            log.seek(offset)
            lines = log.read().decode("utf-8", "replace").splitlines()
        reasons = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") == "credential_rejected":
                reasons.append(entry.get("reason", ""))
        return reasons

    def assertRefused(self, credential: str, reason: str = None, edge: bool = True):
        """authn refuses `credential` (for `reason`, a jwt:<reason> name or
        a substring of the logged reason, when given); so do data and
        run-executor when it is sent as a bearer token (when `edge` and it
        fits in a header)."""
        offset = self.authn_log_size()
        with self.assertRaises(grpc.RpcError) as raised:
            AUTHN.Authenticate(authn_pb2.AuthenticateRequest(credential=credential),
                               timeout=10)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertEqual(raised.exception.details(), AUTHN_DETAILS)
        if reason is not None:
            reasons = self.rejections_since(offset)
            self.assertEqual(len(reasons), 1, reasons)
            want = f"jwt:{reason}:" if reason.isidentifier() else reason
            self.assertIn(want, reasons[0])
        if edge and is_header_value(credential):
            self.assertEdgeRefuses(bearer(credential))

    def assertEdgeRefuses(self, metadata):
        """data and run-executor answer UNAUTHENTICATED to `metadata`."""
        for call, request in (
                (DATA.CreateSession, data_pb2.CreateSessionRequest(
                    component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo")),
                (AGENTS.ListAgents, runs_pb2.ListAgentsRequest())):
            with self.assertRaises(grpc.RpcError) as raised:
                call(request, metadata=metadata, timeout=10)
            self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAUTHENTICATED,
                             raised.exception.details())
            self.assertEqual(raised.exception.details(), EDGE_DETAILS)

    def assertAccepted(self, credential: str, authn=None):
        """`credential` authenticates, and opens run-executor's ListAgents."""
        response = (authn or AUTHN).Authenticate(
            authn_pb2.AuthenticateRequest(credential=credential), timeout=10)
        self.assertTrue(response.assertion)
        if authn is None:
            listed = AGENTS.ListAgents(runs_pb2.ListAgentsRequest(),
                                       metadata=bearer(credential), timeout=10)
            self.assertIn("echo", [a.agent_id for a in listed.agents])

    def refuse_each(self, cases):
        """cases: (name, credential, reason) -> assertRefused each."""
        for name, credential, reason in cases:
            with self.subTest(case=name):
                self.assertRefused(credential, reason)

    # ------------------------------------------------------------ alg none

    def test_alg_none_in_any_casing_with_or_without_signature(self):
        self.assertAccepted(signed())
        cases = []
        for alg in ("none", "None", "NONE", "nOnE"):
            unsigned = jose.compact({"alg": alg, "typ": "JWT"}, good_claims(),
                                    signature=b"")
            cases += [
                (f"{alg}, no signature", unsigned, "empty_segment"),
                (f"{alg}, junk signature", jose.with_signature(unsigned, os.urandom(64)),
                 "alg_none"),
                # Signed by the real key, still unsecured by its own header.
                (f"{alg}, kid it, real signature",
                 signed(header(alg=alg), key="it", alg="EdDSA"), "alg_none"),
            ]
        self.refuse_each(cases)

    def test_alg_missing_empty_not_a_string_or_unknown(self):
        def with_alg(alg):
            head = {"kid": "it", "typ": "JWT"}
            if alg is not ...:
                head["alg"] = alg
            return jose.compact(head, good_claims(), KEYS["it"], "EdDSA")
        self.refuse_each([
            ("missing", with_alg(...), "alg_missing"),
            ("empty", with_alg(""), "alg_missing"),
            ("null", with_alg(None), "alg_not_string"),
            ("number", with_alg(0), "alg_not_string"),
            ("true", with_alg(True), "alg_not_string"),
            ("array", with_alg(["EdDSA"]), "alg_not_string"),
            ("object", with_alg({"name": "EdDSA"}), "alg_not_string"),
            # The right algorithm in another spelling is another name.
            ("eddsa", with_alg("eddsa"), "alg_unsupported"),
            ("Ed25519", with_alg("Ed25519"), "alg_unsupported"),
            ("ES256K", with_alg("ES256K"), "alg_unsupported"),
            ("HS1", with_alg("HS1"), "alg_unsupported"),
        ])

    # ------------------------------------------------- algorithm confusion

    def test_hs256_signed_with_a_public_key_as_the_secret(self):
        cases = []
        for kid, key in KEYS.items():
            forms = {"PEM": jose.public_pem(key), "DER": jose.public_der(key),
                     "JWK": jose.json_bytes(jose.public_jwk(key, kid))}
            if kid == "it":
                forms["raw"] = key.public_key().public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            for form, secret in forms.items():
                for alg in ("HS256", "HS512"):
                    cases += [
                        (f"{alg} with {kid}'s {form}, kid {kid}",
                         jose.compact(header(kid, alg), good_claims(), secret),
                         "alg_not_allowed_for_key"),
                        (f"{alg} with {kid}'s {form}, no kid",
                         jose.compact({"alg": alg, "typ": "JWT"}, good_claims(), secret),
                         "no_default_key"),
                    ]
        self.refuse_each(cases)

    def test_an_algorithm_the_key_does_not_allow(self):
        for kid in KEYS:
            with self.subTest(control=kid):
                self.assertAccepted(signed(header(kid)))
        self.refuse_each([
            # The right family, another algorithm than the key's.
            *((f"{alg} by it-rsa", signed(header("it-rsa", alg)), "alg_not_allowed_for_key")
              for alg in ("RS384", "RS512", "PS256", "PS384", "PS512")),
            *((f"{alg} by it-ec", signed(header("it-ec", alg)), "alg_not_allowed_for_key")
              for alg in ("ES384", "ES512")),
            # A key type that does not fit the kid's key.
            ("ES256 by it-ec under kid it", signed(header("it", "ES256"), key="it-ec"),
             "alg_not_allowed_for_key"),
            ("RS256 by it-rsa under kid it", signed(header("it", "RS256"), key="it-rsa"),
             "alg_not_allowed_for_key"),
            ("EdDSA by it under kid it-ec", signed(header("it-ec", "EdDSA"), key="it"),
             "alg_not_allowed_for_key"),
            ("ES256 by it-ec under kid it-rsa", signed(header("it-rsa", "ES256"),
                                                       key="it-ec"),
             "alg_not_allowed_for_key"),
        ])

    # ------------------------------------------------ header-supplied keys

    def test_keys_in_the_header_are_never_trusted_or_fetched(self):
        attacker = ed25519.Ed25519PrivateKey.generate()
        certificate = self_signed_certificate(attacker)
        with socket.socket() as listener:
            # Where jku and x5u point: authn must never connect.
            listener.bind(("127.0.0.1", 0))
            listener.listen(8)
            url = "http://127.0.0.1:%d/keys" % listener.getsockname()[1]
            cases = []
            for kid in (None, "it"):
                for name, value in (
                        ("jwk", jose.public_jwk(attacker)),
                        ("jku", url), ("x5u", url),
                        ("x5c", [base64.b64encode(certificate).decode()])):
                    head = {"alg": "EdDSA", "typ": "JWT", name: value}
                    if kid:
                        head["kid"] = kid
                    cases.append((f"{name}, kid {kid}",
                                  jose.compact(head, good_claims(), attacker),
                                  "embedded_key"))
            # The real key embedded and the real signature: still refused,
            # the parameter itself is.
            cases.append(("the real key as jwk", signed(header(
                jwk=jose.public_jwk(KEYS["it"], "it"))), "embedded_key"))
            self.refuse_each(cases)
            listener.setblocking(False)
            with self.assertRaises(BlockingIOError, msg="authn fetched a header URL"):
                listener.accept()

    # ---------------------------------------------------------- kid abuse

    def test_kid_abuse(self):
        def with_kid(kid):
            return signed(header() | {"kid": kid}, key="it")
        self.refuse_each([
            ("path traversal", with_kid("../../../../dev/null"), "bad_kid"),
            ("traversal to a real kid", with_kid("x/../it"), "bad_kid"),
            ("dots only", with_kid("..it"), "bad_kid"),
            ("backslash", with_kid("..\\it"), "bad_kid"),
            ("absolute path", with_kid("/etc/passwd"), "bad_kid"),
            ("NUL byte", with_kid("it\u0000"), "bad_kid"),
            ("control character", with_kid("it\n"), "bad_kid"),
            ("non-ASCII", with_kid("it\u00e9"), "bad_kid"),
            ("SQL with spaces", with_kid("it' OR '1'='1"), "bad_kid"),
            ("SQL without spaces", with_kid("it'OR'1'='1'--"), "unknown_kid"),
            ("SQL with a comment", with_kid("it';DROP/**/TABLE/**/k;--"), "bad_kid"),
            ("257 bytes", with_kid("k" * 257), "bad_kid"),
            ("5000 bytes", with_kid("k" * 5000), "bad_kid"),
            ("empty", with_kid(""), "bad_kid"),
            ("number", with_kid(1), "bad_kid"),
            ("null", with_kid(None), "bad_kid"),
            ("another case", with_kid("IT"), "unknown_kid"),
        ])

    def test_a_flood_of_unknown_kids_is_refused_one_by_one(self):
        # authn reads its JWKS file on its own schedule, never for a kid it
        # does not know; each token is simply refused.
        for n in range(100):
            kid = "flood-" + secrets.token_hex(8)
            with self.subTest(n=n):
                self.assertRefused(signed(header() | {"kid": kid}, key="it"),
                                   "unknown_kid", edge=n % 10 == 0)
        self.assertAccepted(signed())

    # ------------------------------------------------ signatures that lie

    def test_bad_ecdsa_signatures(self):
        good = signed(header("it-ec"))
        self.assertAccepted(good)
        raw = jose.unb64url(jose.segments(good)[2])
        r, s = raw[:32], raw[32:]
        n = jose.P256_ORDER.to_bytes(32, "big")
        self.refuse_each([
            ("r = s = 0", jose.with_signature(good, bytes(64)), "bad_ecdsa_scalar"),
            ("r = 0", jose.with_signature(good, bytes(32) + s), "bad_ecdsa_scalar"),
            ("s = 0", jose.with_signature(good, r + bytes(32)), "bad_ecdsa_scalar"),
            ("r = n", jose.with_signature(good, n + s), "bad_ecdsa_scalar"),
            ("s = n", jose.with_signature(good, r + n), "bad_ecdsa_scalar"),
            ("r = n + 1", jose.with_signature(
                good, (jose.P256_ORDER + 1).to_bytes(32, "big") + s), "bad_ecdsa_scalar"),
            ("r = s = 2^256 - 1", jose.with_signature(good, b"\xff" * 64),
             "bad_ecdsa_scalar"),
            ("DER instead of R||S", jose.with_signature(good, jose.raw_to_der(raw)),
             "bad_signature_length"),
            ("63 bytes", jose.with_signature(good, raw[:63]), "bad_signature_length"),
            ("65 bytes", jose.with_signature(good, raw + b"\x00"), "bad_signature_length"),
            ("P-521 length", jose.with_signature(good, raw + bytes(68)),
             "bad_signature_length"),
            ("one bit off", jose.with_signature(good, raw[:-1] + bytes([raw[-1] ^ 1])),
             "bad_signature"),
            ("another token's signature", jose.with_signature(
                good, jose.unb64url(jose.segments(signed(header("it-ec")))[2])),
             "bad_signature"),
        ])

    def test_bad_rsa_and_eddsa_signatures(self):
        rsa_good, ed_good = signed(header("it-rsa")), signed(header("it"))
        self.assertAccepted(rsa_good)
        self.assertAccepted(ed_good)
        rsa_sig = jose.unb64url(jose.segments(rsa_good)[2])
        ed_sig = jose.unb64url(jose.segments(ed_good)[2])
        self.refuse_each([
            ("RSA: a byte short", jose.with_signature(rsa_good, rsa_sig[1:]),
             "bad_signature_length"),
            ("RSA: a leading zero more", jose.with_signature(rsa_good, b"\x00" + rsa_sig),
             "bad_signature_length"),
            ("RSA: half", jose.with_signature(rsa_good, rsa_sig[:128]),
             "bad_signature_length"),
            ("RSA: one bit off", jose.with_signature(
                rsa_good, rsa_sig[:-1] + bytes([rsa_sig[-1] ^ 1])), "bad_signature"),
            ("RSA: zero", jose.with_signature(rsa_good, bytes(256)), "bad_signature"),
            ("RSA: one", jose.with_signature(rsa_good, (1).to_bytes(256, "big")),
             "bad_signature"),
            ("RSA: above the modulus", jose.with_signature(rsa_good, b"\xff" * 256),
             "bad_signature"),
            ("EdDSA: 63 bytes", jose.with_signature(ed_good, ed_sig[:63]),
             "bad_signature_length"),
            ("EdDSA: 65 bytes", jose.with_signature(ed_good, ed_sig + b"\x00"),
             "bad_signature_length"),
            ("EdDSA: zero", jose.with_signature(ed_good, bytes(64)), "bad_signature"),
            ("EdDSA: one bit off", jose.with_signature(
                ed_good, ed_sig[:-1] + bytes([ed_sig[-1] ^ 1])), "bad_signature"),
            ("claims changed after signing", ".".join(
                [jose.segments(ed_good)[0],
                 jose.b64url(jose.json_bytes(good_claims(sub="root", roles=["owner"]))),
                 jose.segments(ed_good)[2]]), "bad_signature"),
        ])

    # ------------------------------------------- crit, JWE, nested, typ

    def test_crit_jwe_and_nested_tokens(self):
        inner = signed()
        self.refuse_each([
            ("crit b64", signed(header(crit=["b64"], b64=False)), "crit_unsupported"),
            ("crit exp", signed(header(crit=["exp"], exp=1)), "crit_unsupported"),
            ("crit empty", signed(header(crit=[])), "crit_unsupported"),
            ("crit not a list", signed(header(crit="b64")), "crit_unsupported"),
            ("JWE, 5 segments", ".".join([
                jose.b64url(jose.json_bytes({"alg": "RSA-OAEP", "enc": "A256GCM"})),
                jose.b64url(os.urandom(256)), jose.b64url(os.urandom(12)),
                jose.b64url(os.urandom(40)), jose.b64url(os.urandom(16))]), "jwe"),
            ("enc in a JWS header", signed(header(enc="A256GCM")), "jwe"),
            ("zip in a JWS header", signed(header(zip="DEF")), "jwe"),
            ("cty JWT", signed(header(cty="JWT")), "nested_jwt"),
            ("cty jwt", signed(header(cty="jwt")), "nested_jwt"),
            ("another cty", signed(header(cty="text/plain")), "bad_header"),
            ("payload is a JWT", signed(payload=inner.encode()), "nested_jwt"),
            ("payload is a JSON string holding a JWT",
             signed(payload=json.dumps(inner).encode()), "nested_jwt"),
        ])

    def test_a_required_typ_is_enforced(self):
        # A second authn, on the same keys, configured to require
        # typ "at+jwt" (RFC 9068 access tokens).
        with open(SUITE.dir / "authn-typ.log", "ab") as log:
            process, address = bastion_suite.spawn(
                bastion_suite.BINARIES["authn"], SUITE.dir / "authn-typ.port",
                dict(BASTION_LISTEN_ADDRESS="127.0.0.1:0",
                     BASTION_JWKS_FILE=str(SUITE.dir / "jwks.json"),
                     BASTION_ISSUER=ISSUER, BASTION_AUDIENCE="bastion",
                     BASTION_REQUIRED_TYP="at+jwt",
                     BASTION_ASSERTION_KEY_FILE=str(SUITE.dir / "assertion-typ.pem"),
                     BASTION_DATABASE_URL=None, BASTION_AUTHZ_ADDRESS=None,
                     BASTION_DATA_ADDRESS=None,
                     BASTION_SERVICE_KEY_FILE=str(SUITE.dir / "services/authn.pem")),
                stdout=log, stderr=log)
        self.addCleanup(process.wait, 20)
        self.addCleanup(process.terminate)
        self.assertIsNotNone(address, (SUITE.dir / "authn-typ.log").read_text())
        channel = grpc.insecure_channel(address)
        self.addCleanup(channel.close)
        authn = authn_pb2_grpc.AuthnStub(channel)
        for typ in ("at+jwt", "AT+JWT", "application/at+jwt"):
            with self.subTest(accepted=typ):
                self.assertAccepted(signed(header(typ=typ)), authn=authn)
        no_typ = header()
        del no_typ["typ"]
        for name, token in (("JWT", signed(header(typ="JWT"))), ("none", signed(no_typ)),
                            ("number", signed(header(typ=1))),
                            ("at+jwt2", signed(header(typ="at+jwt2")))):
            with self.subTest(refused=name):
                with self.assertRaises(grpc.RpcError) as raised:
                    authn.Authenticate(authn_pb2.AuthenticateRequest(credential=token),
                                       timeout=10)
                self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        log_text = (SUITE.dir / "authn-typ.log").read_text()
        self.assertEqual(log_text.count("jwt:typ_mismatch:"), 4, log_text)

    # ------------------------------------------------------------ structure

    def test_structure_defects(self):
        good = signed()
        h, p, s = jose.segments(good)
        self.assertAccepted(good)

        def head_json(text: bytes) -> str:
            return signed_text(jose.b64url(text), p)

        deep_header = (b'{"alg":"EdDSA","kid":"it","x":' + b"[" * 20 + b"]" * 20 + b"}")
        deep_claims = json.dumps(good_claims())[:-1] + ',"x":' + "[" * 20 + "]" * 20 + "}"
        # Header and payload JSON whose base64url leaves unused bits.
        odd_header = b'{"alg":"EdDSA","kid":"it"}'
        odd_payload = jose.json_bytes(good_claims())
        while len(odd_payload) % 3 == 0:
            odd_payload = odd_payload[:-1] + b" }"
        self.assertAccepted(signed_text(jose.b64url(odd_header), jose.b64url(odd_payload)))
        self.refuse_each([
            ("empty", "", "token_empty"),
            ("one segment", h, "segment_count"),
            ("two segments", f"{h}.{p}", "segment_count"),
            ("a trailing dot", good + ".", "segment_count"),
            ("two trailing dots", good + "..", "jwe"),
            ("six segments", good + ".a.b.c", "segment_count"),
            ("empty header", f".{p}.{s}", "empty_segment"),
            ("empty payload", f"{h}..{s}", "empty_segment"),
            ("empty signature", f"{h}.{p}.", "empty_segment"),
            ("padded header", signed_text(h + "=", p), "bad_base64"),
            ("padded payload", signed_text(h, p + "=="), "bad_base64"),
            ("padded signature", good + "==", "bad_base64"),
            ("standard base64 alphabet", signed_text(
                jose.b64url(odd_header).replace("J", "+"), p), "bad_base64"),
            ("header trailing bits", signed_text(
                jose.with_nonzero_trailing_bits(jose.b64url(odd_header)), p), "bad_base64"),
            ("payload trailing bits", signed_text(
                h, jose.with_nonzero_trailing_bits(jose.b64url(odd_payload))), "bad_base64"),
            ("signature trailing bits", f"{h}.{p}.{jose.with_nonzero_trailing_bits(s)}",
             "bad_base64"),
            ("a space inside", signed_text(h[:5] + " " + h[5:], p), "bad_base64"),
            ("a leading space", " " + good, "bad_base64"),
            ("a trailing newline", good + "\n", "bad_base64"),
            ("a tab inside", signed_text(h, p[:7] + "\t" + p[7:]), "bad_base64"),
            ("a BOM before the token", "\ufeff" + good, "bad_base64"),
            ("a BOM in the header JSON", head_json(b"\xef\xbb\xbf" + odd_header),
             "malformed_json"),
            ("invalid UTF-8 in the header", head_json(
                b'{"alg":"EdDSA","kid":"it","x":"\xff"}'), "malformed_json"),
            ("overlong UTF-8 in the header", head_json(
                b'{"alg":"EdDSA","kid":"it","x":"\xc0\xaf"}'), "malformed_json"),
            ("a lone surrogate", head_json(
                b'{"alg":"EdDSA","kid":"it","x":"\\ud800"}'), "malformed_json"),
            ("header not JSON", head_json(b"alg=EdDSA"), "malformed_json"),
            ("header an array", head_json(b'["EdDSA","it"]'), "not_json_object"),
            ("header a string", head_json(b'"EdDSA"'), "not_json_object"),
            ("header nested 21 deep", head_json(deep_header), "malformed_json"),
            ("duplicate alg", head_json(b'{"alg":"EdDSA","kid":"it","alg":"none"}'),
             "duplicate_key"),
            ("duplicate kid", head_json(b'{"alg":"EdDSA","kid":"it","kid":"it-ec"}'),
             "duplicate_key"),
            ("claims an array", signed(payload=b'["alice"]'), "not_json_object"),
            ("claims a number", signed(payload=b"7"), "not_json_object"),
            ("claims not JSON", signed(payload=b"sub=alice"), "malformed_json"),
            ("claims nested 21 deep", signed(payload=deep_claims.encode()),
             "malformed_json"),
            ("duplicate sub", signed(payload=jose.json_bytes(good_claims())[:-1] +
                                     b',"sub":"root"}'), "duplicate_key"),
        ])

    # --------------------------------------------------------------- claims

    def test_claim_defects(self):
        now = int(time.time())
        self.assertAccepted(signed(payload=good_claims()))
        # Within the 60 s leeway: still accepted (the boundary is exact).
        self.assertAccepted(signed(payload=good_claims(nbf=now + 30, iat=now + 30)))
        t = {"exp": now + 600}
        self.refuse_each([(name, signed(payload=payload), reason) for name, payload, reason in (
            ("exp past the leeway", good_claims(exp=now - 120, iat=now - 600, nbf=now - 600),
             "expired"),
            ("exp missing", good_claims(exp=None), "exp_missing"),
            ("exp a string", good_claims(exp=str(t["exp"])), "bad_time_claim"),
            ("exp a float", raw_claims(exp=f"{t['exp']}.5"), "bad_time_claim"),
            ("exp an exponent", raw_claims(exp="1.9e9"), "bad_time_claim"),
            ("exp an integer exponent", raw_claims(exp=f"{t['exp']}e0"), "bad_time_claim"),
            ("exp negative", good_claims(exp=-1), "bad_time_claim"),
            ("exp above 2^53", good_claims(exp=2 ** 53 + 1), "bad_time_claim"),
            ("exp huge", raw_claims(exp="1" + "0" * 400), "bad_time_claim"),
            ("exp NaN", raw_claims(exp="NaN"), "malformed_json"),
            ("exp Infinity", raw_claims(exp="Infinity"), "malformed_json"),
            ("exp null", good_claims(exp=None) | {"exp": None}, "bad_time_claim"),
            ("exp true", good_claims(exp=True), "bad_time_claim"),
            ("nbf in the future", good_claims(nbf=now + 600), "not_yet_valid"),
            ("nbf a string", good_claims(nbf=str(now)), "bad_time_claim"),
            ("iat in the future", good_claims(iat=now + 600), "issued_in_future"),
            ("iat a float", raw_claims(iat=f"{now}.25"), "bad_time_claim"),
            ("iat negative", good_claims(iat=-5), "bad_time_claim"),
            ("lifetime of two days", good_claims(exp=now + 2 * 86400), "lifetime_too_long"),
            ("iss missing", good_claims(iss=None), "iss_missing"),
            ("iss wrong", good_claims(iss="https://evil.example"), "iss_not_allowed"),
            ("iss with a trailing slash", good_claims(iss=ISSUER + "/"), "iss_not_allowed"),
            ("iss in another case", good_claims(iss=ISSUER.upper()), "iss_not_allowed"),
            ("iss an array", good_claims(iss=[ISSUER]), "iss_not_allowed"),
            ("aud missing", good_claims(aud=None), "aud_missing"),
            ("aud wrong", good_claims(aud="other"), "aud_not_allowed"),
            ("aud in another case", good_claims(aud="Bastion"), "aud_not_allowed"),
            ("aud wrong list", good_claims(aud=["other", "more"]), "aud_not_allowed"),
            ("aud empty", good_claims(aud=""), "bad_aud"),
            ("aud empty list", good_claims(aud=[]), "bad_aud"),
            ("aud a number", good_claims(aud=5), "bad_aud"),
            ("aud a list with a number", good_claims(aud=["bastion", 5]), "bad_aud"),
            ("aud an object", good_claims(aud={"bastion": True}), "bad_aud"),
            ("sub missing", good_claims(sub=None), "sub_missing"),
            ("sub empty", good_claims(sub=""), "bad_sub"),
            ("sub a number", good_claims(sub=7), "bad_sub"),
            ("sub a list", good_claims(sub=["alice"]), "bad_sub"),
            ("sub bastion:", good_claims(sub="bastion:authn"), "reserved_sub"),
            ("sub system:", good_claims(sub="system:root"), "reserved_sub"),
            ("sub service:", good_claims(sub="service:run_executor"), "reserved_sub"),
            ("sub SERVICE:", good_claims(sub="SERVICE:data"), "reserved_sub"),
            ("tenant empty", good_claims(tenant_id=""), "bad_tenant"),
            ("tenant a number", good_claims(tenant_id=1), "bad_tenant"),
            ("scopes a number", good_claims(scopes=5), "bad_scopes"),
            ("scopes with a number", good_claims(scopes=["agents:read", 5]), "bad_scopes"),
            ("roles an object", good_claims(roles={"owner": True}), "bad_roles"),
            ("jti a number", good_claims(jti=5), "bad_jti"),
        )])

    # ------------------------------------------------------ size, transport

    def test_tokens_above_8_kib_are_refused(self):
        # Validly signed tokens around authn's cap, grown by one claim.
        def token_of_length(length: int) -> str:
            # base64url makes 4 characters of 3 bytes: start a little short.
            start = (length - len(signed(payload=good_claims(pad="")))) * 3 // 4 - 8
            for pad in range(max(start, 0), length):
                candidate = signed(payload=good_claims(pad="x" * pad))
                if len(candidate) >= length:
                    return candidate
            raise AssertionError(length)
        fits = token_of_length(MAX_CREDENTIAL_BYTES - 1)
        too_big = token_of_length(MAX_CREDENTIAL_BYTES + 1)
        self.assertLessEqual(len(fits), MAX_CREDENTIAL_BYTES)
        self.assertLessEqual(len(too_big), MAX_CREDENTIAL_BYTES + 2)
        # The edges carry every request header together up to 16 KiB, so a
        # token at authn's cap reaches the guard, which takes it or refuses
        # it exactly as authn does; beyond 16 KiB the transport refuses the
        # request before the guard sees it.
        self.assertAccepted(fits)
        self.assertRefused(too_big)
        oversized = signed(payload=good_claims(pad="x" * 60000))
        self.assertRefused(oversized, edge=False)
        for call, request in (
                (DATA.CreateSession, data_pb2.CreateSessionRequest(
                    component_type=common_pb2.COMPONENT_TYPE_AGENT,
                    component_id="echo")),
                (AGENTS.ListAgents, runs_pb2.ListAgentsRequest())):
            with self.subTest(edge=call._method):
                with self.assertRaises(grpc.RpcError) as raised:
                    call(request, metadata=bearer(oversized), timeout=10)
                self.assertEqual(raised.exception.code(),
                                 grpc.StatusCode.RESOURCE_EXHAUSTED)

    def test_more_than_one_authorization_entry(self):
        token = signed()
        self.assertAccepted(token)
        assertion = AUTHN.Authenticate(authn_pb2.AuthenticateRequest(credential=token),
                                       timeout=10).assertion
        for name, metadata in (
                ("the same token twice", bearer(token) + bearer(token)),
                ("a good and a forged token", bearer(token) + bearer(signed()[:-4] + "AAAA")),
                ("a forged and a good token", bearer(signed()[:-4] + "AAAA") + bearer(token)),
                ("a token and an API key", bearer(token) + bearer("bst_" + "A" * 43)),
                ("a token and a principal assertion",
                 bearer(token) + [("x-bastion-principal-bin", assertion)]),
                ("two principal assertions", [("x-bastion-principal-bin", assertion)] * 2)):
            with self.subTest(case=name):
                self.assertEdgeRefuses(metadata)

    def test_schemes_other_than_bearer(self):
        token = signed()
        self.assertAccepted(token)
        basic = base64.b64encode(b"mallory:password").decode()
        for name, value in (
                ("Basic", "Basic " + basic), ("Token", "Token " + token),
                ("lower-case bearer", "bearer " + token),
                ("upper-case BEARER", "BEARER " + token),
                ("no scheme", token), ("Bearer alone", "Bearer"),
                ("Bearer and nothing", "Bearer "),
                ("two spaces", "Bearer  " + token),
                ("Bearer glued", "Bearer" + token),
                ("DPoP", "DPoP " + token)):
            with self.subTest(case=name):
                self.assertEdgeRefuses([("authorization", value)])

    # ------------------------------------------------------------ API keys

    def test_api_keys_expired_revoked_unknown_or_malformed_get_one_answer(self):
        owner = bearer(signed(payload=jose.claims(
            ISSUER, sub="kim", scopes=["api_keys:write", "api_keys:read",
                                       "api_keys:delete", "agents:read"])))

        def create(name: str):
            return AUTHN.CreateApiKey(authn_pb2.CreateApiKeyRequest(
                name=name, scopes=["agents:read"]), metadata=owner, timeout=10)

        live, expired, revoked, rotated = (create(n) for n in (
            "live", "expired", "revoked", "rotated"))
        self.assertAccepted(live.secret)
        # Time passing, as the database sees it (the key rows are authn's).
        SUITE.query("UPDATE bastion_authn.api_keys SET created_at = now() - interval '2 days',"
                    " expires_at = now() - interval '1 second' WHERE key_id = %s",
                    (expired.key.key_id,))
        AUTHN.RevokeApiKey(authn_pb2.RevokeApiKeyRequest(key_id=revoked.key.key_id),
                           metadata=owner, timeout=10)
        new = AUTHN.RotateApiKey(authn_pb2.RotateApiKeyRequest(key_id=rotated.key.key_id),
                                 metadata=owner, timeout=10)
        self.assertAccepted(new.secret)
        self.assertAccepted(rotated.secret, authn=AUTHN)  # within its grace period
        # (authn only: the edges would cache the answer for up to the
        # revocation bound.)
        SUITE.query("UPDATE bastion_authn.api_keys SET previous_expires_at = now() - "
                    "interval '1 second' WHERE key_id = %s", (rotated.key.key_id,))
        # The last of 43 base64url characters carries 2 padding bits: "A" and
        # "E" both leave them zero, so the secret stays well-formed.
        one_off = live.secret[:-1] + ("A" if live.secret[-1] != "A" else "E")
        # Every refusal is the same UNAUTHENTICATED with the same text
        # (assertRefused checks both); only authn's log tells them apart.
        self.refuse_each([
            ("expired", expired.secret, "api key: expired"),
            ("revoked", revoked.secret, "api key: revoked"),
            ("rotated out", rotated.secret, "api key: rotated secret past its grace"),
            ("unknown", "bst_" + jose.b64url(os.urandom(32)), "api key: unknown"),
            ("one character off", one_off, "api key: unknown"),
            ("prefix only", "bst_", "api key: malformed"),
            ("short", "bst_abc", "api key: malformed"),
            ("not base64url", "bst_" + "!" * 43, "api key: malformed"),
            ("too long", live.secret + "A", "api key: malformed"),
            # Not an API key at all in another case: read as a JWT.
            ("upper-case prefix", "BST_" + live.secret[4:], "segment_count"),
        ])
        # The live key still works, and a key never makes or rotates keys.
        self.assertAccepted(live.secret)
        for call, request in (
                (AUTHN.CreateApiKey, authn_pb2.CreateApiKeyRequest(
                    name="child", scopes=["agents:read"])),
                (AUTHN.RotateApiKey, authn_pb2.RotateApiKeyRequest(key_id=live.key.key_id))):
            with self.subTest(key_calls=call._method):
                with self.assertRaises(grpc.RpcError) as raised:
                    call(request, metadata=bearer(live.secret), timeout=10)
                self.assertEqual(raised.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        # Those refusals changed nothing; the setup above did.
        self.before = SUITE.table_digests(without_audit=True)

    def test_a_revoked_api_key_stops_at_the_edge_within_the_bound(self):
        owner = bearer(signed(payload=jose.claims(
            ISSUER, sub="lee", scopes=["api_keys:write", "api_keys:delete",
                                       "agents:read"])))
        key = AUTHN.CreateApiKey(authn_pb2.CreateApiKeyRequest(
            name="short-lived", scopes=["agents:read"]), metadata=owner, timeout=10)
        self.assertAccepted(key.secret)  # now in the edge's answer cache
        AUTHN.RevokeApiKey(authn_pb2.RevokeApiKeyRequest(key_id=key.key.key_id),
                           metadata=owner, timeout=10)
        revoked_at = time.monotonic()
        while True:
            started = time.monotonic()
            try:
                AGENTS.ListAgents(runs_pb2.ListAgentsRequest(), metadata=bearer(key.secret),
                                  timeout=10)
            except grpc.RpcError as error:
                self.assertEqual(error.code(), grpc.StatusCode.UNAUTHENTICATED)
                break
            self.assertLessEqual(started - revoked_at, REVOCATION_BOUND_SECONDS,
                                 "a call started after the revocation bound succeeded")
            time.sleep(0.05)
        self.assertRefused(key.secret, "api key: revoked")
        self.before = SUITE.table_digests(without_audit=True)

    # ------------------------------------------------------------- startup

    def test_authn_refuses_to_start_without_good_keys(self):
        jwks = json.loads((SUITE.dir / "jwks.json").read_text())
        ec_key = next(k for k in jwks["keys"] if k["kid"] == "it-ec")
        weak_rsa = rsa.generate_private_key(65537, 1024)
        bad_files = {
            "missing": None,
            "not JSON": "{keys: []}",
            "no keys": json.dumps({"keys": []}),
            "a key for encryption": json.dumps({"keys": jwks["keys"] + [
                dict(ec_key, kid="enc", use="enc")]}),
            "a key without verify": json.dumps({"keys": jwks["keys"] + [
                dict(ec_key, kid="ops", key_ops=["sign"])]}),
            "crv that does not fit kty": json.dumps({"keys": jwks["keys"] + [
                dict(ec_key, kid="crv", crv="Ed25519")]}),
            "alg that does not fit kty": json.dumps({"keys": jwks["keys"] + [
                dict(ec_key, kid="alg", alg="RS256")]}),
            "a 1024-bit RSA key": json.dumps({"keys": jwks["keys"] + [
                jose.public_jwk(weak_rsa, "weak")]}),
            "a private member": json.dumps({"keys": jwks["keys"] + [
                dict(ec_key, kid="priv", d=jose.b64url(os.urandom(32)))]}),
        }
        for name, text in bad_files.items():
            path = SUITE.dir / f"bad-{len(name)}-{abs(hash(name))}.json"
            if text is not None:
                path.write_text(text)
            with self.subTest(jwks=name):
                self.assertAuthnRefusesToStart(BASTION_JWKS_FILE=str(path))
        # An HMAC secret shorter than its hash (HS256: 32 bytes), given inline.
        with self.subTest(hmac="31-byte secret"):
            self.assertAuthnRefusesToStart(BASTION_JWKS_FILE=None,
                                           BASTION_VERIFICATION_KEY="s" * 31)
        # The control: the same environment with a good key starts.
        with self.subTest(control="32-byte secret"):
            process, address = self.spawn_authn(BASTION_JWKS_FILE=None,
                                                BASTION_VERIFICATION_KEY="s" * 32)
            process.terminate()
            process.wait(20)
            self.assertIsNotNone(address)

    def spawn_authn(self, **env):
        with open(SUITE.dir / "authn-startup.log", "ab") as log:
            return bastion_suite.spawn(
                bastion_suite.BINARIES["authn"], SUITE.dir / "authn-startup.port",
                dict(dict(BASTION_LISTEN_ADDRESS="127.0.0.1:0", BASTION_ISSUER=ISSUER,
                          BASTION_AUDIENCE="bastion",
                          BASTION_ASSERTION_KEY_FILE=str(SUITE.dir / "assertion-s.pem"),
                          BASTION_DATABASE_URL=None, BASTION_AUTHZ_ADDRESS=None,
                          BASTION_DATA_ADDRESS=None, BASTION_JWKS_FILE=None,
                          BASTION_VERIFICATION_KEY=None,
                          BASTION_SERVICE_KEY_FILE=str(SUITE.dir / "services/authn.pem")),
                     **env),
                timeout=20, stdout=log, stderr=log)

    def assertAuthnRefusesToStart(self, **env):
        process, address = self.spawn_authn(**env)
        if address is not None:
            process.terminate()
            process.wait(20)
            self.fail("authn started")
        self.assertNotEqual(process.wait(20), 0)


def self_signed_certificate(key) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .sign(key, None))
    return certificate.public_bytes(serialization.Encoding.DER)


if __name__ == "__main__":
    bastion_suite.main()
