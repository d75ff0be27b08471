#!/usr/bin/env bash
# Prints the bazel flags that point *_pgtest tests at a running cluster
# started by cluster.sh:
#   bazel test $(tools/pg/test_env.sh /tmp/pgdev) //...
# Fails (exit 1) when the cluster in DIR is not running.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: test_env.sh DIR" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
env_lines="$("${here}/cluster.sh" status "$1")" || {
  echo "test_env.sh: no running cluster in $1 (start it with tools/pg/cluster.sh start $1)" >&2
  exit 1
}
host="$(sed -n 's/^PGHOST=//p' <<<"${env_lines}")"
port="$(sed -n 's/^PGPORT=//p' <<<"${env_lines}")"
echo "--test_env=BASTION_TEST_PGHOST=${host} --test_env=BASTION_TEST_PGPORT=${port}"
