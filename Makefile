# wippidu data refresh. `make demo` runs a whole refresh on this machine;
# `make test` runs every test against a real PostgreSQL and a real S3 server.

GO          ?= go
BIN         := $(CURDIR)/.bin
VERSITYGW   := $(BIN)/versitygw
STATICCHECK := $(BIN)/staticcheck
TEST_FLAGS  ?= -race -timeout 20m

export PATH := $(BIN):$(PATH)

.PHONY: all build test vet lint demo bench clean tools chromium

all: build

build:
	$(GO) build ./...

# Tools the tests need, installed into .bin with the Go toolchain.
$(VERSITYGW):
	GOBIN=$(BIN) GOFLAGS= $(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0

$(STATICCHECK):
	GOBIN=$(BIN) GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

tools: $(VERSITYGW) $(STATICCHECK) chromium

# The browser tests drive the machine's Chromium; install it from the system
# packages when it is missing (needs root and apt, as on CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; } || \
	  echo "warning: no Chromium and no way to install it; browser tests will be skipped" >&2

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

lint: vet $(STATICCHECK)
	$(STATICCHECK) ./...

# Uses TEST_DATABASE_URL when given; otherwise starts a private PostgreSQL cluster
# from the machine's PostgreSQL binaries for the run.
test: tools lint
	VERSITYGW=$(VERSITYGW) scripts/with-postgres.sh $(GO) test $(TEST_FLAGS) ./...

# One refresh on the embedded defaults: private PostgreSQL, file storage, demo
# production data, an export, an anonymized import into a second database.
demo:
	@scripts/demo.sh

# Export/import against pg_dump/pg_restore on a demo database of BENCH_USERS users
# (20,000: 1.5 GB; 100,000: 7.8 GB). BENCH_ARGS passes more flags (-h lists them).
BENCH_USERS ?= 20000
bench:
	scripts/with-postgres.sh $(GO) run ./internal/cmd/bench -users $(BENCH_USERS) $(BENCH_ARGS)

clean:
	rm -rf .tmp
