"""A Transit key's settings as Vault takes them, read by the Vault adapter's own rules (its create request's), so a
seeded Transit key is exactly the key that a Vault create with the same parameters makes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from strongroom.protocols.vault.transit.keys import key_settings

VAULT_SETTINGS = ("type", "exportable", "derived", "convergent_encryption", "allow_plaintext_backup",
                  "auto_rotate_period", "key_size")
# Attributes fixed when a key is made (a seed cannot change them on a key that exists).
FIXED_ATTRIBUTES = ("vault.type", "vault.derived", "vault.convergent")
DELETION_ALLOWED = "vault.deletion_allowed"


@dataclass(frozen=True)
class TransitSettings:
    key_spec: str
    key_size: int | None
    exportable: bool
    attributes: dict[str, str]


def check_settings(settings: Mapping[str, object]) -> TransitSettings:
    """The key spec and attributes of a key made with these Vault parameters (InvalidRequestError if Vault would
    refuse them)."""
    spec, key_size, exportable, attributes = key_settings(dict(settings))
    return TransitSettings(spec, key_size, exportable, attributes)
