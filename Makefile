# s3-image-sanitizer — every entry point a user or CI needs.
# `make run` and `make test` are the two commands of the README's quick start.

GO        ?= go
BIN       := bin/sanitizer
DATA      ?= .data
ADDR      ?= 127.0.0.1:4566
# Fuzz budgets are execution counts, not durations: a duration races Go's fuzz
# coordinator at the deadline (golang/go#75804, fixed in Go 1.27) and fails with a
# bare "context deadline exceeded" on a loaded machine without any failing input.
FUZZTIME  ?= 100000x
LAMBDAS   := validate strip write verify record-failure unpublish

# Debian packages the tests use as oracles: command:package.
TEST_TOOLS := exiftool:libimage-exiftool-perl djpeg:libjpeg-turbo-progs jpegtran:libjpeg-turbo-progs chromium:chromium

# Fuzz targets run briefly in `make test`: package:FuzzName.
FUZZ_TARGETS ?= ./internal/eventpattern:FuzzCompileMatch ./internal/jpeg/dct:FuzzDecode ./internal/asl:FuzzParse ./internal/asl:FuzzJSONPath ./internal/jpeg:FuzzParse ./internal/metadata:FuzzStrip ./internal/jsonata:FuzzCompileEval

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Infrastructure: `make deploy ENV=prod` deploys infra/envs/prod (terraform.tfvars there is read if present).
ENV           ?= dev
TERRAFORM     ?= terraform
TFSEC_VERSION := v1.26.0
TFSEC         := $(shell $(GO) env GOPATH)/bin/tfsec
TF_ENVS       := $(wildcard infra/envs/*)
# @cloud-copilot/iam-simulate (AGPL-3.0) cross-checks the permission matrix at test time only; it is installed
# outside the repository and never shipped.
IAMSIM_VERSION := 0.1.173
IAMSIM_DIR     ?= $(HOME)/.cache/s3-image-sanitizer/iamsim-$(IAMSIM_VERSION)

.PHONY: all build test vet tools fuzz bench run lint package deploy infra-check tfsec iamsim clean load crash-test

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sanitizer

## tools: install the Debian packages the tests need, only when one is missing.
tools:
	@missing=""; \
	for t in $(TEST_TOOLS); do \
	  cmd=$${t%%:*}; pkg=$${t#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing test tools:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

vet:
	$(GO) vet ./...

## test: every test, with the race detector, then each fuzz target briefly.
test: tools vet infra-check iamsim
	IAMSIM_DIR=$(IAMSIM_DIR) $(GO) test -race -timeout 30m ./...
	@$(MAKE) --no-print-directory fuzz

fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t#*:}; \
	  echo "fuzz $$name in $$pkg, budget $(FUZZTIME)"; \
	  $(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	done

bench: build
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	tests/bench/strip_side_by_side.sh

## run: the whole system on this machine, with sample uploads processed.
run: build
	./$(BIN) run --addr $(ADDR) --data $(DATA) --samples

## load: LOAD_N uploads (1 MB average, 5% hostile, 2% raced versions) through a stack started for the run, every
## output checked; the summary (JSON and a table with the machine and commit) goes to bench/results/.
## LOAD_ARGS adds flags, e.g. LOAD_ARGS='--fault-s3-error-rate 0.1 --fault-lambda-panic-rate 0.02'.
LOAD_N    ?= 10000
LOAD_ARGS ?=
load: build
	./$(BIN) load --spawn -n $(LOAD_N) -c 32 --out bench/results $(LOAD_ARGS)

## crash-test: a load run with S3 faults and panics during which the stack is SIGKILLed and restarted 5 times;
## fails unless lost, leaked and duplicates are 0.
crash-test: build
	./$(BIN) load --spawn -n 2000 -c 16 --avg-kb 256 --kills 5 --kill-every 4s \
	  --fault-s3-error-rate 0.05 --fault-lambda-panic-rate 0.01 --fault-event-duplicate-rate 0.05 --out bench/results $(LOAD_ARGS)

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; else echo "staticcheck not installed: skipped (go install honnef.co/go/tools/cmd/staticcheck@latest)"; fi

## package: one reproducible zip per Lambda, bootstrap for provided.al2023 on arm64.
package:
	@mkdir -p dist
	@$(GO) build -o dist/lambdazip ./internal/lambdazip/cmd/lambdazip
	@for f in $(LAMBDAS); do \
	  rm -rf dist/$$f && mkdir -p dist/$$f && \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -buildvcs=false -tags lambda.norpc -ldflags='-s -w -buildid=' -o dist/$$f/bootstrap ./functions/$$f || exit 1; \
	  dist/lambdazip -o dist/$$f.zip dist/$$f/bootstrap || exit 1; \
	  echo "dist/$$f.zip"; \
	done

## infra-check: offline checks of infra/ (terraform fmt when terraform is installed, tfsec with zero findings).
## The schema, policy and permission-matrix checks are Go tests (internal/infracheck) that `go test` runs.
infra-check: tfsec
	@if command -v $(TERRAFORM) >/dev/null 2>&1; then \
	  echo "terraform fmt -check -recursive infra"; \
	  $(TERRAFORM) fmt -check -recursive -diff infra 2>/dev/null || { echo "terraform fmt needed in infra/"; exit 1; }; \
	else \
	  echo "terraform not on PATH: fmt check skipped (install it, or go install github.com/hashicorp/terraform@v1.8.5)"; \
	fi
	@for env in $(TF_ENVS); do \
	  echo "tfsec $(TFSEC_VERSION) $$env"; \
	  $(TFSEC) $$env --no-color --concise-output --no-module-downloads || exit 1; \
	done

## tfsec: install tfsec $(TFSEC_VERSION) with go install, only when that version is not already built (about a minute).
tfsec:
	@if ! $(GO) version -m $(TFSEC) 2>/dev/null | grep -q "mod.*github.com/aquasecurity/tfsec.*$(TFSEC_VERSION)"; then \
	  echo "installing tfsec $(TFSEC_VERSION) into $(TFSEC)"; \
	  $(GO) install github.com/aquasecurity/tfsec/cmd/tfsec@$(TFSEC_VERSION); \
	fi

## iamsim: install @cloud-copilot/iam-simulate for the permission-matrix cross-check, when npm is there and it is
## missing (a few seconds); without it that one test is skipped, with a message.
iamsim:
	@if [ ! -f "$(IAMSIM_DIR)/node_modules/@cloud-copilot/iam-simulate/package.json" ]; then \
	  if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then \
	    echo "installing @cloud-copilot/iam-simulate@$(IAMSIM_VERSION) into $(IAMSIM_DIR) (test-time tool, AGPL, not shipped)"; \
	    mkdir -p "$(IAMSIM_DIR)" && cd "$(IAMSIM_DIR)" && \
	    npm install --no-audit --no-fund --silent --no-save @cloud-copilot/iam-simulate@$(IAMSIM_VERSION) >/dev/null 2>&1 || \
	    echo "iam-simulate could not be installed: its cross-check will be skipped"; \
	  else \
	    echo "node/npm not installed: the iam-simulate cross-check will be skipped"; \
	  fi; \
	fi

## deploy: build the Lambda zips, plan infra/envs/$(ENV), and after a yes (or AUTO_APPROVE=1) apply exactly that plan.
deploy: package
	$(TERRAFORM) -chdir=infra/envs/$(ENV) init -input=false
	$(TERRAFORM) -chdir=infra/envs/$(ENV) plan -input=false -out=tfplan
	@[ "$(AUTO_APPROVE)" = 1 ] || { printf 'Apply this plan to %s? [y/N] ' "$(ENV)"; read answer; [ "$$answer" = y ]; } || { echo "not applied"; exit 1; }
	$(TERRAFORM) -chdir=infra/envs/$(ENV) apply -input=false tfplan

clean:
	rm -rf bin dist
