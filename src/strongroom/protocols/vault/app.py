"""The Vault front door: one HTTP request under ``/v1/`` in, one Vault-shaped JSON response out.

Order: framing → path → token (``X-Vault-Token`` or ``Authorization: Bearer``) → the token's path policies for
the capability the method asks (``PathPolicies``, in the core) → the operation, whose core calls authorize the
token's owner on the key. Every request, refused or not, leaves one audit event. Errors are
``{"errors": [...]}`` with Vault's status and ``Content-Type: application/json`` exactly (hvac reads the
messages only then).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import orjson

from strongroom.domain.context import RequestContext
from strongroom.domain.path_policy import Capability
from strongroom.domain.unique_ids import unique_id
from strongroom.errors import DependencyUnavailableError, InvalidRequestError, SealedError, StrongroomError
from strongroom.protocols.audit_record import audit_event
from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.protocols.vault import system, transit
from strongroom.protocols.vault.errors import INTERNAL, VaultError, vault_error_for
from strongroom.protocols.vault.request import Call, Reply
from strongroom.service.core import Core

log = logging.getLogger("strongroom.vault")

PREFIX = "/v1/"
CONTENT_TYPE = "application/json"
EVENT_SOURCE = "vault.strongroom"
_METHODS = {"GET": Capability.READ, "POST": Capability.UPDATE, "PUT": Capability.UPDATE,
            "DELETE": Capability.DELETE, "LIST": Capability.LIST, "PATCH": Capability.PATCH}
_UNAUTHENTICATED = frozenset({"sys/health", "sys/seal-status", "sys/leader"})
# Request members never recorded: Vault's audit device hashes them; ours drops them.
_SECRET_MEMBERS = frozenset({"plaintext", "ciphertext", "input", "signature", "hmac", "token", "id", "context",
                             "batch_input", "associated_data", "nonce", "backup", "public_key", "policy", "rules"})


@dataclass(slots=True)
class _Trace:
    operation: str = "Unknown"
    ctx: RequestContext | None = None
    params: dict[str, Any] | None = field(default=None)


class VaultApp:
    def __init__(self, core: Core, region: str = "us-east-1") -> None:
        self.core = core
        self.region = region

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(unique_id())
        trace = _Trace()
        error: VaultError | None = None
        reply: Reply | None = None
        try:
            reply = self._handle(request, request_id, trace)
        except Exception as exc:
            error = self._wire_error(exc, request_id)
        try:
            self.core.front_door.record(partial(
                audit_event, request=request, request_id=request_id, now=self.core.clock.now(),
                operation=trace.operation, admin=False, ctx=trace.ctx, params=trace.params, response=None,
                error_code=str(error.status) if error else None, error_message=error.message if error else None,
                protocol="vault", event_source=EVENT_SOURCE, read_only=request.method in ("GET", "LIST")))
        except Exception:
            error = INTERNAL
        facts = {"frontend": "vault", "request_id": request_id, "operation": trace.operation,
                 "error": str(error.status) if error else None}
        if error is not None:
            messages = [error.message] if error.message else []
            return HttpResponse(error.status, orjson.dumps({"errors": messages}), CONTENT_TYPE, [], facts)
        assert reply is not None
        return reply.render(request_id, facts)

    @staticmethod
    def audit_failed(exc: Exception) -> HttpResponse:
        """The answer that replaces one whose audit batch could not be written: 503 when the store is unreachable
        (retry), else 500."""
        status = 503 if isinstance(exc, (SealedError, DependencyUnavailableError)) else 500
        return HttpResponse(status, b'{"errors":["the audit trail could not be written; retry"]}', CONTENT_TYPE)

    @staticmethod
    def _wire_error(exc: Exception, request_id: str) -> VaultError:
        if isinstance(exc, VaultError):
            return exc
        if isinstance(exc, StrongroomError):
            error = vault_error_for(exc)
            if error.status >= 500 and not isinstance(exc, SealedError):
                log.error("vault request %s failed: %r", request_id, exc)
            return error
        log.exception("vault request %s failed unexpectedly", request_id)
        return INTERNAL

    def _handle(self, request: HttpRequest, request_id: str, trace: _Trace) -> Reply:
        path = request.path[len(PREFIX):].strip("/")
        while "//" in path:
            path = path.replace("//", "/")
        query = parse_qs(request.query)
        method = request.method
        if method == "GET" and query.get("list", [""])[0] in ("true", "1"):
            method = "LIST"
        capability = _METHODS.get(method)
        if capability is None:
            raise VaultError(405, f"unsupported operation: {request.method}")
        trace.operation = f"{method} {path}"
        if path in _UNAUTHENTICATED:
            return system.unauthenticated(self.core, path)
        self.core.front_door.check_unsealed()
        token_text = request.headers.get("x-vault-token") or _bearer(request.headers.get("authorization", ""))
        if not token_text:
            raise VaultError(403, "permission denied")
        token = self.core.tokens.authenticate(token_text)
        ctx = trace.ctx = RequestContext(self.core.tokens.caller(token), self.region, request.client_ip,
                                         request.secure, request_id, "vault")
        body = _body(request) if method in ("POST", "PUT", "PATCH") else {}
        trace.params = {k: v for k, v in body.items() if k not in _SECRET_MEMBERS}
        trace.params["path"] = path
        call = Call(self.core, ctx, token, token_text, method, path, body, query, capability)
        handler, operation = self._route(call)
        trace.operation = operation
        self.core.front_door.admit(ctx, operation)
        return handler(call)

    def _route(self, call: Call) -> tuple[Callable[[Call], Reply], str]:
        path = call.path
        if path.startswith(("sys/", "auth/")):
            return system.route(call)
        found = self.core.mounts.find(call.token.account_id, path)
        if found is None:
            raise VaultError(404, f"no handler for route \"{path}\". route entry not found.")
        mount, rest = found
        if mount.engine_type == "transit":
            return transit.route(call, mount, rest)
        raise VaultError(404, f"no handler for route \"{path}\"")


def _bearer(value: str) -> str:
    return value[7:].strip() if value.lower().startswith("bearer ") else ""


def _body(request: HttpRequest) -> dict[str, Any]:
    if not request.body.strip() or request.body.strip() == b"null":  # `bao write -f` sends null
        return {}
    try:
        body = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise InvalidRequestError("failed to parse JSON input: the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("failed to parse JSON input: the request body must be a JSON object")
    return body

