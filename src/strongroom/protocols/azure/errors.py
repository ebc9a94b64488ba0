"""Key Vault's error shape, ``{"error": {"code", "message"[, "innererror"]}}`` with its HTTP status; core errors
mapped by class in one table. The identity platform's own shape (``{"error", "error_description", …}``) is in
``identity.py``.

A 5xx body says nothing internal: the log and the audit trail say it all.
"""

from __future__ import annotations

from strongroom import errors


class AzureError(Exception):
    """An error decided in the adapter (routing, parsing, the key's Azure attributes), or a core error mapped."""

    def __init__(self, status: int, code: str, message: str, inner: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.inner = inner


def bad_parameter(message: str) -> AzureError:
    return AzureError(400, "BadParameter", message)


def key_not_found(name: str) -> AzureError:
    return AzureError(404, "KeyNotFound", f"A key with (name/id) {name} was not found in this key vault. If you "
                                          "recently deleted this key you may be able to recover it using the "
                                          "correct recovery command.")


def forbidden(message: str, inner: str | None = None) -> AzureError:
    return AzureError(403, "Forbidden", message, inner)


UNAUTHORIZED = AzureError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
INTERNAL = AzureError(500, "InternalServerError", "The service encountered an internal error; retry.")

_TABLE: list[tuple[type[errors.StrongroomError], int, str]] = [
    (errors.ExpiredCredentialsError, 401, "Unauthorized"),
    (errors.AuthenticationError, 401, "Unauthorized"),
    (errors.AccessDeniedError, 403, "Forbidden"),
    (errors.NotFoundError, 404, "KeyNotFound"),
    (errors.AlreadyExistsError, 409, "Conflict"),
    (errors.InvalidCiphertextError, 400, "BadParameter"),
    (errors.InvalidSignatureError, 400, "BadParameter"),
    (errors.IncorrectKeyMaterialError, 400, "BadParameter"),
    (errors.IncorrectKeyError, 400, "BadParameter"),
    (errors.KeyStateError, 403, "Forbidden"),
    (errors.KeyUsageError, 400, "BadParameter"),
    (errors.UnsupportedError, 400, "BadParameter"),
    (errors.LimitExceededError, 400, "QuotaExceeded"),
    (errors.ThrottledError, 429, "Throttled"),
    (errors.SealedError, 503, "ServiceUnavailable"),
    (errors.InvalidRequestError, 400, "BadParameter"),
    (errors.MalformedPolicyError, 400, "BadParameter"),
]


def azure_error_for(exc: errors.StrongroomError) -> AzureError:
    for cls, status, code in _TABLE:
        if isinstance(exc, cls):
            if isinstance(exc, errors.InvalidCiphertextError):
                return AzureError(status, code, "The ciphertext could not be decrypted.")
            if isinstance(exc, errors.ExpiredCredentialsError):
                return AzureError(status, code, "AKV10022: Invalid audience or token expired.", "TokenExpired")
            if isinstance(exc, errors.AuthenticationError):
                return AzureError(status, code, "AKV10032: Invalid issuer or signature: the bearer token is not "
                                                "valid.")
            if isinstance(exc, errors.AccessDeniedError):
                return AzureError(status, code, "The user, group or application does not have keys permission "
                                                "for this operation.", "ForbiddenByPolicy")
            if isinstance(exc, errors.KeyStateError):
                return AzureError(status, code, "Operation is not allowed on a disabled key.", "KeyDisabled")
            return AzureError(status, code, exc.message or type(exc).__name__)
    return INTERNAL
