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

# Speed and memory targets live in benchmarks. Parsers and mapping run the
# usual way (repeated until stable); the end-to-end ones (a generated archive,
# portal or province-scale warehouse per run) once each. Sizes scale with env
# vars (README: CHISO_BENCH_PACKAGES, DVC_BENCH_N, CHISO_BENCH_COMMUNES).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./adapters/... ./mapping/...
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m ./sync/... ./warehouse/...
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 5x -timeout 30m ./report/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf bin var
