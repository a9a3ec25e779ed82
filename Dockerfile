# Cohort Explorer — production image: non-root user, health check, port 8501.
# Build: docker build -t cohort-explorer .     (or `make image`: podman, Debian base made here)
# Run:   docker run -p 8501:8501 cohort-explorer
#
# BASE is any Debian bookworm image: the official Python image (default) or a plain Debian
# root file system (`make image` imports one made with debootstrap). The app is installed
# into a virtual environment (/opt/venv), so it works with either base's Python 3.11.
ARG BASE=python:3.11-slim
FROM ${BASE}
# Optional CA bundle for pip behind a TLS-intercepting proxy (`make image` passes the host's).
ARG PIP_CERT=""

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBIAN_FRONTEND=noninteractive

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

WORKDIR /app

# Debian's Chromium drives kaleido for the PNG/SVG figure downloads (headless, no sandbox
# needed as a non-root user); Debian's Python only when the base has none (plain Debian).
# Security updates matter more here than pinned versions.
# hadolint ignore=DL3008,SC2086
RUN apt-get update \
    && packages="chromium fonts-dejavu-core ca-certificates" \
    && if ! command -v python3 >/dev/null; then packages="$packages python3 python3-venv"; fi \
    && apt-get install -y --no-install-recommends $packages \
    && rm -rf /var/lib/apt/lists/*
ENV BROWSER_PATH=/usr/bin/chromium

# Dependencies first so the layer is cached across code changes; every package must match a
# hash of the lock (requirements.txt, written by `make lock`).
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv
COPY requirements.txt ./
RUN if [ -z "$PIP_CERT" ]; then unset PIP_CERT; fi \
    && pip install --no-cache-dir --require-hashes -r requirements.txt

COPY pyproject.toml README.md ./
COPY src ./src
COPY app.py serve.py ./
COPY assets ./assets
COPY pages ./pages
COPY sample_data ./sample_data
COPY .streamlit ./.streamlit
RUN if [ -z "$PIP_CERT" ]; then unset PIP_CERT; fi \
    && pip install --no-cache-dir --no-deps . \
    && rm -rf build src/*.egg-info

RUN groupadd --gid 10001 cohort \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin cohort \
    && chown -R root:root /app && chmod -R a+rX /app
USER 10001:10001

EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"]

CMD ["python", "serve.py", "--server.port=8501", "--server.address=0.0.0.0"]
