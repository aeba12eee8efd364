# pattern-review as a Docker container action: `pattern-review action` reads the
# Actions environment. No USER (the runner mounts the workspace as its own user;
# the PR's tests still run unprivileged: src/pattern_review/unprivileged.py) and
# no WORKDIR (the runner sets the working directory to the workspace).
#
# Reproducible: the base image by digest, apt packages by version, and every
# Python package (uv, the build backend, the dependencies) by hash; the project
# itself is built without build isolation, so nothing unpinned is resolved.
# The digest is the published index digest of python:3.12.7-slim-bookworm (all
# platforms); it was not pulled here. To move on:
#   docker buildx imagetools inspect python:3.12-slim-bookworm
FROM python:3.12.7-slim-bookworm@sha256:032c52613401895aa3d418a4c563d2d05f993bc3ecc065c8f4e2280978acd249

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
# The version is bookworm's; apt-get fails loudly once the archive moves on.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git=1:2.39.5-0+deb12u3 \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory '*'

# uv and the build backend, hash-pinned (requirements/build.txt).
COPY requirements/build.txt /opt/pattern-review/build.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r /opt/pattern-review/build.txt

# Dependencies next, hash-pinned, so this layer is cached across source edits.
COPY requirements/container.txt /opt/pattern-review/requirements.txt
RUN uv pip install --require-hashes --no-deps -r /opt/pattern-review/requirements.txt

# The project itself: a regular (non-editable) install, dependencies already in,
# built by the pinned hatchling above (no isolated build env to resolve).
COPY pyproject.toml README.md /opt/pattern-review/src/
COPY src /opt/pattern-review/src/src
RUN uv pip install --no-deps --no-build-isolation /opt/pattern-review/src \
    && rm -rf /opt/pattern-review/src

ENTRYPOINT ["pattern-review", "action"]
