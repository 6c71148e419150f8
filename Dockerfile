# The ИОМ engine's image: one image for its three processes (see docker-compose.yml).
#
#   docker build -t iom-engine .
#   docker run --rm iom-engine --help                     # any `iom` command
#   docker run -e IOM_PORTAL_JWT_SECRET=… -p 8000:8000 iom-engine   # the API (the default)
#
# The API, the worker and the projector answer different health checks (GET /health/ready,
# `iom health --only worker`, `iom health --only projections`), so no HEALTHCHECK here: each
# service sets its own in docker-compose.yml.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    IOM_LOG_FORMAT=json

# The package and its dependencies from the registry; the sources are not kept.
COPY . /tmp/src
RUN pip install /tmp/src && rm -rf /tmp/src

# A user of its own: nothing in the image runs as root. Its home is the working directory, so
# the embedded defaults (./var) stay writable; production points IOM_DATABASE_URL at PostgreSQL.
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin iom
USER iom
WORKDIR /home/iom

EXPOSE 8000
ENTRYPOINT ["iom"]
CMD ["api", "--host", "0.0.0.0", "--port", "8000"]
