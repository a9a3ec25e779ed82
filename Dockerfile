# Cohort Explorer — production image: non-root user, health check, port 8501.
# Build: docker build -t cohort-explorer .     (or `make image`: podman, Debian base made here)
# Run:   docker run -p 8501:8501 cohort-explorer
#
# BASE is any Debian bookworm image: the official Python image (default) or a plain Debian
# root file system (`make image` imports one made with debootstrap). The app is installed
# into a virtual environment (/opt/venv), so it works with either base's Python 3.11.
# STATIC_EXPORT=chromium (default) installs Debian's Chromium for the PNG/SVG figure downloads
# (kaleido); STATIC_EXPORT=none leaves it out (about 0.6 GB less; the app then says figure
# files need Chromium, the HTML report carries interactive figures, everything else works).
#
# Two stages: the virtual environment is built in the first (pip, setuptools and the test
# suites of the scientific packages stay there), and only /opt/venv is copied into the image.
ARG BASE=python:3.11-slim

# --------------------------------------------------------------------------- build stage
FROM ${BASE} AS build
# Optional CA bundle for pip behind a TLS-intercepting proxy (`make image` passes the host's).
ARG PIP_CERT=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEBIAN_FRONTEND=noninteractive
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Debian's Python only when the base has none (plain Debian).
# hadolint ignore=DL3008
RUN if ! command -v python3 >/dev/null; then \
      apt-get update \
      && apt-get install -y --no-install-recommends python3 python3-venv \
      && apt-get clean && rm -rf /var/lib/apt/lists/*; \
    fi

WORKDIR /build
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv
# Every package must match a hash of the lock (requirements.txt, written by `make lock`).
COPY requirements.txt ./
RUN if [ -z "$PIP_CERT" ]; then unset PIP_CERT; fi \
    && pip install --no-cache-dir --require-hashes -r requirements.txt

COPY pyproject.toml README.md app.py serve.py ./
COPY src ./src
COPY assets ./assets
COPY pages ./pages
COPY sample_data ./sample_data
COPY .streamlit ./.streamlit
# The app, then what only building needs out of the environment: the packages' own test
# suites (about 100 MB, never imported by the app), pip and setuptools.
RUN if [ -z "$PIP_CERT" ]; then unset PIP_CERT; fi \
    && pip install --no-cache-dir --no-deps . \
    && site=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
    && for package in pandas numpy scipy pyarrow matplotlib; do \
         if [ -d "$site/$package" ]; then \
           find "$site/$package" -depth -type d -name tests -exec rm -rf {} +; \
         fi; \
       done \
    && pip uninstall --yes --quiet pip setuptools

# --------------------------------------------------------------------------- the image
FROM ${BASE}
ARG STATIC_EXPORT=chromium
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBIAN_FRONTEND=noninteractive
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

WORKDIR /app

# Fonts for the figures; Debian's Chromium drives kaleido for the PNG/SVG downloads (headless,
# no sandbox needed as a non-root user); Debian's Python only when the base has none. No
# documentation, manual pages or translations (their copyright files stay); the downloaded
# packages are removed in the same layer. Security updates matter more here than pinned
# versions.
# hadolint ignore=DL3008,SC2086
RUN printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
         'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' \
         'path-exclude=/usr/share/locale/*' > /etc/dpkg/dpkg.cfg.d/01-cohort-explorer-slim \
    && apt-get update \
    && packages="fonts-dejavu-core ca-certificates" \
    && if [ "$STATIC_EXPORT" = chromium ]; then packages="$packages chromium"; fi \
    && if ! command -v python3 >/dev/null; then packages="$packages python3"; fi \
    && apt-get install -y --no-install-recommends $packages \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
ENV BROWSER_PATH=/usr/bin/chromium

COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv

COPY app.py serve.py ./
COPY assets ./assets
COPY pages ./pages
COPY sample_data ./sample_data
COPY .streamlit ./.streamlit

RUN groupadd --gid 10001 cohort \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin cohort \
    && chown -R root:root /app && chmod -R a+rX /app
USER 10001:10001

EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status == 200 else 1)"]

CMD ["python", "serve.py", "--server.port=8501", "--server.address=0.0.0.0"]
