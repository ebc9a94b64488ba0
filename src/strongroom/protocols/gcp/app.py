"""The Google front door: the OAuth 2.0 token endpoint (``POST /token``) and Cloud KMS's REST API
(``/v1/projects/…``), answering errors in Google's ``{"error": {"code", "message", "status"}}`` shape.

Order for the KMS API: path → bearer token (a token from ``/token``, or a service account's self-signed JWT used
directly, as google-cloud-kms sends it) → the project must be the service account's → the front door (sealed,
quota) → the operation, whose core calls authorize the service account's principal on the key. Every request,
refused or not, leaves one audit event (``eventSource`` ``cloudkms.strongroom``, protocol ``gcp``).
Enums are answered as numbers when the caller asks for ``$alt=json;enum-encoding=int`` (the REST transport).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import orjson

from strongroom.domain.context import RequestContext
from strongroom.domain.unique_ids import unique_id
from strongroom.domain.workload_identities import GCP_SERVICE_ACCOUNT
from strongroom.errors import AuthenticationError, DependencyUnavailableError, SealedError, StrongroomError
from strongroom.protocols.audit_record import audit_event
from strongroom.protocols.gcp.algorithms import ALGORITHMS
from strongroom.protocols.gcp.enums import ALGORITHM
from strongroom.protocols.gcp.errors import INTERNAL, GoogleError, google_error_for, invalid
from strongroom.protocols.gcp.names import parse_path
from strongroom.protocols.gcp.request import Call
from strongroom.protocols.gcp.routes import READ_ONLY, route
from strongroom.protocols.gcp.token import KMS_AUDIENCE, OAuthError, grant, host_urls
from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.service.core import Core

log = logging.getLogger("strongroom.gcp")

CONTENT_TYPE = "application/json; charset=UTF-8"
PREFIX = "/v1/projects/"
TOKEN_PATH = "/token"
EVENT_SOURCE = "cloudkms.strongroom"
TOKEN_OPERATION = "GenerateAccessToken"
_CHALLENGE = [("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')]
# Request members never recorded: data, keys, signatures and their integrity fields stay out of the trail.
_SECRET_MEMBERS = frozenset({"plaintext", "ciphertext", "additionalAuthenticatedData", "data", "digest", "mac",
                             "signature", "wrappedKey", "rsaAesWrappedKey", "initializationVector", "assertion"})


def google_error(code: int, status: str, message: str) -> HttpResponse:
    body = orjson.dumps({"error": {"code": code, "message": message, "status": status}})
    return HttpResponse(code, body, CONTENT_TYPE, facts={"frontend": "gcp", "operation": "Unknown"})


@dataclass(slots=True)
class _Trace:
    operation: str = "Unknown"
    ctx: RequestContext | None = None
    params: dict[str, Any] | None = field(default=None)


class GcpApp:
    name = "gcp"

    def __init__(self, core: Core, region: str) -> None:
        self.core = core
        self.region = region

    @staticmethod
    def serves(path: str) -> bool:
        return path.startswith(PREFIX) or path == TOKEN_PATH

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(unique_id())
        trace = _Trace()
        if request.path == TOKEN_PATH:
            return self._token(request, request_id, trace)
        error: GoogleError | None = None
        body: dict[str, Any] = {}
        try:
            body = self._handle(request, request_id, trace)
        except Exception as exc:
            error = self._wire_error(exc, request_id)
        try:
            self._record(request, request_id, trace, error.status if error else None, error.message if error else None)
        except Exception:
            error = INTERNAL
        facts = {"frontend": "gcp", "request_id": request_id, "operation": trace.operation,
                 "error": error.status if error else None}
        if error is not None:
            payload = {"error": {"code": error.code, "message": error.message, "status": error.status}}
            headers = _CHALLENGE if error.code == 401 else []
            return HttpResponse(error.code, orjson.dumps(payload), CONTENT_TYPE, list(headers), facts)
        return HttpResponse(200, orjson.dumps(body), CONTENT_TYPE, [], facts)

    def key_to_make_first(self, request: HttpRequest) -> str | None:
        """The RSA key spec a CreateCryptoKey (or CreateImportJob: the key ring's wrapping key) will generate, so a
        server can make it in a worker thread first (``Core.make_key_ahead``); None for every other request, and for
        a caller without a valid bearer token (nobody else can make the server generate)."""
        if request.method != "POST" or not request.path.startswith(PREFIX):
            return None
        token = _bearer(request.headers.get("authorization", ""))
        try:
            self.core.workload_identities.authenticate_bearer(GCP_SERVICE_ACCOUNT, token or "",
                                                              (KMS_AUDIENCE, *host_urls(request, "/")))
        except StrongroomError:
            return None
        try:
            target = parse_path(request.path[len("/v1/"):].rstrip("/"))
            if target.collection == "importJobs" and not target.verb:
                return "RSA_4096"
            if target.collection != "cryptoKeys" or target.verb:
                return None
            template = _body(request).get("versionTemplate")
            name = ALGORITHM.parse(template.get("algorithm") if isinstance(template, dict) else None, "algorithm")
        except GoogleError:
            return None
        spec = ALGORITHMS[name].key_spec if name in ALGORITHMS else None
        return spec if spec is not None and spec.startswith("RSA_") else None

    @staticmethod
    def audit_failed(exc: Exception) -> HttpResponse:
        if isinstance(exc, SealedError | DependencyUnavailableError):
            return google_error(503, "UNAVAILABLE", "the audit trail could not be written; retry")
        return google_error(500, "INTERNAL", "Internal error encountered.")

    # --- the token endpoint ---------------------------------------------------------------------

    def _token(self, request: HttpRequest, request_id: str, trace: _Trace) -> HttpResponse:
        trace.operation = TOKEN_OPERATION
        status, answer, error_code, error_message = 200, {}, None, None
        try:
            if request.method != "POST":
                raise OAuthError("invalid_request", "The token endpoint accepts POST only.", 405)
            self.core.front_door.check_unsealed()
            granted = grant(self.core, request)
            trace.ctx = RequestContext(self.core.workload_identities.caller(granted.identity), self.region,
                                       request.client_ip, request.secure, request_id, "gcp")
            trace.params = {"grantType": "jwt-bearer", "serviceAccount": granted.identity.identity_id}
            self.core.front_door.admit(trace.ctx, TOKEN_OPERATION)
            answer = {"access_token": granted.token, "expires_in": granted.expires_in, "token_type": "Bearer"}
        except OAuthError as exc:
            status, error_code, error_message = exc.status, exc.error, exc.description
            answer = {"error": exc.error, "error_description": exc.description}
        except Exception as exc:
            mapped = self._wire_error(exc, request_id)
            status, error_code, error_message = mapped.code, mapped.status, mapped.message
            answer = {"error": "temporarily_unavailable" if status in (429, 503) else "server_error",
                      "error_description": mapped.message}
        try:
            self._record(request, request_id, trace, error_code, error_message)
        except Exception:
            status, answer = 500, {"error": "server_error", "error_description": "Internal error encountered."}
        facts = {"frontend": "gcp", "request_id": request_id, "operation": trace.operation, "error": error_code}
        return HttpResponse(status, orjson.dumps(answer), CONTENT_TYPE, [("Cache-Control", "no-store")], facts)

    # --- the KMS API ----------------------------------------------------------------------------

    def _handle(self, request: HttpRequest, request_id: str, trace: _Trace) -> dict[str, Any]:
        path = request.path[len("/v1/"):].rstrip("/")
        query = parse_qs(request.query, keep_blank_values=True)
        trace.params = {"name": path, **{k: v[0] for k, v in query.items() if k != "$alt"}}
        routed: tuple[Any, ...] | None = None
        route_error: GoogleError | None = None
        try:
            target = parse_path(path)
            operation, handler = route(request.method, target, path)
            routed = (target, operation, handler)
            trace.operation = operation
        except GoogleError as exc:
            route_error = exc
        self.core.front_door.check_unsealed()
        token = _bearer(request.headers.get("authorization", ""))
        if not token:
            raise AuthenticationError("no bearer token")
        identity = self.core.workload_identities.authenticate_bearer(
            GCP_SERVICE_ACCOUNT, token, (KMS_AUDIENCE, *host_urls(request, "/")))
        ctx = trace.ctx = RequestContext(self.core.workload_identities.caller(identity), self.region,
                                         request.client_ip, request.secure, request_id, "gcp")
        if route_error is not None:
            raise route_error
        assert routed is not None
        target, operation, handler = routed
        if target.name.project != identity.tenant:
            raise GoogleError(403, "PERMISSION_DENIED", f"Permission denied on resource project "
                              f"{target.name.project} (or it may not exist).")
        body = _body(request) if request.method in ("POST", "PATCH") else {}
        trace.params.update({k: v for k, v in body.items() if k not in _SECRET_MEMBERS})
        self.core.front_door.admit(ctx, operation)
        numeric = any("enum-encoding=int" in v for v in query.get("$alt", []))
        return handler(Call(self.core, ctx, identity, request.method, target, body, query, numeric))

    def _record(self, request: HttpRequest, request_id: str, trace: _Trace, error_code: str | None,
                error_message: str | None) -> None:
        self.core.front_door.record(partial(
            audit_event, request=request, request_id=request_id, now=self.core.clock.now(),
            operation=trace.operation, admin=False, ctx=trace.ctx, params=trace.params, response=None,
            error_code=error_code, error_message=error_message, protocol="gcp", event_source=EVENT_SOURCE,
            read_only=trace.operation in READ_ONLY))

    @staticmethod
    def _wire_error(exc: Exception, request_id: str) -> GoogleError:
        if isinstance(exc, GoogleError):
            return exc
        if isinstance(exc, StrongroomError):
            error = google_error_for(exc)
            if error.code >= 500 and not isinstance(exc, SealedError):
                log.error("gcp request %s failed: %r", request_id, exc)
            return error
        log.exception("gcp request %s failed unexpectedly", request_id)
        return INTERNAL


def _bearer(value: str) -> str:
    return value[7:].strip() if value[:7].lower() == "bearer " else ""


def _body(request: HttpRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    try:
        body = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        raise invalid("Invalid JSON payload received. The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received. The request body must be a JSON object.")
    return body
