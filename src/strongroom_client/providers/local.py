"""The ``local`` provider: the master key is 96 bytes the application holds.

``kms_providers`` entry: ``{"key": <96 bytes, or their base64>}``. ``masterKey`` stored: ``{"provider": name}``.
``keyMaterial`` is the data key encrypted with AEAD_AES_256_CBC_HMAC_SHA_512 under the local key, with a random
IV and no associated data: 16 + 112 + 32 = 160 bytes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from strongroom_client.crypto import aead
from strongroom_client.errors import ConfigurationError, DecryptionError, KmsError
from strongroom_client.providers.base import DATA_KEY_BYTES, check_data_key, check_fields


class LocalProvider:
    """A ``local`` (or ``local:<name>``) provider. The key is held privately and never printed."""

    __slots__ = ("_key", "_name")

    def __init__(self, name: str, credentials: Mapping[str, Any]) -> None:
        if set(credentials) != {"key"}:
            raise ConfigurationError(f"kms_providers[{name!r}] must have exactly one field, 'key'")
        self._name = name
        self._key = _key_bytes(name, credentials["key"])

    def __repr__(self) -> str:
        return f"LocalProvider({self._name!r}, key=<secret>)"

    def __reduce__(self) -> Any:
        raise TypeError("a provider holding a master key cannot be pickled")

    @property
    def name(self) -> str:
        return self._name

    def master_key_document(self, master_key: Mapping[str, Any] | None) -> dict[str, Any]:
        given = dict(master_key or {})
        given.pop("provider", None)
        check_fields(f"master key for {self._name!r}", given, (), ())
        return {"provider": self._name}

    def provision(self, master_key: Mapping[str, Any]) -> dict[str, Any]:
        return dict(master_key)

    def wrap(self, data_key: bytes, master_key: Mapping[str, Any]) -> bytes:
        return aead.encrypt(self._key, check_data_key(data_key, self._name), b"", deterministic=False)

    def unwrap(self, key_material: bytes, master_key: Mapping[str, Any]) -> bytes:
        try:
            data_key = aead.decrypt(self._key, key_material, b"")
        except DecryptionError:
            raise KmsError(f"the {self._name!r} master key does not unwrap this data key") from None
        if len(data_key) != DATA_KEY_BYTES:
            raise KmsError(f"the {self._name!r} master key unwrapped a data key of the wrong length")
        return data_key


def _key_bytes(name: str, value: Any) -> bytes:
    if isinstance(value, str):
        try:
            value = base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ConfigurationError(f"kms_providers[{name!r}]['key'] is not valid base64") from None
    if not isinstance(value, bytes | bytearray | memoryview) or len(value) != DATA_KEY_BYTES:
        raise ConfigurationError(f"kms_providers[{name!r}]['key'] must be {DATA_KEY_BYTES} bytes (or their base64)")
    return bytes(value)
