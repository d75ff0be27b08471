#!/usr/bin/env bash
# Sets up database DB on a running cluster with every Bastion schema, in
# this order: data (bastion_data), authn (bastion_authn: API keys) and
# authz (bastion_authz: custom roles, tool policies, role audit). For each,
# `migrate bootstrap` (as postgres) creates the roles and the database and
# grants the schema's service role CONNECT, then `migrate up` (as
# bastion_owner) applies its migrations.
#
#   migrate_all.sh CONNINFO DB
#
# CONNINFO reaches the cluster, e.g. "host=/tmp/pg/socket port=5432" (no
# dbname or user: they are added here). Uses $MIGRATE if set, else
# bazel-bin/tools/migrate/migrate (built with bazel when missing).
# Idempotent. Used by tools/up.sh, tools/pg/setup_db.sh and the integration
# tests (tests/integration/bastion_suite.py), so all of them get the same
# database.
set -euo pipefail
[[ $# -eq 2 ]] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
base="$1"
db="$2"

if [[ -z "${MIGRATE:-}" ]]; then
  root="$(cd "$(dirname "$0")/../.." && pwd)"
  MIGRATE="${root}/bazel-bin/tools/migrate/migrate"
  if [[ ! -x "${MIGRATE}" ]]; then
    (cd "${root}" && bazel build //tools/migrate >&2)
  fi
fi

for schema in data authn authz; do
  "${MIGRATE}" --schema="${schema}" bootstrap \
    --conninfo="${base} dbname=postgres user=postgres" --database="${db}"
  "${MIGRATE}" --schema="${schema}" up \
    --conninfo="${base} dbname=${db} user=bastion_owner"
done
