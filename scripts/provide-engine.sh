#!/usr/bin/env bash
# Provide the Pulumi engine (`pulumi` CLI) and its YAML language host for offline use, and print
# the directory to put on PATH.
#
# Why: the Pulumi CLI cannot be downloaded here, but it is published as Go modules. We build it
# once per version into a cache outside the repository and reuse it. The YAML language host
# (`pulumi-language-yaml`, for `runtime: yaml` projects) is built the same way from its own Go
# module, github.com/pulumi/pulumi-yaml, into its own versioned cache, with the Pulumi SDK/pkg
# versions that module's go.mod requires (not the engine's). The Python language host
# (`pulumi-language-python`) is not published as a Go module version, so we provide our own
# (scripts/language_host.py, a small gRPC server built on the Python SDK's protobufs), next to
# the two scripts the engine expects, taken from the pinned SDK module:
# `pulumi-language-python-exec` and `pulumi-resource-pulumi-python`. Our host turns PCL into
# Python (`pulumi import --generate-code`, `pulumi convert --language python`) with
# `pulumi-codegen-python`, a small Go program of this project (scripts/codegen/python) built
# against the engine's pkg/v3 module, once per engine version and helper source, into its own cache.
#
# Usage: scripts/provide-engine.sh            -> prints the directory to put on PATH (the
#        checkout's .venv/bin, holding the engine, both language hosts, the SDK scripts and
#        the host's code generator);
#        stdout is only that directory, the stages are logged to stderr
# Env:   PULUMI_ENGINE_VERSION, PULUMI_YAML_VERSION (defaults below),
#        ONENCE_ENGINE_CACHE (default ~/.cache/pulumi-onence/engine),
#        ONENCE_YAML_CACHE (default: `yaml` beside the engine cache, ~/.cache/pulumi-onence/yaml),
#        ONENCE_CODEGEN_CACHE (default: `codegen-python` beside the engine cache),
#        ONENCE_HOST_BIN (where the language hosts go; default: this checkout's .venv/bin)
# A recent enough `pulumi` already on PATH is used as it is: then nothing is built or linked,
# not even the YAML language host (a Pulumi install brings its own).
set -euo pipefail

version="${PULUMI_ENGINE_VERSION:-3.274.1}"
yaml_version="${PULUMI_YAML_VERSION:-1.25.0}"
min_version="3.216.0"   # ReadResult.inputs (refresh keeps inputs in sync) needs at least this
cache_root="${ONENCE_ENGINE_CACHE:-$HOME/.cache/pulumi-onence/engine}"
# Beside the engine cache, so that whoever points ONENCE_ENGINE_CACHE at a shared cache (the docs
# tests, which run with a fresh HOME) finds the YAML host there too.
yaml_cache_root="${ONENCE_YAML_CACHE:-$(dirname "$cache_root")/yaml}"
codegen_cache_root="${ONENCE_CODEGEN_CACHE:-$(dirname "$cache_root")/codegen-python}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "[engine] $*" >&2; }

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

bin="$cache_root/v$version/bin"
yaml_bin="$yaml_cache_root/v$yaml_version/bin"
codegen_bin="$codegen_cache_root/v$version/bin"
host_bin="${ONENCE_HOST_BIN:-$(cd "$here/.." && pwd)/.venv/bin}"

# 1. A pulumi already on PATH that is recent enough wins (a developer's own install).
existing="$(command -v pulumi 2>/dev/null)" || existing=""
if [ -n "$existing" ] && [ "$existing" != "$bin/pulumi" ] && [ "$existing" != "$host_bin/pulumi" ]; then
  have="$("$existing" version 2>/dev/null | sed 's/^v//; s/[-+].*//')" || have=""
  if [ -n "$have" ] && version_ge "$have" "$min_version" && command -v pulumi-language-python >/dev/null 2>&1; then
    log "using pulumi $have already on PATH at $existing"
    if yaml_existing="$(command -v pulumi-language-yaml 2>/dev/null)"; then
      log "not building pulumi-language-yaml: using the one on PATH at $yaml_existing"
    else
      log "not building pulumi-language-yaml for a pulumi on PATH (none on PATH: \`runtime: yaml\` projects need your Pulumi install's)"
    fi
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

# 3. The YAML language host, cached by its own version. Its module has no replace directives, so a
# plain `go install module@version` builds it with exactly the dependency versions its go.mod pins
# (go install refuses modules with replace directives: a newer version that has some would need
# a throwaway module repeating them, as for the engine above).
if [ -x "$yaml_bin/pulumi-language-yaml" ] && [ -f "$yaml_bin/.complete" ]; then
  log "using cached pulumi-language-yaml v$yaml_version from $yaml_bin"
else
  command -v go >/dev/null || { log "error: Go is needed to build pulumi-language-yaml (none on PATH)"; exit 1; }
  yaml_mod="github.com/pulumi/pulumi-yaml"
  log "building pulumi-language-yaml v$yaml_version from $yaml_mod: the first build takes a few minutes (later runs reuse $yaml_bin)"
  mkdir -p "$yaml_bin"
  cd "$yaml_bin"   # outside any module: go install module@version ignores the current one anyway
  log "yaml stage 1/2: downloading $yaml_mod@v$yaml_version"
  yaml_gomod="$(GOFLAGS="" go mod download -json "$yaml_mod@v$yaml_version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [ -f "$yaml_gomod" ] || { log "error: could not download $yaml_mod@v$yaml_version"; exit 1; }
  if grep -qE '^replace[[:space:]]' "$yaml_gomod"; then
    log "error: $yaml_mod@v$yaml_version has replace directives, which go install refuses: build it in a throwaway module that repeats them (as the engine is built)"
    exit 1
  fi
  log "yaml stage 2/2: resolving its dependencies and compiling"
  GOFLAGS="" GOBIN="$yaml_bin" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X $yaml_mod/pkg/version.Version=v$yaml_version" \
    "$yaml_mod/cmd/pulumi-language-yaml@v$yaml_version" >&2
  touch "$yaml_bin/.complete"
  cd /
  log "built pulumi-language-yaml v$yaml_version into $yaml_bin"
fi

# 4. The Python code generator of our language host (scripts/codegen/python), cached by engine
# version; its .complete marker holds a digest of the helper's source, so an edited helper is
# rebuilt. It is built with the engine's flags and module versions, so it reuses the engine
# build's compiled packages from Go's build cache: seconds after the engine, not minutes.
codegen_src="$here/codegen/python"
codegen_digest="$(cd "$codegen_src" && cat go.mod go.sum ./*.go | { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-16)"
if [ -x "$codegen_bin/pulumi-codegen-python" ] && [ "$(cat "$codegen_bin/.complete" 2>/dev/null)" = "$codegen_digest" ]; then
  log "using cached pulumi-codegen-python for v$version from $codegen_bin"
else
  command -v go >/dev/null || { log "error: Go is needed to build pulumi-codegen-python (none on PATH)"; exit 1; }
  log "building pulumi-codegen-python (scripts/codegen/python) against pkg/v3@v$version into $codegen_bin"
  work="$codegen_cache_root/v$version/build"
  rm -rf "$work" "$codegen_bin" && mkdir -p "$work" "$codegen_bin"
  cp "$codegen_src"/go.mod "$codegen_src"/go.sum "$codegen_src"/*.go "$work/"
  cd "$work"
  pinned="$(sed -n 's|^[[:space:]]*github.com/pulumi/pulumi/pkg/v3 v\([^ ]*\).*|\1|p' go.mod)"
  if [ "$pinned" != "$version" ]; then
    # Another engine version than the repository's go.mod pins: re-resolve, with the replace
    # directives of that version's SDK (as for the engine).
    log "codegen stage: moving pkg/v3 and sdk/v3 from v$pinned to v$version"
    sdk_mod="$(GOFLAGS="" go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    [ -d "$sdk_mod" ] || { log "error: could not download github.com/pulumi/pulumi/sdk/v3@v$version"; exit 1; }
    sed -i.orig '/^replace /d' go.mod && rm -f go.mod.orig
    grep -E '^replace ' "$sdk_mod/go.mod" | sed 's/^replace //' | while read -r old _ new newv; do
      go mod edit -replace "$old=$new@$newv"
    done
    GOFLAGS="-mod=mod" go get "github.com/pulumi/pulumi/pkg/v3@v$version" "github.com/pulumi/pulumi/sdk/v3@v$version" >&2
    GOFLAGS="-mod=mod" go mod tidy >&2
  fi
  log "codegen stage: compiling"
  GOFLAGS="-mod=readonly" CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace -ldflags "-s -w" \
    -o "$codegen_bin/pulumi-codegen-python" . >&2
  echo "$codegen_digest" > "$codegen_bin/.complete"
  cd / && rm -rf "$work"
  log "built pulumi-codegen-python into $codegen_bin"
fi

# Our language host is project code and belongs to this checkout, not to the shared cache: it
# goes into the checkout's virtualenv (whose python has grpc and the Pulumi SDK). The engine
# looks for its bundled plugins first on PATH, then beside its own executable, and warns when the
# two differ; so the checkout's .venv/bin also gets the engine and the YAML language host (hard
# links into the caches, copies across file systems) and the two SDK scripts, and that directory
# is the one to put on PATH.
# Several checkouts then share one engine build without sharing one interpreter.
if [ ! -x "$host_bin/python" ]; then
  log "error: no virtualenv at $host_bin: run \`make venv\` first (the language host runs in it)"
  exit 1
fi
for tool in pulumi pulumi-language-python-exec pulumi-resource-pulumi-python; do
  ln -f "$bin/$tool" "$host_bin/$tool" 2>/dev/null || cp -f "$bin/$tool" "$host_bin/$tool"
done
ln -f "$yaml_bin/pulumi-language-yaml" "$host_bin/pulumi-language-yaml" 2>/dev/null ||
  cp -f "$yaml_bin/pulumi-language-yaml" "$host_bin/pulumi-language-yaml"
# The host finds its code generator beside itself.
ln -f "$codegen_bin/pulumi-codegen-python" "$host_bin/pulumi-codegen-python" 2>/dev/null ||
  cp -f "$codegen_bin/pulumi-codegen-python" "$host_bin/pulumi-codegen-python"
# The host is installed as it is in the repository, behind a shebang for the virtualenv's python;
# it reads the engine version it serves from the file beside it.
{ echo "#!$host_bin/python"; cat "$here/language_host.py"; } > "$host_bin/pulumi-language-python.tmp"
echo "$version" > "$host_bin/pulumi-language-python.version"
chmod 755 "$host_bin/pulumi-language-python.tmp"
mv "$host_bin/pulumi-language-python.tmp" "$host_bin/pulumi-language-python"
rm -f "$bin/pulumi-language-python"   # an older layout kept the host in the cache
echo "$host_bin"
