"""Exposes Debian's system libraries to Bazel with link flags from pkg-config.

Each library becomes a `cc_library` in `@system//:<name>` whose linkopts are
whatever `pkg-config --libs` prints on this machine, so gRPC's long
transitive link line (abseil pieces, re2, c-ares, upb...) stays correct.
Headers live in /usr/include, which the default toolchain already searches
(libpq's as <postgresql/libpq-fe.h>).
"""

# name -> pkg-config modules (an empty list means plain -l flags below).
_PKG_CONFIG = {
    "absl": [
        "absl_status",
        "absl_statusor",
        "absl_strings",
        "absl_str_format",
        "absl_synchronization",
        "absl_time",
        "absl_flags",
        "absl_flags_parse",
    ],
    "protobuf": ["protobuf"],
    "grpc": ["grpc++", "grpc"],
    "ssl": ["libssl", "libcrypto"],
    "pq": ["libpq"],
    "gtest": ["gtest", "gmock"],
    "gtest_main": ["gmock_main", "gtest", "gmock"],
    # The run engine: HTTP to model servers, JSON, and (tests only) a small
    # HTTP(S) server for fake model servers and JWKS endpoints.
    "curl": ["libcurl"],
    "json": ["nlohmann_json"],
    "httplib": ["cpp-httplib"],
}

# Libraries that ship without a .pc file.
_EXTRA_LIBS = {
    "grpc_reflection": ["-Wl,--no-as-needed", "-lgrpc++_reflection", "-Wl,--as-needed"],
}

_DEPS = {
    "grpc": [":absl", ":protobuf", ":ssl"],
    "grpc_reflection": [":grpc"],
    "gtest_main": [":gtest"],
    "httplib": [":ssl"],
}

def _pkg_config(ctx, args):
    result = ctx.execute(["pkg-config"] + args)
    if result.return_code != 0:
        fail("pkg-config %s failed: %s\nInstall the -dev packages (tools/test.sh does)." %
             (" ".join(args), result.stderr))
    return result.stdout.strip().split(" ") if result.stdout.strip() else []

def _system_libs_impl(ctx):
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    names = sorted(list(_PKG_CONFIG.keys()) + list(_EXTRA_LIBS.keys()))
    for name in names:
        defines = []
        if name in _PKG_CONFIG:
            linkopts = _pkg_config(ctx, ["--libs"] + _PKG_CONFIG[name])
            # Feature macros a header needs (e.g. httplib's TLS support);
            # include paths are the toolchain's defaults already.
            cflags = _pkg_config(ctx, ["--cflags"] + _PKG_CONFIG[name])
            defines = [f[2:] for f in cflags if f.startswith("-D")]
        else:
            linkopts = _EXTRA_LIBS[name]
        lines.append("cc_library(")
        lines.append('    name = "%s",' % name)
        lines.append("    defines = %s," % repr(defines))
        lines.append("    linkopts = %s," % repr(linkopts))
        lines.append("    deps = %s," % repr(_DEPS.get(name, [])))
        lines.append(")")
        lines.append("")
    ctx.file("WORKSPACE", "")
    ctx.file("BUILD", "\n".join(lines))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    environ = ["PKG_CONFIG_PATH"],
    local = True,
)
