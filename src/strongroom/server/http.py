"""A small HTTP/1.1 server on asyncio + httptools (uvloop when available).

Why not a framework: AWS KMS clients need exact framing (libmongocrypt reads a header named exactly
``Content-Length`` and an ``HTTP/1.1`` status line, which uvicorn+httptools and granian do not send), and
the throughput goal needs the leanest path (measured: raw asyncio + httptools ≈ 3.5× uvicorn+Starlette per
core). The parser is httptools (llhttp); this module only frames requests and responses, keeps
connections alive, bounds body size and idle time, and calls one synchronous handler per request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus

import httptools

from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.server.group_commit import Commit, GroupCommit

log = logging.getLogger("strongroom.http")

Handler = Callable[[HttpRequest], "HttpResponse | Awaitable[HttpResponse]"]

MAX_BODY_BYTES = 1 << 20  # 1 MiB: far above any KMS request (a 32 KB policy, a 6 KB ciphertext)
MAX_HEADER_BYTES = 64 << 10
IDLE_TIMEOUT_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 30.0  # from a request's first byte to its last: a client trickling bytes is cut off
_REASONS = {s.value: s.phrase for s in HTTPStatus}


def render(response: HttpResponse, *, close: bool) -> bytes:
    lines = [
        f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Unknown')}",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
    ]
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body


def _error(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(status, json.dumps({"__type": code, "message": message}).encode())


class HttpProtocol(asyncio.Protocol):
    __slots__ = ("_handler", "_secure", "_transport", "_parser", "_url", "_headers", "_header_bytes",
                 "_body", "_body_bytes", "_too_large", "_client_ip", "_closing", "last_active", "_server",
                 "_awaiting", "_queued", "_at_start", "_listing", "_request_started")

    def __init__(self, handler: Handler, secure: bool, server: ServerState) -> None:
        self._handler = handler
        self._secure = secure
        self._server = server
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._reset()
        self._client_ip = ""
        self._closing = False
        self._awaiting = False  # an answer is being awaited: later requests wait their turn in ``_queued``
        self._queued: list[tuple[HttpRequest, bool]] = []
        self._at_start = True  # the next byte starts a request line
        self._listing = False  # this request's method is LIST (fed to the parser as GET)
        self.last_active = time.monotonic()
        self._request_started: float | None = None  # when the request being read began

    def _reset(self) -> None:
        self._url = b""
        self._headers: dict[str, str] = {}
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._body_bytes = 0
        self._too_large = False

    # --- asyncio.Protocol -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self._client_ip = peer[0] if peer else ""
        self._server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        self._transport = None
        self._parser = None  # the parser refers back to this protocol: no cycle may outlive the connection

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        if self._request_started is None:
            self._request_started = self.last_active
        if self._at_start and data.startswith(b"LIST "):  # Vault's LIST method, which llhttp does not know
            data = b"GET " + data[5:]
            self._listing = True
        self._at_start = False
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400, "Upgrades are not supported.")
        except httptools.HttpParserError:
            self._fail(400, "The request is not valid HTTP/1.1.")

    def eof_received(self) -> bool | None:
        return None

    # --- httptools callbacks --------------------------------------------------------------------

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            raise httptools.HttpParserError("headers too large")
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        previous = self._headers.get(key)
        self._headers[key] = text if previous is None else f"{previous},{text}"

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > MAX_BODY_BYTES:
            self._too_large = True
            self._body.clear()
        elif not self._too_large:
            self._body.append(body)

    def on_message_complete(self) -> None:
        self._request_started = None
        if self._transport is None or self._closing:
            return
        if self._too_large:
            self._fail(413, f"The request body exceeds {MAX_BODY_BYTES} bytes.")
            return
        url = httptools.parse_url(self._url)
        request = HttpRequest(
            method="LIST" if self._listing else self._parser.get_method().decode("ascii"),
            path=url.path.decode("latin-1") if url.path else "/",
            query=url.query.decode("latin-1") if url.query else "",
            headers=self._headers,
            body=b"".join(self._body),
            client_ip=self._client_ip,
            secure=self._secure,
        )
        close = not self._parser.should_keep_alive()
        self._reset()
        self._listing = False
        self._at_start = True
        if self._awaiting:  # pipelined behind an awaited answer: answers leave in request order
            self._queued.append((request, close))
            return
        self._respond(request, close)

    def _respond(self, request: HttpRequest, close: bool) -> None:
        try:
            result = self._handler(request)
        except Exception:
            log.exception("request handler failed")
            result = _error(500, "InternalFailure", "An internal error occurred.")
        if close:
            self._closing = True  # answer this one, read no more
        if isinstance(result, HttpResponse):
            self._server.answer(self, result, close)
            return
        self._awaiting = True
        if self._transport is not None:
            self._transport.pause_reading()
        asyncio.ensure_future(result).add_done_callback(lambda task: self._answer_awaited(task, close))

    def _answer_awaited(self, task: asyncio.Future[HttpResponse], close: bool) -> None:
        if task.cancelled():  # the server is stopping
            return
        try:
            response = task.result()
        except Exception:
            log.exception("request handler failed")
            response = _error(500, "InternalFailure", "An internal error occurred.")
        self._awaiting = False
        self._server.answer(self, response, close)
        while self._queued and not self._awaiting:
            self._respond(*self._queued.pop(0))
        if not self._awaiting and self._transport is not None and not self._closing:
            self._transport.resume_reading()

    def deliver(self, response: HttpResponse, close: bool) -> None:
        if self._transport is not None:
            self._transport.write(render(response, close=close))
            if close:
                self._transport.close()

    # --- helpers -------------------------------------------------------------------------------

    def _fail(self, status: int, message: str) -> None:
        if self._transport is not None and not self._closing:
            code = "RequestEntityTooLarge" if status == 413 else "SerializationException"
            self._transport.write(render(_error(status, code, message), close=True))
        self._close()

    def _close(self) -> None:
        self._closing = True
        if self._transport is not None:
            self._transport.close()

    def close_if_idle(self, now: float) -> None:
        """Close a connection idle too long, or whose request has taken too long to arrive (however steadily its
        bytes trickle in: what slow-client attacks do)."""
        started = self._request_started
        if now - self.last_active > IDLE_TIMEOUT_SECONDS or (
                started is not None and now - started > REQUEST_TIMEOUT_SECONDS):
            self._close()


CommitFailed = Callable[[Exception, HttpResponse], HttpResponse]  # the answer that replaces each held one


class ServerState:
    """The open connections, and the group commit their answers wait for (``server/group_commit.py``).

    Answers are rendered to bytes as they leave, in one loop over the batch (measured: 2 % more throughput than
    rendering each as it is made, between requests)."""

    def __init__(self, commit: Commit | None = None, commit_failed: CommitFailed | None = None) -> None:
        self.connections: set[HttpProtocol] = set()
        self._answers: GroupCommit[HttpResponse] = GroupCommit(commit, commit_failed or (
            lambda _exc, _held: _error(500, "InternalFailure", "An internal error occurred.")))

    def answer(self, connection: HttpProtocol, response: HttpResponse, close: bool) -> None:
        self._answers.answer(connection, response, close)

    async def reap_idle(self) -> None:
        while True:
            await asyncio.sleep(min(IDLE_TIMEOUT_SECONDS, REQUEST_TIMEOUT_SECONDS) / 4)
            now = time.monotonic()
            for connection in list(self.connections):
                connection.close_if_idle(now)


def listening_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


Background = Callable[[], Awaitable[None]]


async def serve(handler: Handler, sockets: list[tuple[socket.socket, ssl.SSLContext | None]],
                background: Sequence[Background] = (), commit: Commit | None = None,
                commit_failed: CommitFailed | None = None) -> None:
    """Serve on already-bound sockets until cancelled or sent SIGTERM/SIGINT."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    state = ServerState(commit, commit_failed)
    servers = []
    for sock, tls in sockets:
        secure = tls is not None
        servers.append(await loop.create_server(
            lambda secure=secure: HttpProtocol(handler, secure, state), sock=sock, ssl=tls, backlog=1024))
    helpers = [asyncio.ensure_future(state.reap_idle())] + [asyncio.ensure_future(b()) for b in background]
    try:
        await asyncio.gather(*(s.serve_forever() for s in servers))
    except asyncio.CancelledError:
        pass
    finally:
        for helper in helpers:
            helper.cancel()
        for server in servers:
            server.close()


def run(handler: Handler, sockets: list[tuple[socket.socket, ssl.SSLContext | None]],
        background: Sequence[Background] = (), commit: Commit | None = None,
        commit_failed: CommitFailed | None = None) -> None:
    """Run the event loop (uvloop if installed) serving ``handler`` until SIGINT/SIGTERM."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is a dependency; stay usable without it
        runner = asyncio.run
    try:
        runner(serve(handler, sockets, background, commit, commit_failed))
    except KeyboardInterrupt:
        pass
