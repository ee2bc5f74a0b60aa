# The pixel_platform code location: a Dagster gRPC code server over the project's definitions.
# The same image serves the webserver and the daemon in docker-compose (different commands), and
# runs every launched run (DefaultRunLauncher in compose, K8sRunLauncher/k8s_job_executor on K8s).
#
#   docker build -f deploy/code.Dockerfile -t pixel-platform-code:$(git rev-parse --short HEAD) .
FROM python:3.11-slim

# rclone: gdrive_sync_job copies GDrive into the bucket with Debian's rclone.
RUN apt-get update \
 && apt-get install -y --no-install-recommends rclone ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# PIXEL_ENV=production: the nightly schedule and the GDrive sync sensor start running (they
# start stopped in local development; pixel_platform/defs/environment.py).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    PIXEL_ENV=production

WORKDIR /opt/pixel_platform
# Dependencies first (cached while only the code changes), then the project itself.
COPY pyproject.toml README.md ./
COPY pixel_platform ./pixel_platform
RUN pip install ".[k8s]"

# Workspace for the webserver/daemon containers of docker-compose (a gRPC server named "code").
COPY deploy/compose/workspace.yaml /opt/dagster/workspace.yaml
COPY deploy/k8s_definitions.py /opt/pixel_platform/deploy/k8s_definitions.py
COPY deploy/dagster.postgres.yaml /opt/dagster/dagster_home/dagster.yaml

# Stamped into every release manifest (pixel_platform.pipeline.release.git_sha).
ARG PIXEL_GIT_SHA=""
ENV PIXEL_GIT_SHA=${PIXEL_GIT_SHA}

RUN useradd --create-home --uid 10001 pixel \
 && mkdir -p "$DAGSTER_HOME" /opt/pixel_platform/data \
 && chown -R pixel /opt/dagster /opt/pixel_platform/data
USER pixel

EXPOSE 4000
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", \
     "-m", "pixel_platform.defs.definitions", "--location-name", "pixel_platform"]
