#!/usr/bin/env bash
# Fails when README.md's scope or configuration reference disagrees with
# the protos (fix: tools/docs/update_readme.sh).
set -euo pipefail
exec /usr/bin/python3 tools/docs/reference.py \
  protos/bastion_descriptors.pb README.md --check
