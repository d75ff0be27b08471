#!/usr/bin/python3
"""Bastion from Python: two users of one tenant log in with development
tokens; alice creates a session and memories and lists them; bob asks for
alice's session and memory by id and is told NOT_FOUND, and his own list is
empty of hers.

Uses the stubs examples/python/generate.sh writes from the protos:

  examples/python/generate.sh
  PYTHONPATH=examples/python/generated examples/python/walkthrough.py

Options (defaults fit `tools/up.sh`): --authn ADDRESS (127.0.0.1:7001),
--data ADDRESS (127.0.0.1:7003), --dev-key PEM
(.bastion/keys/dev.private.pem), --kid (dev), --issuer
(https://dev.bastion.local), --audience (bastion), --tenant (acme).
Prints each step; exits 0 when every check held, 1 (with "check failed:
...") when one did not, 2 when a call failed unexpectedly.
"""

import argparse
import sys
import time
import uuid

import grpc
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from bastion.authn.v1 import authn_pb2, authn_pb2_grpc
from bastion.common.v1 import common_pb2
from bastion.data.v1 import data_pb2, data_pb2_grpc


class CheckFailed(Exception):
    pass


def dev_token(key_file: str, kid: str, issuer: str, audience: str,
              subject: str, tenant: str, roles: list) -> str:
    """A development token: a JWT signed with the development key, the way
    `tools/mint_token.py` and `bastion login --dev-key` make one."""
    with open(key_file, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    algorithm = {ed25519.Ed25519PrivateKey: "EdDSA", rsa.RSAPrivateKey: "RS256",
                 ec.EllipticCurvePrivateKey: "ES256"}
    alg = next((a for cls, a in algorithm.items() if isinstance(key, cls)), None)
    if alg is None:
        raise SystemExit(f"unsupported key type in {key_file}")
    now = int(time.time())
    claims = {"sub": subject, "iss": issuer, "aud": audience, "iat": now,
              "nbf": now, "exp": now + 900, "jti": uuid.uuid4().hex,
              "tenant_id": tenant, "roles": roles}
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


class User:
    """One logged-in user: the token goes in `authorization: Bearer` on
    every call."""

    def __init__(self, name: str, token: str, authn, data) -> None:
        self.name = name
        self.metadata = (("authorization", "Bearer " + token),)
        self.token = token
        self.authn = authn_pb2_grpc.AuthnStub(authn)
        self.sessions = data_pb2_grpc.SessionsStub(data)
        self.memories = data_pb2_grpc.MemoriesStub(data)

    def login(self) -> common_pb2.Principal:
        # Authenticate is public: the credential in the request is what it
        # checks, and the answer says who the token belongs to.
        reply = self.authn.Authenticate(
            authn_pb2.AuthenticateRequest(credential=self.token), timeout=10)
        return reply.principal


def expect_not_found(what: str, call) -> None:
    try:
        call()
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise CheckFailed(f"{what}: expected NOT_FOUND, got {error.code().name}")
        print(f"{what}: NOT_FOUND")
        return
    raise CheckFailed(f"{what}: expected NOT_FOUND, but it answered")


def walkthrough(args) -> None:
    authn = grpc.insecure_channel(args.authn)
    data = grpc.insecure_channel(args.data)
    users = {}
    for name in ("alice", "bob"):
        token = dev_token(args.dev_key, args.kid, args.issuer, args.audience,
                          name, args.tenant, ["member"])
        users[name] = User(name, token, authn, data)
        principal = users[name].login()
        print(f"{name} logged in: subject {principal.subject}, tenant "
              f"{principal.tenant_id}, roles {' '.join(principal.roles)}")
    alice, bob = users["alice"], users["bob"]

    session = alice.sessions.CreateSession(data_pb2.CreateSessionRequest(
        component_type=common_pb2.COMPONENT_TYPE_AGENT, component_id="echo",
        name="walkthrough from Python"), metadata=alice.metadata, timeout=10)
    print(f"alice created session {session.session_id} (owner {session.user_id})")

    texts = ["prefers short answers", "works in the Berlin office"]
    created = []
    for text in texts:
        memory = alice.memories.CreateMemory(data_pb2.CreateMemoryRequest(
            text=text, topics=["walkthrough"]), metadata=alice.metadata, timeout=10)
        created.append(memory.memory_id)
        print(f"alice created memory {memory.memory_id}: {memory.text}")

    listed = alice.memories.ListMemories(data_pb2.ListMemoriesRequest(
        topic="walkthrough", sort_order=data_pb2.SORT_ORDER_ASC),
        metadata=alice.metadata, timeout=10).memories
    print(f"alice lists {len(listed)} memories: "
          + "; ".join(memory.text for memory in listed))
    if sorted(memory.memory_id for memory in listed) != sorted(created):
        raise CheckFailed("alice's list is not the memories she created")

    expect_not_found("bob reads alice's session", lambda: bob.sessions.GetSession(
        data_pb2.GetSessionRequest(session_id=session.session_id),
        metadata=bob.metadata, timeout=10))
    expect_not_found("bob reads alice's memory", lambda: bob.memories.GetMemory(
        data_pb2.GetMemoryRequest(memory_id=created[0]),
        metadata=bob.metadata, timeout=10))
    theirs = bob.memories.ListMemories(data_pb2.ListMemoriesRequest(
        topic="walkthrough"), metadata=bob.metadata, timeout=10).memories
    print(f"bob lists {len(theirs)} memories")
    if any(memory.user_id != "bob" for memory in theirs):
        raise CheckFailed("bob's list holds someone else's memory")
    print("every check held: each user sees only their own")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authn", default="127.0.0.1:7001")
    parser.add_argument("--data", default="127.0.0.1:7003")
    parser.add_argument("--dev-key", default=".bastion/keys/dev.private.pem")
    parser.add_argument("--kid", default="dev")
    parser.add_argument("--issuer", default="https://dev.bastion.local")
    parser.add_argument("--audience", default="bastion")
    parser.add_argument("--tenant", default="acme")
    args = parser.parse_args()
    try:
        walkthrough(args)
    except CheckFailed as failure:
        print(f"check failed: {failure}", file=sys.stderr)
        return 1
    except grpc.RpcError as error:
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
