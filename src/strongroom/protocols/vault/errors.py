"""Vault's error shape: ``{"errors": [message, ...]}`` with Vault's status; core errors mapped by class.

Vault answers 400 for a request it refuses, 403 for a missing, bad or insufficient token, 404 for an unknown
path or key, 429 when rate-limited, 503 while sealed and 500 for its own faults (a body that says nothing).
"""

from __future__ import annotations

from strongroom import errors


class VaultError(Exception):
    """An error decided in the adapter itself (routing, parsing)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_STATUS: dict[type[errors.StrongroomError], int] = {
    errors.InvalidRequestError: 400,
    errors.NotFoundError: 404,
    errors.AlreadyExistsError: 400,
    errors.InvalidCiphertextError: 400,
    errors.IncorrectKeyError: 400,
    errors.InvalidSignatureError: 400,
    errors.InvalidMacError: 400,
    errors.IncorrectKeyMaterialError: 400,
    errors.InvalidImportTokenError: 400,
    errors.KeyStateError: 400,
    errors.KeyUsageError: 400,
    errors.UnsupportedError: 400,
    errors.LimitExceededError: 400,
    errors.MalformedPolicyError: 400,
    errors.ThrottledError: 429,
    errors.AccessDeniedError: 403,
    errors.AuthenticationError: 403,
    errors.SealedError: 503,
    errors.InternalError: 500,
}
INTERNAL = VaultError(500, "internal error")


def vault_error_for(exc: errors.StrongroomError) -> VaultError:
    for cls in type(exc).__mro__:
        status = _STATUS.get(cls)  # type: ignore[call-overload]
        if status is not None:
            if status >= 500 and not isinstance(exc, errors.SealedError):
                return INTERNAL
            if isinstance(exc, errors.AuthenticationError | errors.AccessDeniedError):
                return VaultError(403, "permission denied")
            if isinstance(exc, errors.InvalidCiphertextError) and not exc.message:
                return VaultError(400, "invalid ciphertext: unable to decrypt")
            return VaultError(status, exc.message or type(exc).__name__)
    return INTERNAL
