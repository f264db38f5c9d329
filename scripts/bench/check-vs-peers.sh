#!/usr/bin/env bash
# Benchmark `flotilla check` against kubeconform + conftest doing the
# equivalent work on the same rendered objects (the speed requirement of the
# policy-linting issue). Thin: installs the peers, builds the Go helpers,
# writes the local schemas; scripts/bench/checkbench does the rest and
# prints the Markdown report (also written to $OUT/report.md).
#
# Environment (all optional):
#   OUT          report and raw outputs        (default /tmp/flotilla-bench)
#   SIZES        LABEL=CLUSTERSxAPPS,...       (default below)
#   RUNS         runs of each command per size (default 3; the median is reported)
#   MAX_RSS_MB   kill a command above this RSS (default 12000; reported as not finished)
#   TIMEOUT      kill a command after this     (default 10m)
#   BENCH_CACHE  peers, schemas and fleets     (default ${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/bench)
#   FLOTILLA_DESC how the report names the flotilla build (default: git describe)
set -euo pipefail

KUBECONFORM_MODULE=github.com/yannh/kubeconform
KUBECONFORM_VERSION=v0.8.0
CONFTEST_MODULE=github.com/open-policy-agent/conftest
CONFTEST_VERSION=v0.71.1

# 100 clusters; apps scaled so that `flotilla render` yields about 1k, 10k
# and 50k objects (~3.9 objects per cluster, ~6.4 per app).
SIZES=${SIZES:-1k=100x100,10k=100x1490,50k=100x7700}
RUNS=${RUNS:-3}
OUT=${OUT:-/tmp/flotilla-bench}
CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/bench}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
mkdir -p "$CACHE/bin" "$CACHE/fleets" "$OUT"

# install_peer PACKAGE VERSION NAME: go install PACKAGE@VERSION, outside
# this module, into $CACHE/bin/NAME-VERSION (reused when present).
install_peer() {
	local pkg=$1 version=$2 name=$3
	local bin="$CACHE/bin/$name-$version"
	if [[ ! -x $bin ]]; then
		echo "installing $pkg@$version" >&2
		local tmp
		tmp=$(mktemp -d)
		(cd "$tmp" && GOFLAGS= GOBIN="$tmp" go install "$pkg@$version")
		mv "$tmp/$name" "$bin"
		rm -rf "$tmp"
	fi
	echo "$bin"
}
kubeconform=$(install_peer "$KUBECONFORM_MODULE/cmd/kubeconform" "$KUBECONFORM_VERSION" kubeconform)
conftest=$(install_peer "$CONFTEST_MODULE" "$CONFTEST_VERSION" conftest)
opa=$("$conftest" --version | awk '/^OPA:/ {print $2}')

echo "building bin/flotilla and the benchmark helpers" >&2
make build >&2 # the CLI as users build it (-s -w)
go build -o "$CACHE/bin/kubeschemas" ./scripts/bench/kubeschemas
go build -o "$CACHE/bin/checkbench" ./scripts/bench/checkbench

rm -rf "$CACHE/schemas"
"$CACHE/bin/kubeschemas" "$CACHE/schemas" >&2

"$CACHE/bin/checkbench" \
	-flotilla bin/flotilla \
	-kubeconform "$kubeconform" \
	-conftest "$conftest" \
	-schemas "$CACHE/schemas" \
	-policy scripts/bench/conftest/policy \
	-work "$CACHE/fleets" \
	-out "$OUT" \
	-sizes "$SIZES" \
	-runs "$RUNS" \
	-max-rss-mb "${MAX_RSS_MB:-12000}" \
	-timeout "${TIMEOUT:-10m}" \
	-versions "flotilla ${FLOTILLA_DESC:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)} ($(go version | awk '{print $3}')), kubeconform $KUBECONFORM_VERSION, conftest $CONFTEST_VERSION (OPA $opa)"
