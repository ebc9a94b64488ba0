"""The HTTP server with a handler whose answer is awaited: pipelined answers still leave in request order."""

from __future__ import annotations

import asyncio

from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.server.http import listening_socket, serve


def handler(request: HttpRequest) -> HttpResponse | asyncio.Future:
    if request.path == "/later":
        async def later() -> HttpResponse:
            await asyncio.sleep(0.05)
            return HttpResponse(200, b"later")
        return later()
    if request.path == "/broken-later":
        async def broken() -> HttpResponse:
            raise RuntimeError("no answer")
        return broken()
    return HttpResponse(200, request.path.encode())


async def exchange(port: int, paths: list[str]) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"".join(f"POST {p} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode() for p in paths))
    bodies = []
    for _ in paths:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.startswith(b"Content-Length")))
        bodies.append(head.split(b" ")[1] + b" " + await reader.readexactly(length))
    writer.close()
    return bodies


def test_awaited_answers_keep_their_place_among_pipelined_ones() -> None:
    async def scenario() -> list[bytes]:
        sock = listening_socket("127.0.0.1", 0, reuse_port=False)
        server = asyncio.ensure_future(serve(handler, [(sock, None)]))
        try:
            return await exchange(sock.getsockname()[1], ["/first", "/later", "/second", "/broken-later", "/third"])
        finally:
            server.cancel()
            await asyncio.gather(server, return_exceptions=True)
            sock.close()

    answers = asyncio.run(scenario())
    assert answers[:3] == [b"200 /first", b"200 later", b"200 /second"]
    assert answers[3].startswith(b"500 ") and b"InternalFailure" in answers[3]
    assert answers[4] == b"200 /third"
