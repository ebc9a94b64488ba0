"""The binary-message listener over mutual TLS: whole messages however they arrive, answers in order, the
client's certificate handed on, oversized messages refused, failed commits answered in the protocol's shape,
idle connections closed, clients without a certificate refused at the handshake."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from strongroom.server.frame_listener import FrameAnswer, serve_frames
from strongroom.server.group_commit import Done
from strongroom.server.tls import ensure_dev_tls, issue_client_certificate, mutual_tls_context


def frame(value: bytes) -> bytes:
    return b"\x42\x00\x78\x01" + len(value).to_bytes(4, "big") + value


class Echo:
    def __init__(self) -> None:
        self.peers: list[bytes | None] = []

    def handle(self, message: bytes, peer_certificate: bytes | None, client_ip: str) -> FrameAnswer:
        self.peers.append(peer_certificate)
        return FrameAnswer(b"re:" + message[8:], lambda exc: b"failed:" + message[8:])

    def refuse(self, reason: str) -> bytes | None:
        return b"refused:" + reason.encode()


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext, bytes]:
    files = ensure_dev_tls(tmp_path / "tls")
    cert, key = issue_client_certificate(tmp_path / "tls", "client")
    (tmp_path / "c.pem").write_bytes(cert)
    (tmp_path / "k.pem").write_bytes(key)
    client = ssl.create_default_context(cafile=str(files.ca_cert))
    client.load_cert_chain(str(tmp_path / "c.pem"), str(tmp_path / "k.pem"))
    server = mutual_tls_context(files.server_cert, files.server_key, files.ca_cert)
    return server, client, x509.load_pem_x509_certificate(cert).public_bytes(Encoding.DER)


def listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.setblocking(False)
    return sock


async def with_server(server_tls, handler, commit, body, idle=120.0):  # type: ignore[no-untyped-def]
    sock = listening()
    task = asyncio.ensure_future(serve_frames(sock, server_tls, handler, commit, idle_timeout=idle))
    try:
        return await body(sock.getsockname()[1])
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_messages_split_and_pipelined_are_answered_in_order(tls):
    server_tls, client_tls, client_der = tls
    echo = Echo()

    async def body(port: int) -> list[bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_tls, server_hostname="127.0.0.1")
        data = frame(b"one") + frame(b"two")
        writer.write(data[:5])
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(data[5:])
        got = [await reader.readexactly(6), await reader.readexactly(6)]
        writer.close()
        return got

    assert asyncio.run(with_server(server_tls, echo, None, body)) == [b"re:one", b"re:two"]
    assert echo.peers == [client_der, client_der]


def test_an_oversized_message_is_refused_and_the_connection_closed(tls):
    server_tls, client_tls, _ = tls

    async def body(port: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_tls, server_hostname="127.0.0.1")
        writer.write(b"\x42\x00\x78\x01" + (17 << 20).to_bytes(4, "big"))
        return await reader.read()  # until the server closes

    assert asyncio.run(with_server(server_tls, Echo(), None, body)).startswith(b"refused:the message is larger")


def test_answers_wait_for_the_commit_and_a_failed_one_replaces_them(tls):
    server_tls, client_tls, _ = tls
    outcomes = iter([None, RuntimeError("audit store down")])

    def commit(done: Done) -> None:
        done(next(outcomes))

    async def body(port: int) -> list[bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_tls, server_hostname="127.0.0.1")
        writer.write(frame(b"a"))
        first = await reader.readexactly(4)
        writer.write(frame(b"b"))
        second = await reader.readexactly(8)
        writer.close()
        return [first, second]

    assert asyncio.run(with_server(server_tls, Echo(), commit, body)) == [b"re:a", b"failed:b"]


def test_idle_connections_are_closed(tls):
    server_tls, client_tls, _ = tls

    async def body(port: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_tls, server_hostname="127.0.0.1")
        writer.write(frame(b"partial")[:6])  # half a header, then nothing
        return await asyncio.wait_for(reader.read(), timeout=30)

    assert asyncio.run(with_server(server_tls, Echo(), None, body, idle=0.2)) == b""


def test_a_client_without_a_certificate_is_refused(tls, tmp_path):
    server_tls, _, _ = tls
    anonymous = ssl.create_default_context(cafile=str(tmp_path / "tls" / "ca.pem"))
    echo = Echo()

    async def body(port: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=anonymous, server_hostname="127.0.0.1")
        writer.write(frame(b"x"))
        try:
            return await reader.read()
        except (ssl.SSLError, ConnectionResetError):  # TLS 1.3 reports the refusal after the handshake
            return b""

    assert asyncio.run(with_server(server_tls, echo, None, body)) == b""
    assert echo.peers == []  # the message never reached the handler


class SlowFirst(Echo):
    """Asks for slow work before messages starting with ``slow``; records which thread ran it."""

    def __init__(self) -> None:
        super().__init__()
        self.work_threads: list[int] = []
        self.handled: list[bytes] = []

    def slow_work(self, message: bytes, peer_certificate: bytes | None):  # type: ignore[no-untyped-def]
        if not message[8:].startswith(b"slow"):
            return None

        def work() -> None:
            import threading
            import time
            time.sleep(0.2)
            self.work_threads.append(threading.get_ident())
        return work

    def handle(self, message: bytes, peer_certificate: bytes | None, client_ip: str) -> FrameAnswer:
        self.handled.append(message[8:])
        return super().handle(message, peer_certificate, client_ip)


def test_slow_work_runs_off_the_loop_and_later_messages_wait_for_it(tls):
    import threading
    server_tls, client_tls, _ = tls
    handler = SlowFirst()

    async def body(port: int) -> list[bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_tls, server_hostname="127.0.0.1")
        writer.write(frame(b"slow") + frame(b"fast"))
        await writer.drain()
        got = [await reader.readexactly(7), await reader.readexactly(7)]
        writer.close()
        return got

    loop_thread = threading.get_ident()
    assert asyncio.run(with_server(server_tls, handler, None, body)) == [b"re:slow", b"re:fast"]
    assert handler.handled == [b"slow", b"fast"]
    assert len(handler.work_threads) == 1 and handler.work_threads[0] != loop_thread
