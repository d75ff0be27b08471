#!/usr/bin/python3
"""Generates the README's scope and configuration references from the protos.

  reference.py DESCRIPTORS README --check   exit 1 when the README differs
  reference.py DESCRIPTORS README --write   rewrite the generated sections

DESCRIPTORS is a FileDescriptorSet with source info (//protos:descriptor_set).
The README holds each generated section between the lines
`<!-- BEGIN GENERATED: NAME -->` and `<!-- END GENERATED: NAME -->`; text
outside them is never touched. tools/docs/update_readme.sh runs --write.
"""

import argparse
import difflib
import re
import sys

from google.protobuf import descriptor_pb2

# The permission method option (bastion.common.v1.permission), read from the
# raw option bytes so this tool needs no generated Python stubs.
PERMISSION_FIELD = 51234

# Proto packages whose services make up the public contract, in README order.
SERVICE_PACKAGES = ["bastion.authn.v1", "bastion.authz.v1", "bastion.data.v1",
                    "bastion.runs.v1"]

# Top-level configuration message of each binary, in README order.
CONFIG_MESSAGES = [
    ("authn", "bastion.authn.v1.AuthnConfig"),
    ("authz", "bastion.authz.v1.AuthzConfig"),
    ("data", "bastion.data.v1.DataConfig"),
    ("run-executor", "bastion.runs.v1.RunExecutorConfig"),
]

ENV_PREFIX = "BASTION_"

# FieldDescriptorProto types whose values an environment variable can set
# (common/config: singular scalars and repeated strings).
SCALAR_TYPES = {
    descriptor_pb2.FieldDescriptorProto.TYPE_STRING: "string",
    descriptor_pb2.FieldDescriptorProto.TYPE_BOOL: "bool",
    descriptor_pb2.FieldDescriptorProto.TYPE_INT32: "int32",
    descriptor_pb2.FieldDescriptorProto.TYPE_INT64: "int64",
    descriptor_pb2.FieldDescriptorProto.TYPE_UINT32: "uint32",
    descriptor_pb2.FieldDescriptorProto.TYPE_UINT64: "uint64",
    descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE: "double",
    descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT: "float",
    descriptor_pb2.FieldDescriptorProto.TYPE_BYTES: "bytes",
}


class Permission:
    """The decoded bastion.common.v1.Permission of one method."""

    def __init__(self, raw: bytes):
        self.resource = self.action = self.id_field = ""
        self.public = self.internal = self.authenticated_only = False
        for number, value in _fields(raw):
            if number == 1:
                self.resource = value.decode()
            elif number == 2:
                self.action = value.decode()
            elif number == 3:
                self.id_field = value.decode()
            elif number == 4:
                self.public = bool(value)
            elif number == 5:
                self.internal = bool(value)
            elif number == 6:
                self.authenticated_only = bool(value)

    def describe(self) -> str:
        if self.public:
            return "public (no credential)"
        scope = ""
        if self.resource:
            scope = f"`{self.resource}:{self.action}`"
            if self.id_field:
                scope = (f"`{self.resource}:{self.action}` or "
                         f"`{self.resource}:<{self.id_field}>:{self.action}`")
        if self.internal:
            who = "a trusted service" if not self.resource else (
                "a trusted service, for a user")
            return f"internal: {who}" + (f" ({scope})" if scope else "")
        if self.authenticated_only:
            return f"any authenticated caller, for itself ({scope})"
        return scope


def _varint(data: bytes, pos: int):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes):
    """(field number, value) of a serialized message: ints or bytes."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value = data[pos:pos + length]
            pos += length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, value


def permission_of(method: descriptor_pb2.MethodDescriptorProto):
    raw = method.options.SerializeToString()
    for number, value in _fields(raw):
        if number == PERMISSION_FIELD:
            return Permission(value)
    return None


def comments(file: descriptor_pb2.FileDescriptorProto):
    """Leading comments by source path (tuple)."""
    found = {}
    for location in file.source_code_info.location:
        if location.leading_comments:
            found[tuple(location.path)] = location.leading_comments
    return found


def one_line(text: str) -> str:
    text = " ".join(line.strip() for line in text.strip().splitlines())
    return text.replace("|", "\\|")


def render_scopes(files) -> str:
    lines = ["| RPC | permission |", "|---|---|"]
    for package in SERVICE_PACKAGES:
        for file in files:
            if file.package != package:
                continue
            for service in file.service:
                for method in service.method:
                    permission = permission_of(method)
                    what = permission.describe() if permission else "**none**"
                    lines.append(f"| `{package}.{service.name}/{method.name}` "
                                 f"| {what} |")
    return "\n".join(lines)


def _message_index(files):
    index = {}
    for file in files:
        for number, message in enumerate(file.message_type):
            index[f"{file.package}.{message.name}"] = (file, number, message)
    return index


def _type_name(field) -> str:
    if field.type in SCALAR_TYPES:
        name = SCALAR_TYPES[field.type]
    else:
        name = field.type_name.rsplit(".", 1)[-1]
    if field.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED:
        return f"repeated {name}"
    return name


def _env_settable(field) -> bool:
    repeated = field.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
    if repeated:
        return field.type == descriptor_pb2.FieldDescriptorProto.TYPE_STRING
    return field.type in SCALAR_TYPES


def _config_rows(index, notes, number, message, prefix: str = "",
                 depth: int = 0) -> list:
    """The rows of `message`'s keys, with the keys of its message-typed
    fields under them (`runLimits.leaseSeconds`, `verificationKeys[].kid`),
    so every key a config file may hold is listed."""
    rows = []
    for field_number, field in enumerate(message.field):
        # Path: message_type (4) / index / field (2) / index.
        text = notes.get((4, number, 2, field_number), "")
        key = f"{prefix}{field.json_name}"
        env = (f"`{ENV_PREFIX}{field.name.upper()}`"
               if _env_settable(field) and not prefix else "(file only)")
        rows.append(f"| `{key}` | {_type_name(field)} | {env} | {one_line(text)} |")
        nested = index.get(field.type_name.lstrip("."))
        if (field.type == descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE and
                nested is not None and depth < 3):
            repeated = field.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
            nested_file, nested_number, nested_message = nested
            rows += _config_rows(index, comments(nested_file), nested_number,
                                 nested_message, key + ("[]." if repeated else "."),
                                 depth + 1)
    return rows


def render_config(files) -> str:
    index = _message_index(files)
    out = []
    for binary, full_name in CONFIG_MESSAGES:
        if full_name not in index:
            raise SystemExit(f"no message {full_name} in the descriptors")
        file, number, message = index[full_name]
        out.append(f"**{binary}** (`{full_name}`)")
        out.append("")
        out.append("| key | type | environment | meaning |")
        out.append("|---|---|---|---|")
        out += _config_rows(index, comments(file), number, message)
        out.append("")
    return "\n".join(out).rstrip()


SECTIONS = {
    "scopes": render_scopes,
    "config": render_config,
}

MARKER = re.compile(r"<!-- (BEGIN|END) GENERATED: ([a-z]+) -->")


def regenerate(readme: str, files) -> str:
    lines = readme.split("\n")
    result = []
    inside = None
    seen = set()
    for line in lines:
        match = MARKER.fullmatch(line.strip())
        if match and match.group(1) == "BEGIN":
            name = match.group(2)
            if name not in SECTIONS or inside:
                raise SystemExit(f"README: unexpected marker {line!r}")
            inside = name
            seen.add(name)
            result.append(line)
            result.append(SECTIONS[name](files))
            continue
        if match and match.group(1) == "END":
            if match.group(2) != inside:
                raise SystemExit(f"README: unexpected marker {line!r}")
            inside = None
            result.append(line)
            continue
        if inside is None:
            result.append(line)
    if inside:
        raise SystemExit(f"README: section {inside} is not closed")
    missing = set(SECTIONS) - seen
    if missing:
        raise SystemExit(f"README: no generated section {sorted(missing)}")
    return "\n".join(result)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("descriptors")
    parser.add_argument("readme")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--write", action="store_true")
    args = parser.parse_args()

    fds = descriptor_pb2.FileDescriptorSet()
    with open(args.descriptors, "rb") as f:
        fds.ParseFromString(f.read())
    with open(args.readme, encoding="utf-8") as f:
        readme = f.read()
    wanted = regenerate(readme, list(fds.file))
    if args.write:
        if wanted != readme:
            with open(args.readme, "w", encoding="utf-8") as f:
                f.write(wanted)
        return 0
    if wanted != readme:
        sys.stdout.writelines(difflib.unified_diff(
            readme.splitlines(True), wanted.splitlines(True),
            "README.md", "generated from the protos"))
        print("\nThe README's generated references disagree with the protos: "
              "run tools/docs/update_readme.sh", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
