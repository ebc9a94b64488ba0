"""What the HTTP server answers: health checks here, everything else to the AWS KMS adapter."""

from __future__ import annotations

from strongroom.protocols.aws.app import AwsKmsApp
from strongroom.protocols.http import HttpRequest, HttpResponse

_HEALTHY = HttpResponse(200, b'{"status":"ok"}', "application/json")


class Router:
    def __init__(self, aws: AwsKmsApp) -> None:
        self._aws = aws

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and request.path == "/health":
            return _HEALTHY
        return self._aws.handle(request)
