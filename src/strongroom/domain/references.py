"""Which key a request names, in the core's terms, and key ids.

Each protocol adapter turns its own way of naming a key (an AWS KeyId or ARN, a Vault key name, a KMIP unique
identifier, …) into a ``KeyRef``; the core resolves it. A plain string, where a ``KeyRef`` is accepted, is a key id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyRef:
    """A key id, an alias, or a name in a name space; pinned to an owner account and region when the
    reference says so (naming another account's key), and to one version when it says that.

    ``text`` is the reference as the caller wrote it, quoted back in errors."""

    key_id: str | None = None
    alias: str | None = None
    name_space: str | None = None
    name: str | None = None
    account_id: str | None = None
    region: str | None = None
    version: int | None = None
    text: str = ""

    @classmethod
    def of(cls, ref: KeyRef | str) -> KeyRef:
        return ref if isinstance(ref, KeyRef) else cls(key_id=ref, text=ref)

    def __str__(self) -> str:
        return self.text or self.key_id or self.alias or self.name or ""


def new_key_id() -> str:
    return str(uuid.uuid4())



def requested_alias(ref: KeyRef | str | None) -> str | None:
    """The alias a reference names, if it names one (for conditions on the alias a request used)."""
    return ref.alias if isinstance(ref, KeyRef) else None
