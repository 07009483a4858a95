#!/usr/bin/env bash
# make demo: one production → staging refresh on this machine, on the embedded
# defaults. A private PostgreSQL (unless DATABASE_URL names a server), file storage,
# demo production data, an export from "production", and an anonymized import into
# "staging" — then a look at what staging holds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/.tmp/demo
users=${DEMO_USERS:-2000}
rm -rf "$work"
mkdir -p "$work/bin" "$work/storage-prod" "$work/storage-staging"

echo "==> building"
go build -o "$work/bin/" ./cmd/worker ./cmd/demodata ./internal/cmd/pgcluster

if [ -n "${DATABASE_URL:-}" ]; then
  server=$DATABASE_URL
else
  echo "==> starting a private PostgreSQL"
  server=$("$work/bin/pgcluster" start "$work/pg")
  trap '"$work/bin/pgcluster" stop "$work/pg" >/dev/null 2>&1 || true' EXIT
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
psql() { "${pgbin:+$pgbin/}psql" -v ON_ERROR_STOP=1 -qX "$@"; }
db_url() { python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$server" "$1"; }
for db in wippidu_demo_prod wippidu_demo_staging; do
  psql "$server" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
prod=$(db_url wippidu_demo_prod)
staging=$(db_url wippidu_demo_staging)

export LOG_LEVEL=warn
prod_env=(env DATABASE_URL="$prod" STORAGE_URL="file://$work/storage-prod" APP_HOSTNAME=app.localhost)
staging_env=(env DATABASE_URL="$staging" STORAGE_URL="file://$work/storage-staging" APP_HOSTNAME=staging.localhost
  APP_ALLOW_PROD_IMPORT=true ANONYMIZER_SALT=demo-salt)

echo "==> migrating production and staging"
"${prod_env[@]}" "$work/bin/worker" migrate
"${staging_env[@]}" "$work/bin/worker" migrate

echo "==> production: demo data for $users users"
"${prod_env[@]}" "$work/bin/demodata" --users "$users" --attachment-kb 32

echo "==> production: export"
"${prod_env[@]}" "$work/bin/worker" export --inline --out "$work" >/dev/null
dump=$(ls "$work"/wippidu-export-*.json.gz)
echo "    $(basename "$dump"): $(du -h "$dump" | cut -f1)"

echo "==> staging: anonymized import (all anonymizers on)"
"${staging_env[@]}" "$work/bin/worker" import --inline --confirm-host staging.localhost "$dump" > "$work/result.json"
python3 -m json.tool "$work/result.json"

echo "==> the same user on production and on staging"
for url in "$prod" "$staging"; do
  psql "$url" -c "SELECT id, email, first_name, last_name, city, phone, left(password_hash, 12) || '…' AS password_hash
                  FROM users WHERE role = 'parent' ORDER BY id LIMIT 3"
done
psql "$staging" -c "SELECT id, left(body, 40) AS body FROM messages ORDER BY id LIMIT 2" \
                -c "SELECT id, filename, mime_type, size_bytes FROM attachments ORDER BY id LIMIT 2"
echo "==> done: staging holds production's shape with every piece of personal data scrubbed."
echo "    Every staging account logs in with password staging123."
