#!/usr/bin/env bash
# Provide actionlint, the linter of GitHub Actions workflows, and print the path of its binary.
#
# Why: the GitOps example's workflows are checked as GitHub would read them (syntax, expressions,
# shell scripts' quoting) without GitHub. actionlint (MIT) is published as a Go module: built once
# per version into a cache outside the repository, like the engine.
#
# Usage: scripts/provide-actionlint.sh   -> prints the path of the `actionlint` binary
# Env:   ACTIONLINT_VERSION (default below), ONENCE_ACTIONLINT_CACHE (default
#        ~/.cache/pulumi-onence/actionlint)
set -euo pipefail

version="${ACTIONLINT_VERSION:-v1.7.12}"
cache_root="${ONENCE_ACTIONLINT_CACHE:-$HOME/.cache/pulumi-onence/actionlint}"
log() { echo "[actionlint] $*" >&2; }

dir="$cache_root/$version"
bin="$dir/bin/actionlint"
if [ -x "$bin" ] && [ -f "$dir/.complete" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { log "error: Go is needed to build actionlint (none on PATH)"; exit 1; }
mkdir -p "$dir/bin"
exec 9>"$dir/.lock"
flock 9
if [ ! -f "$dir/.complete" ]; then
  log "building github.com/rhysd/actionlint/cmd/actionlint@$version (once; under a minute)"
  GOBIN="$dir/bin" CGO_ENABLED=0 GOFLAGS="" go install -trimpath -ldflags "-s -w" \
    "github.com/rhysd/actionlint/cmd/actionlint@$version" >&2
  touch "$dir/.complete"
fi
echo "$bin"
