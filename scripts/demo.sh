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
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${DEMO_WORK:-$root/.tmp/demo}
users=${DEMO_USERS:-2000}
prod_port=${DEMO_PROD_PORT:-8081}
staging_port=${DEMO_STAGING_PORT:-8082}
storage_kind=${STORAGE:-file}
pids=()

cleanup() {
  trap - EXIT INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    echo "==> stopping"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  [ -z "${DATABASE_URL:-}" ] && "$work/bin/pgcluster" stop "$work/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$work"
mkdir -p "$work/bin" "$work/logs"

echo "==> building"
go build -o "$work/bin/" ./cmd/worker ./cmd/web ./cmd/demodata ./internal/cmd/pgcluster

if [ -n "${DATABASE_URL:-}" ]; then
  server=$DATABASE_URL
else
  echo "==> starting a private PostgreSQL"
  server=$("$work/bin/pgcluster" start "$work/pg")
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
psql() { "${pgbin:+$pgbin/}psql" -v ON_ERROR_STOP=1 -qX "$@"; }
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
    echo "==> starting a local S3 server (versitygw)"
    make -s .bin/versitygw >/dev/null
    mkdir -p "$work/s3/wippidu"
    s3_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$root/.bin/versitygw" --access demo --secret demo-secret --port "127.0.0.1:$s3_port" posix "$work/s3" \
      >"$work/logs/s3.log" 2>&1 &
    pids+=($!)
    export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret
    prod_storage="s3://wippidu/production?endpoint=http://127.0.0.1:$s3_port&region=us-east-1&path_style=true"
    staging_storage="s3://wippidu/staging?endpoint=http://127.0.0.1:$s3_port&region=us-east-1&path_style=true"
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$s3_port" && break; sleep 0.1; done ;;
  *) echo "STORAGE must be file or s3" >&2; exit 2 ;;
esac

common=(LOG_LEVEL=${LOG_LEVEL:-warn} SECURE_COOKIES=false JOB_LIVENESS_GRACE=20s)
prod_env=(env "${common[@]}" DATABASE_URL="$prod_db" STORAGE_URL="$prod_storage" APP_HOSTNAME=app.localhost
  LISTEN_ADDR="127.0.0.1:$prod_port" SESSION_SECRET=demo-production-session-secret-0123456789)
staging_env=(env "${common[@]}" DATABASE_URL="$staging_db" STORAGE_URL="$staging_storage" APP_HOSTNAME=staging.localhost
  LISTEN_ADDR="127.0.0.1:$staging_port" SESSION_SECRET=demo-staging-session-secret-0123456789ab
  APP_ALLOW_PROD_IMPORT=true ANONYMIZER_SALT=demo-salt STAGING_ADMINS=admin@staging.localhost)

echo "==> migrating production and staging"
"${prod_env[@]}" "$work/bin/worker" migrate
"${staging_env[@]}" "$work/bin/worker" migrate

echo "==> production: demo data for $users users"
"${prod_env[@]}" "$work/bin/demodata" --users "$users" --attachment-kb 32 >/dev/null
echo "==> staging: a little data of its own, and its own admin (kept across every refresh)"
"${staging_env[@]}" "$work/bin/demodata" --users 20 --seed 7 --admin-email admin@staging.localhost >/dev/null

echo "==> production: export"
"${prod_env[@]}" "$work/bin/worker" export --inline --out "$work" >/dev/null
dump=$(ls "$work"/wippidu-export-*.json.gz)
echo "    $(basename "$dump"): $(du -h "$dump" | cut -f1)"

echo "==> staging: anonymized import (all anonymizers on)"
"${staging_env[@]}" "$work/bin/worker" import --inline --confirm-host staging.localhost "$dump" > "$work/result.json"
python3 -m json.tool "$work/result.json"

echo "==> the same users on production and on staging"
for url in "$prod_db" "$staging_db"; do
  psql "$url" -c "SELECT id, email, first_name, last_name, city, phone, left(password_hash, 12) || '…' AS password_hash
                  FROM users WHERE role = 'parent' ORDER BY id LIMIT 3"
done
echo "    Every imported account logs in with password staging123; staging's own admin,"
echo "    admin@staging.localhost, keeps its password."

if [ "${DEMO_ONESHOT:-}" = 1 ]; then
  exit 0
fi

echo "==> starting production and staging (web tier and worker each)"
"${prod_env[@]}" "$work/bin/worker" run >"$work/logs/prod-worker.log" 2>&1 & pids+=($!)
"${prod_env[@]}" "$work/bin/web" >"$work/logs/prod-web.log" 2>&1 & pids+=($!)
"${staging_env[@]}" "$work/bin/worker" run >"$work/logs/staging-worker.log" 2>&1 & pids+=($!)
"${staging_env[@]}" "$work/bin/web" >"$work/logs/staging-web.log" 2>&1 & pids+=($!)
for port in "$prod_port" "$staging_port"; do
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
done

cat <<INFO

  production  http://app.localhost:$prod_port/admin/data        admin@wippidu.example / wippidu
  staging     http://staging.localhost:$staging_port/admin/data    admin@staging.localhost / wippidu
              (staging's own admin, kept across every refresh; imported accounts are
               user-<id>@staging.local with password staging123)

  Export on production, then import the downloaded file on staging: type
  "staging.localhost" to confirm. Logs: $work/logs/. Ctrl-C stops everything.
INFO
echo "READY"
wait
