# The two commands a fresh machine needs: `make run` and `make test`. Both install what is missing.
SWIFT      ?= swift
LISTEN     ?= 127.0.0.1:8080
STATE_DIR  ?=
VENV       := .venv
APT_GET    := DEBIAN_FRONTEND=noninteractive apt-get
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps bench-deps build release run test test-swift validate-spec validate-deploy bench bench-https clean \
	format-deps format format-check fuzz fuzz-quick contract

all: build

# libmicrohttpd is the HTTP engine, GnuTLS its TLS (called directly for certificate reloads and
# client certificates), libseccomp compiles the sandboxes' syscall filter, libmnl speaks rtnetlink
# (veth links); pkg-config is how SwiftPM finds them.
deps:
	@if ! pkg-config --exists libmicrohttpd libseccomp gnutls libmnl 2>/dev/null; then \
		echo "installing libmicrohttpd-dev libseccomp-dev libgnutls28-dev libmnl-dev"; \
		$(SUDO) $(APT_GET) update -qq && $(SUDO) $(APT_GET) install -y -qq libmicrohttpd-dev libseccomp-dev libgnutls28-dev libmnl-dev pkg-config; \
	fi

# The tests compare against lsns, make namespaces with unshare and ip netns, talk through curl,
# and make and inspect certificates with openssl; headless Chromium loads the dashboard,
# prometheus_client parses /metrics; systemd-analyze and logrotate check deploy/.
test-deps: deps
	@missing=""; \
	for tool in lsns:util-linux unshare:util-linux ip:iproute2 curl:curl busybox:busybox-static gcc:gcc openssl:openssl python3:python3 chromium:chromium systemd-analyze:systemd logrotate:logrotate; do \
		command -v $${tool%%:*} >/dev/null 2>&1 || missing="$$missing $${tool##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		$(SUDO) $(APT_GET) update -qq && $(SUDO) $(APT_GET) install -y -qq $$missing; \
	fi
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	@[ -x $(VENV)/bin/openapi-spec-validator ] || $(VENV)/bin/pip install -q openapi-spec-validator
	@$(VENV)/bin/pip show -q schemathesis 2>/dev/null | grep -qx 'Version: $(SCHEMATHESIS_VERSION)' && \
		$(VENV)/bin/pip show openapi-python-client 2>/dev/null | grep -qx 'Version: $(OPENAPI_CLIENT_VERSION)' || \
		$(VENV)/bin/pip install -q schemathesis==$(SCHEMATHESIS_VERSION) openapi-python-client==$(OPENAPI_CLIENT_VERSION)
	@$(VENV)/bin/python -c 'import prometheus_client, websocket, kubernetes_validate' 2>/dev/null || \
		$(VENV)/bin/pip install -q prometheus-client websocket-client kubernetes-validate

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The server writes its admin token at first start (STATE_DIR/admin.token) and logs the same line.
RUN_STATE := $(or $(STATE_DIR),$(if $(filter 0,$(shell id -u)),/var/lib/namespaced,$${XDG_STATE_HOME:-$$HOME/.local/state}/namespaced))
run: release
	@echo 'try: curl -H "Authorization: Bearer $$(cat $(RUN_STATE)/admin.token)" http://$(LISTEN)/namespaces'
	./.build/release/namespaced --listen $(LISTEN) $(if $(STATE_DIR),--state-dir $(STATE_DIR))

# FORMAT_CHECK=1 makes `make test` fail when a file differs from what `make format` would write.
FORMAT_CHECK ?= 1

test: test-deps validate-spec validate-deploy $(if $(filter 1,$(FORMAT_CHECK)),format-check) fuzz-quick contract test-swift

# The contract against the real server binary (Tests/contract/run.sh): schemathesis, a walk with a
# generated client, the create races. About three minutes; the timeout turns a hang into a failure.
SCHEMATHESIS_VERSION   := 4.32.5
OPENAPI_CLIENT_VERSION := 0.29.1

contract: test-deps
	$(SWIFT) build
	VENV=$(CURDIR)/$(VENV) SERVER=$$($(SWIFT) build --show-bin-path)/namespaced timeout 900 sh Tests/contract/run.sh

# The libFuzzer targets of fuzz/ (the toolchain's clang and swiftc build them): 20 s each in
# `make test`, FUZZ_SECONDS each in `make fuzz`.
FUZZ_SECONDS ?= 600

fuzz-quick: deps
	FUZZ_SECONDS=20 SWIFT=$(SWIFT) sh fuzz/run.sh

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) sh fuzz/run.sh

# The C shim's own host-side test first (as built, then under ASan + UBSan), so that swift test's
# summary closes the output. The timeout turns a hung run into a failure well inside CI's limit.
test-swift:
	sh Tests/CShim/run.sh
	$(SWIFT) build --build-tests
	timeout 1800 $(SWIFT) test --skip-build

validate-spec: test-deps
	$(VENV)/bin/openapi-spec-validator api/openapi.yaml

# promtool from Debian's prometheus package, unpacked (not installed: no service is started).
PROMTOOL := .build/promtool/usr/bin/promtool

$(PROMTOOL):
	@rm -rf .build/promtool-deb && mkdir -p .build/promtool-deb
	cd .build/promtool-deb && { $(APT_GET) download prometheus || { $(SUDO) $(APT_GET) update -qq && $(APT_GET) download prometheus; }; }
	dpkg-deb -x .build/promtool-deb/prometheus_*.deb .build/promtool
	@rm -rf .build/promtool-deb

# deploy/: the DaemonSet against Kubernetes' schemas, the scrape config with promtool (beside the
# files it names), the Kubernetes scrape job against the DaemonSet it scrapes. The Grafana
# dashboard is checked against a live scrape by the Swift tests (DeployFilesTests).
# The systemd unit is verified with its ExecStart at the binary just built (verify wants it
# executable); verify and logrotate -d report unknown directives and bad values but exit 0, so
# anything verify prints, and any error logrotate names, fails.
validate-deploy: test-deps $(PROMTOOL) build
	$(VENV)/bin/kubernetes-validate --strict deploy/daemonset.yaml
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && cp deploy/prometheus.yml "$$dir"/ && \
		touch "$$dir/namespaced.token" "$$dir/namespaced-ca.crt" && echo '[]' > "$$dir/namespaced-nodes.yml" && \
		$(PROMTOOL) check config "$$dir/prometheus.yml"
	$(VENV)/bin/python Tests/tools/check_scrape_job.py deploy/prometheus-kubernetes.yml deploy/daemonset.yaml
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
		sed 's|/usr/local/libexec/namespaced/namespaced |'"$$($(SWIFT) build --show-bin-path)"'/namespaced |' \
		deploy/namespaced.service >"$$dir/namespaced.service" && \
		out=$$(systemd-analyze verify "$$dir/namespaced.service" 2>&1) && [ -z "$$out" ] && \
		echo "systemd-analyze verify deploy/namespaced.service: ok" || \
		{ echo "$$out"; echo "systemd-analyze verify deploy/namespaced.service failed"; exit 1; }
	@out=$$(logrotate -d -s /dev/null deploy/namespaced.logrotate 2>&1) && ! echo "$$out" | grep '^error' && \
		echo "logrotate -d deploy/namespaced.logrotate: ok" || \
		{ echo "logrotate -d deploy/namespaced.logrotate failed"; exit 1; }

# The reference tools the figures are compared with, and the small C programs of bench/.
BENCH_TOOLS := bench/out/mhd-bare bench/out/procs bench/out/create-client bench/out/clone-loop bench/out/sse-client

bench-deps: deps
	@missing=""; \
	for tool in wrk:wrk hyperfine:hyperfine jq:jq bwrap:bubblewrap lsns:util-linux curl:curl cc:gcc perf:linux-perf openssl:openssl python3:python3; do \
		command -v $${tool%%:*} >/dev/null 2>&1 || missing="$$missing $${tool##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		$(SUDO) $(APT_GET) update -qq && $(SUDO) $(APT_GET) install -y -qq $$missing; \
	fi

bench/out/mhd-bare: bench/mhd-bare.c
	@mkdir -p bench/out
	cc -O2 -o $@ $< $$(pkg-config --cflags --libs libmicrohttpd)

bench/out/create-client bench/out/sse-client: bench/out/%: bench/%.c
	@mkdir -p bench/out
	cc -O2 -pthread -o $@ $<

bench/out/%: bench/%.c
	@mkdir -p bench/out
	cc -O2 -o $@ $<

bench: release bench-deps $(BENCH_TOOLS)
	./bench/run.sh

# swift-format ships with the Swift toolchain; clang-format comes from the distribution.
SWIFT_FORMAT_PATHS := Package.swift Sources Tests fuzz
C_FORMAT_FILES = $(shell find Sources Tests bench fuzz -name '*.[ch]' -not -path '*/.build/*' | sort)

format-deps:
	@command -v clang-format >/dev/null 2>&1 || { \
		echo "installing clang-format"; \
		$(SUDO) $(APT_GET) update -qq && $(SUDO) $(APT_GET) install -y -qq clang-format; \
	}

format: format-deps
	$(SWIFT) format format --configuration .swift-format --in-place --parallel --recursive $(SWIFT_FORMAT_PATHS)
	clang-format -i --style=file $(C_FORMAT_FILES)

# swift-format has no check mode: format a copy and compare. clang-format's dry run fails on any change.
format-check: format-deps
	@copy=$$(mktemp -d); trap 'rm -rf "$$copy"' EXIT; \
	cp -R $(SWIFT_FORMAT_PATHS) "$$copy"/; \
	(cd "$$copy" && $(SWIFT) format format --configuration $(CURDIR)/.swift-format --in-place --parallel \
		--recursive $(SWIFT_FORMAT_PATHS)) || exit 1; \
	status=0; for path in $(SWIFT_FORMAT_PATHS); do diff -ru "$$path" "$$copy/$$path" || status=1; done; \
	[ $$status = 0 ] || { echo "swift sources are not formatted: run make format"; exit 1; }
	@clang-format --dry-run --Werror --style=file $(C_FORMAT_FILES) || \
		{ echo "C sources are not formatted: run make format"; exit 1; }

# HTTPS against a bare libmicrohttpd HTTPS server with the same certificate and threads.
bench/out/mhd-tls-bare: bench/mhd-tls-bare.c
	@mkdir -p bench/out
	cc -O2 -o $@ $< $$(pkg-config --cflags --libs libmicrohttpd)

bench-https: release bench-deps bench/out/mhd-tls-bare
	./bench/https.sh

clean:
	rm -rf .build $(VENV)
