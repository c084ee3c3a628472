# chiso — the two commands a newcomer needs: `make demo` and `make test`.
GO      ?= go
BIN     ?= bin/chiso
CONFIG  ?= configs/chiso.example.yaml
PKGS    ?= ./...

.PHONY: build test demo bench lint clean

build:
	$(GO) build -o $(BIN) ./cmd/chiso

# Tests start a real embedded PostgreSQL (one cluster per test binary).
test:
	$(GO) test -count=1 -timeout 9m $(PKGS)

# The main job: embedded warehouse + simulators with generated data for the
# demo commune + one sync of every connector + the 2026 report.
demo: build
	./$(BIN) -c $(CONFIG) demo

# Speed and memory targets live in benchmarks. Sizes scale with env vars
# (see README: CHISO_BENCH_*).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf bin var
