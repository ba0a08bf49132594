# syntax=docker/dockerfile:1
# Hotwash's image: `hotwash serve` by default, `hotwash worker` or any other
# `hotwash` command when given one. Build, run and compose: docs/operations.md
# ("Container"); tests/operations/test_container.py checks this file against
# the project (console script, commands, port, health path, settings).

ARG PYTHON_VERSION=3.11

# --- Build: the wheel, from this checkout -----------------------------------
FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
COPY . .
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# --- Run: the wheel and its pinned dependencies in a virtual environment ----
FROM python:${PYTHON_VERSION}-slim
ENV PATH=/opt/hotwash/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOTWASH_DATA_DIR=/data
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    python -m venv /opt/hotwash \
    && /opt/hotwash/bin/pip install --no-cache-dir --disable-pip-version-check \
        -r /tmp/requirements.txt /wheels/*.whl
# A user of its own, by number too, so an orchestrator can check it is not root.
RUN groupadd --system --gid 10001 hotwash \
    && useradd --system --uid 10001 --gid hotwash --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin hotwash \
    && mkdir /data \
    && chown hotwash:hotwash /data
USER 10001:10001
WORKDIR /data
# The SQLite database when DATABASE_URL is not set, the static files
# `hotwash serve` collects at each start, tracker secret files (secrets/).
VOLUME ["/data"]
EXPOSE 8000
# /healthz answers without the database: the process is up and serving.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["hotwash", "serve", "--host", "0.0.0.0", "--port", "8000"]
