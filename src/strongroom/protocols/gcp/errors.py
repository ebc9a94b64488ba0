"""Google's error shape, ``{"error": {"code", "message", "status"}}``, and core errors mapped to it by class.

Google answers 400 INVALID_ARGUMENT or FAILED_PRECONDITION for requests it refuses, 401 UNAUTHENTICATED for
missing or bad credentials, 403 PERMISSION_DENIED, 404 NOT_FOUND, 409 ALREADY_EXISTS, 429 RESOURCE_EXHAUSTED,
503 UNAVAILABLE (retried by the clients, as are 5xx) and 500 INTERNAL with a body that says nothing.
"""

from __future__ import annotations

from strongroom import errors

UNAUTHENTICATED_MESSAGE = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                           "cookie or other valid authentication credential.")


class GoogleError(Exception):
    """An error decided in the adapter itself (routing, parsing, validation)."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


def invalid(message: str) -> GoogleError:
    return GoogleError(400, "INVALID_ARGUMENT", message)


def not_found(message: str) -> GoogleError:
    return GoogleError(404, "NOT_FOUND", message)


def failed_precondition(message: str) -> GoogleError:
    return GoogleError(400, "FAILED_PRECONDITION", message)


INTERNAL = GoogleError(500, "INTERNAL", "Internal error encountered.")
UNAVAILABLE = GoogleError(503, "UNAVAILABLE", "The service is currently unavailable; retry.")

_TABLE: dict[type[errors.StrongroomError], tuple[int, str]] = {
    errors.InvalidRequestError: (400, "INVALID_ARGUMENT"),
    errors.NotFoundError: (404, "NOT_FOUND"),
    errors.AlreadyExistsError: (409, "ALREADY_EXISTS"),
    errors.InvalidCiphertextError: (400, "INVALID_ARGUMENT"),
    errors.IncorrectKeyError: (400, "INVALID_ARGUMENT"),
    errors.InvalidSignatureError: (400, "INVALID_ARGUMENT"),
    errors.InvalidMacError: (400, "INVALID_ARGUMENT"),
    errors.IncorrectKeyMaterialError: (400, "INVALID_ARGUMENT"),
    errors.InvalidImportTokenError: (400, "INVALID_ARGUMENT"),
    errors.KeyStateError: (400, "FAILED_PRECONDITION"),
    errors.KeyUsageError: (400, "FAILED_PRECONDITION"),
    errors.UnsupportedError: (400, "INVALID_ARGUMENT"),
    errors.LimitExceededError: (429, "RESOURCE_EXHAUSTED"),
    errors.ThrottledError: (429, "RESOURCE_EXHAUSTED"),
    errors.MalformedPolicyError: (400, "INVALID_ARGUMENT"),
    errors.AccessDeniedError: (403, "PERMISSION_DENIED"),
    errors.AuthenticationError: (401, "UNAUTHENTICATED"),
    errors.SealedError: (503, "UNAVAILABLE"),
    errors.DependencyUnavailableError: (503, "UNAVAILABLE"),
    errors.InternalError: (500, "INTERNAL"),
}


def google_error_for(exc: errors.StrongroomError) -> GoogleError:
    for cls in type(exc).__mro__:
        found = _TABLE.get(cls)  # type: ignore[call-overload]
        if found is None:
            continue
        code, status = found
        if code == 500:
            return INTERNAL
        if code == 503:
            return GoogleError(503, status, exc.message or UNAVAILABLE.message)
        if isinstance(exc, errors.AuthenticationError):
            return GoogleError(401, status, UNAUTHENTICATED_MESSAGE)
        if isinstance(exc, errors.InvalidCiphertextError):
            return GoogleError(400, status, "Decryption failed: the ciphertext is invalid.")
        return GoogleError(code, status, exc.message or type(exc).__name__)
    return INTERNAL
