# Flotilla — common commands. `make demo` and `make test` are the two set-up
# commands of the README: each works on a brand-new machine (Go from
# /usr/local/go, modules from the Go module proxy).

SHELL        := /bin/bash
GO           ?= go
BIN          := bin/flotilla
GOTOOLS      := $(GO) tool -modfile=scripts/gotools/go.mod
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -s -w -X github.com/flotilla-gitops/flotilla/tools/cli.version=$(VERSION)
PKGS         := ./tools/... ./tests/... .
MODULE       := github.com/flotilla-gitops/flotilla
# RACEPKGS: the packages that start goroutines or run tests in parallel
# (tools/internal/race/packages.txt, which a test of that package holds
# exact) run under the race detector; NORACEPKGS, the rest, without it — the
# detector costs 5-10× the CPU and finds nothing where nothing is
# concurrent. tests/e2e runs in `make e2e`, not here. Listed only when used.
RACEPKGS      = $(filter-out $(MODULE)/tests/e2e,$(shell $(GO) list $(shell grep -v '^\#' tools/internal/race/packages.txt)))
NORACEPKGS    = $(filter-out $(RACEPKGS) $(MODULE)/tests/e2e,$(shell $(GO) list $(PKGS)))
# LINTPKGS adds the benchmark harnesses, which are linted but not run by test/bench.
LINTPKGS     := $(PKGS) ./scripts/bench/...

export GOFLAGS := -buildvcs=false
# Test binaries without DWARF: links 25 % quicker (a cold CI links ~80 of
# them, 150-200 MB each); stack traces do not need it.
TESTFLAGS    := -ldflags=-w

.PHONY: all build demo test unit testtools engines e2e e2e-soak lint fmt vet staticcheck generate bench fuzz clean

all: build

## build: compile the CLI into bin/flotilla. No -trimpath: with it every
## package is compiled again (other flags, other cache keys) on a machine
## whose cache holds the tests' build — a whole cold build in CI.
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./tools/cmd/flotilla

## demo: render + validate the example fleet and show where every app lands
demo: build
	./$(BIN) version
	./$(BIN) render --check || ./$(BIN) render
	./$(BIN) validate
	./$(BIN) place

## test: everything CI runs — formatting, vet, linter, unit, golden, fuzz-seed
## and race tests, then the end-to-end tests against a real local fleet.
## The engines (their own Go modules) build beside the linters and unit
## tests rather than after them: on a machine without the engine cache the
## two overlap (downloads and the tests' idle time); with it the build is a
## check of stamps. Its log is printed when both are done.
test: testtools
	@mkdir -p bin
	@{ ./scripts/build-engines.sh > bin/engines.log 2>&1; echo $$? > bin/engines.rc; } & \
	$(MAKE) --no-print-directory lint unit; rc=$$?; \
	wait; echo "--- make engines (beside lint and unit):"; cat bin/engines.log; \
	test $$rc -eq 0 -a "$$(cat bin/engines.rc)" = 0
	$(MAKE) --no-print-directory e2e

unit: testtools
	@test -n "$(RACEPKGS)" -a -n "$(NORACEPKGS)" || { echo "go list found no packages"; exit 1; }
	FLOTILLA_REQUIRE_CHROMIUM=1 FLOTILLA_REQUIRE_STRACE=1 $(GO) test $(TESTFLAGS) -race -count=1 $(RACEPKGS)
	FLOTILLA_REQUIRE_CHROMIUM=1 FLOTILLA_REQUIRE_STRACE=1 $(GO) test $(TESTFLAGS) -count=1 $(NORACEPKGS)
	# The replays of real traces skip under the race detector (tools/internal/race): once more without it.
	$(GO) test $(TESTFLAGS) -count=1 -run '^TestNineZoneReplay$$' ./tools/spot/sim

## testtools: Debian's Chromium (the plan page's browser test) and strace
## (the hostile corpus' kills inside render's swap)
testtools:
	./scripts/install-test-tools.sh

## engines: build the local fleet's binaries from their Go modules (cached)
engines:
	./scripts/build-engines.sh

## e2e: end-to-end tests against real local Karmada fleets. Without the
## race detector: it made the suite 1.15× slower (the shared fleet's start
## 44 s → 144 s) and no more concurrent — the goroutines the e2e drives (the
## drill's binding watch, the fleet's supervisors, reclaim's terminations,
## rollout's promotes) run under it in their packages' unit tests.
## `make e2e E2EFLAGS=-race` adds it. The living fleet's test in a second
## process beside the rest ended no sooner (15m35s against 15m38s): the two
## fleets' busy phases slow each other's clocks.
E2EFLAGS ?=
e2e: engines
	FLOTILLA_E2E=1 $(GO) test $(TESTFLAGS) $(E2EFLAGS) -count=1 -timeout 40m -v ./tests/e2e/ 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT)'; test $${PIPESTATUS[0]} -eq 0

## e2e-soak: the README's drill, as declared, five times in a row on one
## fresh local fleet (not part of make test); each run's report in the log
e2e-soak: engines
	FLOTILLA_E2E=1 $(GO) test -count=5 -timeout 80m -v -run '^TestDrillAsDeclared$$' ./tests/e2e/ 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT)'; test $${PIPESTATUS[0]} -eq 0

## lint: gofmt, go vet and staticcheck (config: staticcheck.conf)
lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l tools tests scripts); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(LINTPKGS)

staticcheck:
	$(GOTOOLS) staticcheck $(LINTPKGS)

## generate: regenerate deepcopy, intent CRDs, editor JSON Schemas and engine CRDs
generate:
	$(GOTOOLS) controller-gen object paths=./tools/api/... crd:crdVersions=v1 output:crd:artifacts:config=tools/api/v1alpha1/crds
	$(GO) run ./tools/api/jsonschema/cmd/schemagen
	$(GO) generate ./tools/apischema/...

## bench: benchmarks of every hot path (synthetic fleets from tools/fleetgen)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x $(PKGS)

## fuzz: run each fuzz target for FUZZTIME (seed corpora run in `make test`).
## Minimizing a new input defaults to 60s, during which no progress shows.
FUZZTIME ?= 30s
FUZZFLAGS = -run '^$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
fuzz:
	$(GO) test ./tools/yamldoc $(FUZZFLAGS) -fuzz FuzzParse
	$(GO) test ./tools/intent $(FUZZFLAGS) -fuzz FuzzLoad
	$(GO) test ./tools/kustjail $(FUZZFLAGS) -fuzz FuzzBuild
	$(GO) test ./tools/render $(FUZZFLAGS) -fuzz FuzzMarshalYAML
	$(GO) test ./tools/semdiff $(FUZZFLAGS) -fuzz FuzzDiff
	$(GO) test ./tools/mdsplit $(FUZZFLAGS) -fuzz FuzzSplit
	$(GO) test ./tools/pipeline $(FUZZFLAGS) -fuzz FuzzPlain
	$(GO) test ./tools/lint $(FUZZFLAGS) -fuzz FuzzExceptions
	$(GO) test ./tools/redact $(FUZZFLAGS) -fuzz FuzzString
	$(GO) test ./tools/spot/internal/jsonpos $(FUZZFLAGS) -fuzz FuzzParse
	$(GO) test ./tools/spot/signals $(FUZZFLAGS) -fuzz FuzzReadTrace
	$(GO) test ./tools/spot/signals $(FUZZFLAGS) -fuzz FuzzReadAdvisor
	$(GO) test ./tools/spot/signals $(FUZZFLAGS) -fuzz FuzzReadPriceHistoryJSON
	$(GO) test ./tools/spot/signals $(FUZZFLAGS) -fuzz FuzzReadPriceHistoryTSV
	$(GO) test ./tools/spot/signals $(FUZZFLAGS) -fuzz '^FuzzParse$$'
	$(GO) test ./tools/spot/intentedit $(FUZZFLAGS) -fuzz FuzzDivision

clean:
	rm -rf bin

## spot-report: replay the 9-zone V100 availability traces of ../shared/data/spot
## (200 apps, the seven policies and flotilla at six more targets) and write
## tools/spot/report/report.md and report.svg for the README. One run of
## several minutes; not part of `make test`.
.PHONY: spot-report
spot-report:
	@test -d ../shared/data/spot || { echo "spot-report: ../shared/data/spot not found (the real traces live beside the repository)"; exit 1; }
	FLOTILLA_SPOT_REPORT=$(CURDIR)/tools/spot/report $(GO) test ./tools/spot/simreport -run '^TestReport$$' -count=1 -v -timeout 60m
	rm -f tools/spot/report/report.json

## bench-check: `flotilla check` vs kubeconform + conftest on synthetic
## fleets of ~1k, 10k and 50k rendered objects (scripts/bench/check-vs-peers.sh;
## report in OUT/report.md, default /tmp/flotilla-bench). Not part of `make bench`.
.PHONY: bench-check
bench-check:
	scripts/bench/check-vs-peers.sh
