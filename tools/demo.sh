#!/usr/bin/env bash
# The narrated demo of the main job, against running services, with the
# `bastion` command-line client: two members of one tenant run an agent and
# each sees only their own session; the tenant's admin asks for an approval
# before every calculator call; a run pauses on it; its requester cannot
# approve it; the admin approves; the run completes; the audit log shows who
# did what. tools/up.sh runs it last; a test runs it against its own suite
# (tests/integration/demo_integration_test.py).
#
#   tools/demo.sh
#
# Environment (tools/up.sh sets all of them):
#   BASTION_AUTHN_ADDR, BASTION_AUTHZ_ADDR, BASTION_DATA_ADDR,
#   BASTION_RUNS_ADDR   the services
#   DEMO_KEY            the development signing key (a PEM file)
#   DEMO_ISSUER, DEMO_AUDIENCE   the claims authn expects
#   DEMO_TENANT         the tenant (default: acme)
#   BASTION_CLI         the client (default: bazel-bin/tools/cli/bastion)
#   CALL_PY             tools/call.py (default: the one beside this script)
# Exits non-zero when a step does not turn out as narrated.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
CLI="${BASTION_CLI:-$HERE/../bazel-bin/tools/cli/bastion}"
CALL="${CALL_PY:-$HERE/call.py}"
TENANT="${DEMO_TENANT:-acme}"
PY=/usr/bin/python3
WORK="$(mktemp -d /tmp/bastion-demo.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }
# as USER ARGS...: the client as USER (their own stored credential).
as() {
  local user="$1"
  shift
  echo "\$ bastion $*   ($user)" >&2
  BASTION_CONFIG_DIR="$WORK/$user" "$CLI" "$@"
}
# json FIELD_PATH: a field of the JSON on stdin, e.g. "paused.requirements.0.toolCallId".
json() {
  $PY -c 'import json, sys
value = json.loads(sys.stdin.read())
for part in sys.argv[1].split("."):
    value = value[int(part)] if isinstance(value, list) else value.get(part, "")
print(value)' "$1"
}
login() {  # login USER ROLE [SCOPES...]
  local user="$1" role="$2"
  shift 2
  local scopes=()
  for scope in "$@"; do scopes+=(--scope "$scope"); done
  mkdir -p "$WORK/$user"
  BASTION_CONFIG_DIR="$WORK/$user" "$CLI" login --dev-key "$DEMO_KEY" \
    --issuer "$DEMO_ISSUER" --audience "$DEMO_AUDIENCE" --sub "$user" \
    --tenant "$TENANT" --role "$role" "${scopes[@]}" >/dev/null
}
token_of() { $PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["credential"])' \
               "$WORK/$1/credentials"; }
tool_policy() {  # tool_policy JSON   (as carol)
  echo "\$ call.py authz PutToolPolicy '$1'   (carol)" >&2
  $PY "$CALL" "$BASTION_AUTHZ_ADDR" bastion.authz.v1.Authz/PutToolPolicy "$1" \
    --token "$(token_of carol)" >/dev/null
}

say "alice and bob are members of $TENANT (alice also approves others' calls); carol is its admin"
login alice member tools:calculator:run approvals:write
login bob member tools:calculator:run
login carol owner
# The demo starts from the tenant's default tool policy (nothing paused).
tool_policy '{"policy": {}}'

say "each runs the calculator agent"
as alice run agent calculator "6*7" --no-prompt | tail -n 1
as bob run agent calculator "2+3" --no-prompt | tail -n 1

say "each sees only their own sessions"
as alice sessions list --limit 3
as bob sessions list --limit 3
owners=$( (as alice --json sessions list; as bob --json sessions list) 2>/dev/null |
  $PY -c 'import json, sys
decoder, text, owners = json.JSONDecoder(), sys.stdin.read().strip(), []
while text:
    page, end = decoder.raw_decode(text)
    owners.append(",".join(sorted({s["userId"] for s in page.get("sessions", [])})))
    text = text[end:].strip()
print(" ".join(owners))')
[ "$owners" = "alice bob" ] || fail "sessions seen by alice and bob: $owners"

say "carol asks for an approver's approval before every calculator call"
tool_policy '{"policy": {"requiresApproval": ["calculator"]}}'

say "alice runs the agent again: the calculator call waits for an approver"
set +e
as alice --json run agent calculator "19*3" --no-prompt > "$WORK/paused.jsonl"
code=$?
set -e
[ "$code" -eq 13 ] || fail "the run did not pause (exit $code)"
paused=$(grep '"paused"' "$WORK/paused.jsonl" | tail -n 1)
run_id=$(echo "$paused" | json runId)
call_id=$(echo "$paused" | json paused.requirements.0.toolCallId)
approval_id=$(echo "$paused" | json paused.requirements.0.approvalId)
echo "run $run_id paused: tool call $call_id waits for approval $approval_id"

say "alice approves calls, but not her own"
set +e
as alice approvals approve "$approval_id"
code=$?
set -e
[ "$code" -ne 0 ] || fail "alice approved her own call"

say "carol approves it"
as carol approvals show "$approval_id"
as carol approvals approve "$approval_id"

say "alice continues the run: the approved call runs with its stored arguments"
as alice continue "$run_id" --approve "$call_id" --no-prompt | tail -n 2

say "the audit log (carol): who asked, who decided"
echo "\$ call.py data AuditLog/ListAuditEvents   (carol)" >&2
$PY "$CALL" "$BASTION_DATA_ADDR" bastion.data.v1.AuditLog/ListAuditEvents \
  '{"page": {"limit": 100}}' --token "$(token_of carol)" | $PY -c '
import datetime, json, sys
approval = sys.argv[1]
events = json.loads(sys.stdin.read()).get("events", [])
for event in reversed(events):
    if event.get("resourceId") != approval or event.get("action") not in (
            "approvals.requested", "approvals.approved", "approvals.rejected"):
        continue
    when = datetime.datetime.fromtimestamp(
        int(event.get("occurredAtUnixMicros", 0)) / 1e6, datetime.timezone.utc)
    who, target = event.get("userId", ""), event.get("targetUserId", "")
    line = "{:%H:%M:%S}  {:6} {:20} approval {}".format(when, who, event["action"], approval)
    print(line + ("  (requested by " + target + ")" if target and target != who else ""))
' "$approval_id"

# Back to the default policy, so the next demo starts the same way.
tool_policy '{"policy": {}}'
say "done"
