# Credence: `make demo` runs the main job on a small synthetic book; `make test` runs every test.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN      := bin/credence
DEMO     := out/demo
LDFLAGS  := -X main.version=$(VERSION)

.PHONY: all build demo test bench vet fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/credence

demo: build
	rm -rf $(DEMO)
	$(BIN) synth --customers 5000 --months 24 --seed 7 --out $(DEMO)/book
	$(BIN) book check $(DEMO)/book

test: vet
	$(GO) test -count=1 ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

# Benchmarks are kept out of `make test`; see BENCHMARKS.md for recorded figures.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./datasets/... ./features/...

# A short run of every fuzz target (go test -fuzz takes one target per package at a time).
fuzz:
	@for pkg in ./datasets ./datasets/importers ./features; do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime 10s $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin out
