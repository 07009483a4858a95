#!/usr/bin/env bash
# step.sh LABEL CMD...: runs one step of a make target, saying what it does
# before and how long it took after, so that a long first run is never silent.
set -uo pipefail
label=$1
shift
start=$SECONDS
printf '==> %s\n' "$label"
"$@"
rc=$?
took=$((SECONDS - start))
if [ "$took" -ge 60 ]; then
  took="$((took / 60)) min $((took % 60)) s"
else
  took="$took s"
fi
if [ "$rc" -eq 0 ]; then
  printf '    done in %s\n' "$took"
else
  printf '    failed after %s (exit status %d)\n' "$took" "$rc" >&2
fi
exit "$rc"
