#!/usr/bin/python3
"""Calls any Bastion RPC with a JSON request and prints the JSON response.

  call.py ADDRESS Service/Method [JSON] [--token TOKEN] [--timeout SECONDS]

  call.py localhost:7004 bastion.runs.v1.Agents/ListAgents --token "$TOKEN"
  call.py localhost:7003 bastion.data.v1.Sessions/CreateSession \
      '{"name": "first"}' --token "$TOKEN"
  call.py localhost:7001 grpc.health.v1.Health/Check   (health needs no token)

Server-streaming methods print one JSON object per message. Uses the Python
stubs Bazel generates (bazel build //protos:all). Exit code 0 on OK, else 1
with "CODE: message" on stderr.
"""

import argparse
import importlib
import json
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The stubs Bazel generated: bazel-bin/ of a checkout, or beside this file
# in a test's runfiles.
GENERATED = next((folder for folder in (ROOT / "bazel-bin" / "protos", ROOT / "protos")
                  if any(folder.glob("bastion/*/v1/*_pb2.py"))),
                 ROOT / "bazel-bin" / "protos")


def load_stubs() -> None:
    if not any(GENERATED.glob("bastion/*/v1/*_pb2.py")):
        raise SystemExit("no generated stubs: run `bazel build //protos:all` first")
    sys.path.insert(0, str(GENERATED))
    for path in sorted(GENERATED.glob("bastion/*/v1/*_pb2.py")):
        module = ".".join(path.relative_to(GENERATED).with_suffix("").parts)
        importlib.import_module(module)


HEALTH_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def health_status(channel, timeout: float, wait_for_ready: bool = True) -> int:
    """grpc.health.v1.Health/Check for the whole server ("" service) on
    `channel`; returns the status enum (1 is SERVING). Raises grpc.RpcError.

    Debian's python3-grpcio ships no health stubs, and the messages are
    tiny: the request is empty, the response is field 1 (a varint enum).
    The integration tests (tests/integration/bastion_suite.py) use this too.
    """
    call = channel.unary_unary("/grpc.health.v1.Health/Check",
                               request_serializer=lambda _: b"",
                               response_deserializer=lambda data: data)
    data = call(None, timeout=timeout, wait_for_ready=wait_for_ready)
    return data[1] if len(data) == 2 and data[0] == 0x08 else 0


def health_check(address: str, timeout: float) -> int:
    """Prints the server's health as JSON; 0 when SERVING."""
    import grpc

    with grpc.insecure_channel(address) as channel:
        try:
            status = health_status(channel, timeout)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    print(json.dumps({"status": HEALTH_STATUS.get(status, "UNKNOWN")}))
    return 0 if status == 1 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address")
    parser.add_argument("method", help="full service name/method")
    parser.add_argument("request", nargs="?", default="{}", help="request as JSON")
    parser.add_argument("--token", default=os.environ.get("BASTION_TOKEN", ""))
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    import grpc
    from google.protobuf import descriptor_pool, json_format, symbol_database

    if args.method == "grpc.health.v1.Health/Check":
        return health_check(args.address, args.timeout)
    load_stubs()
    service_name, _, method_name = args.method.partition("/")
    pool = descriptor_pool.Default()
    try:
        method = pool.FindServiceByName(service_name).methods_by_name[method_name]
    except KeyError:
        raise SystemExit(f"unknown method {args.method}")
    symbols = symbol_database.Default()
    request_class = symbols.GetSymbol(method.input_type.full_name)
    response_class = symbols.GetSymbol(method.output_type.full_name)
    request = json_format.Parse(args.request, request_class())

    metadata = [("authorization", "Bearer " + args.token)] if args.token else []
    path = f"/{service_name}/{method_name}"
    with grpc.insecure_channel(args.address) as channel:
        kwargs = dict(request_serializer=request_class.SerializeToString,
                      response_deserializer=response_class.FromString)
        try:
            if method.server_streaming:
                call = channel.unary_stream(path, **kwargs)
                for message in call(request, timeout=args.timeout, metadata=metadata):
                    print(json_format.MessageToJson(message, indent=None))
            else:
                call = channel.unary_unary(path, **kwargs)
                response = call(request, timeout=args.timeout, metadata=metadata)
                print(json_format.MessageToJson(response, indent=2))
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
