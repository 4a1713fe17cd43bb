#!/usr/bin/env bash
# Mirrors the end of one failed step's log to the orchestration server: its last 60 KiB,
# starting on a line boundary. The server finds the failure lines (highlights) in all of it and
# stores the last 200 lines / 32 KiB as the tail.
#
#   post-ci-log.sh <step-id> <log-file> [<command-file>]
#
# <command-file>, when given and readable, holds the command the step ran (its `run:` script);
# it is sent as `command`, masked like the log, its first 3 KiB.
#
# Environment:
#   CI_LOG_URL    base URL of the orchestration server, e.g. http://10.0.0.5:8787 (required)
#   CI_LOG_TOKEN  bearer token, the server's CLAUDE_HOOKS_INTERNAL_TOKEN (required)
#   CI_LOG_REPO, CI_LOG_RUN_ID, CI_LOG_JOB_ID, CI_LOG_HEAD_SHA
#                 override what the runner provides in GITHUB_REPOSITORY, GITHUB_RUN_ID,
#                 GITHUB_JOB and GITHUB_SHA (Forgejo Actions sets the GITHUB_* names too)
#   CI_LOG_REF    the branch the run was for; default GITHUB_HEAD_REF (a pull request's
#                 branch), else GITHUB_REF_NAME, else GITHUB_REF; not sent when none is set
#   CI_LOG_RUN_ATTEMPT  which attempt of the run this is; default GITHUB_RUN_ATTEMPT. Sent only
#                 when it is a whole number from 1: act, which Forgejo's runner forks, has left
#                 GITHUB_RUN_ATTEMPT unset or empty (nektos/act#1615, #2033; gitea#33135), and
#                 a post without it counts as the first attempt
#   CI_LOG_SECRETS    values never to send: a JSON object (its values) or array of strings;
#                     in a workflow, `${{ toJSON(secrets) }}`
#   CI_LOG_MASK_VARS  names of environment variables whose values are never sent, separated
#                     by spaces or commas (for secrets a step fetched at run time)
#
# Masking by value, as the runner does in its own log (the runner does not mask the file a step
# tees its output to): every value from CI_LOG_SECRETS and CI_LOG_MASK_VARS becomes
# [REDACTED:workflow-secret], and every value the log declares with `::add-mask::VALUE` becomes
# [REDACTED:add-mask], in each form it may be printed in: as is, each of its lines, its base64
# (at the three alignments it can take inside a longer base64 string), percent-encoded (strict
# and as encodeURIComponent writes it) and JSON-escaped. Values shorter than 4 characters, `***`
# and `$NAME` references are not masked (masking `ab` everywhere would make the log unreadable).
# The values travel in the environment only: never in an argument (`ps` shows those), never
# printed. A malformed CI_LOG_SECRETS is reported by its type, and the post still goes out.
#
# It never fails the job: whatever happens (no log, no server, timeout, 4xx/5xx) it prints one
# line saying so and exits 0. The token is never printed. The body is built by jq, or by
# python3 where jq is missing, so any byte in the log is escaped correctly; invalid UTF-8 becomes
# U+FFFD.
set -u

step_id=${1:-}
log_file=${2:-}
command_file=${3:-}
max_bytes=61440   # the server's 64 KiB log_tail limit, less room for replacement characters

note() { printf 'post-ci-log: %s\n' "$*" >&2; }

if [ -z "$step_id" ] || [ -z "$log_file" ]; then
  note "usage: post-ci-log.sh <step-id> <log-file>; nothing sent"
  exit 0
fi
url=${CI_LOG_URL:-}
token=${CI_LOG_TOKEN:-}
if [ -z "$url" ] || [ -z "$token" ]; then
  note "CI_LOG_URL or CI_LOG_TOKEN is not set; nothing sent for step $step_id"
  exit 0
fi
if [ ! -r "$log_file" ]; then
  note "no readable log at $log_file; nothing sent for step $step_id"
  exit 0
fi

work=$(mktemp -d 2>/dev/null) || { note "cannot create a temp folder; nothing sent"; exit 0; }
trap 'rm -rf "$work"' EXIT

# The last 60 KiB. When that cuts a line and more than one line follows, drop the partial first
# line so the excerpt starts on a line boundary (a log whose end is one huge line keeps it cut).
size=$(wc -c < "$log_file" 2>/dev/null || echo 0)
if [ "$size" -gt "$max_bytes" ]; then
  tail -c "$max_bytes" -- "$log_file" > "$work/chunk" 2>/dev/null || true
  if [ "$(tail -c "$((max_bytes + 1))" -- "$log_file" | head -c 1 | od -An -c | tr -d ' ')" = '\n' ] \
     || [ "$(tr -cd '\n' < "$work/chunk" | wc -c)" -lt 2 ]; then
    mv "$work/chunk" "$work/tail"
  else
    sed '1d' "$work/chunk" > "$work/tail" 2>/dev/null || mv "$work/chunk" "$work/tail"
  fi
else
  cat -- "$log_file" > "$work/tail" 2>/dev/null || true
fi

# The values the log declares with ::add-mask::, from the whole log: the declaration may sit
# above the part that is sent. One per line, in a file (never in an argument).
grep -a -o '::add-mask::.*' -- "$log_file" 2>/dev/null | sed 's/^::add-mask:://' > "$work/add-masks" || true

# Say what CI_LOG_SECRETS is when it is not usable; never what it holds.
if [ -n "${CI_LOG_SECRETS:-}" ]; then
  if command -v jq >/dev/null 2>&1; then
    secrets_type=$(jq -n -r '$ENV.CI_LOG_SECRETS | try (fromjson | type) catch "not JSON"' 2>/dev/null)
  else
    secrets_type=$(python3 -c 'import json, os
try:
    v = json.loads(os.environ["CI_LOG_SECRETS"])
    print({dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(v), "number"))
except Exception:
    print("not JSON")' 2>/dev/null)
  fi
  case "$secrets_type" in
    object|array) ;;
    *) note "CI_LOG_SECRETS is not a JSON object or array (it is: ${secrets_type:-unreadable}); its values are not masked";;
  esac
fi

repo=${CI_LOG_REPO:-${GITHUB_REPOSITORY:-}}
run_id=${CI_LOG_RUN_ID:-${GITHUB_RUN_ID:-}}
job_id=${CI_LOG_JOB_ID:-${GITHUB_JOB:-}}
head_sha=${CI_LOG_HEAD_SHA:-${GITHUB_SHA:-}}
git_ref=${CI_LOG_REF:-${GITHUB_HEAD_REF:-${GITHUB_REF_NAME:-${GITHUB_REF:-}}}}
run_attempt=${CI_LOG_RUN_ATTEMPT:-${GITHUB_RUN_ATTEMPT:-}}
case "$run_attempt" in ''|0*|*[!0-9]*) run_attempt='' ;; esac
# The command, cut to 3 KiB: the server refuses one over 4 KiB, and masking may lengthen it.
: > "$work/command"
if [ -n "$command_file" ] && [ -r "$command_file" ]; then
  head -c 3072 -- "$command_file" > "$work/command" 2>/dev/null || : > "$work/command"
fi

if command -v jq >/dev/null 2>&1; then
  jq -n --rawfile log_tail "$work/tail" --rawfile add_masks "$work/add-masks" \
    --rawfile command "$work/command" --arg git_ref "$git_ref" --arg run_attempt "$run_attempt" \
    --arg repo "$repo" --arg run_id "$run_id" --arg job_id "$job_id" \
    --arg step_name "$step_id" --arg head_sha "$head_sha" --arg conclusion failure '
    def trim: sub("^[[:space:]]+"; "") | sub("[[:space:]]+$"; "");
    def usable: length >= 4 and (startswith("[REDACTED") | not) and (startswith("$") | not)
      and (test("^[*]+$") | not);
    def b64(k): (.[0:0] + ["", "\u0000", "\u0000\u0000"][k] + .) as $s
      | ($s | @base64)[([0, 2, 3][k]):((8 * ($s | utf8bytelength) / 6) | floor)];
    def forms: . as $v | [$v] + [$v | split("\n")[] | trim] + [b64(0), b64(1), b64(2)]
      + [@uri, (@uri | gsub("!"; "%21") | gsub("[*]"; "%2A") | gsub("\u0027"; "%27")
                      | gsub("[(]"; "%28") | gsub("[)]"; "%29"))]
      + [tojson | .[1:-1]];
    def pairs(values; placeholder): [values | forms[] | select(usable) | [., placeholder]];
    ($ENV.CI_LOG_SECRETS // "" | try fromjson catch null) as $given
    | ((if ($given | type) == "object" then [$given[]] elif ($given | type) == "array" then $given
        else [] end)
       + [$ENV.CI_LOG_MASK_VARS // "" | splits("[\\s,]+") | select(length > 0) | $ENV[.] // empty]
       | map(select(type == "string"))) as $secrets
    | [$add_masks | split("\n")[] | trim] as $declared
    | ((pairs($secrets[]; "[REDACTED:workflow-secret]") + pairs($declared[]; "[REDACTED:add-mask]"))
       | unique_by(.[0]) | sort_by(-(.[0] | length))) as $masks
    | def masked: reduce $masks[] as $p (.; split($p[0]) | join($p[1]));
      {repo: $repo, run_id: $run_id, job_id: $job_id, step_name: $step_name,
       head_sha: $head_sha, conclusion: $conclusion, log_tail: ($log_tail | masked)}
      + (if $git_ref != "" then {ref: $git_ref} else {} end)
      + (if $run_attempt != "" then {run_attempt: ($run_attempt | tonumber)} else {} end)
      + (if ($command | test("[^[:space:]]")) then {command: ($command | masked)} else {} end)
    ' > "$work/body.json" 2>/dev/null
elif command -v python3 >/dev/null 2>&1; then
  REPO="$repo" RUN_ID="$run_id" JOB_ID="$job_id" STEP="$step_id" SHA="$head_sha" \
  GIT_REF="$git_ref" RUN_ATTEMPT="$run_attempt" \
  python3 - "$work/tail" "$work/add-masks" "$work/command" > "$work/body.json" 2>/dev/null <<'PY'
import base64, json, os, re, sys, urllib.parse

def forms(v):
    b = v.encode()
    out = [v] + [line.strip() for line in v.split("\n")]
    for k, first in ((0, 0), (1, 2), (2, 3)):
        out.append(base64.b64encode(b"\0" * k + b).decode()[first:(8 * (k + len(b))) // 6])
    out.append(urllib.parse.quote(v, safe="!*'()~"))
    out.append(urllib.parse.quote(v, safe="~"))
    out.append(json.dumps(v, ensure_ascii=False)[1:-1].replace("\x7f", "\\u007f"))
    return out

def usable(f):
    return len(f) >= 4 and not f.startswith("[REDACTED") and not f.startswith("$") \
        and not re.fullmatch(r"\*+", f)

def pairs(values, placeholder):
    return [(f, placeholder) for v in values for f in forms(v) if usable(f)]

with open(sys.argv[1], "rb") as f:
    tail = f.read().decode("utf-8", errors="replace")
with open(sys.argv[2], "rb") as f:
    declared = [line.strip() for line in f.read().decode("utf-8", errors="replace").split("\n")]
try:
    given = json.loads(os.environ.get("CI_LOG_SECRETS", ""))
except Exception:
    given = None
secrets = list(given.values()) if isinstance(given, dict) else given if isinstance(given, list) else []
for name in re.split(r"[\s,]+", os.environ.get("CI_LOG_MASK_VARS", "")):
    if name and name in os.environ:
        secrets.append(os.environ[name])
secrets = [s for s in secrets if isinstance(s, str)]
# Longest form first, so a value that holds another is masked whole; a form that is both
# a secret and a declared value keeps the first placeholder, as jq's unique_by does.
chosen = {}
for f, placeholder in pairs(secrets, "[REDACTED:workflow-secret]") + pairs(declared, "[REDACTED:add-mask]"):
    chosen.setdefault(f, placeholder)
def masked(text):
    for f in sorted(chosen, key=lambda f: (-len(f), f)):
        text = text.replace(f, chosen[f])
    return text
with open(sys.argv[3], "rb") as f:
    command = f.read().decode("utf-8", errors="replace")
body = {"repo": os.environ["REPO"], "run_id": os.environ["RUN_ID"], "job_id": os.environ["JOB_ID"],
        "step_name": os.environ["STEP"], "head_sha": os.environ["SHA"], "conclusion": "failure",
        "log_tail": masked(tail)}
if os.environ.get("GIT_REF"):
    body["ref"] = os.environ["GIT_REF"]
if os.environ.get("RUN_ATTEMPT"):
    body["run_attempt"] = int(os.environ["RUN_ATTEMPT"])
if command.strip():
    body["command"] = masked(command)
json.dump(body, sys.stdout)
PY
else
  note "neither jq nor python3 is available to build the JSON body; nothing sent"
  exit 0
fi
if [ ! -s "$work/body.json" ]; then
  note "could not build the JSON body for step $step_id; nothing sent"
  exit 0
fi

# The token goes through a header file, so it is not visible in the process list.
printf 'Authorization: Bearer %s\n' "$token" > "$work/auth-header"
status=$(curl -sS -o "$work/response" -w '%{http_code}' --max-time 10 \
  -X POST -H @"$work/auth-header" -H 'Content-Type: application/json' \
  --data-binary @"$work/body.json" "${url%/}/internal/ci-log" 2>"$work/curl-error") || status=000
case "$status" in
  201) masked=$(grep -o -e '\[REDACTED:workflow-secret\]' -e '\[REDACTED:add-mask\]' "$work/body.json" | wc -l)
       note "sent the tail of step $step_id ($(wc -c < "$work/tail") bytes, $masked value(s) masked)";;
  000) note "could not reach the server for step $step_id: $(head -c 300 "$work/curl-error")";;
  *)   note "server answered $status for step $step_id: $(head -c 300 "$work/response")";;
esac
exit 0
