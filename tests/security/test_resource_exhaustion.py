"""Clients that hold or flood the server cannot starve the others: a client trickling a request is cut off, idle
and half-open connections do not stop service, huge headers, bodies and nesting get a clean answer at once."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator

import pytest
from kms_harness import ServerInfo, ServerProcess

from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.server import http


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("exhaustion") / "data", extra_args=["--workers", "1"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


def test_a_client_trickling_its_request_is_cut_off_while_others_are_served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "REQUEST_TIMEOUT_SECONDS", 0.6)

    def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, b"ok")

    async def scenario() -> tuple[bool, list[bytes]]:
        sock = http.listening_socket("127.0.0.1", 0, reuse_port=False)
        port = sock.getsockname()[1]
        serving = asyncio.ensure_future(http.serve(handler, [(sock, None)]))
        try:
            slow_reader, slow = await asyncio.open_connection("127.0.0.1", port)
            slow.write(b"POST / HTTP/1.1\r\nHost: x\r\n")
            answers, cut = [], False
            for _ in range(12):  # a header line every 0.1 s: never idle, never done
                await asyncio.sleep(0.1)
                try:
                    slow.write(b"X-Slow: 1\r\n")
                    await slow.drain()
                except ConnectionError:
                    cut = True
                    break
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answers.append((await reader.read()).split(b"\r\n", 1)[0])
                writer.close()
            if not cut:
                try:
                    cut = await asyncio.wait_for(slow_reader.read(), 2.0) == b""
                except TimeoutError:
                    cut = False
            return cut, answers
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            sock.close()

    cut, answers = asyncio.run(scenario())
    assert cut, "the trickling client was never cut off"
    assert answers and all(line == b"HTTP/1.1 200 OK" for line in answers)


def _raw(server: ServerInfo, data: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as conn:
        conn.sendall(data)
        chunks = []
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b"Content-Length" in b"".join(chunks):
                head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                if len(body) >= length:
                    return b"".join(chunks)


def _still_serves(server: ServerInfo) -> None:
    kms = server.client()
    assert kms.list_keys(Limit=1)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_huge_headers_are_refused_at_once(server: ServerInfo) -> None:
    answer = _raw(server, b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (200 << 10) + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400") or answer == b""
    _still_serves(server)


def test_a_huge_body_is_refused_with_413(server: ServerInfo) -> None:
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
            b"X-Amz-Target: TrentService.Encrypt\r\nContent-Length: 3000000\r\n\r\n")
    answer = _raw(server, head + b"{" + b" " * 2_999_999)
    assert answer.startswith(b"HTTP/1.1 413") and b"RequestEntityTooLarge" in answer
    _still_serves(server)


def test_deeply_nested_json_gets_a_clean_error(server: ServerInfo) -> None:
    body = b'{"KeyId": ' + b"[" * 400_000 + b"]" * 400_000 + b"}"
    head = (f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
            f"X-Amz-Target: TrentService.Encrypt\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    answer = _raw(server, head + body)
    status = answer.split(b"\r\n", 1)[0]
    assert status.startswith((b"HTTP/1.1 400", b"HTTP/1.1 413")), status
    document = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert set(document) >= {"__type"} and "Traceback" not in json.dumps(document)
    _still_serves(server)


def test_many_idle_and_half_open_connections_do_not_stop_service(server: ServerInfo) -> None:
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(300)]
    half = [socket.create_connection(("127.0.0.1", server.tls_port), timeout=10) for _ in range(100)]  # no handshake
    try:
        for conn in idle[:100]:
            conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # a request begun and left
        started = time.monotonic()
        _still_serves(server)
        assert time.monotonic() - started < 60  # it answered at all (the harness would time out otherwise)
    finally:
        for conn in idle + half:
            conn.close()
    _still_serves(server)
