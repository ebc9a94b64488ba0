"""Why a batch item failed, as KMIP says it: core errors mapped to a Result Reason by class, and the adapter's own.

Refusal             an error decided in the adapter itself (a field the operation cannot take, a usage mask)
StrongroomError     mapped through ``_REASONS`` by class (the most specific class first); messages are the core's,
                    which never carry secrets; a fault of ours answers General Failure with a message that says
                    nothing internal
"""

from __future__ import annotations

from strongroom import errors
from strongroom.protocols.kmip.enums import ResultReason
from strongroom.protocols.kmip.version import ProtocolVersion

INTERNAL_MESSAGE = "internal error"


class Refusal(Exception):
    """The adapter refuses an item: ``reason``, a message safe to send back, and a payload where the operation
    answers a failure with one (Check names the fields that failed)."""

    def __init__(self, reason: ResultReason, message: str, payload: object | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.payload = payload


_REASONS: dict[type[errors.StrongroomError], ResultReason] = {
    errors.NotFoundError: ResultReason.ITEM_NOT_FOUND,
    errors.AccessDeniedError: ResultReason.PERMISSION_DENIED,
    errors.AuthenticationError: ResultReason.PERMISSION_DENIED,
    errors.InvalidRequestError: ResultReason.INVALID_FIELD,
    errors.MalformedPolicyError: ResultReason.INVALID_FIELD,
    errors.IncorrectKeyMaterialError: ResultReason.INVALID_FIELD,
    errors.InvalidCiphertextError: ResultReason.CRYPTOGRAPHIC_FAILURE,
    errors.IncorrectKeyError: ResultReason.CRYPTOGRAPHIC_FAILURE,
    errors.InvalidSignatureError: ResultReason.CRYPTOGRAPHIC_FAILURE,
    errors.InvalidMacError: ResultReason.CRYPTOGRAPHIC_FAILURE,
    errors.KeyStateError: ResultReason.PERMISSION_DENIED,
    errors.KeyUsageError: ResultReason.PERMISSION_DENIED,
    errors.UnsupportedError: ResultReason.FEATURE_NOT_SUPPORTED,
    errors.AlreadyExistsError: ResultReason.OBJECT_ALREADY_EXISTS,
    errors.LimitExceededError: ResultReason.GENERAL_FAILURE,
    errors.ThrottledError: ResultReason.GENERAL_FAILURE,
    errors.SealedError: ResultReason.GENERAL_FAILURE,
    errors.InternalError: ResultReason.GENERAL_FAILURE,
}
# KMIP 2.0 has more precise reasons for some faults; 1.x clients get the 1.x ones above.
_REASONS_2_0: dict[type[errors.StrongroomError], ResultReason] = {
    errors.KeyStateError: ResultReason.WRONG_KEY_LIFECYCLE_STATE,
    errors.LimitExceededError: ResultReason.SERVER_LIMIT_EXCEEDED,
}


def reason_for(exc: errors.StrongroomError, version: ProtocolVersion) -> tuple[ResultReason, str]:
    """The Result Reason and Result Message of a core error."""
    for cls in type(exc).__mro__:
        reason = (_REASONS_2_0.get(cls) if version.major >= 2 else None) or _REASONS.get(cls)  # type: ignore[call-overload]
        if reason is None:
            continue
        if isinstance(exc, errors.InternalError) and not isinstance(exc, errors.DependencyUnavailableError):
            return reason, INTERNAL_MESSAGE
        if isinstance(exc, errors.InvalidCiphertextError) and not exc.message:
            return reason, "the data could not be decrypted"
        return reason, exc.message or type(exc).__name__
    return ResultReason.GENERAL_FAILURE, INTERNAL_MESSAGE
