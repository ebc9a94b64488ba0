"""The Azure front door: the Microsoft identity platform's token endpoint (``/{tenant}/oauth2/v2.0/token``, its
OpenID configuration) and the Key Vault keys API (``/keys``, ``/deletedkeys``, ``/rng``), answering errors in
Azure's ``{"error": {"code", "message"}}`` shape."""

from __future__ import annotations

import re

import orjson

from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.service.core import Core

CONTENT_TYPE = "application/json; charset=utf-8"
_IDENTITY_PATH = re.compile(r"^/[^/]+/(oauth2/v2\.0/token|v2\.0/\.well-known/openid-configuration)$")
_VAULT_PREFIXES = ("/keys", "/deletedkeys", "/rng")


def azure_error(status: int, code: str, message: str) -> HttpResponse:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    return HttpResponse(status, body, CONTENT_TYPE, facts={"frontend": "azure", "operation": "Unknown"})


class AzureApp:
    name = "azure"

    def __init__(self, core: Core, region: str) -> None:
        self.core = core
        self.region = region

    @staticmethod
    def serves(path: str) -> bool:
        return path.startswith(_VAULT_PREFIXES) or _IDENTITY_PATH.match(path) is not None

    def handle(self, request: HttpRequest) -> HttpResponse:
        return azure_error(404, "NotFound", f"{request.method} {request.path} is not served yet")

    @staticmethod
    def audit_failed(exc: Exception) -> HttpResponse:
        return azure_error(503, "ServiceUnavailable", "the audit trail could not be written; retry")
