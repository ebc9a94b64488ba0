"""The Google front door: the OAuth 2.0 token endpoint (``POST /token``) and Cloud KMS's REST API
(``/v1/projects/…``), answering errors in Google's ``{"error": {"code", "message", "status"}}`` shape."""

from __future__ import annotations

import orjson

from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.service.core import Core

CONTENT_TYPE = "application/json; charset=UTF-8"
PREFIX = "/v1/projects/"
TOKEN_PATH = "/token"


def google_error(code: int, status: str, message: str) -> HttpResponse:
    body = orjson.dumps({"error": {"code": code, "message": message, "status": status}})
    return HttpResponse(code, body, CONTENT_TYPE, facts={"frontend": "gcp", "operation": "Unknown"})


class GcpApp:
    name = "gcp"

    def __init__(self, core: Core, region: str) -> None:
        self.core = core
        self.region = region

    @staticmethod
    def serves(path: str) -> bool:
        return path.startswith(PREFIX) or path == TOKEN_PATH

    def handle(self, request: HttpRequest) -> HttpResponse:
        return google_error(404, "NOT_FOUND", f"{request.method} {request.path} is not served yet")

    @staticmethod
    def audit_failed(exc: Exception) -> HttpResponse:
        return google_error(503, "UNAVAILABLE", "the audit trail could not be written; retry")
