# dms-operator image: the operator and its locked runtime dependencies on
# python:3.11-slim, run by kopf as a non-root user.
#
#   docker build -t registry.example.com/dms-operator:0.1.0 .
#
# tests/chart/test_image.py lints this file with hadolint and repeats its install
# steps in a clean virtual environment.

# Pinned by tag; add the digest (python:3.11-slim@sha256:...) for byte-identical rebuilds.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src

# The runtime venv has no pip: the build stage's pip installs into it (--python).
RUN python -m venv --without-pip /opt/dms-operator
COPY requirements/ requirements/
# Wheels only, checked against the lock file's hashes, so nothing is compiled.
RUN pip --python /opt/dms-operator/bin/python install --require-hashes --no-deps \
        --only-binary=:all: -r requirements/operator.txt

# The operator's own wheel, built with locked build tools. Only dms_operator is
# copied, so the simulator and test tools stay out of the image.
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --no-deps --only-binary=:all: \
        -r requirements/build.txt
COPY pyproject.toml README.md ./
COPY operator/dms_operator/ operator/dms_operator/
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
    && pip --python /opt/dms-operator/bin/python install --no-deps /wheels/dms_operator-*.whl

FROM ${PYTHON_IMAGE}
ARG PYTHON_IMAGE
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="dms-operator" \
      org.opencontainers.image.description="Kubernetes operator for databases on Data Management for VMware Tanzu (DMS)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

COPY --from=build /opt/dms-operator /opt/dms-operator
# HOME on /tmp: the root filesystem is read-only in the chart, and /tmp is its emptyDir.
ENV PATH=/opt/dms-operator/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 65532:65532
EXPOSE 8080 9090

ENTRYPOINT ["kopf"]
CMD ["run", "--module=dms_operator.main", "--all-namespaces", "--standalone", \
     "--liveness=http://0.0.0.0:8080/healthz", "--log-format=json"]
