# pattern-review as a Docker container action: `pattern-review action` reads the
# Actions environment. No USER (the runner mounts the workspace as its own user)
# and no WORKDIR (the runner sets the working directory to the workspace).
FROM python:3.12-slim-bookworm

# Bytecode is compiled once, at install (UV_COMPILE_BYTECODE), for the tools
# here and for a target environment that `uv run` creates: every review reads
# it instead of recompiling ruff's, mypy's and pytest's Python modules.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1 \
    UV_SYSTEM_PYTHON=1

# git reads the PR's history; the mounted workspace belongs to another user, so
# every directory is trusted system-wide (the container is single-purpose).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory '*'

RUN pip install --no-cache-dir uv==0.13.9

# Dependencies first, hash-pinned, so this layer is cached across source edits.
COPY requirements/container.txt /opt/pattern-review/requirements.txt
RUN uv pip install --require-hashes --no-deps -r /opt/pattern-review/requirements.txt

# The project itself: a regular (non-editable) install, dependencies already in.
COPY pyproject.toml README.md /opt/pattern-review/src/
COPY src /opt/pattern-review/src/src
RUN uv pip install --no-deps /opt/pattern-review/src \
    && rm -rf /opt/pattern-review/src

ENTRYPOINT ["pattern-review", "action"]
