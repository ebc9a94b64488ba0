"""The "bare stack" ceiling: Strongroom's own HTTP server with a handler that does no KMS work.

``python -m bench.peers --port P --workers N`` forks N processes that each bind the port with
SO_REUSEPORT (as ``strongroom server --workers N`` does) and serve, on the same asyncio + httptools +
uvloop stack (``strongroom.server.http``), a handler that parses the JSON body with orjson (the
server's JSON library), checks ``X-Amz-Target`` and answers a fixed KMS-Encrypt-shaped reply. What
Strongroom costs beyond this is the KMS work: SigV4, validation, key lookup, AES-GCM, the response.
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import sys

import orjson

from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.server import http

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "TrentService."
# Same shape and size as Strongroom's Encrypt reply for 32 B (an 81-byte blob: 21 header + 12 + 32 + 16).
_REPLY = HttpResponse(200, orjson.dumps({
    "CiphertextBlob": base64.b64encode(bytes(81)).decode(),
    "KeyId": "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000",
    "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
}), CONTENT_TYPE, [("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000")])
_HEALTHY = HttpResponse(200, b'{"status":"ok"}', "application/json")


def _error(code: str, message: str) -> HttpResponse:
    return HttpResponse(400, orjson.dumps({"__type": code, "message": message}), CONTENT_TYPE)


def handler(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and request.path == "/health":
        return _HEALTHY
    if not request.headers.get("x-amz-target", "").startswith(TARGET_PREFIX):
        return _error("UnknownOperationException", "missing X-Amz-Target")
    try:
        body = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return _error("SerializationException", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return _error("SerializationException", "The request body must be a JSON object.")
    return _REPLY


def _serve(host: str, port: int) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    http.run(handler, [(http.listening_socket(host, port, reuse_port=True), None)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    children: list[int] = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _serve(args.host, args.port)
            except BaseException:  # noqa: BLE001 - a worker must never return into the parent's loop
                code = 1
            finally:
                sys.stdout.flush()
                os._exit(code)
        children.append(pid)

    def stop(signum: int, frame: object) -> None:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    for pid in children:
        while True:
            try:
                _, code = os.waitpid(pid, 0)
                status |= code
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
