#!/usr/bin/env bash
# Provide the Pulumi engine (`pulumi` CLI) for offline use, and print the directory to put on PATH.
#
# Why: the Pulumi CLI cannot be downloaded here, but it is published as Go modules. We build it
# once per version into a cache outside the repository and reuse it. The Python language host
# (`pulumi-language-python`) is not published as a Go module version, so we provide our own
# (scripts/language_host.py, a small gRPC server built on the Python SDK's protobufs), next to
# the two scripts the engine expects, taken from the pinned SDK module:
# `pulumi-language-python-exec` and `pulumi-resource-pulumi-python`.
#
# Usage: scripts/provide-engine.sh            -> prints the directory to put on PATH (the
#        checkout's .venv/bin, holding the engine, the language host and the SDK scripts)
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
host_bin="${ONENCE_HOST_BIN:-$(cd "$here/.." && pwd)/.venv/bin}"

# 1. A pulumi already on PATH that is recent enough wins (a developer's own install).
existing="$(command -v pulumi 2>/dev/null)" || existing=""
if [ -n "$existing" ] && [ "$existing" != "$bin/pulumi" ] && [ "$existing" != "$host_bin/pulumi" ]; then
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
# goes into the checkout's virtualenv (whose python has grpc and the Pulumi SDK). The engine
# looks for its bundled plugins first on PATH, then beside its own executable, and warns when the
# two differ; so the checkout's .venv/bin also gets the engine (a hard link into the cache, a copy
# across file systems) and the two SDK scripts, and that directory is the one to put on PATH.
# Several checkouts then share one engine build without sharing one interpreter.
if [ ! -x "$host_bin/python" ]; then
  log "error: no virtualenv at $host_bin: run \`make venv\` first (the language host runs in it)"
  exit 1
fi
for tool in pulumi pulumi-language-python-exec pulumi-resource-pulumi-python; do
  ln -f "$bin/$tool" "$host_bin/$tool" 2>/dev/null || cp -f "$bin/$tool" "$host_bin/$tool"
done
# The host is installed as it is in the repository, behind a shebang for the virtualenv's python;
# it reads the engine version it serves from the file beside it.
{ echo "#!$host_bin/python"; cat "$here/language_host.py"; } > "$host_bin/pulumi-language-python.tmp"
echo "$version" > "$host_bin/pulumi-language-python.version"
chmod 755 "$host_bin/pulumi-language-python.tmp"
mv "$host_bin/pulumi-language-python.tmp" "$host_bin/pulumi-language-python"
rm -f "$bin/pulumi-language-python"   # an older layout kept the host in the cache
echo "$host_bin"
