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
# of every object they disagree on (scripts/bench/kubeconformdiff), then
# what each costs — CPU seconds and peak resident memory, at start-up and
# for the folder — measured in the same run (GNU time, when installed).
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

# Cost, one run each. Both binaries are measured as copies: a binary the
# linker has just written sits in the page cache in large folios that the
# kernel maps with 2 MB pages, which adds up to ~50 MB of resident file
# pages to a large binary's peak; a copied (or installed) one does not.
if [[ -x /usr/bin/time ]]; then
	cp "$kubeconform" "$work/kubeconform-copy"
	cp "$work/flotilla" "$work/flotilla-copy"
	cost() { # label cmd...: a Markdown row of CPU-s and peak RSS
		local label=$1 out
		shift
		# Exit codes are the verdicts above; only the cost is read here.
		out=$(/usr/bin/time -f '%U %S %M' "$@" 2>&1 >/dev/null | tail -1) || true
		awk -v l="$label" '{ printf "| %s | %.2f | %d MB |\n", l, $1 + $2, $3 / 1024 }' <<<"$out"
	}
	printf '\n| run | CPU-s | peak RSS |\n|---|---:|---:|\n'
	cost "kubeconform -v (start-up)" "$work/kubeconform-copy" -v
	cost "flotilla --version (start-up)" "$work/flotilla-copy" --version
	cost "kubeconform $(basename "$target")" "$work/kubeconform-copy" -strict -summary \
		-schema-location "$work/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$target"
	cost "flotilla validate $(basename "$target")" "$work/flotilla-copy" validate "$target" "$@"
fi
