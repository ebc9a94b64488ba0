"""The Azure front door: the Microsoft identity platform's token endpoint (``/{tenant}/oauth2/v2.0/token``, its
OpenID configuration) and the Key Vault keys API (``/keys``, ``/deletedkeys``, ``/rng``), answering errors in
Azure's ``{"error": {"code", "message"}}`` shape.

Key Vault order: the operation is named from the method and path (for the audit event; an unknown path is
answered only after authentication) → bearer token (none, or a bad one: 401 with the challenge the Azure SDK
expects, before the body is read) → api-version → admit → JSON body → the operation, whose core calls authorize
the token's principal on the key. Every
request, refused or not, leaves one audit event (protocol ``azure``); the token endpoint's too, without the secret
or the token.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

import jwt
import orjson

from strongroom.domain.context import RequestContext
from strongroom.domain.unique_ids import unique_id
from strongroom.domain.workload_identities import AZURE_APP
from strongroom.errors import DependencyUnavailableError, SealedError, StrongroomError
from strongroom.protocols.audit_record import audit_event
from strongroom.protocols.azure import identity, routes
from strongroom.protocols.azure.errors import INTERNAL, UNAUTHORIZED, AzureError, azure_error_for
from strongroom.protocols.azure.request import Call, check_api_version, json_body, query_of, vault_of
from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.service.core import Core

log = logging.getLogger("strongroom.azure")

CONTENT_TYPE = "application/json; charset=utf-8"
EVENT_SOURCE = "keyvault.strongroom"
RESOURCE = "https://vault.azure.net"
_IDENTITY_PATH = re.compile(r"^/([^/]+)/(oauth2/v2\.0/token|v2\.0/\.well-known/openid-configuration)$")
_VAULT_PREFIXES = ("/keys", "/deletedkeys", "/rng")
_RECORDED = ("kty", "key_size", "crv", "key_ops", "alg", "attributes", "tags", "count", "lifetimeActions")


def azure_error(status: int, code: str, message: str) -> HttpResponse:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    return HttpResponse(status, body, CONTENT_TYPE, facts={"frontend": "azure", "operation": "Unknown"})


@dataclass(slots=True)
class _Trace:
    operation: str = "Unknown"
    ctx: RequestContext | None = None
    params: dict[str, Any] | None = None
    tenant: str | None = None  # the caller's, when a token (even a refused one) says it


class AzureApp:
    name = "azure"

    def __init__(self, core: Core, region: str) -> None:
        self.core = core
        self.region = region
        self.crypto = core.version_crypto
        self.backups = core.sealed_backups

    @staticmethod
    def serves(path: str) -> bool:
        return path.startswith(_VAULT_PREFIXES) or _IDENTITY_PATH.match(path) is not None

    def handle(self, request: HttpRequest) -> HttpResponse:
        found = _IDENTITY_PATH.match(request.path)
        if found is not None:
            return self._identity(request, found.group(1), found.group(2).startswith("oauth2"))
        return self._vault(request)

    @staticmethod
    def audit_failed(exc: Exception) -> HttpResponse:
        status = 503 if isinstance(exc, SealedError | DependencyUnavailableError) else 500
        return azure_error(status, "ServiceUnavailable" if status == 503 else "InternalServerError",
                           "the audit trail could not be written; retry")

    # --- the identity platform ---------------------------------------------------------------------------------

    def _identity(self, request: HttpRequest, tenant: str, is_token: bool) -> HttpResponse:
        request_id = str(unique_id())
        operation = identity.TOKEN if is_token else identity.OPENID_CONFIGURATION
        ctx: RequestContext | None = None
        status, body, error = 200, b"", None
        host = request.headers.get("host", "localhost")
        try:
            if not is_token:
                body = identity.openid_configuration(host, tenant)
            else:
                self.core.front_door.check_unsealed()
                granted = identity.token(self.core.workload_identities, tenant, request)
                ctx = RequestContext(self.core.workload_identities.caller(granted.identity), self.region,
                                     request.client_ip, request.secure, request_id, "azure")
                self.core.front_door.admit(ctx, operation)
                body = granted.body
        except identity.IdentityError as exc:
            error = exc
        except StrongroomError as exc:
            mapped = self._wire_error(exc, request_id)
            error = identity.IdentityError(mapped.status, "temporarily_unavailable" if mapped.status >= 500 else
                                           "invalid_request", 90033 if mapped.status >= 500 else 900144,
                                           mapped.message)
        except Exception:
            log.exception("azure token request %s failed unexpectedly", request_id)
            error = identity.IdentityError(500, "server_error", 90033, "An internal error occurred; retry.")
        params = {"tenant": tenant}
        try:
            self.core.front_door.record(partial(
                audit_event, request=request, request_id=request_id, now=self.core.clock.now(), operation=operation,
                admin=False, ctx=ctx, params=params, response=None,
                error_code=error.error if error else None, error_message=error.description if error else None,
                protocol="azure", event_source=EVENT_SOURCE, read_only=not is_token))
        except Exception:
            error = identity.IdentityError(500, "server_error", 90033, "An internal error occurred; retry.")
        facts = {"frontend": "azure", "request_id": request_id, "operation": operation,
                 "error": error.error if error else None}
        if error is not None:
            return HttpResponse(error.status, error.body(request_id), CONTENT_TYPE, [], facts)
        return HttpResponse(status, body, CONTENT_TYPE, [("Cache-Control", "no-store")], facts)

    # --- Key Vault -------------------------------------------------------------------------------------------

    def _vault(self, request: HttpRequest) -> HttpResponse:
        request_id = str(unique_id())
        trace = _Trace()
        error: AzureError | None = None
        body: dict[str, Any] | None = None
        try:
            body = self._handle(request, request_id, trace)
        except Exception as exc:
            error = self._wire_error(exc, request_id)
        try:
            self.core.front_door.record(partial(
                audit_event, request=request, request_id=request_id, now=self.core.clock.now(),
                operation=trace.operation, admin=False, ctx=trace.ctx, params=trace.params, response=None,
                error_code=error.code if error else None, error_message=error.message if error else None,
                protocol="azure", event_source=EVENT_SOURCE, read_only=request.method == "GET"))
        except Exception:
            error = INTERNAL
        facts = {"frontend": "azure", "request_id": request_id, "operation": trace.operation,
                 "error": error.code if error else None}
        headers = [("x-ms-request-id", request_id)]
        if error is not None:
            if error.status == 401:
                headers.append(("WWW-Authenticate", self._challenge(request, trace.tenant)))
            inner = {"innererror": {"code": error.inner}} if error.inner else {}
            payload = orjson.dumps({"error": {"code": error.code, "message": error.message, **inner}})
            return HttpResponse(error.status, payload, CONTENT_TYPE, headers, facts)
        if body is None:
            return HttpResponse(204, b"", CONTENT_TYPE, headers, facts)
        return HttpResponse(200, orjson.dumps(body), CONTENT_TYPE, headers, facts)

    @staticmethod
    def _challenge(request: HttpRequest, tenant: str | None) -> str:
        """The bearer challenge: the identity endpoint is this server; the tenant is the caller's when its token
        names one, else left out, so that the SDK asks for a token in its credential's own tenant."""
        host = request.headers.get("host", "localhost")
        authority = f"https://{host}/{tenant}" if tenant else f"https://{host}"
        return f'Bearer authorization="{authority}", resource="{RESOURCE}"'

    def _wire_error(self, exc: Exception, request_id: str) -> AzureError:
        if isinstance(exc, AzureError):
            return exc
        if isinstance(exc, StrongroomError):
            error = azure_error_for(exc)
            if error.status >= 500 and not isinstance(exc, SealedError):
                log.error("azure request %s failed: %r", request_id, exc)
            return error
        log.exception("azure request %s failed unexpectedly", request_id)
        return INTERNAL

    def _handle(self, request: HttpRequest, request_id: str, trace: _Trace) -> dict[str, Any] | None:
        method = request.method
        route_error: AzureError | None = None
        try:  # named before authentication, so that a refused request's audit event says what it asked
            operation, handler = routes.route(method, request.path)
            trace.operation = operation
        except AzureError as exc:
            route_error = exc
        self.core.front_door.check_unsealed()
        authorization = request.headers.get("authorization", "")
        if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            raise UNAUTHORIZED
        token = authorization[7:].strip()
        trace.tenant = _unverified_tenant(token)
        found = self.core.workload_identities.authenticate_token(AZURE_APP, token)
        trace.tenant = found.tenant
        ctx = trace.ctx = RequestContext(self.core.workload_identities.caller(found), self.region,
                                         request.client_ip, request.secure, request_id, "azure")
        query = query_of(request.query)
        check_api_version(query)
        if route_error is not None:
            raise route_error
        self.core.front_door.admit(ctx, operation)
        body = json_body(request.body) if method in ("POST", "PUT", "PATCH") else {}
        trace.params = {k: v for k, v in body.items() if k in _RECORDED}
        trace.params["path"] = request.path
        host = request.headers.get("host", "localhost")
        call = Call(self.core, ctx, method, host, vault_of(host), body, query, self.crypto, self.backups)
        return handler(call)


def _unverified_tenant(token: str) -> str | None:
    """The ``tid`` a token claims, unverified: only to name the tenant in a challenge."""
    try:
        tid = jwt.decode(token, options={"verify_signature": False}).get("tid")
    except jwt.PyJWTError:
        return None
    return tid if isinstance(tid, str) and re.fullmatch(r"[0-9A-Za-z.-]{1,64}", tid) else None


__all__ = ["AzureApp", "azure_error"]
