# evm-sync daemon image: docker build -t evm-sync . (see docs/operations.md)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY connectors ./connectors
COPY evm_sync ./evm_sync
RUN pip install . \
    && rm -rf /src \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/evm-sync \
       --create-home --shell /usr/sbin/nologin evm-sync \
    && mkdir -p /etc/evm-sync

# The SQLite store lives here; mount a volume to keep it across containers.
WORKDIR /var/lib/evm-sync
VOLUME ["/var/lib/evm-sync"]
USER evm-sync

# /metrics and /healthz: set [daemon] listen = "0.0.0.0:9464" in the mounted config
# to reach them from outside the container.
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4)"]

# SIGTERM: the runs stop after their page in flight, then the daemon exits 0. Give
# `docker stop --time` more than [daemon] stop_timeout (docker's default is 10 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["evm-sync"]
CMD ["daemon", "--config", "/etc/evm-sync/config.toml"]
