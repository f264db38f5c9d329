#!/usr/bin/env bash
# Builds the local fleet's engine binaries (Kubernetes, etcd, Karmada) from
# their Go modules in scripts/engines/*, once per machine: they are cached
# by version under ${FLOTILLA_ENGINES:-~/.cache/flotilla/engines}, so a
# second run only checks stamps. The logic lives in tools/engines.
set -euo pipefail
cd "$(dirname "$0")/.."
# A command of its own, not `flotilla fleet build`: it compiles ~100 packages, not
# the CLI's 2,500 (see tools/cmd/flotilla-engines).
exec go run ./tools/cmd/flotilla-engines "$@"
