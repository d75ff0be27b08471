#!/usr/bin/python3
"""Mints a JWT that Bastion's authn accepts, from a key made by keygen.py.

  mint_token.py --key DIR/KID.private.pem --kid KID --sub alice \
      --scopes "agents:read sessions:read" [--tenant t1] [--roles member] \
      [--aud bastion] [--iss https://dev.bastion.local] [--ttl 3600]
      [--iat UNIX] [--exp UNIX]

The algorithm follows the key (RS256, ES256, EdDSA; HS256 for a .secret file).
Prints the token on stdout.
"""

import argparse
import sys
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def load_key(path: str):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".secret"):
        return data.strip(), "HS256"
    key = serialization.load_pem_private_key(data, password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        return key, "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key, "ES256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key, "EdDSA"
    raise SystemExit(f"unsupported key type in {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", required=True)
    parser.add_argument("--kid", required=True)
    parser.add_argument("--sub", required=True)
    parser.add_argument("--scopes", default="", help="space-separated scopes")
    parser.add_argument("--tenant", default="")
    parser.add_argument("--roles", default="", help="space-separated roles")
    parser.add_argument("--aud", default="bastion")
    parser.add_argument("--iss", default="https://dev.bastion.local")
    parser.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    parser.add_argument("--iat", type=int, help="issued at (Unix seconds; default now)")
    parser.add_argument("--exp", type=int,
                        help="expiry (Unix seconds; default iat + ttl), e.g. in the past")
    args = parser.parse_args()

    key, alg = load_key(args.key)
    issued = args.iat if args.iat is not None else int(time.time())
    expires = args.exp if args.exp is not None else issued + args.ttl
    claims = {"sub": args.sub, "iss": args.iss, "aud": args.aud, "iat": issued,
              "nbf": issued, "exp": expires, "jti": uuid.uuid4().hex,
              "scopes": args.scopes.split()}
    if args.tenant:
        claims["tenant_id"] = args.tenant
    if args.roles:
        claims["roles"] = args.roles.split()
    print(jwt.encode(claims, key, algorithm=alg, headers={"kid": args.kid, "typ": "JWT"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
