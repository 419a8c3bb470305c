# cryptomock - common tasks. Everything runs through the Go toolchain; tools are pinned in go.mod.
GO ?= go
ADDR ?= 127.0.0.1:8080


.PHONY: dashboard-screenshot
.PHONY: run test generate generate-check lint lint-specs fmt-check vet staticcheck build bench bench-compare contract contract-mock contract-live contract-build

## run: build and start the mock on its embedded defaults. The recipe execs the binary, so
## stopping make (Ctrl-C, or kill) stops the mock too; `go run` would leave it holding the port.
run:
	$(GO) build -o bin/mockserver ./cmd/mockserver
	exec bin/mockserver -addr $(ADDR) $(ARGS)

## test: every test, with the race detector
test:
	$(GO) test -race -count=1 ./...

## build: compile every package and the mock binary into bin/
build:
	$(GO) build ./...
	$(GO) build -o bin/mockserver ./cmd/mockserver

## generate: regenerate gen/ from openapi/ (oapi-codegen from the YAML specs; protoc-gen-go and
## protoc-gen-go-grpc from payscrypt.proto, compiled in pure Go: no protoc needed)
generate:
	$(GO) generate ./gen/...

## generate-check: fail when gen/ differs from what the specs generate now
generate-check:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; stale=0; \
	for cfg in gen/*/cfg.yaml; do \
	  pkg=$$(basename $$(dirname $$cfg)); \
	  sed "s|^output: .*|output: $$tmp/$$pkg.gen.go|" gen/$$pkg/cfg.yaml > "$$tmp/$$pkg.cfg.yaml"; \
	  $(GO) tool oapi-codegen -config "$$tmp/$$pkg.cfg.yaml" openapi/$$pkg.yaml || exit 1; \
	  $(GO) run ./gen/internal/rebind "$$tmp/$$pkg.gen.go" || exit 1; \
	  if ! cmp -s gen/$$pkg/$$pkg.gen.go "$$tmp/$$pkg.gen.go"; then \
	    echo "gen/$$pkg is stale: run 'make generate' and commit the result"; stale=1; \
	  fi; \
	done; \
	mkdir -p "$$tmp/pb" && $(GO) run ./gen/internal/protogen -root openapi -out "$$tmp/pb" || exit 1; \
	for f in payscrypt.pb.go payscrypt_grpc.pb.go; do \
	  if ! cmp -s gen/payscryptpb/$$f "$$tmp/pb/$$f"; then \
	    echo "gen/payscryptpb/$$f is stale: run 'make generate' and commit the result"; stale=1; \
	  fi; \
	done; \
	[ $$stale -eq 0 ] && echo "gen/ is up to date"

## lint: gofmt, go vet and staticcheck
lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.gen\.go$$')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## lint-specs: Redocly (recommended) and Spectral (spectral:oas) on every spec, zero errors
## (the linters are pinned in openapi/lint; npm ci --prefix openapi/lint installs them)
LINT_BIN := openapi/lint/node_modules/.bin
lint-specs:
	@test -x $(LINT_BIN)/redocly || npm ci --prefix openapi/lint --no-audit --no-fund
	$(LINT_BIN)/redocly lint --extends=recommended --format=stylish openapi/cryptorefills.yaml openapi/payscrypt.yaml openapi/mockadmin.yaml
	$(LINT_BIN)/spectral lint --fail-severity=error -r openapi/lint/.spectral.yaml openapi/cryptorefills.yaml openapi/payscrypt.yaml openapi/mockadmin.yaml

vet:
	$(GO) vet ./...

# gen/'s generated packages are not ours to restyle: go vet covers them, staticcheck does not
# (it does cover the generators under gen/internal).
staticcheck:
	$(GO) tool staticcheck $$($(GO) list ./... | grep -Ev '/gen/(cryptorefills|mockadmin|payscrypt|payscryptpb)$$')

## dashboard-screenshot: regenerate README's picture of an order's dashboard page (headless
## Chromium: Debian's chromium and the npm packages of mockserver/testdata/sseclients)
SHOT_ADDR ?= 127.0.0.1:18999
dashboard-screenshot:
	@test -d mockserver/testdata/sseclients/node_modules || npm ci --prefix mockserver/testdata/sseclients --no-audit --no-fund
	$(GO) build -o bin/mockserver ./cmd/mockserver
	@bin/mockserver -addr $(SHOT_ADDR) -log-level warn & pid=$$!; trap 'kill $$pid' EXIT; \
	for i in $$(seq 50); do bin/mockserver -probe http://$(SHOT_ADDR)/__mock/health 2>/dev/null && break; sleep 0.1; done; \
	node mockserver/testdata/sseclients/dashboard.mjs http://$(SHOT_ADDR) $(CURDIR)/mockserver/internal/dashboard/order-page.png readme

## bench: the benchmarks (figures go to BENCHMARKS.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-compare: the mock against Prism and a bare handler with wrk (three rounds per endpoint, the
## targets' order turned each round, medians reported), start-up, a 5-minute soak, a 5-minute hostile soak,
## SSE fan-out and webhooks (installs wrk from Debian and Prism from npm; needs root for apt)
PRISM := .cache/prism/node_modules/.bin/prism
bench-compare:
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@test -x $(PRISM) || npm install --prefix .cache/prism --no-audit --no-fund @stoplight/prism-cli@5.16.0
	$(GO) build -o bin/mockserver ./cmd/mockserver
	$(GO) run ./cmd/benchcompare -mock bin/mockserver -prism $(PRISM) -duration 5s -rounds 3 -soak 5m -hostile-soak 5m
	$(GO) test -run '^$$' -bench SSEFanOut -benchtime=1x ./mockserver/
	$(GO) test -run '^$$' -bench Deliveries -benchtime=20000x ./mockserver/internal/webhook/

## contract: the contract suite against the mock in-process (4 parallel processes), with reports
REPORTS ?= reports
CONTRACT_FLAGS ?=
contract:
	@mkdir -p $(REPORTS)
	$(GO) tool ginkgo -p --procs=4 --junit-report=contract-junit.xml --json-report=contract.json --output-dir=$(REPORTS) $(CONTRACT_FLAGS) ./contract

## contract-mock: against a running mock (CONTRACT_BASE_URL, default http://127.0.0.1:8080)
contract-mock:
	@mkdir -p $(REPORTS)
	CONTRACT_TARGET=mock CONTRACT_BASE_URL=$${CONTRACT_BASE_URL:-http://127.0.0.1:8080} \
	  $(GO) tool ginkgo -p --procs=4 --junit-report=contract-junit.xml --json-report=contract.json --output-dir=$(REPORTS) $(CONTRACT_FLAGS) ./contract

## contract-live: against the real upstream or a sandbox (variables in README); one process, gently
contract-live:
	@mkdir -p $(REPORTS)
	CONTRACT_TARGET=live $(GO) tool ginkgo --junit-report=contract-junit.xml --json-report=contract.json --output-dir=$(REPORTS) $(CONTRACT_FLAGS) ./contract

## contract-build: the suite as one standalone binary, bin/contract
contract-build:
	$(GO) test -c -o bin/contract ./contract
