"""The KMIP load generator: N connections replaying one precomputed request message over mutual TLS, closed loop
(each connection waits for its answer before it sends again), for a fixed time.

Two modes: ``held`` (each connection opened and handshaken before the measurement, then used for every request,
as PyKMIP's client does) and ``per-request`` (a new TCP connection and a full TLS handshake for every request,
closed after the answer, as libmongocrypt does; no session resumption). A request's latency runs from its send
(held) or from the start of its connect (per-request) to the last byte of its answer. Every answer is read by its
8-byte header and length, and counts as an error unless its ResultStatus is Success.

The connections are spread over a few forked client processes (default: one per core, at most one per
connection), each a non-blocking ``selectors`` loop over ``ssl`` sockets, so the client is not limited to one
core; each reports its own CPU over the measured window.
"""

from __future__ import annotations

import contextlib
import errno
import math
import multiprocessing
import os
import resource
import select
import selectors
import signal
import socket
import ssl
import time
from array import array
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from bench.processes import die_with_parent
from bench.ttlv import HEADER_BYTES, SUCCESS, message_length, result_status

HOST = "127.0.0.1"
MODES = ("held", "per-request")
REQUEST_TIMEOUT_S = 5.0  # as wrk's --timeout: a request unanswered this long is an error, its connection dropped
SETUP_TIMEOUT_S = 60.0  # opening the held connections (PyKMIP accepts with a backlog of 5)
ERROR_SAMPLES = 3


class KmipLoadError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class ClientTls:
    """The client's credentials: the CA that signed the server's certificate, and a client certificate and key."""

    ca: Path
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        ctx.load_cert_chain(str(self.cert), str(self.key))
        return ctx


@dataclass(frozen=True, slots=True)
class LoadSpec:
    port: int
    message: bytes
    tls: ClientTls
    connections: int
    mode: str  # one of MODES
    duration_s: float
    processes: int = os.cpu_count() or 1
    timeout_s: float = REQUEST_TIMEOUT_S


# --- pure helpers (unit-tested) ------------------------------------------------------------------


def split_connections(connections: int, processes: int) -> list[int]:
    """``connections`` spread as evenly as possible over at most ``processes`` client processes."""
    count = max(1, min(connections, processes))
    base, extra = divmod(connections, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def percentile(ordered: list[int] | array, q: float) -> int:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of an ascending sequence (0 when empty)."""
    if not ordered:
        return 0
    return int(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))])


@dataclass
class ClientReport:
    """What one client process measured."""

    requests: int = 0
    latencies_ns: bytes = b""  # array("q") of every completed request's latency
    errors_status: int = 0  # answers whose ResultStatus is not Success, or unreadable answers
    errors_socket: int = 0  # connect, handshake, read or write failures, closed connections, timeouts
    bytes_read: int = 0
    cpu_s: float = 0.0
    window_s: float = 0.0
    tls: str = ""  # negotiated protocol and cipher, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384"
    error_samples: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    mean_ms: float
    errors_status: int
    errors_socket: int
    bytes_read: int
    wrk_cpu_s: float  # the load generator's CPU (named as wrk's, so the cell accounting treats both alike)
    client_processes: int
    tls: str
    error_samples: tuple[str, ...] = ()

    @property
    def errors(self) -> int:
        return self.errors_status + self.errors_socket

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "error_samples": list(self.error_samples), "errors": self.errors}


def merge(reports: list[ClientReport], duration_s: float) -> LoadResult:
    """One cell's result from its client processes' reports: latencies pooled, counts and CPU summed."""
    latencies: array = array("q")
    for report in reports:
        latencies.frombytes(report.latencies_ns)
    ordered = sorted(latencies)
    requests = sum(r.requests for r in reports)
    window = max((r.window_s for r in reports), default=0.0) or duration_s

    def ms(ns: float) -> float:
        return ns / 1e6
    return LoadResult(
        requests=requests, duration_s=window, rps=requests / window if window else 0.0,
        p50_ms=ms(percentile(ordered, 0.5)), p90_ms=ms(percentile(ordered, 0.9)),
        p99_ms=ms(percentile(ordered, 0.99)), p999_ms=ms(percentile(ordered, 0.999)),
        max_ms=ms(ordered[-1] if ordered else 0), mean_ms=ms(sum(ordered) / len(ordered) if ordered else 0),
        errors_status=sum(r.errors_status for r in reports), errors_socket=sum(r.errors_socket for r in reports),
        bytes_read=sum(r.bytes_read for r in reports), wrk_cpu_s=sum(r.cpu_s for r in reports),
        client_processes=len(reports), tls=next((r.tls for r in reports if r.tls), ""),
        error_samples=tuple(s for r in reports for s in r.error_samples)[:ERROR_SAMPLES])


# --- one client process --------------------------------------------------------------------------

_CONNECTING, _HANDSHAKING, _READING = 1, 2, 3


class _Slot:
    """One connection's state: a closed loop of one request at a time."""

    __slots__ = ("sock", "state", "started", "buffer", "events")

    def __init__(self) -> None:
        self.sock: ssl.SSLSocket | None = None
        self.state = 0
        self.started = 0
        self.buffer = bytearray()
        self.events = 0


class _Client:
    def __init__(self, spec: LoadSpec, connections: int) -> None:
        self.spec = spec
        self.ctx = spec.tls.context()
        self.selector = selectors.DefaultSelector()
        self.slots = [_Slot() for _ in range(connections)]
        self.report = ClientReport()
        self.latencies: array = array("q")
        self.held = spec.mode == "held"
        self.stop_ns = 0
        self.window_start_ns = 0

    # connections

    def open_held(self) -> None:
        """Held mode: every connection opened and handshaken (blocking) before the measurement starts."""
        for slot in self.slots:
            raw = socket.create_connection((HOST, self.spec.port), timeout=SETUP_TIMEOUT_S)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock = self.ctx.wrap_socket(raw, server_hostname=HOST)
            self._note_tls(sock)
            sock.setblocking(False)
            slot.sock, slot.state, slot.events = sock, _READING, selectors.EVENT_READ
            self.selector.register(sock, selectors.EVENT_READ, slot)

    def _note_tls(self, sock: ssl.SSLSocket) -> None:
        if not self.report.tls:
            cipher = sock.cipher()
            self.report.tls = f"{sock.version()} {cipher[0] if cipher else '?'}"

    def _connect(self, slot: _Slot) -> None:
        """Start a new connection (non-blocking connect, then the handshake, then the request)."""
        slot.started = time.perf_counter_ns()
        slot.buffer.clear()
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setblocking(False)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self.ctx.wrap_socket(raw, server_hostname=HOST, do_handshake_on_connect=False)
        slot.sock, slot.state, slot.events = sock, _CONNECTING, selectors.EVENT_WRITE
        code = sock.connect_ex((HOST, self.spec.port))
        if code not in (0, errno.EINPROGRESS):
            self._fail(slot, f"connect: {os.strerror(code)}", reconnect=False)  # retried by _expire
            return
        self.selector.register(sock, selectors.EVENT_WRITE, slot)

    def _close(self, slot: _Slot) -> None:
        if slot.sock is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(slot.sock)
            slot.sock.close()
        slot.sock, slot.state = None, 0

    def _fail(self, slot: _Slot, why: str, *, reconnect: bool = True) -> None:
        """A socket error: the connection is dropped and a new one started (while the cell runs)."""
        self._close(slot)
        if time.perf_counter_ns() < self.stop_ns:
            self.report.errors_socket += 1
            if len(self.report.error_samples) < ERROR_SAMPLES:
                self.report.error_samples.append(why)
            if reconnect:
                self._connect(slot)

    def _want(self, slot: _Slot, events: int) -> None:
        if slot.events != events:
            assert slot.sock is not None
            self.selector.modify(slot.sock, events, slot)
            slot.events = events

    # requests

    def _send(self, slot: _Slot) -> None:
        sock = slot.sock
        assert sock is not None
        data = memoryview(self.spec.message)
        while data:
            try:
                data = data[sock.send(data):]
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                _, ready, _ = select.select([], [sock], [], self.spec.timeout_s)
                if not ready:
                    raise TimeoutError("send timed out") from None
        slot.state = _READING
        self._want(slot, selectors.EVENT_READ)

    def _handshake(self, slot: _Slot) -> None:
        sock = slot.sock
        assert sock is not None
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self._want(slot, selectors.EVENT_READ)
            return
        except ssl.SSLWantWriteError:
            self._want(slot, selectors.EVENT_WRITE)
            return
        self._note_tls(sock)
        self._send(slot)

    def _readable(self, slot: _Slot) -> None:
        sock = slot.sock
        assert sock is not None
        try:
            chunk = sock.recv(65536)
            if not chunk:
                self._fail(slot, "connection closed by the server")
                return
            slot.buffer += chunk
            while sock.pending():  # decrypted bytes the kernel's readiness does not announce
                slot.buffer += sock.recv(65536)
        except ssl.SSLWantReadError:  # e.g. only a TLS 1.3 session ticket arrived
            return
        buffer = slot.buffer
        if len(buffer) < HEADER_BYTES or len(buffer) < message_length(buffer):
            return
        now = time.perf_counter_ns()
        size = message_length(buffer)
        if now <= self.stop_ns and slot.started >= self.window_start_ns:
            self.latencies.append(now - slot.started)
            self.report.requests += 1
            self.report.bytes_read += size
            if len(buffer) != size or result_status(buffer) != SUCCESS:
                self.report.errors_status += 1
                if len(self.report.error_samples) < ERROR_SAMPLES:
                    self.report.error_samples.append(f"answer {bytes(buffer[:size]).hex()}"[:300])
        buffer.clear()
        if self.held:
            if now < self.stop_ns:
                slot.started = time.perf_counter_ns()
                self._send(slot)
        else:
            self._close(slot)
            if now < self.stop_ns:
                self._connect(slot)

    def _event(self, slot: _Slot) -> None:
        try:
            if slot.state == _READING:
                self._readable(slot)
            elif slot.state == _HANDSHAKING:
                self._handshake(slot)
            elif slot.state == _CONNECTING:
                assert slot.sock is not None
                code = slot.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    self._fail(slot, f"connect: {os.strerror(code)}")
                    return
                slot.state = _HANDSHAKING
                self._handshake(slot)
        except (OSError, ValueError) as exc:
            self._fail(slot, f"{type(exc).__name__}: {exc}")

    def _expire(self, now: int) -> None:
        """Every 100 ms: drop requests unanswered for too long, and retry connections that could not start."""
        limit = int(self.spec.timeout_s * 1e9)
        for slot in self.slots:
            if slot.sock is None:
                self._connect(slot)
            elif now - slot.started > limit:
                self._fail(slot, f"no answer within {self.spec.timeout_s:g} s")

    def run(self, start: float) -> None:
        """Measure from ``start`` (time.monotonic()) for the cell's duration."""
        delay = start - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.window_start_ns = time.perf_counter_ns()
        self.stop_ns = self.window_start_ns + int(self.spec.duration_s * 1e9)
        cpu_before = _cpu_seconds()
        for slot in self.slots:
            try:
                if self.held:
                    slot.started = time.perf_counter_ns()
                    self._send(slot)
                else:
                    self._connect(slot)
            except OSError as exc:
                self._fail(slot, f"{type(exc).__name__}: {exc}")
        next_check = self.window_start_ns + 100_000_000
        select = self.selector.select
        while True:
            now = time.perf_counter_ns()
            if now >= self.stop_ns:
                break
            for key, _ in select(min((self.stop_ns - now) / 1e9, 0.05)):
                self._event(key.data)
            if now >= next_check:
                self._expire(now)
                next_check = now + 100_000_000
        self.report.cpu_s = _cpu_seconds() - cpu_before
        self.report.window_s = (time.perf_counter_ns() - self.window_start_ns) / 1e9
        for slot in self.slots:
            self._close(slot)
        self.report.latencies_ns = self.latencies.tobytes()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _client_main(spec: LoadSpec, connections: int, pipe: Connection) -> None:
    """A forked client process: open (held mode), say ready, wait for the start time, measure, report."""
    die_with_parent()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the harness, which ends us by PID
    try:
        client = _Client(spec, connections)
        if client.held:
            client.open_held()
        pipe.send(("ready", ""))
        if not pipe.poll(SETUP_TIMEOUT_S):
            return
        client.run(pipe.recv())
        pipe.send(("done", client.report))
    except Exception as exc:  # noqa: BLE001 - reported to the harness, which fails the cell
        with contextlib.suppress(OSError):
            pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        pipe.close()


# --- the harness side ----------------------------------------------------------------------------


def run_load(spec: LoadSpec) -> LoadResult:
    """Run one cell's load; the client processes are forked here and ended by PID whatever happens."""
    if spec.mode not in MODES:
        raise ValueError(f"unknown mode {spec.mode!r}")
    fork = multiprocessing.get_context("fork")
    clients: list[tuple[Any, Connection]] = []
    try:
        for count in split_connections(spec.connections, spec.processes):
            ours, theirs = fork.Pipe()
            process = fork.Process(target=_client_main, args=(spec, count, theirs), daemon=True)
            process.start()
            theirs.close()
            clients.append((process, ours))
        for _, pipe in clients:
            kind, detail = _receive(pipe, SETUP_TIMEOUT_S, "opening its connections")
            if kind != "ready":
                raise KmipLoadError(f"a client process failed to start: {detail}")
        start = time.monotonic() + 0.05
        for _, pipe in clients:
            pipe.send(start)
        reports = []
        for _, pipe in clients:
            kind, detail = _receive(pipe, spec.duration_s + spec.timeout_s + 30, "measuring")
            if kind != "done":
                raise KmipLoadError(f"a client process failed: {detail}")
            reports.append(detail)
        return merge(reports, spec.duration_s)
    finally:
        for process, pipe in clients:
            pipe.close()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)


def _receive(pipe: Connection, timeout: float, doing: str) -> tuple[str, Any]:
    if not wait([pipe], timeout):
        raise KmipLoadError(f"a client process took more than {timeout:.0f} s {doing}")
    try:
        return pipe.recv()  # type: ignore[no-any-return]
    except EOFError:
        raise KmipLoadError(f"a client process exited while {doing}") from None


def one_request(port: int, tls: ClientTls, message: bytes, timeout: float = 30.0) -> tuple[bytes, str]:
    """Send ``message`` once over a new connection (the preflight): the answer and the negotiated TLS."""
    with socket.create_connection((HOST, port), timeout=timeout) as raw:
        with tls.context().wrap_socket(raw, server_hostname=HOST) as sock:
            sock.sendall(message)
            answer = _read_exactly(sock, HEADER_BYTES)
            answer += _read_exactly(sock, message_length(answer) - HEADER_BYTES)
            cipher = sock.cipher()
            return answer, f"{sock.version()} {cipher[0] if cipher else '?'}"


def _read_exactly(sock: ssl.SSLSocket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise KmipLoadError(f"the connection closed after {len(data)} of {size} bytes")
        data += chunk
    return bytes(data)
