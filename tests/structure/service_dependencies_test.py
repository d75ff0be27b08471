#!/usr/bin/env python3
"""Every service stands alone: no BUILD file under services/<name>/ names a
package of another service, and no source file there includes another
service's header. Services share code through common/ and talk through the
protos in protos/ (which is not under services/, so depending on any
service's protos stays allowed).

Reads the checkout itself (found through this file's runfiles link), so it
also sees packages added after it was written; tagged "external" so Bazel
never answers it from the cache.
"""

import io
import pathlib
import re
import sys
import tempfile
import tokenize
import unittest

# "//services/<name>" in a label, wherever it appears in a string.
LABEL = re.compile(r"//services/([A-Za-z0-9_]+)")
# #include "services/<name>/..." (or <...>).
INCLUDE = re.compile(r'^\s*#\s*include\s*["<]services/([A-Za-z0-9_]+)/', re.M)
BUILD_FILES = ("BUILD", "BUILD.bazel")
SOURCE_SUFFIXES = (".h", ".cc", ".inc")


def checkout_root() -> pathlib.Path:
    """The checkout this test file lives in (its runfile is a link to it)."""
    return pathlib.Path(__file__).resolve().parents[2]


def build_labels(text: str):
    """(line, service) for each //services/<name> in the string literals of
    a BUILD or .bzl file; comments do not count."""
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.STRING:
            for match in LABEL.finditer(token.string):
                yield token.start[0], match.group(1)


def violations(services_dir: pathlib.Path):
    """'path:line: what' for every reference from one service to another."""
    found = []
    services = sorted(p.name for p in services_dir.iterdir() if p.is_dir())
    for service in services:
        for path in sorted((services_dir / service).rglob("*")):
            if not path.is_file():
                continue
            where = path.relative_to(services_dir.parent)
            if path.name in BUILD_FILES or path.suffix == ".bzl":
                for line, other in build_labels(path.read_text()):
                    if other != service:
                        found.append(f"{where}:{line}: names //services/{other}")
            elif path.suffix in SOURCE_SUFFIXES:
                text = path.read_text(errors="replace")
                for match in INCLUDE.finditer(text):
                    if match.group(1) != service:
                        line = text.count("\n", 0, match.start()) + 1
                        found.append(f"{where}:{line}: includes services/{match.group(1)}/")
    return services, found


class CheckerTest(unittest.TestCase):
    """The checker itself, on a made-up tree: it finds what it must."""

    def test_finds_labels_and_includes_but_not_comments(self):
        with tempfile.TemporaryDirectory() as tmp:
            services = pathlib.Path(tmp) / "services"
            (services / "a" / "sub").mkdir(parents=True)
            (services / "b").mkdir()
            (services / "a" / "BUILD").write_text(
                '# like //services/b, but only a comment\n'
                'cc_library(name = "x", deps = ["//services/a/sub", "//protos:b_cc"])\n')
            (services / "a" / "sub" / "BUILD").write_text(
                'cc_test(name = "t", deps = [\n    "//services/b/storage:store",\n])\n'
                'genrule(name = "g", cmd = "$(location //services/b:tool) $@")\n')
            (services / "a" / "x.cc").write_text(
                '#include "services/a/x.h"\n// "services/b/y.h"\n#include "services/b/y.h"\n')
            (services / "b" / "BUILD").write_text('cc_library(name = "y")\n')
            names, found = violations(services)
        self.assertEqual(names, ["a", "b"])
        self.assertEqual(found, [
            "services/a/sub/BUILD:2: names //services/b",
            "services/a/sub/BUILD:4: names //services/b",
            "services/a/x.cc:3: includes services/b/",
        ])


class ServiceDependenciesTest(unittest.TestCase):
    def test_no_service_depends_on_another(self):
        services_dir = checkout_root() / "services"
        names, found = violations(services_dir)
        # Guards against checking an empty or wrong tree and passing.
        self.assertTrue({"authn", "authz", "data", "run_executor"} <= set(names),
                        f"services found in {services_dir}: {names}")
        self.assertEqual(found, [], "a service depends on another service "
                         "(share it from common/, talk through protos/):\n  "
                         + "\n  ".join(found))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
