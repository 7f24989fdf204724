# The test command of the README. DUTYDESK_TEST_DATABASE_URL=postgres://… adds the PostgreSQL suite.
GO ?= go
# The race detector needs cgo and a C compiler; without them the tests still run, just without it.
RACE ?= $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v gcc >/dev/null && echo -race)

.PHONY: test run build vet bench
test:
	$(GO) vet ./...
	$(GO) test $(RACE) -count=1 -timeout 25m ./...

run:
	$(GO) run ./cmd/dutydesk serve --demo

build:
	$(GO) build -o dutydesk ./cmd/dutydesk

vet:
	$(GO) vet ./...
	test -z "$$(gofmt -l .)"

# The benchmarks of BENCHMARKS.md (PostgreSQL on this host, pgbench, wrk; a few minutes).
bench:
	$(GO) run ./cmd/dutybench
