# SSE Monitor — build, run and test.
#
#   make run    install what the build needs, build, open SSE Monitor in demo mode
#   make test   install what the tests need, run the whole suite (what CI runs)
#   make chaos  the long reliability runs: faults, firehose, hostile servers, pressure, 30-minute soak
#   make vulncheck  govulncheck (pinned) over every package; needs the vulnerability database online
#
# One set of build flags everywhere: the first cgo build of Fyne's OpenGL
# driver takes minutes, and any change of -race, tags, -trimpath or CGO flags
# for the GUI binary repeats it. Tests use the race detector but never link the
# OpenGL driver (library code takes a fyne.App; tests use Fyne's test driver).

SHELL       := /bin/bash
GO          ?= go
BIN         ?= bin
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FYNE_TOOLS  ?= fyne.io/tools/cmd/fyne@v1.7.4
GOVULNCHECK ?= golang.org/x/vuln/cmd/govulncheck@v1.1.4
GOBIN_DIR   := $(shell $(GO) env GOPATH)/bin

# Fyne reads the locale from LANG and logs an error for "C"; tests and the
# smoke run use a well-formed one (nothing needs generating).
export LANG := en_US.UTF-8

# Debian/Ubuntu packages. Build: cgo + GLFW. Test: the GUI smoke test under a
# real X server, and the real peers the tests talk to (curl, nginx, Chromium).
APT_BUILD := gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev \
             libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
APT_RUN   := xvfb xauth
APT_TEST  := $(APT_BUILD) xvfb xauth imagemagick xdotool curl nginx-light redis-server \
             chromium fonts-dejavu-core

.PHONY: chaos vulncheck
.PHONY: all run build binaries deps-build deps-test deps-run deps-xvfb test check fmt-check vet \
        staticcheck tidy-check unit smoke package clean help

all: build

help:
	@sed -n 's/^#   //p' Makefile

## ---- system packages -------------------------------------------------------

# $(call ensure_pkgs,list): install the Debian packages of list that are
# missing — apt-get as root, sudo apt-get otherwise; elsewhere print what to
# install and go on (macOS and Windows need no extra packages for the build
# beyond a C compiler; see README "Platform notes").
define ensure_pkgs
	@if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(1); do \
	    dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	    echo "==> installing:$$missing"; \
	    $$sudo env LC_ALL=C apt-get update -qq && \
	    $$sudo env LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  fi; \
	else \
	  echo "==> not a Debian/Ubuntu system: make sure these (or your system's equivalents) are installed:"; \
	  echo "    $(1)"; \
	fi
endef

deps-build:
	$(call ensure_pkgs,$(APT_BUILD))

deps-test:
	$(call ensure_pkgs,$(APT_TEST))

## ---- build and run ----------------------------------------------------------

build: deps-build binaries

binaries:
	$(GO) build -buildvcs=auto -o $(BIN)/ssemon ./cmd/ssemon
	$(GO) build -buildvcs=auto -o $(BIN)/ssemon-demo ./cmd/ssemon-demo
	$(GO) build -buildvcs=auto -o $(BIN)/ssemon-tail ./cmd/ssemon-tail

# With no display (a headless Linux box), run on a virtual X server.
deps-run:
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ "$$(uname)" = Linux ]; then \
	  $(MAKE) --no-print-directory deps-xvfb; fi

deps-xvfb:
	$(call ensure_pkgs,$(APT_RUN))

run: build deps-run
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ "$$(uname)" = Linux ]; then \
	  echo "==> no display: SSE Monitor runs on virtual display :99 (screenshot: DISPLAY=:99 import -window root shot.png)"; \
	  (Xvfb :99 -noreset -screen 0 1280x800x24 >/dev/null 2>&1 &); \
	  for i in $$(seq 50); do [ -e /tmp/.X11-unix/X99 ] && break; sleep 0.1; done; \
	  export DISPLAY=:99; \
	fi; \
	exec ./$(BIN)/ssemon --demo

## ---- tests -----------------------------------------------------------------

# A test run leaves the work tree as it found it: the tree's state (changed
# and untracked files, and the content of the changes) is taken before and
# after, and the run fails if the tests wrote a file git sees. Uncommitted
# work of the developer's is fine: only a difference fails.
tree_state = { git status --porcelain --untracked-files=all; git diff HEAD --binary; } 2>/dev/null | sha256sum

# Two at a time: the checks beside the build of the binaries, then the GUI
# tests beside the package tests (each target's output is printed whole,
# when it ends).
test: deps-test
	@before="$$($(tree_state))"; \
	$(MAKE) --no-print-directory -j2 --output-sync=target check vulncheck unit smoke || exit 1; \
	if [ "$$($(tree_state))" != "$$before" ]; then \
	  echo "the test run changed files git sees:"; git status --short; exit 1; \
	fi; \
	echo "work tree: unchanged by the test run"

check: fmt-check vet staticcheck tidy-check

# go.mod and go.sum say exactly what the code imports.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	@echo "go mod tidy: clean"

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi; \
	echo "gofmt: clean"

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

# The packages that run ssemon-demo or ssemon-tail as children take them
# from $(BIN) (built once, also for the GUI tests) instead of linking
# their own. Most test packages wait on the network, children and clocks
# more than they compute, so four run at once (TEST_P), and the longest
# start first (TEST_FIRST; go test starts packages in the order given).
# go vet ran in check already (-vet=off: not again per test package), and
# test binaries are linked without symbol table and DWARF (-ldflags='-s -w':
# less link work; stack traces and race reports do not need them). The race
# detector's one-second pause at every test binary's exit is off (GORACE):
# it gives goroutines still running at exit time to report, and the tests
# end their goroutines before they return (goleak where they start any).
#
# The ui package is the longest (Fyne under the race detector, its tests
# one after another since they share Fyne's app state): it runs as two
# processes beside the other packages, the tests matching UI_SHARD in one
# and every other test in the other (-skip), so no test is left out
# whatever its name. Each run's output is printed whole when it ends.
#
# The race detector instruments our code, the standard library and Fyne
# (whose widgets our goroutines could touch), but not the libraries that
# only compute for Fyne's painter under its locks — text shaping and font
# parsing, images and SVG, Markdown, text encodings (RACE_SKIP): under the
# detector they were a third of the ui tests' CPU time, and they share no
# state with our code.
TEST_P     ?= 4
TEST_FIRST := ./server ./cmd/ssemon-chaos/internal/chaos ./cmd/ssemon-chaos/internal/soak \
              ./client ./server/relay ./cmd/ssemon-tail ./client/series ./client/conformance ./client/doctor
UI_SHARD   := ^Test(App_[A-CW]|DetailLog|Transcript)
RACE_SKIP  := github.com/go-text/... golang.org/x/image/... github.com/srwiley/... \
              github.com/yuin/goldmark/... golang.org/x/text/...
GO_TEST     = $(GO) test -race $(foreach p,$(RACE_SKIP),-gcflags=$(p)=-race=false) \
              -count=1 -vet=off -ldflags='-s -w' -timeout 15m
unit: binaries
	@export SSEMON_TEST_BIN=$(CURDIR)/$(BIN) GORACE=atexit_sleep_ms=0; \
	out=$$(mktemp -d) && trap 'rm -rf "$$out"' EXIT; \
	$(GO_TEST) -run '$(UI_SHARD)' ./ui >$$out/ui1 2>&1 & ui1=$$!; \
	$(GO_TEST) -skip '$(UI_SHARD)' ./ui >$$out/ui2 2>&1 & ui2=$$!; \
	$(GO_TEST) -p $(TEST_P) $(TEST_FIRST) $$($(GO) list ./... | grep -vx '$(shell $(GO) list -m)/ui'); rc=$$?; \
	wait $$ui1 || rc=1; wait $$ui2 || rc=1; \
	cat $$out/ui1 $$out/ui2; \
	if grep -q 'no tests to run' $$out/ui1 $$out/ui2; then echo "UI_SHARD left a ui run without tests"; rc=1; fi; \
	exit $$rc

# The GUI tests (build tag smoke) run the real binary under Xvfb. The
# screenshot goes to $(BIN)/smoke.png (ignored by git); to refresh the
# README's picture: make smoke SMOKE_SHOT=docs/images/smoke.png.
SMOKE_SHOT ?= $(CURDIR)/$(BIN)/smoke.png
smoke: deps-test binaries
	SSEMON_BIN=$(CURDIR)/$(BIN)/ssemon SSEMON_SHOT=$(abspath $(SMOKE_SHOT)) \
	  $(GO) test -count=1 -tags smoke -v -timeout 10m ./cmd/ssemon/internal/smoke/

## ---- packaging -------------------------------------------------------------

# fyne package reads FyneApp.toml from the main package's folder and bumps
# Build in it on every run: hand it a copy (icon path adjusted), keep the
# committed file as it is, and put the bundle in dist/.
package: deps-build
	GOBIN=$(GOBIN_DIR) $(GO) install $(FYNE_TOOLS)
	sed 's#^\([[:space:]]*Icon = "\)#\1../../#' FyneApp.toml > cmd/ssemon/FyneApp.toml
	cd cmd/ssemon && $(GOBIN_DIR)/fyne package -os linux --release; \
	  rc=$$?; rm -f FyneApp.toml ssemon; exit $$rc
	@mkdir -p dist && mv -f "cmd/ssemon/SSE Monitor.tar.xz" dist/ssemon-linux-amd64.tar.xz
	@ls -l dist/ && tar -tJf dist/ssemon-linux-amd64.tar.xz

clean:
	rm -rf $(BIN) dist

## ---- reliability ---------------------------------------------------------

# The long forms of the reliability proof (docs/RELIABILITY.md): faults
# through a fault-injecting proxy, the firehose exactly-once check through
# 100 forced disconnects, hostile servers, the demo server under pressure,
# and 100 channels (flaky included) for 30 minutes with RSS and goroutines
# sampled every 10 s. Everything on 127.0.0.1. Results: $(BIN)/chaos.md.
CHAOS_FLAGS ?= -duration 30m -channels 100 -sample 10s
chaos:
	$(GO) build -buildvcs=auto -o $(BIN)/ssemon-demo ./cmd/ssemon-demo
	$(GO) build -buildvcs=auto -o $(BIN)/ssemon-chaos ./cmd/ssemon-chaos
	set -o pipefail; ./$(BIN)/ssemon-chaos -demo $(BIN)/ssemon-demo $(CHAOS_FLAGS) | tee $(BIN)/chaos.md

# govulncheck at a pinned version. It needs the vulnerability database
# (vuln.go.dev): where it cannot be reached, say so and succeed, so that an
# offline machine still runs the rest of make test. The database is asked
# first (a small index file): govulncheck would type-check every package
# before it finds out.
VULNDB ?= https://vuln.go.dev
vulncheck:
	@if command -v curl >/dev/null 2>&1 && ! curl -fsS -o /dev/null --max-time 10 $(VULNDB)/index/db.json.gz 2>/dev/null; then \
	  echo "govulncheck: SKIPPED, the vulnerability database ($(VULNDB)) cannot be reached from this machine (run make vulncheck online)"; exit 0; \
	fi; \
	out="$$($(GO) run $(GOVULNCHECK) -db $(VULNDB) ./... 2>&1)"; rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "$$out"; echo "govulncheck: no known vulnerability reached"; exit 0; fi; \
	if echo "$$out" | grep -qiE 'vuln\.go\.dev|dial tcp|no such host|connection refused|i/o timeout|TLS handshake|network is unreachable|fetching vulnerabilities'; then \
	  echo "$$out" | tail -n 3; \
	  echo "govulncheck: SKIPPED, the vulnerability database cannot be reached from this machine (run make vulncheck online)"; exit 0; \
	fi; \
	echo "$$out"; exit $$rc
