# Strongroom in one image: `docker build -t strongroom .`
#   docker run -p 8080:8080 -p 8443:8443 -p 5696:5696 -e STRONGROOM_DEV=1 strongroom       # a dev server
#   docker run … -v keys:/var/lib/strongroom -e STRONGROOM_ROOT_KEY_FILE=… -e STRONGROOM_TLS_CERT=… strongroom
# Every server option is also a STRONGROOM_* variable (docs/configuration.md); --dev only when asked.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 strongroom \
    && useradd --system --uid 10001 --gid strongroom --home-dir /var/lib/strongroom --shell /usr/sbin/nologin strongroom \
    && mkdir -p /var/lib/strongroom/tls /shared/tls \
    && chown -R strongroom:strongroom /var/lib/strongroom /shared \
    && chmod 0700 /var/lib/strongroom

WORKDIR /opt/strongroom
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && rm -rf /opt/strongroom/src /root/.cache
COPY docker/entrypoint.sh /usr/local/bin/strongroom-entrypoint

# Inside a container the server listens on every interface of the container (its only way in); the data
# directory is a volume, so keys outlive the container.
ENV STRONGROOM_HOST=0.0.0.0 \
    STRONGROOM_DATA_DIR=/var/lib/strongroom
VOLUME ["/var/lib/strongroom"]
EXPOSE 8080 8443 5696

USER strongroom:strongroom
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["strongroom-entrypoint", "health"]
ENTRYPOINT ["strongroom-entrypoint"]
CMD ["server"]
