#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a PostgreSQL server: the one
# given, or a private cluster started here from the machine's PostgreSQL binaries
# and stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  exec "$@"
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/wippidu-pg-XXXXXX")
cleanup() { go run ./tools/pgcluster stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
TEST_DATABASE_URL=$(go run ./tools/pgcluster start "$dir")
export TEST_DATABASE_URL
echo "private PostgreSQL: $TEST_DATABASE_URL" >&2
"$@"
