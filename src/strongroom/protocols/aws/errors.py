"""AWS's error shape: ``{"__type": <code>, "message": ...}`` with a status; core errors mapped by class.

Client errors answer 400 (as AWS KMS does for its modelled exceptions); our own faults answer 5xx, which
SDKs retry, with a body that says nothing internal.
"""

from __future__ import annotations

from strongroom import errors


class AwsError(Exception):
    """An error decided in the adapter itself (authentication, framing, unknown operation)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


_CODES: dict[type[errors.StrongroomError], tuple[str, int]] = {
    errors.InvalidAliasNameError: ("InvalidAliasNameException", 400),
    errors.InvalidArnError: ("InvalidArnException", 400),
    errors.InvalidMarkerError: ("InvalidMarkerException", 400),
    errors.TagError: ("TagException", 400),
    errors.InvalidRequestError: ("ValidationException", 400),
    errors.NotFoundError: ("NotFoundException", 400),
    errors.AlreadyExistsError: ("AlreadyExistsException", 400),
    errors.InvalidCiphertextError: ("InvalidCiphertextException", 400),
    errors.IncorrectKeyError: ("IncorrectKeyException", 400),
    errors.InvalidSignatureError: ("KMSInvalidSignatureException", 400),
    errors.InvalidMacError: ("KMSInvalidMacException", 400),
    errors.IncorrectKeyMaterialError: ("IncorrectKeyMaterialException", 400),
    errors.ExpiredImportTokenError: ("ExpiredImportTokenException", 400),
    errors.InvalidImportTokenError: ("InvalidImportTokenException", 400),
    errors.DisabledError: ("DisabledException", 400),
    errors.KeyStateError: ("KMSInvalidStateException", 400),
    errors.KeyUsageError: ("InvalidKeyUsageException", 400),
    errors.UnsupportedError: ("UnsupportedOperationException", 400),
    errors.LimitExceededError: ("LimitExceededException", 400),
    errors.ThrottledError: ("ThrottlingException", 400),
    errors.MalformedPolicyError: ("MalformedPolicyDocumentException", 400),
    errors.AccessDeniedError: ("AccessDeniedException", 400),
    errors.ExpiredCredentialsError: ("ExpiredTokenException", 400),
    errors.AuthenticationError: ("UnrecognizedClientException", 400),
    errors.WouldSucceed: ("DryRunOperationException", 412),
    errors.SealedError: ("KMSInternalException", 503),
    errors.DependencyUnavailableError: ("DependencyTimeoutException", 503),
    errors.InternalError: ("KMSInternalException", 500),
}

_DEFAULT_MESSAGES = {
    "InvalidCiphertextException": "The ciphertext is invalid, was altered, or was encrypted under a different "
                                  "encryption context.",
    "KMSInternalException": "An internal error occurred. Please retry.",
    "KMSInvalidSignatureException": "The signature verification failed.",
    "KMSInvalidMacException": "The HMAC verification failed.",
    "DryRunOperationException": "The request would have succeeded, but the DryRun parameter was set.",
    "DependencyTimeoutException": "The system timed out while trying to fulfill the request. Please retry.",
}


def aws_error_for(exc: errors.StrongroomError) -> AwsError:
    """The wire error for a core error, found by walking the class hierarchy (most specific first)."""
    if isinstance(exc, errors.InvalidGrantError):
        return AwsError("InvalidGrantTokenException" if exc.token else "InvalidGrantIdException", exc.message)
    for cls in type(exc).__mro__:
        if cls in _CODES:
            code, status = _CODES[cls]  # type: ignore[index]
            if status >= 500 and not isinstance(exc, errors.SealedError):
                return AwsError(code, _DEFAULT_MESSAGES[code], status)
            return AwsError(code, exc.message or _DEFAULT_MESSAGES.get(code, code), status)
    return internal_error()


def internal_error() -> AwsError:
    return AwsError("KMSInternalException", _DEFAULT_MESSAGES["KMSInternalException"], 500)
