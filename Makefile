# The test command of the README. DUTYDESK_TEST_DATABASE_URL=postgres://… adds the PostgreSQL suite.
GO ?= go

.PHONY: test run build vet bench
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 25m ./...

run:
	$(GO) run ./cmd/dutydesk serve --demo

build:
	$(GO) build -o dutydesk ./cmd/dutydesk

vet:
	$(GO) vet ./...
	test -z "$$(gofmt -l .)"

# The benchmarks of BENCHMARKS.md (PostgreSQL on this host, pgbench; a few minutes).
bench:
	$(GO) run ./bench
