"""What a KMS provider is: something that wraps and unwraps 96-byte data keys under a master key.

A provider is configured from one entry of ``kms_providers`` (its credentials) and, for the network
providers, that entry's ``kms_tls_options``. The master key is the ``masterKey`` document stored in each
key document: :meth:`KmsProvider.master_key_document` turns what the caller passed to ``create_data_key``
into that document, checking its fields as strictly as libmongocrypt does.

Provider names are a kind (``local``, ``aws``, ``azure``, ``gcp``, ``kmip``), optionally followed by
``:<name>`` with ``name`` made of letters, digits and underscores (``"aws:prod"``); the full name is what
lands in ``masterKey.provider``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from strongroom_client.errors import ConfigurationError

DATA_KEY_BYTES = 96
KINDS = ("local", "aws", "azure", "gcp", "kmip")
_NAME = re.compile(r"^(?P<kind>[a-z]+)(?::(?P<suffix>[A-Za-z0-9_]+))?$")


class KmsProvider(Protocol):
    """One configured KMS provider."""

    @property
    def name(self) -> str:
        """The full provider name, e.g. ``"aws:prod"``."""
        ...

    def master_key_document(self, master_key: Mapping[str, Any] | None) -> dict[str, Any]:
        """The ``masterKey`` document to store for ``master_key`` (the ``create_data_key`` argument)."""
        ...

    def provision(self, master_key: Mapping[str, Any]) -> dict[str, Any]:
        """The master key document to wrap new data keys under: ``master_key`` itself, unless the provider
        makes the master key on the KMS when the document names none (``kmip`` without a ``keyId``)."""
        ...

    def wrap(self, data_key: bytes, master_key: Mapping[str, Any]) -> bytes:
        """Encrypt a 96-byte data key under the master key; the result is stored as ``keyMaterial``."""
        ...

    def unwrap(self, key_material: bytes, master_key: Mapping[str, Any]) -> bytes:
        """The 96-byte data key inside ``key_material``."""
        ...


def provider_kind(name: str) -> str:
    """The kind of a provider name (``"aws:prod"`` → ``"aws"``); :class:`ConfigurationError` if malformed."""
    match = _NAME.match(name) if isinstance(name, str) else None
    if match is None or match["kind"] not in KINDS:
        raise ConfigurationError(
            f"invalid KMS provider name {name!r}: expected one of {', '.join(KINDS)}, optionally followed by "
            "':<name>' (letters, digits, underscores)"
        )
    return match["kind"]


def check_fields(where: str, given: Mapping[str, Any], required: Iterable[str], optional: Iterable[str]) -> None:
    """Every required field present as a non-empty string, and no field outside ``required + optional``."""
    required = tuple(required)
    allowed = set(required) | set(optional)
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ConfigurationError(f"{where}: unexpected field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    for name in required:
        value = given.get(name)
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"{where}: {name!r} is required and must be a non-empty string")
    for name in allowed - set(required):
        if name in given and not isinstance(given[name], str):
            raise ConfigurationError(f"{where}: {name!r} must be a string")


def check_data_key(data_key: bytes, where: str) -> bytes:
    if len(data_key) != DATA_KEY_BYTES:
        raise ConfigurationError(f"{where}: a data key is {DATA_KEY_BYTES} bytes, got {len(data_key)}")
    return bytes(data_key)
