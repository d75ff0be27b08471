"""Hand-made JSON Web Tokens for the security suite: every part of a compact
JWS (header, claims, signature) built byte by byte, so a test can break
exactly one thing (a header parameter, a claim's JSON type, a signature's
encoding, base64url padding, ...) and keep the rest valid.

Signing follows RFC 7518 with python3-cryptography: HS* (HMAC), RS* (PKCS #1
v1.5), PS* (PSS, salt = hash length), ES* (raw R || S, each the curve's size)
and EdDSA (Ed25519).
"""

import base64
import hashlib
import hmac
import json
import time
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)

_HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}

# Order n of the P-256 group (FIPS 186-4 D.1.2.3).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def json_bytes(value) -> bytes:
    """Compact JSON of `value`; bytes are taken as already-encoded JSON."""
    if isinstance(value, bytes):
        return value
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def load_private_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def public_pem(private_key) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_der(private_key) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_jwk(private_key, kid: str = "") -> dict:
    """The public half of an RSA, P-256 or Ed25519 key as a JWK."""
    public = private_key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        jwk = {"kty": "RSA", "n": b64url(_int_bytes(numbers.n)),
               "e": b64url(_int_bytes(numbers.e))}
    elif isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        jwk = {"kty": "EC", "crv": "P-256", "x": b64url(_int_bytes(numbers.x, 32)),
               "y": b64url(_int_bytes(numbers.y, 32))}
    else:
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(public.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw))}
    if kid:
        jwk["kid"] = kid
    return jwk


def _int_bytes(value: int, length: int = 0) -> bytes:
    return value.to_bytes(length or (value.bit_length() + 7) // 8, "big")


def sign(alg: str, key, signing_input: bytes) -> bytes:
    """The JWS signature of `signing_input` with `key` (a private key, or
    bytes as the HMAC secret) for the algorithm named `alg`."""
    family, bits = alg[:2], alg[2:]
    if family == "HS":
        return hmac.new(key, signing_input, getattr(hashlib, "sha" + bits)).digest()
    if family == "RS":
        return key.sign(signing_input, padding.PKCS1v15(), _HASHES[bits]())
    if family == "PS":
        return key.sign(signing_input, padding.PSS(
            mgf=padding.MGF1(_HASHES[bits]()), salt_length=int(bits) // 8),
            _HASHES[bits]())
    if family == "ES":
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(_HASHES[bits]())))
        size = (key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if alg == "EdDSA":
        return key.sign(signing_input)
    raise ValueError(f"no signer for {alg}")


def raw_to_der(signature: bytes) -> bytes:
    """An ES* raw R || S signature in the DER form JWS does not allow."""
    half = len(signature) // 2
    return encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                int.from_bytes(signature[half:], "big"))


def claims(issuer: str, ttl: int = 600, **changes) -> dict:
    """A valid claim set from `issuer` for alice of tenant t1 (aud
    "bastion", iat = nbf = now, exp after `ttl` seconds, a random jti),
    with `changes` applied: a value replaces the claim, None removes it."""
    now = int(time.time())
    out = {"sub": "alice", "iss": issuer, "aud": "bastion", "iat": now, "nbf": now,
           "exp": now + ttl, "jti": uuid.uuid4().hex, "tenant_id": "t1"}
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def compact(header, payload, key=None, alg: str = "", signature: bytes = None) -> str:
    """A compact JWS of `header` and `payload` (dicts, or bytes taken as
    the exact JSON text). The signature is `signature` when given, else
    made with `key` for `alg` (default: the header's alg)."""
    signing_input = b64url(json_bytes(header)) + "." + b64url(json_bytes(payload))
    if signature is None:
        signature = sign(alg or header["alg"], key, signing_input.encode("ascii"))
    return signing_input + "." + b64url(signature)


def segments(token: str) -> list:
    return token.split(".")


def with_signature(token: str, signature: bytes) -> str:
    """`token` with its signature replaced by `signature`."""
    header, payload, _ = token.split(".")
    return f"{header}.{payload}.{b64url(signature)}"


def with_nonzero_trailing_bits(segment: str) -> str:
    """`segment` (base64url whose length is not a multiple of 4) with the
    unused low bits of its last character set: a lenient decoder yields the
    same bytes, a strict one must refuse."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused = {2: 4, 3: 2}[len(segment) % 4]
    value = alphabet.index(segment[-1]) | ((1 << unused) - 1)
    return segment[:-1] + alphabet[value]
