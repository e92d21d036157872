#!/usr/bin/env bash
# Provide the Pulumi engine (`pulumi` CLI) for offline use, and print the directory to put on PATH.
#
# Why: the Pulumi CLI cannot be downloaded here, but it is published as Go modules. We build it
# once per version into a cache outside the repository and reuse it. The Python language host
# (`pulumi-language-python`) is not published as a Go module version, so the directory also gets
# our own language host (scripts/language_host.py, a small gRPC server built on the Python
# SDK's protobufs) plus the two scripts the engine expects beside it, taken from the pinned SDK
# module: `pulumi-language-python-exec` and `pulumi-resource-pulumi-python`.
#
# Usage: scripts/provide-engine.sh            -> prints the bin directory on the last line of stdout
#        (put it on PATH together with the checkout's .venv/bin, as the Makefile does)
# Env:   PULUMI_ENGINE_VERSION (default below), ONENCE_ENGINE_CACHE (default ~/.cache/pulumi-onence/engine),
#        ONENCE_HOST_BIN (where the language host goes; default: this checkout's .venv/bin)
set -euo pipefail

version="${PULUMI_ENGINE_VERSION:-3.274.1}"
min_version="3.216.0"   # ReadResult.inputs (refresh keeps inputs in sync) needs at least this
cache_root="${ONENCE_ENGINE_CACHE:-$HOME/.cache/pulumi-onence/engine}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "[engine] $*" >&2; }

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

bin="$cache_root/v$version/bin"

# 1. A pulumi already on PATH that is recent enough wins (a developer's own install).
if existing="$(command -v pulumi 2>/dev/null)" && [ "$existing" != "$bin/pulumi" ]; then
  have="$("$existing" version 2>/dev/null | sed 's/^v//; s/[-+].*//')" || have=""
  if [ -n "$have" ] && version_ge "$have" "$min_version" && command -v pulumi-language-python >/dev/null 2>&1; then
    log "using pulumi $have already on PATH at $existing"
    dirname "$existing"
    exit 0
  fi
fi

# 2. The cache, keyed by version.
if [ -x "$bin/pulumi" ] && [ -f "$bin/.complete" ]; then
  log "using cached pulumi v$version from $bin"
else
  command -v go >/dev/null || { log "error: Go is needed to build the engine (none on PATH)"; exit 1; }
  log "building pulumi v$version from its Go modules: the first build takes several minutes (later runs reuse $bin)"
  work="$cache_root/v$version/build"
  rm -rf "$work" && mkdir -p "$work" "$bin"
  cd "$work"
  export GOFLAGS="-mod=mod" CGO_ENABLED=0
  log "stage 1/4: module setup"
  go mod init local/pulumi-engine >/dev/null 2>&1
  sdk_mod="$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [ -d "$sdk_mod" ] || { log "error: could not download github.com/pulumi/pulumi/sdk/v3@v$version"; exit 1; }
  # The engine's own go.mod files carry replace directives that a consumer must repeat.
  grep -E '^replace ' "$sdk_mod/go.mod" | sed 's/^replace //' | while read -r old _ new newv; do
    go mod edit -replace "$old=$new@$newv"
  done
  log "stage 2/4: resolving github.com/pulumi/pulumi/pkg/v3@v$version and its dependencies"
  go get "github.com/pulumi/pulumi/pkg/v3@v$version" "github.com/pulumi/pulumi/sdk/v3@v$version" >&2
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
  go mod tidy >&2
  log "stage 3/4: compiling (this is the long part)"
  go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
    -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
  log "stage 4/4: helper scripts from the SDK module"
  install -m755 "$sdk_mod/python/cmd/pulumi-language-python-exec" "$bin/"
  install -m755 "$sdk_mod/python/dist/pulumi-resource-pulumi-python" "$bin/"
  touch "$bin/.complete"
  cd / && rm -rf "$work"
  log "built $("$bin/pulumi" version) into $bin"
fi

# Our language host is project code and belongs to this checkout, not to the shared cache: it
# goes into the checkout's virtualenv (whose python has grpc and the Pulumi SDK), next to a copy
# of the exec script it starts programs with. The engine finds it on PATH (`make` puts .venv/bin
# there), so several checkouts can share one engine build without sharing one interpreter.
host_bin="${ONENCE_HOST_BIN:-$(cd "$here/.." && pwd)/.venv/bin}"
rm -f "$bin/pulumi-language-python"   # an older layout kept it in the cache
if [ -x "$host_bin/python" ]; then
  { echo "#!$host_bin/python"; sed "s/^HOST_VERSION = .*/HOST_VERSION = \"$version\"/" "$here/language_host.py"; } \
    > "$host_bin/pulumi-language-python.tmp"
  chmod 755 "$host_bin/pulumi-language-python.tmp"
  mv "$host_bin/pulumi-language-python.tmp" "$host_bin/pulumi-language-python"
  install -m755 "$bin/pulumi-language-python-exec" "$host_bin/pulumi-language-python-exec"
else
  log "warning: no virtualenv at $host_bin (run \`make venv\`): the language host was not installed"
fi
echo "$bin"
