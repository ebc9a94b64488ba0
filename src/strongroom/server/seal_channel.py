"""The supervisor's line to each worker: a ``SOCK_SEQPACKET`` socket pair made before the fork.

The supervisor sends one message per state change and waits for the worker's ``K``:

    U<32-byte KEK>   unseal with this key-encryption key
    S                seal: forget the KEK and everything unwrapped under it

A new or restarted worker reads the current state before it serves its first request. When the supervisor
goes away the socket closes and the worker stops: no orphan keeps serving after its parent died.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket

from strongroom.service.core import Core

log = logging.getLogger("strongroom.server")

SEAL = b"S"
UNSEAL = b"U"
ACK = b"K"
ACK_TIMEOUT = 10.0


def channel_pair() -> tuple[socket.socket, socket.socket]:
    """(supervisor end, worker end)."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


def state_message(kek: bytes | bytearray | None) -> bytes:
    return SEAL if kek is None else UNSEAL + bytes(kek)


def push(sock: socket.socket, message: bytes) -> bool:
    """Send a state to one worker and wait for it to be applied; False if the worker is gone or silent."""
    try:
        sock.setblocking(False)
        try:
            while sock.recv(16):  # a late acknowledgement of an earlier message
                pass
        except BlockingIOError:
            pass
        sock.settimeout(ACK_TIMEOUT)
        sock.send(message)
        return sock.recv(16) == ACK
    except OSError:
        return False


def _apply(core: Core, message: bytes) -> None:
    if message[:1] == UNSEAL and len(message) == 33:
        core.unseal_with_kek(message[1:])
        log.info("worker %d unsealed", os.getpid())
    elif message == SEAL:
        if not core.sealed:
            log.info("worker %d sealed", os.getpid())
        core.seal()
    else:
        log.error("worker %d: unknown message from the supervisor ignored", os.getpid())


def receive_initial_state(sock: socket.socket, core: Core) -> None:
    """Block until the supervisor has said whether this new worker starts sealed or unsealed."""
    sock.settimeout(ACK_TIMEOUT * 3)
    message = sock.recv(64)
    if not message:
        raise ConnectionError("the supervisor closed the seal channel before sending the seal state")
    _apply(core, message)
    sock.send(ACK)


def follow_supervisor(sock: socket.socket, core: Core):  # type: ignore[no-untyped-def]
    """A background task for the worker's event loop: apply every state the supervisor sends."""

    async def follow() -> None:
        loop = asyncio.get_running_loop()
        sock.setblocking(False)
        while True:
            try:
                message = await loop.sock_recv(sock, 64)
            except OSError:
                message = b""
            if not message:
                log.error("worker %d: the supervisor is gone; stopping", os.getpid())
                core.seal()
                os.kill(os.getpid(), signal.SIGTERM)
                return
            _apply(core, message)
            await loop.sock_sendall(sock, ACK)

    return follow
