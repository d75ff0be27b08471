"""One macro per proto: C++ messages + gRPC stubs, and Python stubs.

System gRPC has no cc_grpc_library rule here, so protoc and the Debian
plugins run in genrules. Proto files live under //protos with import paths
relative to that folder (`bastion/<service>/v1/<file>.proto`).
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

_GRPC_CPP_PLUGIN = "/usr/bin/grpc_cpp_plugin"
_GRPC_PY_PLUGIN = "/usr/bin/grpc_python_plugin"

def _stem(src):
    return src[:-len(".proto")]

def bastion_proto(name, srcs, deps = [], visibility = None):
    """Declares `<name>_cc` (C++ + gRPC) and `<name>_py` (Python + gRPC).

    Args:
      name: base name of the generated targets.
      srcs: .proto files of this package, relative to //protos.
      deps: other bastion_proto base names (same package) whose files these import.
      visibility: visibility of the generated targets.
    """
    dep_srcs = [d + "_srcs" for d in deps]
    native.filegroup(
        name = name + "_srcs",
        srcs = srcs + dep_srcs,
        visibility = visibility,
    )

    cc_outs = []
    for src in srcs:
        stem = _stem(src)
        cc_outs += [stem + ".pb.h", stem + ".pb.cc", stem + ".grpc.pb.h", stem + ".grpc.pb.cc"]
    native.genrule(
        name = name + "_cc_gen",
        srcs = srcs + dep_srcs,
        outs = cc_outs,
        cmd = ("protoc -I%s -I/usr/include " +
               "--cpp_out=$(RULEDIR) --grpc_out=$(RULEDIR) " +
               "--plugin=protoc-gen-grpc=%s %s") % (
            _import_root(),
            _GRPC_CPP_PLUGIN,
            " ".join(["$(location %s)" % s for s in srcs]),
        ),
    )
    cc_library(
        name = name + "_cc",
        srcs = [o for o in cc_outs if o.endswith(".cc")],
        hdrs = [o for o in cc_outs if o.endswith(".h")],
        includes = ["."],
        deps = [d + "_cc" for d in deps] + ["@system//:grpc"],
        visibility = visibility,
    )

    py_outs = []
    for src in srcs:
        stem = _stem(src)
        py_outs += [stem + "_pb2.py", stem + "_pb2_grpc.py"]
    native.genrule(
        name = name + "_py_gen",
        srcs = srcs + dep_srcs,
        outs = py_outs,
        cmd = ("protoc -I%s -I/usr/include " +
               "--python_out=$(RULEDIR) --grpc_out=$(RULEDIR) " +
               "--plugin=protoc-gen-grpc=%s %s") % (
            _import_root(),
            _GRPC_PY_PLUGIN,
            " ".join(["$(location %s)" % s for s in srcs]),
        ),
    )
    native.filegroup(
        name = name + "_py",
        srcs = py_outs + [d + "_py" for d in deps],
        visibility = visibility,
    )

def _import_root():
    # Import paths are relative to the package folder (in the main repository).
    return native.package_name() or "."
