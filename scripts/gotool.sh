#!/usr/bin/env bash
# gotool.sh NAME PACKAGE@VERSION DEST: puts the Go program PACKAGE at VERSION in
# DEST. It is built once per machine with go install into
# ${XDG_CACHE_HOME:-~/.cache}/wippidu/tools/NAME@VERSION and copied from there,
# so that a fresh clone does not link it again.
set -euo pipefail
name=$1 pkg=$2 dest=$3
version=${pkg##*@}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/wippidu/tools
cached=$cache/$name@$version
if [ ! -x "$cached" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.install-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  env GOBIN="$tmp" GOFLAGS= "${GO:-go}" install "$pkg"
  mv "$tmp/$name" "$cached"
fi
mkdir -p "$(dirname "$dest")"
cp "$cached" "$dest.tmp" && mv "$dest.tmp" "$dest"
