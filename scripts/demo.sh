#!/usr/bin/env bash
# make demo: wippidu's production → staging refresh on this machine, on the embedded
# defaults, with nothing installed but Go and PostgreSQL's binaries.
#
#  1. a private PostgreSQL (unless DATABASE_URL names a server), file storage
#     (STORAGE=s3: a local versitygw instead);
#  2. "production" filled with demo data, "staging" with a little of its own;
#  3. one refresh from the command line: export production, import into staging with
#     every anonymizer on, print the result;
#  4. both instances up side by side — web tier and worker each — until Ctrl-C
#     (DEMO_ONESHOT=1 stops after step 3).
#
# It prints its own "==>" lines, warnings and errors; what each program prints goes to
# $work/logs/. Ctrl-C (SIGINT to the whole process group, also through `| tee`) or
# SIGTERM at any point stops every process it started and the private PostgreSQL, and
# ends with status 0: make then prints no "Error 130".
# shellcheck disable=SC2317 # on_signal and cleanup run from traps
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${DEMO_WORK:-$root/.tmp/demo}
users=${DEMO_USERS:-2000}
prod_port=${DEMO_PROD_PORT:-8081}
staging_port=${DEMO_STAGING_PORT:-8082}
storage_kind=${STORAGE:-file}

caught=      # the signal that stops the demo
current=     # the step running now (a build, demodata, a worker command)
building=    # set while current is a build, whose compilers are its children
cluster=     # set once the private cluster may be starting

say() { printf '%s\n' "$*"; }

# The script's own stdout and stderr, for cleanup: a trap runs inside whatever
# redirection is in force (`step … >/dev/null`). Children do not get them.
exec {out}>&1 {err}>&2

# on_signal stops the demo at the first signal. Later ones are ignored: make passes
# a SIGTERM on to this script once more, and a second `exit` from here while the
# EXIT trap starts would end the script before cleanup stops anything.
on_signal() {
  [ -z "$caught" ] || return 0
  caught=$1
  exit 130
}

# cleanup stops everything the demo started, however it ends. The reader of its
# output may be gone (Ctrl-C also ends `tee`), so nothing it writes may stop it: it
# ignores SIGPIPE, and errexit is off.
cleanup() {
  local status=$? children pid left=()
  trap '' INT TERM HUP PIPE
  trap - EXIT
  set +e
  exec 1>&"$out" 2>&"$err"
  if [ -n "$caught" ]; then
    status=0
    say "==> stopping" 2>/dev/null
  fi
  children=$(jobs -p)
  # shellcheck disable=SC2086 # children is a list of PIDs
  if [ -n "$children" ]; then
    if [ -n "$building" ] && command -v pkill >/dev/null; then
      pkill -TERM -P "$building" 2>/dev/null
    fi
    # A cluster that is starting ignores SIGTERM and is waited for: stopping it
    # half-way could leave a server that comes up after the stop below.
    kill -TERM $children 2>/dev/null
    exited 30 $children || kill -KILL $children 2>/dev/null
    wait 2>/dev/null
  fi
  if [ -n "$cluster" ]; then
    "$work/bin/pgcluster" stop "$work/pg" >>"$work/logs/pgcluster.log" 2>&1
    [ -e "$work/pg/data/postmaster.pid" ] && left+=("the private PostgreSQL in $work/pg")
  fi
  for pid in $children; do
    kill -0 "$pid" 2>/dev/null && left+=("process $pid")
  done
  if [ ${#left[@]} -gt 0 ]; then
    say "==> warning: still running: ${left[*]}" >&2 2>/dev/null
    [ "$status" = 0 ] && status=1
  elif [ -n "${DATABASE_URL:-}" ]; then
    say "==> stopped: no process or port left running (the demo databases stay on DATABASE_URL's server)" 2>/dev/null
  else
    say "==> stopped: no process, port or database left running" 2>/dev/null
  fi
  exit "$status"
}

# exited SECONDS PID...: waits until every PID has exited; false if one is left.
exited() {
  local deadline=$((SECONDS + $1)) pid
  shift
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null; do
      [ "$SECONDS" -lt "$deadline" ] || return 1
      sleep 0.1
    done
  done
}

trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
trap 'on_signal PIPE' PIPE

# start LOG CMD...: starts one step of the demo with its stderr in LOG. It runs in
# the background, so that a signal reaches this script at once rather than when the
# step ends, but with SIGINT at its default, as a foreground command has it: Ctrl-C
# stops it as it would without this script.
start() {
  local log=$1
  shift
  (
    trap - INT QUIT
    exec "$@" 2>"$log" {out}>&- {err}>&-
  ) &
  current=$!
}

# finish LOG: waits for the current step; on failure shows the end of LOG, otherwise
# the warnings and errors logged in it.
finish() {
  local log=$1 rc=0
  wait "$current" || rc=$?
  current=
  if [ "$rc" -ne 0 ]; then
    say "error: exit status $rc; the end of $log:" >&2
    tail -n 30 "$log" >&2
    return "$rc"
  fi
  grep -hE '"level":"(WARN|ERROR)"' "$log" >&2 || true
}

# step NAME CMD...: runs one step of the demo with its stderr in logs/NAME.log.
step() {
  local log=$work/logs/$1.log
  shift
  start "$log" "$@"
  finish "$log"
}

# build NAME WHAT CMD...: a step that may take minutes the first time: a line every
# 20 seconds shows it is still at work.
build() {
  local log=$work/logs/$1.log began=$SECONDS next=$((SECONDS + 20))
  say "==> building $2"
  shift 2
  start "$log" "$@"
  building=$current
  while kill -0 "$current" 2>/dev/null; do
    sleep 0.2
    if [ "$SECONDS" -ge "$next" ] && kill -0 "$current" 2>/dev/null; then
      say "    still building… $((SECONDS - began)) s"
      next=$((next + 20))
    fi
  done
  finish "$log"
  building=
}

# Everything of the last run goes but bin/: go build skips a binary that is up to
# date, and links all four again into an empty directory (6 s of a 15 s warm run).
mkdir -p "$work/bin"
find "$work" -mindepth 1 -maxdepth 1 ! -name bin -exec rm -rf {} +
mkdir -p "$work/logs"

build build "worker, web, demodata (the first build compiles every dependency and takes a few minutes on $(nproc 2>/dev/null || echo 2) cores; later runs take seconds)" \
  go build -trimpath -o "$work/bin/" ./cmd/worker ./cmd/web ./cmd/demodata ./tools/pgcluster

if [ -n "${DATABASE_URL:-}" ]; then
  server=$DATABASE_URL
else
  say "==> starting a private PostgreSQL"
  cluster=1
  step pgcluster "$work/bin/pgcluster" start "$work/pg" >"$work/pg.url"
  server=$(<"$work/pg.url")
fi
pgbin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -d "$pgbin" ] || pgbin=
psql() { PGOPTIONS="-c client_min_messages=warning" "${pgbin:+$pgbin/}psql" -v ON_ERROR_STOP=1 -qX "$@"; }
db_url() { python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$server" "$1"; }
for db in wippidu_demo_prod wippidu_demo_staging; do
  psql "$server" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
prod_db=$(db_url wippidu_demo_prod)
staging_db=$(db_url wippidu_demo_staging)

case "$storage_kind" in
  file)
    prod_storage="file://$work/storage-prod"
    staging_storage="file://$work/storage-staging" ;;
  s3)
    if [ ! -x "$root/.bin/versitygw" ]; then
      build build-versitygw "a local S3 server, versitygw (once; it takes a minute or two)" make -s .bin/versitygw
    fi
    say "==> starting a local S3 server (versitygw)"
    mkdir -p "$work/s3/wippidu"
    s3_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$root/.bin/versitygw" --access demo --secret demo-secret --port "127.0.0.1:$s3_port" posix "$work/s3" \
      >"$work/logs/s3.log" 2>&1 {out}>&- {err}>&- &
    export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret
    prod_storage="s3://wippidu/production?endpoint=http://127.0.0.1:$s3_port&region=us-east-1&path_style=true"
    staging_storage="s3://wippidu/staging?endpoint=http://127.0.0.1:$s3_port&region=us-east-1&path_style=true"
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$s3_port" && break; sleep 0.1; done ;;
  *) say "STORAGE must be file or s3" >&2; exit 2 ;;
esac

# The salt keys staging's fake names and birth dates: a new one for every run, never
# written down (od reads 32 random bytes and prints them in hex).
salt=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
common=(LOG_LEVEL="${LOG_LEVEL:-warn}" SECURE_COOKIES=false JOB_LIVENESS_GRACE=20s)
prod_env=(env "${common[@]}" DATABASE_URL="$prod_db" STORAGE_URL="$prod_storage" APP_HOSTNAME=app.localhost
  LISTEN_ADDR="127.0.0.1:$prod_port" SESSION_SECRET=demo-production-session-secret-0123456789)
staging_env=(env "${common[@]}" DATABASE_URL="$staging_db" STORAGE_URL="$staging_storage" APP_HOSTNAME=staging.localhost
  LISTEN_ADDR="127.0.0.1:$staging_port" SESSION_SECRET=demo-staging-session-secret-0123456789ab
  APP_ALLOW_PROD_IMPORT=true ANONYMIZER_SALT="$salt" STAGING_ADMINS=admin@staging.localhost
  SOURCE_STORAGE_URL="$prod_storage") # staging lists production's exports and imports one without a download

say "==> migrating production and staging"
step migrate-prod "${prod_env[@]}" "$work/bin/worker" migrate >/dev/null
step migrate-staging "${staging_env[@]}" "$work/bin/worker" migrate >/dev/null

say "==> production: demo data for $users users"
step demodata-prod "${prod_env[@]}" "$work/bin/demodata" --users "$users" --attachment-kb 32 >/dev/null
say "==> staging: a little data of its own, and its own admin (kept across every refresh)"
step demodata-staging "${staging_env[@]}" "$work/bin/demodata" --users 20 --seed 7 --admin-email admin@staging.localhost >/dev/null

say "==> production: export"
step export "${prod_env[@]}" "$work/bin/worker" export --inline --out "$work" >/dev/null
dump=$(ls "$work"/wippidu-export-*.json.gz)
# The worker's own line, "saved FILE (86.3 MiB)": sizes read the same here as on the page.
saved=$(grep -m1 '^saved ' "$work/logs/export.log")
say "    ${saved#saved "$work"/}"

say "==> staging: anonymized import (all anonymizers on)"
step import "${staging_env[@]}" "$work/bin/worker" import --inline --confirm-host staging.localhost "$dump" >"$work/result.json"
python3 - "$work/result.json" <<'PY' || say "warning: the result is in $work/result.json" >&2
import json, sys
r = json.load(open(sys.argv[1])).get("result") or {}
leak = r.get("leak_check") or {}
print(f"    {r.get('rows', 0):,} rows in {len(r.get('tables') or [])} tables, {r.get('duration_seconds', 0):.1f} s;"
      f" anonymizers run: {', '.join(r.get('anonymizers_run') or []) or 'none'}")
print(f"    leak check: {leak.get('found', 0)} production values found among {leak.get('values', 0):,} checked;"
      f" kept accounts: {', '.join(r.get('kept_accounts') or []) or 'none'}")
print(f"    the whole result: {sys.argv[1]}")
PY

say "==> the same users on production and on staging"
for url in "$prod_db" "$staging_db"; do
  psql "$url" -c "SELECT id, email, first_name, last_name, city, phone, left(password_hash, 12) || '…' AS password_hash
                  FROM users WHERE role = 'parent' ORDER BY id LIMIT 3"
done
say "    Every imported account logs in with password staging123; staging's own admin,"
say "    admin@staging.localhost, keeps its password."

if [ "${DEMO_ONESHOT:-}" = 1 ]; then
  say "    Its files stay in $work (databases, dumps, logs); make clean removes them."
  exit 0
fi

say "==> starting production and staging (web tier and worker each)"
"${prod_env[@]}" "$work/bin/worker" run >"$work/logs/prod-worker.log" 2>&1 {out}>&- {err}>&- &
"${prod_env[@]}" "$work/bin/web" >"$work/logs/prod-web.log" 2>&1 {out}>&- {err}>&- &
prod_web=$!
"${staging_env[@]}" "$work/bin/worker" run >"$work/logs/staging-worker.log" 2>&1 {out}>&- {err}>&- &
"${staging_env[@]}" "$work/bin/web" >"$work/logs/staging-web.log" 2>&1 {out}>&- {err}>&- &
staging_web=$!

# healthy HOST PORT PID LOG: waits until the web tier PID answers at the address the
# user opens (curl before 7.85 does not resolve *.localhost itself, hence --resolve).
healthy() {
  for _ in $(seq 300); do
    curl -sf -o /dev/null --max-time 2 --resolve "$1:$2:127.0.0.1" "http://$1:$2/healthz" && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 0.1
  done
  say "error: nothing answers on http://$1:$2/healthz; the end of $4:" >&2
  tail -n 30 "$4" >&2
  return 1
}
healthy app.localhost "$prod_port" "$prod_web" "$work/logs/prod-web.log"
healthy staging.localhost "$staging_port" "$staging_web" "$work/logs/staging-web.log"

cat <<INFO

  Open in Chromium or Firefox (both take *.localhost as this machine):

  production  http://app.localhost:$prod_port/admin/data
              log in as admin@wippidu.example / wippidu and download an export
  staging     http://staging.localhost:$staging_port/admin/data
              log in as admin@staging.localhost / wippidu (staging's own admin, kept across
              every refresh), choose the file and type  staging.localhost  to confirm
              (imported accounts: user-<id>@staging.local / staging123)

  Logs: $work/logs/. Ctrl-C stops everything; the files stay in $work
  (databases, dumps, logs) until make clean removes them.

INFO
say "READY"
# Returns when a server ends on its own; Ctrl-C and SIGTERM go to cleanup.
wait -n || true
say "error: a server stopped on its own; see $work/logs/" >&2
exit 1
