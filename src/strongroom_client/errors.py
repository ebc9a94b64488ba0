"""The errors of the client library. Messages never carry key material, plaintext or secrets.

StrongroomClientError
├── ConfigurationError      bad kms_providers, kms_tls_options, master key, endpoint or argument
├── KeyVaultError
│   ├── KeyNotFoundError    no data key with that id or key alt name
│   └── DuplicateKeyError   the id or a keyAltName is already taken
├── KmsError                the KMS refused a request or could not be reached
├── EncryptionError         a value the chosen algorithm cannot encrypt
└── DecryptionError         one opaque error for every ciphertext that does not decrypt
"""

from __future__ import annotations


class StrongroomClientError(Exception):
    """Root of every error the client library raises on purpose."""


class ConfigurationError(StrongroomClientError, ValueError):
    """A setting or argument the library refuses."""


class KeyVaultError(StrongroomClientError):
    """A key vault operation failed."""


class KeyNotFoundError(KeyVaultError, LookupError):
    """No data key with the requested ``_id`` or key alt name."""


class DuplicateKeyError(KeyVaultError):
    """A data key ``_id`` or a ``keyAltNames`` entry is already in use."""


class KmsError(StrongroomClientError):
    """A KMS answered with an error, answered nonsense, or could not be reached.

    ``status`` is the HTTP status (``None`` for a network failure) and ``error_type`` the KMS's error code
    (AWS ``__type`` without its namespace), when it sent one.
    """

    def __init__(self, message: str, *, status: int | None = None, error_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


class EncryptionError(StrongroomClientError, ValueError):
    """The value cannot be encrypted with the requested algorithm (for example a double, deterministically)."""


class DecryptionError(StrongroomClientError):
    """The ciphertext is malformed, was tampered with, or was not made with this data key."""
