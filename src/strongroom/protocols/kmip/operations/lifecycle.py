"""An object's lifecycle: Activate, Revoke, Destroy, and Check."""

from __future__ import annotations

from strongroom.protocols.kmip import report, stored
from strongroom.protocols.kmip.attributes import Attribute
from strongroom.protocols.kmip.call import Call
from strongroom.protocols.kmip.enums import ResultReason, RevocationReasonCode
from strongroom.protocols.kmip.request_payloads import CheckRequest, IdentifierRequest, RevokeRequest
from strongroom.protocols.kmip.response_payloads import CheckResponse, IdentifierResponse
from strongroom.protocols.kmip.results import Refusal
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import enumeration, text_string

_COMPROMISE = (RevocationReasonCode.KEY_COMPROMISE, RevocationReasonCode.CA_COMPROMISE)


def activate(call: Call, payload: IdentifierRequest) -> IdentifierResponse:
    uid = call.uid(payload.unique_identifier)
    call.core.managed_objects.activate(call.ctx, uid)
    return IdentifierResponse(uid)


def revoke(call: Call, payload: RevokeRequest) -> IdentifierResponse:
    uid = call.uid(payload.unique_identifier)
    call.params["revocationReasonCode"] = int(payload.revocation_reason_code)
    reason = Attribute.of(Tag.REVOCATION_REASON, (
        enumeration(Tag.REVOCATION_REASON_CODE, payload.revocation_reason_code),
        *([text_string(Tag.REVOCATION_MESSAGE, payload.revocation_message)] if payload.revocation_message else [])))
    call.core.managed_objects.revoke(
        call.ctx, uid, compromised=payload.revocation_reason_code in _COMPROMISE,
        occurred_at=payload.compromise_occurrence_date,
        attributes=stored.with_values({}, "Revocation Reason", None, [reason]))
    return IdentifierResponse(uid)


def destroy(call: Call, payload: IdentifierRequest) -> IdentifierResponse:
    uid = call.uid(payload.unique_identifier)
    call.core.managed_objects.destroy(call.ctx, uid)
    return IdentifierResponse(uid)


def check(call: Call, payload: CheckRequest) -> CheckResponse:
    """The object exists, the caller may see it, and it allows every use the mask names; no usage limits or
    leases are kept here, so a check of those fails."""
    uid = call.uid(payload.unique_identifier)
    managed = call.core.managed_objects.get(call.ctx, uid)
    if payload.usage_limits_count is not None or payload.lease_time is not None:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "no usage limits or leases are kept here")
    if payload.cryptographic_usage_mask is not None:
        allowed = report.usage_mask(managed)
        if payload.cryptographic_usage_mask & ~allowed:
            raise Refusal(ResultReason.ILLEGAL_OPERATION,
                          "the object's Cryptographic Usage Mask does not allow every use checked",
                          CheckResponse(uid, cryptographic_usage_mask=payload.cryptographic_usage_mask))
    if managed.state.destroyed:
        raise Refusal(ResultReason.ILLEGAL_OPERATION, f"the object is {managed.state.value}")
    return CheckResponse(uid, cryptographic_usage_mask=payload.cryptographic_usage_mask)
