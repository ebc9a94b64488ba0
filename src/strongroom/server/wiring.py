"""The one composition root: from a configuration to a core, an adapter and a served socket."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from strongroom.domain.limits import Limits
from strongroom.protocols.aws.app import AwsKmsApp
from strongroom.protocols.aws.model import KmsModel
from strongroom.protocols.azure.app import AzureApp
from strongroom.protocols.gcp.app import GcpApp
from strongroom.protocols.kmip.app import KmipApp
from strongroom.protocols.vault.app import VaultApp
from strongroom.server import http
from strongroom.server.config import ConfigError, ServerConfig
from strongroom.server.frame_listener import serve_frames
from strongroom.server.gc_tuning import freeze_after_full_collections
from strongroom.server.group_commit import Commit, Done
from strongroom.server.metrics import Metrics, count_audit_failure
from strongroom.server.routes import Router
from strongroom.server.seal_channel import follow_supervisor, receive_initial_state
from strongroom.server.tls import mutual_tls_context, server_ssl_context
from strongroom.service.core import Core
from strongroom.service.quotas import Quotas
from strongroom.storage.base import Store
from strongroom.storage.factory import open_store as open_configured_store
from strongroom.trust.key_file import FileRootOfTrust

log = logging.getLogger("strongroom.server")


def open_core(config: ServerConfig) -> Core:
    assert config.root_key_file is not None
    return Core(open_store(config), FileRootOfTrust(config.root_key_file), **core_options(config))


def open_store(config: ServerConfig, *, serving: bool = False) -> Store:
    return open_configured_store(config.database_url, config.data_dir, serving=serving)


def open_sealed_core(config: ServerConfig) -> Core:
    """A core with no KEK yet: the node's supervisor unseals it (``server/unsealer.py``)."""
    return Core(open_store(config), **core_options(config))


def core_options(config: ServerConfig) -> dict[str, Any]:
    """What the configuration says about accounts, limits and quotas (each worker gets its share of a rate)."""
    return {"operator_account": config.operator_account,
            "limits": Limits().with_overrides(dict(config.limit_overrides)),
            "quotas": Quotas(dict(config.quota_overrides), share=config.workers, enabled=config.quotas_enabled)}


def bind(config: ServerConfig, *, reuse_port: bool, exclusive: bool = False) -> list[tuple[socket.socket, bool]]:
    """The listening sockets: plain HTTP, HTTPS when a TLS port is set, KMIP when a KMIP port is set (True marks
    TLS; the KMIP socket is the one on ``config.kmip_port``). ``exclusive`` (the node's first bind) refuses a port
    another server holds, which SO_REUSEPORT alone would share."""
    if exclusive and reuse_port:
        for port in (config.port, config.tls_port, config.kmip_port):
            if port:
                http.listening_socket(config.host, port, reuse_port=False).close()
    sockets = [(http.listening_socket(config.host, config.port, reuse_port=reuse_port), False)]
    for port in (config.tls_port, config.kmip_port):
        if port:
            sockets.append((http.listening_socket(config.host, port, reuse_port=reuse_port), True))
    return sockets


def settle_kmip_port(config: ServerConfig) -> ServerConfig:
    """``config`` as it will serve: --dev's default KMIP port, when another process holds it, is given up (with a
    note) rather than shared or fatal; a port asked for explicitly is kept (a taken one then stops the start)."""
    if not config.kmip_port or not config.kmip_port_optional:
        return config
    try:
        http.listening_socket(config.host, config.kmip_port, reuse_port=False).close()
    except OSError as exc:
        log.warning("KMIP is off: port %d is not free (%s); pass --kmip-port to choose one", config.kmip_port, exc)
        return replace(config, kmip_port=0)
    return config


def _is_kmip(sock: socket.socket, config: ServerConfig) -> bool:
    return bool(config.kmip_port) and sock.getsockname()[1] == config.kmip_port


def _kmip_listener(config: ServerConfig, sock: socket.socket, core: Core,
                   commit: Commit) -> Callable[[], Awaitable[None]]:
    """The KMIP listener of one worker, as a background task of its event loop."""
    assert config.tls_cert is not None and config.tls_key is not None
    if config.kmip_client_ca is None:
        raise ConfigError("KMIP needs --kmip-client-ca")
    tls = mutual_tls_context(config.tls_cert, config.tls_key, config.kmip_client_ca)
    app = KmipApp(core, config.kmip_region)

    async def serve_kmip() -> None:
        try:
            await serve_frames(sock, tls, app, commit)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the KMIP listener stopped")
            raise
    return serve_kmip


def shared_commit(commit: Commit) -> Commit:
    """One commit for several listeners, each with its own group commit. A failed write drops every pending event,
    also those of another listener's answers; so a failure also fails every other commit that runs in the same
    turn of the event loop (the turn whose answers were in that batch), and none after it."""
    failed: list[Exception] = []

    def run(done: Done) -> None:
        if failed:
            done(failed[0])
            return

        def finished(error: Exception | None) -> None:
            if error is not None and not failed:
                failed.append(error)
                asyncio.get_running_loop().call_soon(failed.clear)
            done(error)
        commit(finished)
    return run


def serve_worker(config: ServerConfig, sockets: list[tuple[socket.socket, bool]], model: KmsModel,
                 *, run_scheduler: bool, channel: socket.socket) -> None:
    """One worker process: its own store connection and caches, serving until told to stop. It starts in
    the seal state the supervisor sends over ``channel`` and follows every later change."""
    core = Core(open_store(config, serving=True), **core_options(config))  # sealed until the supervisor says
    receive_initial_state(channel, core)
    router = Router(AwsKmsApp(core, model), Metrics(core), access_log=config.access_log,
                    vault=VaultApp(core, config.vault_region),
                    mounted=[AzureApp(core, config.azure_region), GcpApp(core, config.gcp_region)])
    tls: ssl.SSLContext | None = None
    if config.tls_cert and config.tls_key:
        tls = server_ssl_context(config.tls_cert, config.tls_key)
    served = [(sock, tls if is_tls else None) for sock, is_tls in sockets if not _is_kmip(sock, config)]
    on_start = [follow_supervisor(channel, core)]
    if run_scheduler:
        on_start.append(_scheduler(core, config.scheduler_interval, config.audit_retention_days))
    core.audit.autoflush = False  # events wait for their batch; answers wait for the batch to be written
    core.audit.durable = config.audit_fsync
    core.check_store_per_turn()
    freeze_after_full_collections()

    def end_of_turn(done: Callable[[Exception | None], None]) -> None:
        """After each turn of the event loop: the turn's audit events to the store (written here, on the loop:
        a writer thread measured slower, as it fights the loop for the GIL), then a fresh look at the store."""
        core.new_turn()
        try:
            core.audit.flush()
        except Exception as exc:
            count_audit_failure()
            done(exc)
            return
        finally:
            router.end_of_turn()
        done(None)

    commit = shared_commit(end_of_turn)
    on_start += [_kmip_listener(config, sock, core, commit) for sock, _ in sockets if _is_kmip(sock, config)]
    try:
        http.run(router, served, background=on_start, commit=commit, commit_failed=router.audit_failed)
    finally:
        core.close()


def _scheduler(core: Core, interval: float, audit_retention_days: float):  # type: ignore[no-untyped-def]
    async def run_due_work() -> None:
        while True:
            try:
                if core.sealed:
                    await asyncio.sleep(interval)
                    continue
                done = core.rotation.run_due()
                purged = core.audit.purge(audit_retention_days)
                if done.rotated or done.deleted or purged:
                    log.info("scheduled work: rotated %d keys, deleted %d keys, purged %d audit events",
                             len(done.rotated), len(done.deleted), purged)
            except Exception:
                log.exception("scheduled work failed; retrying in %.0f s", interval)
            await asyncio.sleep(interval)
    return run_due_work
