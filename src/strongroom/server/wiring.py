"""The one composition root: from a configuration to a core, an adapter and a served socket."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl

from strongroom.protocols.aws.app import AwsKmsApp
from strongroom.protocols.aws.model import KmsModel
from strongroom.server import http
from strongroom.server.config import ServerConfig
from strongroom.server.routes import Router
from strongroom.server.tls import server_ssl_context
from strongroom.service.core import Core
from strongroom.storage.sqlite import SqliteStore
from strongroom.trust.key_file import FileRootOfTrust

log = logging.getLogger("strongroom.server")


def open_core(config: ServerConfig) -> Core:
    assert config.root_key_file is not None
    return Core(SqliteStore(config.database), FileRootOfTrust(config.root_key_file),
                operator_account=config.operator_account)


def bind(config: ServerConfig, *, reuse_port: bool) -> list[tuple[socket.socket, bool]]:
    """The listening sockets: plain HTTP, and HTTPS when a TLS port is set (True marks TLS)."""
    sockets = [(http.listening_socket(config.host, config.port, reuse_port=reuse_port), False)]
    if config.tls_port:
        sockets.append((http.listening_socket(config.host, config.tls_port, reuse_port=reuse_port), True))
    return sockets


def serve_worker(config: ServerConfig, sockets: list[tuple[socket.socket, bool]], model: KmsModel,
                 *, run_scheduler: bool) -> None:
    """One worker process: its own store connection and caches, serving until told to stop."""
    core = open_core(config)
    router = Router(AwsKmsApp(core, model))
    tls: ssl.SSLContext | None = None
    if config.tls_cert and config.tls_key:
        tls = server_ssl_context(config.tls_cert, config.tls_key)
    served = [(sock, tls if is_tls else None) for sock, is_tls in sockets]
    on_start = [_scheduler(core, config.scheduler_interval)] if run_scheduler else []
    try:
        http.run(router, served, background=on_start)
    finally:
        core.close()


def _scheduler(core: Core, interval: float):  # type: ignore[no-untyped-def]
    async def run_due_work() -> None:
        while True:
            try:
                done = core.rotation.run_due()
                if done.rotated or done.deleted:
                    log.info("scheduled work: rotated %d keys, deleted %d keys", len(done.rotated),
                             len(done.deleted))
            except Exception:
                log.exception("scheduled work failed; retrying in %.0f s", interval)
            await asyncio.sleep(interval)
    return run_due_work
