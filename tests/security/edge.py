"""The suite's RPCs as the security tests address them: which binary serves
which proto, every method enumerated from the descriptors with the
permission it declares, requests from text protos, and bearer tokens of
the suite's JWT key minted in-process."""

import functools

from google.protobuf import symbol_database, text_format

import jose
from bastion_suite import ISSUER
from bastion.authn.v1 import authn_pb2
from bastion.authz.v1 import authz_pb2
from bastion.common.v1 import common_pb2
from bastion.data.v1 import data_pb2
from bastion.runs.v1 import runs_pb2

# Which binary serves the services of which proto file.
SERVED_BY = {
    "authn": authn_pb2.DESCRIPTOR,
    "authz": authz_pb2.DESCRIPTOR,
    "data": data_pb2.DESCRIPTOR,
    "run_executor": runs_pb2.DESCRIPTOR,
}


def permission_of(method) -> common_pb2.Permission:
    return method.GetOptions().Extensions[common_pb2.permission]


def every_method(binaries=tuple(SERVED_BY)):
    """(binary, "Service/Method", MethodDescriptor) of every RPC the named
    binaries serve."""
    for binary in binaries:
        for service in SERVED_BY[binary].services_by_name.values():
            for method in service.methods:
                yield binary, f"{service.name}/{method.name}", method


def edge_methods():
    """Every RPC a user calls with its own credential on data and
    run-executor (the public edge): neither public nor internal."""
    for binary, name, method in every_method(("data", "run_executor")):
        permission = permission_of(method)
        if not permission.public and not permission.internal:
            yield binary, name, method


def find_method(binary: str, name: str):
    service, method = name.split("/")
    return SERVED_BY[binary].services_by_name[service].methods_by_name[method]


def new_request(method, text: str = ""):
    """A request of `method` parsed from a text proto."""
    request = symbol_database.Default().GetSymbol(method.input_type.full_name)()
    text_format.Parse(text, request)
    return request


def addressed_request(method, resource_id: str = "x1"):
    """A request of `method` whose declared id field (if any) names
    `resource_id`: well formed, so only identity decides the answer."""
    id_field = permission_of(method).id_field
    return new_request(method, f"{id_field}: '{resource_id}'" if id_field else "")


@functools.lru_cache(maxsize=None)
def _key(path: str):
    return jose.load_private_key(path)


def token(suite, sub: str, tenant: str, scopes=(), roles=()) -> str:
    """A valid bearer token of the suite's JWT key "it"."""
    return jose.compact({"alg": "EdDSA", "kid": "it", "typ": "JWT"},
                        jose.claims(ISSUER, sub=sub, tenant_id=tenant,
                                    scopes=list(scopes), roles=list(roles)),
                        _key(str(suite.key_file("it"))))
