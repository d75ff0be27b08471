#!/usr/bin/python3
"""Tests of tools/docs/reference.py, the README reference generator."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.getcwd(), "tools", "docs"))

from google.protobuf import descriptor_pb2  # noqa: E402

import reference  # noqa: E402

DESCRIPTORS = "protos/bastion_descriptors.pb"


def load_files():
    fds = descriptor_pb2.FileDescriptorSet()
    with open(DESCRIPTORS, "rb") as f:
        fds.ParseFromString(f.read())
    return list(fds.file)


def permission_bytes(**fields) -> bytes:
    """A serialized bastion.common.v1.Permission."""
    out = b""
    numbers = {"resource": 1, "action": 2, "id_field": 3}
    flags = {"public": 4, "internal": 5, "authenticated_only": 6}
    for name, value in fields.items():
        if name in numbers:
            data = value.encode()
            out += bytes([numbers[name] << 3 | 2, len(data)]) + data
        else:
            out += bytes([flags[name] << 3, 1 if value else 0])
    return out


class PermissionTest(unittest.TestCase):

    def test_scope_with_id_field(self):
        p = reference.Permission(permission_bytes(
            resource="sessions", action="read", id_field="session_id"))
        self.assertEqual(p.describe(),
                         "`sessions:read` or `sessions:<session_id>:read`")

    def test_public_internal_and_authenticated_only(self):
        self.assertEqual(reference.Permission(
            permission_bytes(public=True)).describe(), "public (no credential)")
        self.assertEqual(reference.Permission(
            permission_bytes(internal=True)).describe(),
            "internal: a trusted service")
        self.assertEqual(reference.Permission(permission_bytes(
            resource="runs", action="write", internal=True)).describe(),
            "internal: a trusted service, for a user (`runs:write`)")
        self.assertIn("any authenticated caller", reference.Permission(
            permission_bytes(resource="roles", action="check",
                             authenticated_only=True)).describe())


class RenderTest(unittest.TestCase):

    def setUp(self):
        self.files = load_files()

    def test_every_public_rpc_is_listed_with_its_permission(self):
        table = reference.render_scopes(self.files)
        count = 0
        for file in self.files:
            if file.package not in reference.SERVICE_PACKAGES:
                continue
            for service in file.service:
                for method in service.method:
                    count += 1
                    row = f"| `{file.package}.{service.name}/{method.name}` |"
                    self.assertIn(row, table)
        self.assertGreater(count, 60)
        self.assertNotIn("**none**", table)

    def test_config_lists_every_key_with_its_environment_variable(self):
        text = reference.render_config(self.files)
        self.assertIn("`BASTION_LISTEN_ADDRESS`", text)
        self.assertIn("`BASTION_DATABASE_URL`", text)
        # Nested messages cannot be set from the environment.
        self.assertRegex(text, r"`rateLimits` \| RateLimitConfig \| \(file only\)")
        # Their keys are listed under them, file only too.
        self.assertRegex(text, r"`runLimits\.leaseSeconds` \| int32 \| \(file only\)")
        self.assertRegex(text, r"`scheduler\.pollIntervalMs` \| int32 \| \(file only\)")


class RegenerateTest(unittest.TestCase):

    def setUp(self):
        self.files = load_files()

    def page(self, scopes="old", config="old"):
        return ("intro\n<!-- BEGIN GENERATED: scopes -->\n" + scopes +
                "\n<!-- END GENERATED: scopes -->\nmiddle\n"
                "<!-- BEGIN GENERATED: config -->\n" + config +
                "\n<!-- END GENERATED: config -->\nend")

    def test_replaces_only_the_marked_sections(self):
        out = reference.regenerate(self.page(), self.files)
        self.assertTrue(out.startswith("intro\n"))
        self.assertIn("\nmiddle\n", out)
        self.assertTrue(out.endswith("end"))
        self.assertNotIn("\nold\n", out)
        # Idempotent.
        self.assertEqual(reference.regenerate(out, self.files), out)

    def test_refuses_missing_or_unclosed_sections(self):
        with self.assertRaises(SystemExit):
            reference.regenerate("no markers", self.files)
        with self.assertRaises(SystemExit):
            reference.regenerate(
                "<!-- BEGIN GENERATED: scopes -->\nx\n", self.files)
        with self.assertRaises(SystemExit):
            reference.regenerate(
                "<!-- BEGIN GENERATED: nonsense -->\n"
                "<!-- END GENERATED: nonsense -->", self.files)


if __name__ == "__main__":
    unittest.main()
