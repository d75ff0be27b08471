#!/usr/bin/env bash
# Rewrites the README's generated sections (scope and configuration
# references) from the protos. Run after changing a proto; the test
# //tests/docs:readme_reference_test fails until you do.
set -euo pipefail
cd "$(dirname "$0")/../.."
bazel build //protos:descriptor_set 2>&1 | grep -vE 'linux-sandbox' | tail -n 3
/usr/bin/python3 tools/docs/reference.py \
  bazel-bin/protos/bastion_descriptors.pb README.md --write
echo "README.md: generated sections are up to date"
