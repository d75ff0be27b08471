#!/usr/bin/env bash
# Starts (or reuses) the private cluster in DIR, creates the roles and the
# database DB, applies the data, authn and authz migrations (migrate_all.sh),
# and prints the connection strings:
#   BASTION_PG_OWNER_URL=...   (migrations)
#   BASTION_PG_SERVICE_URL=... (the data service: DataConfig.database_url)
#
#   setup_db.sh DIR [DB] [PORT]      DB defaults to "bastion"
#
# Uses $MIGRATE if set, else bazel-bin/tools/migrate/migrate (built with
# bazel when missing). Idempotent.
set -euo pipefail
[[ $# -ge 1 ]] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
dir="$1"
db="${2:-bastion}"
port="${3:-}"

env_lines="$("${here}/cluster.sh" start "${dir}" ${port:+"${port}"})"
host="$(sed -n 's/^PGHOST=//p' <<<"${env_lines}")"
port="$(sed -n 's/^PGPORT=//p' <<<"${env_lines}")"

base="host=${host} port=${port}"
"${here}/migrate_all.sh" "${base}" "${db}" >&2

echo "BASTION_PG_OWNER_URL=${base} dbname=${db} user=bastion_owner"
echo "BASTION_PG_SERVICE_URL=${base} dbname=${db} user=bastion_data_svc"
