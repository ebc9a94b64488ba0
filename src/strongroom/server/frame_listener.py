"""A listener for length-prefixed binary messages over mutual TLS (KMIP's TTLV), on the HTTP server's event loop.

Each message is an 8-byte header (tag, type, 4-byte big-endian length) and its value; many messages may follow
one another on one connection, and their answers leave in order. The listener only frames: it hands each whole
message, with the client's verified certificate, to the protocol adapter and sends back what the adapter answers,
through the same group commit as HTTP (an answer leaves once its audit event is durable). A header announcing more
than ``MAX_MESSAGE_BYTES`` is answered by the adapter's ``refuse`` (or the connection closed) without reading on;
a connection idle for ``IDLE_TIMEOUT_SECONDS``, also in the middle of a message, is closed.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from strongroom.server.group_commit import Commit, GroupCommit

log = logging.getLogger("strongroom.frames")

HEADER_BYTES = 8
MAX_MESSAGE_BYTES = 16 << 20
IDLE_TIMEOUT_SECONDS = 120.0


class Reply(Protocol):
    """What goes back for one message; ``if_commit_fails`` makes the answer that replaces it when its audit batch
    cannot be written (in the protocol's own error shape)."""

    @property
    def data(self) -> bytes: ...

    @property
    def if_commit_fails(self) -> Callable[[Exception], bytes] | None: ...

    @property
    def close(self) -> bool: ...


@dataclass(slots=True)
class FrameAnswer:
    """A :class:`Reply`."""

    data: bytes
    if_commit_fails: Callable[[Exception], bytes] | None = None
    close: bool = False


class FrameHandler(Protocol):
    """The adapter. It may also have ``check_header(header: bytes) -> str | None``: why a message whose first 8
    bytes are ``header`` cannot be one of its messages (refused at once, before its body is awaited); and
    ``slow_work(message, peer_certificate) -> Callable[[], None] | None``: work the message will need that would
    stall the event loop (making an RSA key), which the listener runs in a worker thread before ``handle``, holding
    back the connection's later messages meanwhile."""

    def handle(self, message: bytes, peer_certificate: bytes | None, client_ip: str) -> Reply: ...

    def refuse(self, reason: str) -> bytes | None:
        """An error answer for a message that cannot be read at all (too large), or None to just close."""
        ...


def _replacement(exc: Exception, held: Reply) -> Reply:
    if held.if_commit_fails is None:
        return FrameAnswer(b"", close=True)
    return FrameAnswer(held.if_commit_fails(exc), close=held.close)


class FrameProtocol(asyncio.Protocol):
    def __init__(self, handler: FrameHandler, answers: GroupCommit[Reply],
                 connections: set[FrameProtocol]) -> None:
        self._handler = handler
        self._check_header: Callable[[bytes], str | None] | None = getattr(handler, "check_header", None)
        self._slow_work: Callable[[bytes, bytes | None], Callable[[], None] | None] | None = getattr(
            handler, "slow_work", None)
        self._waiting = False  # slow work of a message is running: later messages stay in the buffer
        self._slow_task: asyncio.Future[None] | None = None
        self._answers = answers
        self._connections = connections
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._peer_certificate: bytes | None = None
        self._client_ip = ""
        self._closing = False
        self.last_active = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self._client_ip = peer[0] if peer else ""
        ssl_object = transport.get_extra_info("ssl_object")
        self._peer_certificate = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        if self._closing:
            return
        self._buffer += data
        self._take_messages()

    def _take_messages(self) -> None:
        while len(self._buffer) >= HEADER_BYTES and not self._closing and not self._waiting:
            size = HEADER_BYTES + int.from_bytes(self._buffer[4:8], "big")
            if size > HEADER_BYTES + MAX_MESSAGE_BYTES:
                self._refuse(f"the message is larger than {MAX_MESSAGE_BYTES} bytes")
                return
            reason = self._check_header(bytes(self._buffer[:HEADER_BYTES])) if self._check_header else None
            if reason is not None:
                self._refuse(reason)
                return
            if len(self._buffer) < size:
                return
            message = bytes(self._buffer[:size])
            del self._buffer[:size]
            work = self._slow_work(message, self._peer_certificate) if self._slow_work else None
            if work is None:
                self._answer(message)
            else:
                self._waiting = True
                self._slow_task = asyncio.ensure_future(self._answer_after(work, message))

    async def _answer_after(self, work: Callable[[], None], message: bytes) -> None:
        if self._transport is not None:
            self._transport.pause_reading()
        try:
            await asyncio.get_running_loop().run_in_executor(None, work)
        except Exception:  # the handler then does the work itself
            log.exception("slow work before a message failed")
        self._waiting = False
        if self._transport is None:
            return
        self._answer(message)
        if not self._closing:
            self._transport.resume_reading()
            self._take_messages()

    def _answer(self, message: bytes) -> None:
        answer: Reply
        try:
            answer = self._handler.handle(message, self._peer_certificate, self._client_ip)
        except Exception:
            log.exception("message handler failed")
            answer = FrameAnswer(self._handler.refuse("internal error") or b"", close=True)
        if answer.close:
            self._closing = True
        self._answers.answer(self, answer, answer.close)

    def _refuse(self, reason: str) -> None:
        self._closing = True
        self._buffer.clear()
        self._answers.answer(self, FrameAnswer(self._handler.refuse(reason) or b"", close=True), True)

    def deliver(self, answer: Reply, close: bool) -> None:
        if self._transport is None:
            return
        if answer.data:
            self._transport.write(answer.data)
        if close:
            self._transport.close()

    def close_if_idle(self, now: float, timeout: float) -> None:
        if now - self.last_active > timeout and self._transport is not None:
            self._closing = True
            self._transport.close()


async def serve_frames(sock: socket.socket, tls: ssl.SSLContext, handler: FrameHandler, commit: Commit | None,
                       idle_timeout: float = IDLE_TIMEOUT_SECONDS) -> None:
    """Serve ``handler`` on an already-bound socket until cancelled."""
    loop = asyncio.get_running_loop()
    answers: GroupCommit[Reply] = GroupCommit(commit, _replacement)
    connections: set[FrameProtocol] = set()
    server = await loop.create_server(lambda: FrameProtocol(handler, answers, connections), sock=sock, ssl=tls,
                                      backlog=1024, ssl_handshake_timeout=30.0)
    try:
        while True:
            await asyncio.sleep(min(idle_timeout / 4, 5.0))
            now = time.monotonic()
            for connection in list(connections):
                connection.close_if_idle(now, idle_timeout)
    finally:
        server.close()
