# corral's make targets. `make demo` runs the main job end to end on this
# machine; `make test` runs every test (it is what CI runs).

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/corral
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report "context deadline exceeded" as a failure when its deadline races a
# worker (golang/go#75804, fixed in Go 1.27). 150,000 runs take 4-13 s per
# target on a 2-core machine.
FUZZTIME ?= 150000x

# moto_server: the one on PATH, else one installed into .venv by `make moto`.
MOTO := $(shell command -v moto_server 2>/dev/null || echo .venv/bin/moto_server)

.PHONY: all build test unit fuzz lint demo bench soak moto journal-remote clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/corral

# test: everything CI runs. Formatting, vet, every test with the race
# detector (moto is started by the tests themselves), then each fuzz
# target for a short time over its saved corpus.
test: moto journal-remote lint unit fuzz

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 0 $$pkg || exit 1; \
	  done; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum not tidy: run go mod tidy"; exit 1; }

# moto: make sure a moto_server exists; install moto[server] into .venv
# when the machine has none.
moto:
	@if [ -x "$(MOTO)" ]; then echo "moto: $(MOTO)"; else \
	  echo "moto_server not found: installing moto[server] into .venv"; \
	  python3 -m venv .venv && .venv/bin/pip install --quiet 'moto[server]>=5.2,<5.3'; fi

# journal-remote: the journald tests write real journal files with
# systemd-journal-remote (Debian's package, which brings journalctl too).
journal-remote:
	@command -v systemd-journal-remote >/dev/null || [ -x /lib/systemd/systemd-journal-remote ] || \
	  [ -x /usr/lib/systemd/systemd-journal-remote ] || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd-journal-remote; }

demo: build moto
	$(GO) run ./cmd/corral-demo -corral $(BIN)

bench: build
	$(GO) run ./cmd/corral-bench -corral $(BIN)

# soak: a 10-minute outage while a file grows at 5,000 lines/s, and the
# rotation-and-kill soak; not part of `make test`.
soak: moto
	CORRAL_OUTAGE=10m $(GO) test -count=1 -timeout 30m -run 'TestOutageOfAMinute|TestSoakRotationAndKills' -v ./cmd/corral

clean:
	rm -rf bin
