#!/usr/bin/python3
"""Generates a JWT signing key and publishes its public half in a JWKS file.

For teams that issue their own tokens to Bastion (and for the development
keys of tools/up.sh). Writes, in --out:
  <kid>.private.pem   the signing key (mode 0600), or <kid>.secret for HMAC
  <kid>.public.pem    the public key (asymmetric types)
and adds or replaces the key with that kid in --jwks (a JWKS document authn
reads with BASTION_JWKS_FILE; HMAC secrets are never put in a JWKS file).

  keygen.py --type rsa|ec|ed25519|hmac --kid KID --out DIR [--jwks FILE]
"""

import argparse
import base64
import json
import os
import secrets
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

ALGORITHMS = {"rsa": "RS256", "ec": "ES256", "ed25519": "EdDSA", "hmac": "HS256"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def int_bytes(value: int, length: int = 0) -> bytes:
    length = length or (value.bit_length() + 7) // 8
    return value.to_bytes(length, "big")


def write_private(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def public_jwk(key, kid: str, alg: str) -> dict:
    public = key.public_key()
    jwk = {"kid": kid, "alg": alg, "use": "sig"}
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        jwk.update(kty="RSA", n=b64url(int_bytes(numbers.n)), e=b64url(int_bytes(numbers.e)))
    elif isinstance(public, ec.EllipticCurvePublicKey):
        numbers = public.public_numbers()
        jwk.update(kty="EC", crv="P-256", x=b64url(int_bytes(numbers.x, 32)),
                   y=b64url(int_bytes(numbers.y, 32)))
    else:
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk.update(kty="OKP", crv="Ed25519", x=b64url(raw))
    return jwk


def add_to_jwks(path: str, jwk: dict) -> None:
    keys = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            keys = json.load(f).get("keys", [])
    keys = [k for k in keys if k.get("kid") != jwk["kid"]] + [jwk]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"keys": keys}, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)  # atomic: authn never reads half a file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--type", choices=sorted(ALGORITHMS), required=True)
    parser.add_argument("--kid", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--jwks", help="JWKS file to add the public key to")
    args = parser.parse_args()
    if not args.kid.replace("-", "").replace("_", "").replace(".", "").isalnum():
        parser.error("--kid must be letters, digits, '-', '_' or '.'")
    os.makedirs(args.out, exist_ok=True)
    base = os.path.join(args.out, args.kid)

    if args.type == "hmac":
        write_private(base + ".secret", b64url(secrets.token_bytes(32)).encode())
        print(base + ".secret")
        return 0

    key = {"rsa": lambda: rsa.generate_private_key(65537, 2048),
           "ec": lambda: ec.generate_private_key(ec.SECP256R1()),
           "ed25519": ed25519.Ed25519PrivateKey.generate}[args.type]()
    write_private(base + ".private.pem", key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with open(base + ".public.pem", "wb") as out:
        out.write(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    if args.jwks:
        add_to_jwks(args.jwks, public_jwk(key, args.kid, ALGORITHMS[args.type]))
    print(base + ".private.pem")
    return 0


if __name__ == "__main__":
    sys.exit(main())
