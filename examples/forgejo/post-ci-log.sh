#!/usr/bin/env bash
# Mirrors the end of one failed step's log to the orchestration server: its last 60 KiB,
# starting on a line boundary. The server finds the failure lines (highlights) in all of it and
# stores the last 200 lines / 32 KiB as the tail.
#
#   post-ci-log.sh <step-id> <log-file>
#
# Environment:
#   CI_LOG_URL    base URL of the orchestration server, e.g. http://10.0.0.5:8787 (required)
#   CI_LOG_TOKEN  bearer token, the server's CLAUDE_HOOKS_INTERNAL_TOKEN (required)
#   CI_LOG_REPO, CI_LOG_RUN_ID, CI_LOG_JOB_ID, CI_LOG_HEAD_SHA
#                 override what the runner provides in GITHUB_REPOSITORY, GITHUB_RUN_ID,
#                 GITHUB_JOB and GITHUB_SHA (Forgejo Actions sets the GITHUB_* names too)
#
# It never fails the job: whatever happens (no log, no server, timeout, 4xx/5xx) it prints one
# line saying so and exits 0. The token is never printed. The body is built by jq, or by
# python3 where jq is missing, so any byte in the log is escaped correctly; invalid UTF-8 becomes
# U+FFFD.
set -u

step_id=${1:-}
log_file=${2:-}
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

repo=${CI_LOG_REPO:-${GITHUB_REPOSITORY:-}}
run_id=${CI_LOG_RUN_ID:-${GITHUB_RUN_ID:-}}
job_id=${CI_LOG_JOB_ID:-${GITHUB_JOB:-}}
head_sha=${CI_LOG_HEAD_SHA:-${GITHUB_SHA:-}}

if command -v jq >/dev/null 2>&1; then
  jq -n --rawfile log_tail "$work/tail" \
    --arg repo "$repo" --arg run_id "$run_id" --arg job_id "$job_id" \
    --arg step_name "$step_id" --arg head_sha "$head_sha" --arg conclusion failure \
    '{repo: $repo, run_id: $run_id, job_id: $job_id, step_name: $step_name,
      head_sha: $head_sha, conclusion: $conclusion, log_tail: $log_tail}' > "$work/body.json" 2>/dev/null
elif command -v python3 >/dev/null 2>&1; then
  REPO="$repo" RUN_ID="$run_id" JOB_ID="$job_id" STEP="$step_id" SHA="$head_sha" \
  python3 - "$work/tail" > "$work/body.json" 2>/dev/null <<'PY'
import json, os, sys
with open(sys.argv[1], "rb") as f:
    tail = f.read().decode("utf-8", errors="replace")
json.dump({"repo": os.environ["REPO"], "run_id": os.environ["RUN_ID"], "job_id": os.environ["JOB_ID"],
           "step_name": os.environ["STEP"], "head_sha": os.environ["SHA"], "conclusion": "failure",
           "log_tail": tail}, sys.stdout)
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
  201) note "sent the tail of step $step_id ($(wc -c < "$work/tail") bytes)";;
  000) note "could not reach the server for step $step_id: $(head -c 300 "$work/curl-error")";;
  *)   note "server answered $status for step $step_id: $(head -c 300 "$work/response")";;
esac
exit 0
