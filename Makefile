# wippidu data refresh. `make demo` runs a whole refresh on this machine;
# `make test` runs every test against a real PostgreSQL and a real S3 server.

GO          ?= go
BIN         := $(CURDIR)/.bin
VERSITYGW   := $(BIN)/versitygw
STATICCHECK := $(BIN)/staticcheck
# Four test binaries at once, four tests each: most tests wait on PostgreSQL, on
# processes they started or on a browser, so two cores keep up with more than two.
# -trimpath: compiled packages do not depend on where the checkout lies, so the
# build cache serves a fresh clone of code it has already compiled.
# -vet=off: the lint step before runs go vet with every analyzer.
TEST_FLAGS  ?= -race -trimpath -vet=off -timeout 20m -p 4 -parallel 4
# go test starts packages in the order given: the longest first, then those of
# 10-20 s, so that none of them starts last and runs on alone.
TEST_PKGS   ?= ./worker ./transfer ./web ./anonymizer ./cmd/worker ./cmd/web ./internal/demotest ./demodata \
               ./ops ./storage/s3 ./dump ./internal/procmem ./browse ./...
# Tests whose subject is volume (a dump over 2 GiB through the web tier, 80 MiB
# values through export and import, every file of the bad-dump corpus, a whole
# school's text through the allow-list), none of them running code concurrently
# beyond what other tests do, run at the same time in test binaries built
# without the race detector: it slows every byte parsed or copied by several
# times, and the code they stream through runs under it in the other tests.
# Every test runs once, in one of the two.
VOLUME_TESTS ?= ^(TestUploadLargerThan2GiB|TestLargeValuesStream|TestBadDumpCorpus|TestDemoDataStaysReadable)$$
VOLUME_PKGS  ?= ./cmd/web ./cmd/worker ./transfer
VOLUME_FLAGS ?= -trimpath -vet=off -timeout 20m -p 2

export PATH := $(BIN):$(PATH)

.PHONY: all build test vet lint demo bench clean tools chromium

all: build

build:
	$(GO) build ./...

# Tools the tests need, installed into .bin with the Go toolchain: each says what
# it installs and how long it took (the first time they compile for a while).
# scripts/gotool.sh builds each version once per machine and copies it from there.
$(VERSITYGW):
	@scripts/step.sh "installing versitygw v1.8.0 into .bin (the S3 server of the storage tests) with go install" \
	  scripts/gotool.sh versitygw github.com/versity/versitygw/cmd/versitygw@v1.8.0 $@

$(STATICCHECK):
	@scripts/step.sh "installing staticcheck v0.8.2 into .bin with go install" \
	  scripts/gotool.sh staticcheck honnef.co/go/tools/cmd/staticcheck@v0.8.2 $@

tools: $(VERSITYGW) $(STATICCHECK) chromium

# The browser tests drive the machine's Chromium; install it from the system
# packages when it is missing (needs root and apt, as on CI). apt's own chatter
# goes to .tmp/apt.log, shown when the install fails.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then mkdir -p .tmp && \
	  scripts/step.sh "installing Chromium with apt-get (the browser of the browser tests)" sh -c \
	    '{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >.tmp/apt.log 2>&1 || { tail -n 20 .tmp/apt.log; exit 1; }'; \
	else echo "warning: no Chromium and no way to install it; browser tests will be skipped" >&2; fi

vet:
	@scripts/step.sh "gofmt and go vet" sh -c '\
	  files=$$(gofmt -l $$(git ls-files "*.go")); [ -z "$$files" ] || { echo "gofmt needed:"; echo "$$files"; exit 1; }; \
	  $(GO) vet -trimpath ./...'

# staticcheck's own builds with -trimpath too: 1 s instead of 20–30 s in a fresh clone.
lint: vet $(STATICCHECK)
	@scripts/step.sh "staticcheck" env GOFLAGS=-trimpath $(STATICCHECK) ./...

# Uses TEST_DATABASE_URL when given; otherwise starts a private PostgreSQL cluster
# from the machine's PostgreSQL binaries for the run. The commands that tests run
# as processes are linked once for all test processes, into .tmp/testbin
# (internal/testbin). tools/testsummary runs both
# go test commands at once, prints a line per package as it finishes and ends
# with the counts, every skipped test with its reason, and the time taken.
test: tools lint
	@echo "==> go test $(TEST_FLAGS) ./..., and $(VOLUME_TESTS) without -race (the first run compiles every package with the race detector for a few minutes)"
	@VERSITYGW=$(VERSITYGW) WIPPIDU_TEST_BIN=$(CURDIR)/.tmp/testbin scripts/with-postgres.sh $(GO) run ./tools/testsummary \
	  $(GO) test -json $(TEST_FLAGS) -skip '$(VOLUME_TESTS)' $(TEST_PKGS) --- \
	  $(GO) test -json $(VOLUME_FLAGS) -run '$(VOLUME_TESTS)' $(VOLUME_PKGS)

# One refresh on the embedded defaults: private PostgreSQL, file storage, demo
# production data, an export, an anonymized import into a second database.
demo:
	@scripts/demo.sh

# Export/import against pg_dump/pg_restore on a demo database of BENCH_USERS users
# (20,000: 1.5 GB; 100,000: 7.8 GB). BENCH_ARGS passes more flags (-h lists them).
BENCH_USERS ?= 20000
bench:
	scripts/with-postgres.sh $(GO) run ./tools/bench -users $(BENCH_USERS) $(BENCH_ARGS)

# What the demo, the bench and the tools leave in this checkout: .tmp (the demo's
# and the bench's databases, dumps and logs; a demo's private PostgreSQL is
# stopped first), .bin (versitygw, staticcheck), data (the file storage of a
# worker or web tier run here without STORAGE_URL) and binaries built at the top.
clean:
	@if [ -e .tmp/demo/pg/data/postmaster.pid ]; then $(GO) run ./tools/pgcluster stop .tmp/demo/pg; fi
	@for d in .tmp .bin data bench pgcluster testsummary; do [ ! -e "$$d" ] || { echo "removing $$d"; rm -rf "$$d"; }; done
