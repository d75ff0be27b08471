#!/usr/bin/env bash
# Generates Python message classes and gRPC stubs from Bastion's protos with
# Debian's protoc and grpc_python_plugin (packages protobuf-compiler and
# protobuf-compiler-grpc; python3-grpcio and python3-protobuf run them).
#
#   examples/python/generate.sh [OUT_DIR]     (default: examples/python/generated)
#
# Then put OUT_DIR on PYTHONPATH and import, e.g.
#   from bastion.data.v1 import data_pb2, data_pb2_grpc
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${1:-$ROOT/examples/python/generated}"
mkdir -p "$OUT"
cd "$ROOT/protos"
# The public protos (bastion/test holds test-only services).
mapfile -t PROTOS < <(find bastion -name '*.proto' ! -path 'bastion/test/*' | sort)
# -I/usr/include finds google/protobuf/descriptor.proto (libprotobuf-dev),
# which common.proto imports for its method options.
protoc -I. -I/usr/include --python_out="$OUT" --grpc_out="$OUT" \
  --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin "${PROTOS[@]}"
echo "generated ${#PROTOS[@]} protos into $OUT"
