#!/usr/bin/env bash
# Compare `flotilla validate` with kubeconform, object by object, on any
# folder (or files) of Kubernetes YAML:
#
#   scripts/compare-kubeconform.sh DIR [FLOTILLA VALIDATE FLAGS...]
#
# Installs kubeconform with `go install` (cached), writes kubeconform
# schemas offline from the same Kubernetes types and CRDs flotilla uses
# (scripts/bench/kubeschemas; kubeconform's default schema registry is on
# the network), runs both, and prints a Markdown report of the verdicts and
# of every object they disagree on (scripts/bench/kubeconformdiff).
#
# Environment: BENCH_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/bench).
set -euo pipefail

KUBECONFORM_VERSION=v0.8.0
[[ $# -ge 1 ]] || { echo "usage: $0 DIR [flotilla validate flags...]" >&2; exit 2; }
target=$1
shift

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/bench}
mkdir -p "$CACHE/bin"
kubeconform="$CACHE/bin/kubeconform-$KUBECONFORM_VERSION"
if [[ ! -x $kubeconform ]]; then
	echo "installing kubeconform $KUBECONFORM_VERSION" >&2
	tmp=$(mktemp -d)
	(cd "$tmp" && GOFLAGS= GOBIN="$tmp" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION")
	mv "$tmp/kubeconform" "$kubeconform"
	rm -rf "$tmp"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && go build -o "$work/flotilla" ./tools/cmd/flotilla && go build -o "$work/kubeschemas" ./scripts/bench/kubeschemas && go build -o "$work/kubeconformdiff" ./scripts/bench/kubeconformdiff)
"$work/kubeschemas" "$work/schemas" >&2

# Both exit non-zero on findings: their reports are what matters here.
"$kubeconform" -strict -summary -verbose -output json \
	-schema-location "$work/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$target" >"$work/kubeconform.json" || true
"$work/flotilla" validate -o json "$target" "$@" >"$work/flotilla.json" || true
"$work/kubeconformdiff" "$work/kubeconform.json" "$work/flotilla.json"
