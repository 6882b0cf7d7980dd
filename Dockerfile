# syntax=docker/dockerfile:1
# Vaka's image: `vaka serve` by default; compose.yaml also runs `vaka worker` and
# `vaka beat` from it. Build: docker build -t vaka .

# --- 1. Front-end assets (Bootstrap, htmx) from npm: `make assets`, as in a checkout.
#        Node stays in this stage; the image that runs has none.
FROM node:22-bookworm-slim AS assets
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY Makefile package.json package-lock.json ./
RUN make assets

# --- 2. The Python package and its dependencies, in a virtual environment.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/vaka/venv
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
COPY --from=assets /build/src/vaka/static/vendor ./src/vaka/static/vendor
RUN /opt/vaka/venv/bin/pip install -q .

# --- 3. What runs: the virtual environment, the collected static files, no build tools.
FROM python:3.11-slim-bookworm
ENV PATH=/opt/vaka/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VAKA_DATA_DIR=/var/lib/vaka \
    VAKA_STATIC_ROOT=/opt/vaka/static
# WeasyPrint's libraries (PDFs) and the fonts PDFs use: DejaVu, and Noto for Arabic, Thai,
# Khmer, Lao and the region's other scripts.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/vaka/venv /opt/vaka/venv
# Static files are collected (hashed, compressed) into the image, not the data volume:
# a new image brings its own, and the volume holds only data. A throwaway data directory
# stands in for the volume during the build; the files are made world-readable, as Vaka's
# umask (0077) would leave them to root alone.
RUN VAKA_DATA_DIR=/tmp/build-data vaka collectstatic --noinput -v 0 \
    && rm -rf /tmp/build-data && chmod -R a+rX /opt/vaka/static \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/vaka \
               --shell /usr/sbin/nologin vaka \
    && install -d -m 0700 -o vaka -g vaka /var/lib/vaka
USER vaka
WORKDIR /var/lib/vaka
VOLUME ["/var/lib/vaka"]
EXPOSE 8000
# /health/live: the process answers (no curl in the image; Python is here anyway).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]
CMD ["vaka", "serve", "--host", "0.0.0.0", "--port", "8000"]
