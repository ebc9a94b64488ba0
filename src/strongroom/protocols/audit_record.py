"""CloudTrail-shaped audit records: the one rendering of a request's audit event, for every protocol.

The event itself is neutral: who (the caller), which protocol and operation, the key and key version the core
noted as used (``RequestContext.note``), how it ended, from where, and the request id. CloudTrail's shape is
how it is stored and shown (``strongroom audit``); a request of another protocol than AWS's says so in
``eventSource`` and ``additionalEventData.protocol``, and the key version used is in
``additionalEventData.keyVersion``.

Recorded: who (userIdentity), what (eventName, requestParameters), on which key (resources), from where, and
how it ended (errorCode/errorMessage or responseElements). Never recorded: plaintext, ciphertext, key material,
secrets or grant tokens — every bytes value is dropped, and so are the members named in ``_SECRET_MEMBERS``.
The encryption context is recorded, as AWS does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from strongroom.domain.audit import AuditEvent
from strongroom.domain.context import Caller, RequestContext
from strongroom.domain.unique_ids import unique_id

EVENT_VERSION = "1.08"
EVENT_SOURCE = "kms.amazonaws.com"
_SECRET_MEMBERS = frozenset({"GrantTokens", "GrantToken", "SecretAccessKey", "SessionToken", "Plaintext"})
_READ_ONLY = re.compile(r"^(Describe|List|Get|Encrypt$|Decrypt$|ReEncrypt$|GenerateDataKey|GenerateRandom$|"
                        r"GenerateMac$|VerifyMac$|Sign$|Verify$|DeriveSharedSecret$|Encapsulate$|Decapsulate$)")
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/\d{8}/([^/]+)/")
_KEY_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class AuditSource(Protocol):
    """Where a request came from, as its audit record shows it: an HTTP request, or a :class:`RequestSource`."""

    @property
    def client_ip(self) -> str: ...

    @property
    def secure(self) -> bool: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class RequestSource:
    """The source of a request that did not come over HTTP (a KMIP message over mutual TLS)."""

    client_ip: str
    secure: bool = True
    headers: Mapping[str, str] = field(default_factory=dict)


@lru_cache(maxsize=1024)
def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


@lru_cache(maxsize=4)
def _event_time(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _loggable(value: Any) -> Any:
    """Member names in lowerCamelCase (as CloudTrail writes them), with secrets and binary values removed."""
    if isinstance(value, dict):
        return {_camel(k): _loggable(v) for k, v in value.items()
                if k not in _SECRET_MEMBERS and not isinstance(v, bytes)}
    if isinstance(value, list):
        return [_loggable(v) for v in value if not isinstance(v, bytes)]
    return value


def _key_arn(ctx: RequestContext | None, params: dict[str, Any] | None, response: dict[str, Any] | None) -> str | None:
    """The key a request concerned, as an ARN, when it can be told."""
    candidates: list[Any] = []
    if response:
        candidates += [(response.get("KeyMetadata") or {}).get("Arn"), response.get("KeyId")]
    if params:
        candidates += [params.get("KeyId"), params.get("TargetKeyId"), params.get("DestinationKeyId")]
    for value in candidates:
        if not isinstance(value, str):
            continue
        if value.startswith("arn:aws:kms:") and ":key/" in value:
            return value
        if ctx is not None and _KEY_ID.match(value):
            return f"arn:aws:kms:{ctx.region}:{ctx.caller.account_id}:key/{value}"
    return None


def _identity(ctx: RequestContext | None, request: AuditSource) -> dict[str, Any]:
    if ctx is None:
        found = _CREDENTIAL.search(request.headers.get("authorization", ""))
        return {"type": "Unknown", "accessKeyId": found.group(1)} if found else {"type": "Unknown"}
    return _caller_identity(ctx.caller)


@lru_cache(maxsize=1024)
def _caller_identity(caller: Caller) -> dict[str, Any]:
    """Shared by every record of one caller: records are only ever serialized, never changed."""
    identity = {"type": "Root" if caller.is_root else "IAMUser", "principalId": caller.account_id if caller.is_root
                else f"{caller.account_id}:{caller.user_name}", "arn": caller.principal_arn,
                "accountId": caller.account_id, "accessKeyId": caller.access_key_id}
    if not caller.is_root:
        identity["userName"] = caller.user_name
    return identity


@lru_cache(maxsize=256)
def _read_only(operation: str) -> bool:
    return bool(_READ_ONLY.match(operation))


def audit_event(*, request: AuditSource, request_id: str, now: float, operation: str, admin: bool,
                ctx: RequestContext | None, params: dict[str, Any] | None, response: dict[str, Any] | None,
                error_code: str | None, error_message: str | None, protocol: str = "aws",
                event_source: str = EVENT_SOURCE, read_only: bool | None = None) -> AuditEvent:
    noted = ctx.note if ctx is not None else None
    key_arn = noted.key_arn if noted is not None else None
    if key_arn is None and protocol == "aws":  # a request refused before the core looked its key up
        key_arn = _key_arn(ctx, params, response)
    read_only = _read_only(operation) if read_only is None else read_only
    region = ctx.region if ctx is not None else None
    if region is None and (found := _CREDENTIAL.search(request.headers.get("authorization", ""))):
        region = found.group(2)
    # CloudTrail's member order; members without a value are left out.
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": _identity(ctx, request),
        "eventTime": _event_time(int(now)),
        "eventSource": "strongroom-admin" if admin else event_source,
        "eventName": operation,
    }
    if region is not None:
        record["awsRegion"] = region
    record["sourceIPAddress"] = request.client_ip
    record["userAgent"] = request.headers.get("user-agent", "")
    if params is not None:
        record["requestParameters"] = _loggable(params)
    if response is not None and not read_only:
        record["responseElements"] = _loggable(response)
    record["requestID"] = request_id
    record["eventID"] = unique_id()
    record["readOnly"] = read_only
    record["resources"] = ([{"accountId": key_arn.split(":")[4], "type": "AWS::KMS::Key", "ARN": key_arn}]
                           if key_arn else [])
    record["eventType"] = "AwsApiCall"
    record["managementEvent"] = True
    if ctx is not None:
        record["recipientAccountId"] = ctx.caller.account_id
    record["eventCategory"] = "Management"
    extra: dict[str, Any] = {} if protocol == "aws" else {"protocol": protocol}
    if noted is not None and noted.key_version is not None:
        extra["keyVersion"] = noted.key_version
    if extra:
        record["additionalEventData"] = extra
    if request.secure:
        record["tlsDetails"] = {"clientProvidedHostHeader": request.headers.get("host", "")}
    if error_code is not None:
        record["errorCode"] = error_code
        record["errorMessage"] = error_message
    return AuditEvent(now, record["eventID"], operation, ctx.caller.principal_arn if ctx is not None else None,
                      key_arn, error_code, record)
