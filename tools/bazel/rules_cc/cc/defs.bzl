"""Local stand-in for rules_cc: each rule forwards to Bazel's native rule.

Bazel 4.2.3 (Debian bazel-bootstrap) cannot download rules_cc offline, and
Debian's bazel-rules-cc is too new for it. Moving to upstream rules_cc is a
WORKSPACE change only.
"""

def cc_library(**kwargs):
    native.cc_library(**kwargs)

def cc_binary(**kwargs):
    native.cc_binary(**kwargs)

def cc_test(**kwargs):
    native.cc_test(**kwargs)

def cc_proto_library(**kwargs):
    native.cc_proto_library(**kwargs)

def cc_toolchain(**kwargs):
    native.cc_toolchain(**kwargs)

def cc_toolchain_suite(**kwargs):
    native.cc_toolchain_suite(**kwargs)

def cc_import(**kwargs):
    native.cc_import(**kwargs)
