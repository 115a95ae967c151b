# syntax=docker/dockerfile:1
# The image of every service; SERVICE picks which. The build context is the repository root:
#   docker build --build-arg SERVICE=nlu -t switchboard/nlu:dev .
# SERVICE also picks the environment: dialogue runs Rasa 3.6 on Python 3.10 with
# requirements/dialogue.lock, every other service Python 3.11 with requirements/services.lock.
ARG SERVICE

# python-<service>: the base image and the production lock of each service's environment. Only the
# production lock goes in; the dev locks (test and lint tools) never reach an image.
FROM python:3.11-slim AS python-services
ENV SWITCHBOARD_LOCK=services.lock
FROM python:3.10-slim AS python-dialogue
ENV SWITCHBOARD_LOCK=dialogue.lock
FROM python-services AS python-ingest
FROM python-services AS python-nlu
FROM python-services AS python-generator
FROM python-services AS python-handoff

# deps: the pinned environment of the lock and nothing else. It is the same for every service of one
# lock, so images built on one builder share this layer.
FROM python-${SERVICE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# A compiler for any locked package published without a wheel; it stays in the build stages.
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,sharing=locked \
    rm -f /etc/apt/apt.conf.d/docker-clean \
    && apt-get update \
    && apt-get install --yes --no-install-recommends build-essential
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,source=requirements,target=/tmp/requirements \
    pip install --no-deps -r "/tmp/requirements/$SWITCHBOARD_LOCK"
# The project's code goes to /opt/app, which this .pth file puts on the environment's path;
# keeping it out of the venv keeps the venv layer free of anything service-specific.
RUN echo /opt/app > "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/switchboard-app.pth"

# build: switchboard-core, the service, and the protobuf/gRPC stubs generated with the
# grpcio-tools of this environment's lock.
FROM deps AS build
ARG SERVICE
WORKDIR /src
COPY proto/ proto/
COPY lib/core/ lib/core/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps --target /opt/app ./lib/core "./services/${SERVICE}" \
    && python -m switchboard.core.protogen --proto-dir proto --out /opt/app \
    && python -m compileall -q /opt/app

# runtime: the two trees above on a clean base, run as an unprivileged fixed UID/GID.
FROM python-${SERVICE} AS runtime
RUN groupadd --system --gid 10001 switchboard \
    && useradd --system --no-log-init --uid 10001 --gid 10001 \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin switchboard \
    && install --directory --owner 10001 --group 10001 /var/cache/switchboard/models
COPY --link --from=deps /opt/venv /opt/venv
COPY --link --from=build /opt/app /opt/app
# The tenants' files (tenant, channels, assistant, knowledge, handoff). Deployments mount their own
# over it; secrets in them are env:VARIABLE references filled from a Secret, never baked-in values.
COPY --link tenants/ /opt/tenants/
COPY --link LICENSE /opt/app/LICENSE
# Kubernetes mounts the root filesystem read-only: bytecode is compiled at build time, and
# libraries that write under $HOME write to the /tmp emptyDir instead.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp
USER 10001:10001

# One stage per service: its ports, where it finds the tenants, and its entry point. The servers
# listen on every interface (the settings default to loopback).
FROM runtime AS ingest
ENV INGEST_HTTP__HOST=0.0.0.0 \
    INGEST_TENANTS_DIR=/opt/tenants
EXPOSE 8080
ENTRYPOINT ["python", "-m", "switchboard.ingest"]

FROM runtime AS handoff
ENV HANDOFF_HTTP__HOST=0.0.0.0 \
    HANDOFF_TENANTS_DIR=/opt/tenants
EXPOSE 8081
ENTRYPOINT ["python", "-m", "switchboard.handoff"]

# Models are trained into the writable /tmp (emptyDir) at start, or mounted.
FROM runtime AS nlu
ENV NLU_HTTP__HOST=0.0.0.0 \
    NLU_GRPC__HOST=0.0.0.0 \
    NLU_TENANTS_DIR=/opt/tenants \
    NLU_MODELS_DIR=/tmp/models/nlu
EXPOSE 8082 50051
ENTRYPOINT ["python", "-m", "switchboard.nlu"]

FROM runtime AS generator
ENV GENERATOR_HTTP__HOST=0.0.0.0 \
    GENERATOR_GRPC__HOST=0.0.0.0 \
    GENERATOR_KNOWLEDGE__TENANTS_DIR=/opt/tenants \
    GENERATOR_MODEL__CACHE_DIR=/var/cache/switchboard/models \
    HF_HOME=/var/cache/switchboard/models/huggingface
EXPOSE 8083 50052
ENTRYPOINT ["python", "-m", "switchboard.generator"]

# Every tenant's assistant; the models are trained into /tmp at the first start.
FROM runtime AS dialogue
ENV DIALOGUE_HTTP__HOST=0.0.0.0 \
    DIALOGUE_ASSISTANT__TENANTS_DIR=/opt/tenants \
    DIALOGUE_ASSISTANT__CACHE_DIR=/tmp/models \
    RASA_TELEMETRY_ENABLED=false
EXPOSE 8084
ENTRYPOINT ["python", "-m", "switchboard.dialogue"]

# The image: the stage of the service SERVICE names.
FROM ${SERVICE}
