# Cohort Explorer — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint lock image bench bench-scale soak sample chromium ci-deps reference clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime install from the hashed lock (stamp re-made when the pins change). Every package,
# dependencies included, must match a hash in the lock (`make lock` writes it).
$(VENV)/.runtime: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python -m compileall -q src pages app.py serve.py >/dev/null
	touch $@

# Test tools and every extra (pyspark for the Spark equality test, Authlib), same pins + hashes.
$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

## lock: regenerate requirements.txt (runtime + [auth]) and requirements-dev.txt (every extra)
## from pyproject.toml with hashes; pins already in the files are kept unless UPGRADE=1
LOCK := $(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --quiet \
	$(if $(UPGRADE),--upgrade,)
lock: $(VENV)/.dev
	$(LOCK) --extra auth -o requirements.txt
	$(LOCK) --all-extras -c requirements.txt -o requirements-dev.txt

## run: start the app on http://localhost:$(PORT) with the synthetic sample cohort loaded
run: $(VENV)/.runtime
	$(BIN)/python serve.py --server.port $(PORT)

## chromium: Debian's Chromium for browser tests and static image export
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium (browser tests, PNG/SVG export)..."; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -q </dev/null && \
	      apt-get install -y -q --no-install-recommends chromium chromium-driver </dev/null; \
	  else \
	    echo "Chromium is missing at $(CHROMIUM): install it (Debian: apt-get install chromium) or set CHROMIUM=/path"; \
	    exit 1; \
	  fi; \
	fi

## ci-deps: under CI=true, Debian's R (reference re-run, generated R scripts) and a JRE
## (pyspark local mode), installed like Chromium; elsewhere the tests needing them skip and say so
CI_APT := r-base-core r-cran-survival r-cran-maxstat r-cran-jsonlite r-cran-cmprsk r-cran-rms \
	default-jre-headless
ci-deps:
	@if [ "$(CI)" = "true" ]; then \
	  missing=""; \
	  for p in $(CI_APT); do \
	    dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "Installing Debian packages for CI:$$missing"; \
	      export DEBIAN_FRONTEND=noninteractive; \
	      apt-get update -q </dev/null && \
	        apt-get install -y -q --no-install-recommends $$missing </dev/null; \
	    else \
	      echo "CI needs these Debian packages:$$missing (apt-get install them as root)"; exit 1; \
	    fi; \
	  fi; \
	fi

## test: install what tests need and run the whole suite (browser tests included)
test: $(VENV)/.dev chromium ci-deps
	$(BIN)/ruff check src tests pages app.py serve.py bench
	@if [ -f Dockerfile ]; then $(BIN)/hadolint Dockerfile; fi
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests pages app.py serve.py bench
	$(BIN)/hadolint Dockerfile

## bench: speed and memory against lifelines and R, measured in the same run (never in pytest)
bench: $(VENV)/.dev
	$(BIN)/python bench/bench.py

## bench-scale: a 10M-row Parquet cohort: DuckDB pushdown time and peak memory, Spark local time
bench-scale: $(VENV)/.dev
	$(BIN)/python bench/bench_scale.py

## soak: bounded rerun/concurrency soak on loopback (never in pytest)
soak: $(VENV)/.dev chromium
	$(BIN)/python bench/soak.py

sample: $(VENV)/.runtime
	$(BIN)/cohort-explorer make-sample --out sample_data/sample_cohort.csv

## reference: regenerate golden values with R (needs r-base-core r-cran-survival r-cran-maxstat r-cran-jsonlite)
reference:
	set -e; for f in tests/reference/*.R; do \
	  case "$$f" in */common.R) continue;; esac; echo "Rscript $$f"; Rscript "$$f"; done

## image: build the production image with podman on a Debian bookworm base made here
## (debootstrap --variant=minbase, podman import), then smoke-test it in a chroot as uid 10001
## (health + a rendered Survival page). Needs root, podman and debootstrap; not part of `make test`.
IMAGE ?= cohort-explorer
IMAGE_BASE ?= localhost/debian-bookworm-minbase:latest
IMAGE_ROOTFS ?= /var/tmp/cohort-explorer-rootfs
HOST_CA ?= /etc/ssl/certs/ca-certificates.crt
image: $(VENV)/.dev
	@if ! podman image exists $(IMAGE_BASE); then \
	  echo "Making the Debian base: debootstrap --variant=minbase bookworm"; \
	  rm -rf $(IMAGE_ROOTFS) && debootstrap --variant=minbase bookworm $(IMAGE_ROOTFS) && \
	  tar -C $(IMAGE_ROOTFS) -c . | podman import - $(IMAGE_BASE) && rm -rf $(IMAGE_ROOTFS); \
	fi
	@start=$$(date +%s); \
	podman build --isolation chroot --format docker --build-arg BASE=$(IMAGE_BASE) \
	  $(if $(STATIC_EXPORT),--build-arg STATIC_EXPORT=$(STATIC_EXPORT),) \
	  $(if $(wildcard $(HOST_CA)),--volume $(HOST_CA):/run/host-ca.crt:ro \
	    --build-arg PIP_CERT=/run/host-ca.crt,) -t $(IMAGE) . && \
	echo "Build time: $$(( $$(date +%s) - start )) s; size: $$(podman image inspect $(IMAGE) \
	  --format '{{.Size}}' | numfmt --to=iec)"
	CHROMIUM=$(CHROMIUM) $(BIN)/python tests/image_smoke.py $(IMAGE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts
