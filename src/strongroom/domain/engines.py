"""Engines mounted at paths of an account's namespace, and the bearer tokens Strongroom issues.

Pure records. A mount gives its keys their namespace (the mount's uuid), so disabling a mount and enabling
another at the same path never reaches the old keys. A bearer token is stored only as a digest and is owned
by a principal (an account and a user), which every authorization decision then uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Mount:
    account_id: str
    path: str  # with its trailing "/", as Vault writes mount paths
    engine_type: str
    uuid: str
    description: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class BearerToken:
    """A token's stored facts; the token itself is never kept (``digest`` is its SHA-256)."""

    accessor: str
    digest: bytes
    account_id: str
    user_name: str
    policies: tuple[str, ...]
    display_name: str
    meta: dict[str, str]
    created_at: float
    ttl: float  # seconds; 0 for a token that never expires
    expires_at: float | None
    explicit_max_ttl: float = 0.0
    renewable: bool = True
    parent: str | None = None  # the accessor of the token that created it

    def __repr__(self) -> str:
        return f"BearerToken(accessor={self.accessor!r}, account={self.account_id!r}, user={self.user_name!r})"

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at
