# Credence: `make demo` runs the main job on a small synthetic book; `make test` runs every test.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN      := bin/credence
DEMO     := out/demo
LDFLAGS  := -X main.version=$(VERSION)

.PHONY: all build demo test race bench vet fuzz clean parity-uci bench-scale bench-quality

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/credence

demo: build
	rm -rf $(DEMO)
	$(BIN) synth --customers 5000 --months 24 --seed 7 --out $(DEMO)/book
	$(BIN) book check $(DEMO)/book
	$(BIN) train --book $(DEMO)/book --registry $(DEMO)/registry --horizon 12mo --seed 7
	$(BIN) models list --registry $(DEMO)/registry
	$(BIN) rescore --registry $(DEMO)/registry --book $(DEMO)/book --as-of 2024-12-01 --out $(DEMO)/scores-2024-12.parquet
	$(BIN) rescore --registry $(DEMO)/registry --book $(DEMO)/book --out $(DEMO)/scores.parquet --previous $(DEMO)/scores-2024-12.parquet
	$(BIN) synth --customers 5000 --months 30 --seed 8 --out $(DEMO)/later-book
	# Exit status 3 is a red light, which the later book's drift gives: the demo shows it and goes on.
	$(BIN) validate --registry $(DEMO)/registry --book $(DEMO)/later-book --horizon 12mo || test $$? -eq 3
	@bash cmd/credence/demo-serve.sh $(BIN) $(DEMO)

# CREDENCE_REQUIRE_ALL=1 turns the skips of tests whose tool (protoc, buf, chromium, sqlite3, python3-grpcio) or shared
# data (../shared/data) is missing into failures; .ci/run sets it.
test: vet
	$(GO) test -count=1 ./...
	$(MAKE) race

# The race detector on the concurrent packages: the server, the live store, the registry, the book
# scan and streaming, scoring and batch rescoring (about a minute on 2 cores).
RACE_PKGS ?= ./serve/ ./serve/store/ ./models/registry/ ./datasets/ ./models/scoring/ ./serve/rescore/
race:
	$(GO) test -race -count=1 $(RACE_PKGS)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

# Benchmarks are kept out of `make test`; see BENCHMARKS.md for recorded figures.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./datasets/... ./features/...

# End-to-end figures at scale (minutes; not part of `make test`): the 1,000,000-customer × 24-month
# synthetic book, then its feature matrix at one snapshot. BENCH_DIR needs about 2 GB.
BENCH_DIR ?= out/bench
TIME      := /usr/bin/time -f "%e s wall, %U s user, %M KiB peak RSS"
bench-scale: build
	rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	$(TIME) $(BIN) synth --customers 1000000 --months 24 --seed 1 --out $(BENCH_DIR)/book1m
	$(TIME) $(BIN) features --book $(BENCH_DIR)/book1m --plan-start 2024-06-01 --plan-end 2024-06-01 \
	  --horizon 6mo --out $(BENCH_DIR)/features1m.parquet

# A short run of every fuzz target of every package (go test -fuzz takes one target per package at a
# time); the targets are found with go test -list, so a new one runs without an edit here.
FUZZTIME ?= 10s
fuzz:
	@mkdir -p out
	$(GO) test -list '^Fuzz' ./... > out/fuzz-list.txt
	@awk '/^Fuzz/ { t = t " " $$1 } /^ok / { if (t != "") print $$2 t; t = "" }' out/fuzz-list.txt | \
	while read -r pkg targets; do \
	  for t in $$targets; do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin out

# Features keep the information of the raw columns: the peer's 5-fold CV AUC on the uci-taiwan feature
# matrix against the raw wide file (needs python3-sklearn, python3-xgboost, python3-pandas).
SHARED ?= ../shared
PY     ?= /usr/bin/python3
parity-uci: build
	rm -rf out/uci && mkdir -p out
	$(BIN) import uci-taiwan --in $(SHARED)/data/uci-taiwan/train.csv --out out/uci
	$(BIN) features --book out/uci --out out/uci-features.csv
	$(PY) $(SHARED)/peers/tabular_baselines.py $(SHARED)/data/uci-taiwan/train.csv default.payment.next.month ID
	$(PY) $(SHARED)/peers/tabular_baselines.py out/uci-features.csv label customer_id as_of

# Held-out AUC of the champion against tuned peers on every public dataset, by customer split
# (about 15 minutes on 2 cores; needs ../shared/data and the peers above). Figures in BENCHMARKS.md.
bench-quality: build
	BENCH=out/bench/quality DATA=$(SHARED)/data PY=$(PY) cmd/bench/quality/run.sh
