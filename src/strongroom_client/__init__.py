"""Strongroom's client library: MongoDB-compatible client-side field-level encryption.

Encrypt individual values before they reach any database with data encryption keys kept in a key vault and
wrapped by a master key in a KMS (``local`` or ``aws``, which includes Strongroom). Ciphertexts and key
documents are byte-compatible with libmongocrypt, so MongoDB drivers read what this library writes.

    from strongroom_client import Algorithm, ClientEncryption

    with ClientEncryption({"local": {"key": master_key}}, "keyvault.db") as ce:
        key_id = ce.create_data_key("local", key_alt_names=["orders"])
        token = ce.encrypt("4111 1111 1111 1111", Algorithm.DETERMINISTIC, key_alt_name="orders")
        assert ce.decrypt(token) == "4111 1111 1111 1111"

This package imports nothing from the ``strongroom`` server package.
"""

from strongroom_client.cache import DekCache
from strongroom_client.ciphertext import Algorithm
from strongroom_client.client import ClientEncryption, RewrapResult
from strongroom_client.errors import (
    ConfigurationError,
    DecryptionError,
    DuplicateKeyError,
    EncryptionError,
    KeyNotFoundError,
    KeyVaultError,
    KmsError,
    StrongroomClientError,
)
from strongroom_client.keyvault import KeyVault, MemoryKeyVault, SqliteKeyVault, export_key_vault, import_key_vault

__all__ = [
    "Algorithm",
    "ClientEncryption",
    "ConfigurationError",
    "DecryptionError",
    "DekCache",
    "DuplicateKeyError",
    "EncryptionError",
    "KeyNotFoundError",
    "KeyVault",
    "KeyVaultError",
    "KmsError",
    "MemoryKeyVault",
    "RewrapResult",
    "SqliteKeyVault",
    "StrongroomClientError",
    "export_key_vault",
    "import_key_vault",
]
