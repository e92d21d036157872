#!/usr/bin/env bash
# Provide SeaweedFS (`weed`), an S3-compatible server, and print the path of its binary.
#
# Why: the GitOps tests keep Pulumi state in S3, as real pipelines do, so that several runners share
# one stack and its lock. No S3 server can be downloaded here, but SeaweedFS (Apache-2.0) is
# published as a Go module. We build it once per version into a cache outside the repository and
# reuse it, like the engine (scripts/provide-engine.sh). A user's real S3/GCS/Azure backend needs
# nothing from this script.
#
# Usage: scripts/provide-seaweedfs.sh   -> prints the path of the `weed` binary (stages on stderr)
# Env:   SEAWEEDFS_VERSION (default below; the module has no tags, so this is a pseudo-version),
#        ONENCE_SEAWEEDFS_CACHE (default ~/.cache/pulumi-onence/seaweedfs)
set -euo pipefail

version="${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
module="github.com/seaweedfs/seaweedfs"
cache_root="${ONENCE_SEAWEEDFS_CACHE:-$HOME/.cache/pulumi-onence/seaweedfs}"
log() { echo "[seaweedfs] $*" >&2; }

dir="$cache_root/$version"
bin="$dir/weed"

if [ -x "$bin" ] && [ -f "$dir/.complete" ]; then
  log "using cached weed $version from $dir"
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { log "error: Go is needed to build SeaweedFS (none on PATH)"; exit 1; }
mkdir -p "$dir"
# One build at a time: a second caller waits for the first instead of building again.
exec 9>"$dir/.lock"
if ! flock -n 9; then
  log "another build of $version is running; waiting for it"
  flock 9
  if [ -x "$bin" ] && [ -f "$dir/.complete" ]; then
    log "using cached weed $version from $dir"
    echo "$bin"
    exit 0
  fi
fi

log "building weed $version from its Go module: the first build takes about 7 minutes (later runs reuse $dir)"
start=$SECONDS
work="$dir/build"
rm -rf "$work" && mkdir -p "$work"
cd "$work"
export GOFLAGS="-mod=mod" CGO_ENABLED=0
log "stage 1/3: module setup"
go mod init local/seaweedfs-build >/dev/null 2>&1
mod_dir="$(go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
[ -d "$mod_dir" ] || { log "error: could not download $module@$version"; exit 1; }
# `go install …@version` refuses a module whose go.mod has replace directives, so a consumer
# module repeats them: only those that point to another module version (a local path would not
# exist outside SeaweedFS's own tree). Both the one-line and the block forms are read.
awk '
  /^replace[ \t]*\(/ { block = 1; next }
  block && /^\)/     { block = 0; next }
  block              { print; next }
  /^replace[ \t]/    { sub(/^replace[ \t]+/, ""); print }
' "$mod_dir/go.mod" | sed 's#//.*##' | while read -r old a b c d; do
  # Forms: "old => new newv" or "old oldv => new newv".
  if [ "$a" = "=>" ]; then new="$b" newv="$c"; else old="$old@$a" new="$c" newv="$d"; fi
  case "$new" in ./* | ../* | /*) continue ;; esac
  [ -n "$newv" ] || continue
  go mod edit -replace "$old=$new@$newv"
done
log "stage 2/3: resolving $module@$version and its dependencies"
go get "$module@$version" >&2
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
GO
go mod tidy >&2
log "stage 3/3: compiling (this is the long part)"
go build -trimpath -ldflags "-s -w" -o "$bin.tmp" "$module/weed" >&2
mv "$bin.tmp" "$bin"
touch "$dir/.complete"
cd / && rm -rf "$work"
log "built $("$bin" version 2>/dev/null | head -n1) into $dir in $((SECONDS - start)) s"
echo "$bin"
