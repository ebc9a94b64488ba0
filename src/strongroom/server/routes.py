"""What the HTTP server answers: health checks here, everything else to the AWS KMS adapter.

``GET /health`` answers 200 while the process is alive, saying ``"ok"`` or ``"sealed"``; ``GET /ready``
answers 200 only when the node can serve keys, and 503 while it is sealed (for load balancers).
"""

from __future__ import annotations

from strongroom.protocols.aws.app import AwsKmsApp
from strongroom.protocols.http import HttpRequest, HttpResponse

_OK = b'{"status":"ok"}'
_SEALED = b'{"status":"sealed","message":"The key store is sealed; unseal it to use keys."}'


class Router:
    def __init__(self, aws: AwsKmsApp) -> None:
        self._aws = aws
        self._core = aws.core

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and request.path in ("/health", "/ready"):
            sealed = self._core.sealed
            status = 503 if sealed and request.path == "/ready" else 200
            return HttpResponse(status, _SEALED if sealed else _OK, "application/json")
        return self._aws.handle(request)
