"""The AWS KMS front door: one HTTP request in, one JSON 1.1 response out.

Order of checks: framing → SigV4 → operation → JSON body → model validation → core call. Every failure,
including our own bugs, leaves as an AWS-shaped JSON error; a 5xx never says what went wrong inside.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson

from strongroom.domain.context import AccessKey, Caller, RequestContext
from strongroom.domain.unique_ids import unique_id
from strongroom.errors import SealedError, StrongroomError
from strongroom.protocols.audit_record import audit_event
from strongroom.protocols.aws.admin import ADMIN_OPERATIONS
from strongroom.protocols.aws.admin import TARGET_PREFIX as ADMIN_PREFIX
from strongroom.protocols.aws.errors import AwsError, aws_error_for, internal_error
from strongroom.protocols.aws.model import KmsModel, ValidationFailure
from strongroom.protocols.aws.operations import OPERATIONS
from strongroom.protocols.aws.sigv4 import SigV4Error, SigV4Verifier
from strongroom.protocols.http import HttpRequest, HttpResponse
from strongroom.service.core import Core

log = logging.getLogger("strongroom.aws")

TARGET_PREFIX = "TrentService."
CONTENT_TYPE = "application/x-amz-json-1.1"
_ACCEPTED_CONTENT_TYPES = (CONTENT_TYPE, "application/json")
_MAX_CALLERS = 4096
# Requests that generate an RSA key, and the member naming its spec.
_MAKES_A_KEY = {"CreateKey": ("KeySpec", "CustomerMasterKeySpec"), "GenerateDataKeyPair": ("KeyPairSpec",),
                "GenerateDataKeyPairWithoutPlaintext": ("KeyPairSpec",), "GetParametersForImport": ("WrappingKeySpec",)}


@dataclass(slots=True)
class _Trace:
    """What the audit record needs to know of a request, filled in as far as the request got."""

    operation: str = "Unknown"
    admin: bool = False
    ctx: RequestContext | None = None
    params: dict[str, Any] | None = None


def _encode(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot render {type(value).__name__}")


class AwsKmsApp:
    def __init__(self, core: Core, model: KmsModel | None = None) -> None:
        self.core = core
        self.model = model or KmsModel()
        self.verifier = SigV4Verifier(core.credentials.lookup, now=core.clock.now)
        core.register_cache(self.verifier.signing_keys)  # dropped with every other secret-derived cache
        self._callers: dict[str, tuple[AccessKey, Caller]] = {}
        core.register_cache(self._callers)  # holds access keys (with their secrets): dropped on seal
        missing = self.model.operation_names - OPERATIONS.keys()
        self._unsupported = frozenset(missing)

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = unique_id()
        trace = _Trace()
        error: AwsError | None = None
        try:
            body = self._handle(request, request_id, trace)
        except Exception as exc:
            error = self._wire_error(exc, request, request_id)
            body = {"__type": error.code, "message": error.message}
        try:
            self._audit(request, request_id, trace, None if error else body, error)
        except Exception:
            error = internal_error()  # no answer leaves without its audit event
            body = {"__type": error.code, "message": error.message}
        headers = [("x-amzn-RequestId", request_id)]
        status = error.status if error else 200
        facts = {"frontend": "aws", "request_id": request_id, "operation": trace.operation,
                 "principal": trace.ctx.caller.principal_arn if trace.ctx else None,
                 "key": trace.params.get("KeyId") if trace.params else None,
                 "error": error.code if error else None}
        return HttpResponse(status, orjson.dumps(body, default=_encode), CONTENT_TYPE, headers, facts)

    def _audit(self, request: HttpRequest, request_id: str, trace: _Trace, response: dict[str, Any] | None,
               error: AwsError | None) -> None:
        self.core.front_door.record(partial(  # built with the rest of its batch, see AuditTrail.record
            audit_event, request=request, request_id=request_id, now=self.core.clock.now(),
            operation=trace.operation, admin=trace.admin, ctx=trace.ctx, params=trace.params, response=response,
            error_code=error.code if error else None, error_message=error.message if error else None))

    @staticmethod
    def _wire_error(exc: Exception, request: HttpRequest, request_id: str) -> AwsError:
        """Every failure as AWS's error shape; faults of ours are logged here and told to nobody else."""
        if isinstance(exc, AwsError):
            return exc
        operation = request.headers.get("x-amz-target", "")
        if isinstance(exc, StrongroomError):
            error = aws_error_for(exc)
            if error.status >= 500 and not isinstance(exc, SealedError):  # sealed is a state, not a fault
                log.error("%s failed (request %s): %r", operation, request_id, exc)
            return error
        log.exception("%s failed unexpectedly (request %s)", operation, request_id)
        return internal_error()

    def _handle(self, request: HttpRequest, request_id: str, trace: _Trace) -> dict[str, Any]:
        target = self._target(request)
        trace.admin = target.startswith(ADMIN_PREFIX)
        trace.operation = target.split(".", 1)[1]
        self.core.front_door.check_unsealed()
        try:
            verified = self.verifier.verify(request)
        except SigV4Error as exc:
            raise AwsError(exc.code, exc.message, exc.status) from None
        key = verified.access_key
        self.core.credentials.check_session(key, verified.session_token)
        ctx = trace.ctx = RequestContext(self._caller(key), verified.region, request.client_ip, request.secure,
                                         request_id)
        if trace.admin:
            admin = ADMIN_OPERATIONS.get(trace.operation)
            if admin is None:
                raise AwsError("UnknownOperationException", f"Unknown operation {target}")
            trace.params = self._body(request)
            return admin(self.core, ctx, trace.params) or {}
        operation = target[len(TARGET_PREFIX):]
        if operation not in OPERATIONS:
            if operation in self._unsupported:
                raise AwsError("UnsupportedOperationException",
                               f"{operation} is not supported by this server yet.")
            raise AwsError("UnknownOperationException", f"Unknown operation {target}")
        self.core.front_door.admit(ctx, operation)
        params = trace.params = self._params(operation, request)
        if "GrantTokens" in params:
            self.core.grants.check_tokens(params["GrantTokens"])
        return OPERATIONS[operation](self.core, ctx, params) or {}

    @staticmethod
    def audit_failed(exc: Exception) -> HttpResponse:
        """The answer that replaces one whose audit batch could not be written: retryable, a 503
        ``DependencyTimeoutException`` when the store is unreachable."""
        error = aws_error_for(exc) if isinstance(exc, StrongroomError) else internal_error()
        return HttpResponse(error.status, orjson.dumps({"__type": error.code, "message": error.message}))

    def key_to_make_first(self, request: HttpRequest) -> str | None:
        """The RSA key spec this request will generate, if it names one and is signed by a known access key: the
        server makes that key off its event loop before handling the request (``Core.make_key_ahead``). Nothing
        else is checked here (the handler does it all); an unsigned request never makes the server generate."""
        target = request.headers.get("x-amz-target", "")
        members = _MAKES_A_KEY.get(target[len(TARGET_PREFIX):]) if target.startswith(TARGET_PREFIX) else None
        if members is None or b"RSA_" not in request.body:
            return None
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(body, dict) or body.get("Origin", "AWS_KMS") != "AWS_KMS":
            return None
        spec = next((v for v in map(body.get, members) if isinstance(v, str) and v.startswith("RSA_")), None)
        if spec is None:
            return None
        try:
            self.verifier.verify(request)
        except SigV4Error:
            return None
        return spec

    def _caller(self, key: AccessKey) -> Caller:
        """One Caller per access key while the credentials cache holds that key (keyed by its object)."""
        cached = self._callers.get(key.access_key_id)
        if cached is None or cached[0] is not key:
            if len(self._callers) >= _MAX_CALLERS:
                self._callers.clear()
            cached = self._callers[key.access_key_id] = (
                key, Caller(key.account_id, key.access_key_id, key.principal_arn, key.user_name))
        return cached[1]

    @staticmethod
    def _target(request: HttpRequest) -> str:
        if request.method != "POST" or request.path != "/":
            raise AwsError("UnknownOperationException",
                           "This endpoint serves the AWS KMS API: POST / with an X-Amz-Target header.")
        target = request.headers.get("x-amz-target", "")
        if not target.startswith((TARGET_PREFIX, ADMIN_PREFIX)) or target.endswith("."):
            raise AwsError("UnknownOperationException", f"Unknown operation {target or '(no X-Amz-Target)'}")
        return target

    def _params(self, operation: str, request: HttpRequest) -> dict[str, Any]:
        try:
            return self.model.validate(operation, self._body(request))
        except ValidationFailure as exc:
            raise AwsError(exc.code, exc.message) from None

    @staticmethod
    def _body(request: HttpRequest) -> dict[str, Any]:
        content_type = request.headers.get("content-type", CONTENT_TYPE).split(";", 1)[0].strip().lower()
        if content_type not in _ACCEPTED_CONTENT_TYPES:
            raise AwsError("SerializationException", f"Unsupported Content-Type {content_type}; "
                                                     f"expected {CONTENT_TYPE}")
        try:
            body = orjson.loads(request.body) if request.body else {}
        except orjson.JSONDecodeError:
            raise AwsError("SerializationException", "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise AwsError("SerializationException", "The request body must be a JSON object.")
        return body
