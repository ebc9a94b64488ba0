"""The typed errors of the core.

Every layer below the protocol adapters raises one of these; each adapter maps the class to its own wire
shape (for AWS: ``{"__type", "message"}`` and an HTTP status). Messages are safe to show a caller: they
never carry key material, plaintext or secrets.

    StrongroomError
    ├── InvalidRequestError          input the core refuses (AWS ValidationException)
    │   ├── InvalidAliasNameError
    │   ├── InvalidArnError
    │   ├── InvalidMarkerError
    │   └── TagError
    ├── NotFoundError
    ├── InvalidGrantError            an unknown grant id or a malformed grant token
    ├── AlreadyExistsError
    ├── InvalidCiphertextError       one opaque error for every decrypt failure
    ├── IncorrectKeyError            the ciphertext was made under another key
    ├── InvalidSignatureError        Verify: the signature does not verify
    ├── InvalidMacError              VerifyMac: the MAC does not verify
    ├── IncorrectKeyMaterialError    imported material is invalid or not the material the key expects
    ├── InvalidImportTokenError      an import token that is not ours or is for another key
    │   └── ExpiredImportTokenError
    ├── KeyStateError                the key's state forbids the operation
    │   └── DisabledError
    ├── KeyUsageError
    ├── UnsupportedError
    ├── LimitExceededError
    ├── ThrottledError               over the request-rate quota (retryable)
    ├── MalformedPolicyError
    ├── AccessDeniedError
    ├── AuthenticationError          no valid credentials (the adapter says which way)
    │   └── ExpiredCredentialsError
    ├── WouldSucceed                 a check-only request would have succeeded (and did nothing)
    ├── SealedError                  the root of trust is not available (retryable)
    └── InternalError                a fault of ours; details go to the log, not the caller
        └── DependencyUnavailableError  the database is unreachable or timed out (retryable)
"""

from __future__ import annotations


class StrongroomError(Exception):
    """Root of every error the core raises on purpose."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class InvalidRequestError(StrongroomError):
    pass


class InvalidAliasNameError(InvalidRequestError):
    pass


class InvalidArnError(InvalidRequestError):
    pass


class InvalidMarkerError(InvalidRequestError):
    pass


class TagError(InvalidRequestError):
    pass


class NotFoundError(StrongroomError):
    pass


class InvalidGrantError(StrongroomError):
    def __init__(self, message: str = "", *, token: bool = False) -> None:
        super().__init__(message)
        self.token = token


class AlreadyExistsError(StrongroomError):
    pass


class InvalidCiphertextError(StrongroomError):
    pass


class IncorrectKeyError(StrongroomError):
    pass


class InvalidSignatureError(StrongroomError):
    pass


class InvalidMacError(StrongroomError):
    pass


class IncorrectKeyMaterialError(StrongroomError):
    pass


class InvalidImportTokenError(StrongroomError):
    pass


class ExpiredImportTokenError(InvalidImportTokenError):
    pass


class KeyStateError(StrongroomError):
    pass


class DisabledError(KeyStateError):
    pass


class KeyUsageError(StrongroomError):
    pass


class UnsupportedError(StrongroomError):
    pass


class LimitExceededError(StrongroomError):
    pass


class ThrottledError(StrongroomError):
    pass


class MalformedPolicyError(StrongroomError):
    pass


class AccessDeniedError(StrongroomError):
    pass


class AuthenticationError(StrongroomError):
    pass


class ExpiredCredentialsError(AuthenticationError):
    pass


class WouldSucceed(StrongroomError):
    pass


class SealedError(StrongroomError):
    pass


class InternalError(StrongroomError):
    pass


class DependencyUnavailableError(InternalError):
    pass
