# Cohort Explorer — production image: slim Python, non-root user, health check, port 8501.
# Build: docker build -t cohort-explorer .   Run: docker run -p 8501:8501 cohort-explorer
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Debian's Chromium drives kaleido for the PNG/SVG figure downloads (headless, no sandbox
# needed as a non-root user). Security updates matter more here than a pinned version.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
ENV BROWSER_PATH=/usr/bin/chromium

# Dependencies first so the layer is cached across code changes.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --no-deps .

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
