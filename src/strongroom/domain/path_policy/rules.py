"""Capabilities, path rules and policies: what a parsed Vault ACL policy is."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ROOT_POLICY = "root"
DEFAULT_POLICY = "default"


class Capability(enum.StrEnum):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    PATCH = "patch"
    DELETE = "delete"
    LIST = "list"
    SUDO = "sudo"
    DENY = "deny"


GRANTING = frozenset(c for c in Capability if c is not Capability.DENY)
DENY_ONLY = frozenset({Capability.DENY})
# The capabilities whose requests Vault checks against the parameter constraints.
PARAMETER_CHECKED = frozenset({Capability.CREATE, Capability.READ, Capability.UPDATE, Capability.PATCH})

@dataclass(frozen=True)
class PathRule:
    """One ``path "<pattern>" { ... }`` block (or, inside an :class:`Acl`, all the blocks for one pattern merged).

    ``allowed_parameters`` / ``denied_parameters`` map lower-cased parameter names (or ``*``) to the values
    allowed / denied (an empty tuple: any value); ``None`` means no constraint. ``required_parameters`` are
    lower-cased. The wrapping TTLs are in seconds, ``None`` when unset. A ``deny`` rule carries no constraints.
    """

    pattern: str
    capabilities: frozenset[Capability]
    allowed_parameters: Mapping[str, tuple[Any, ...]] | None = field(default=None, hash=False)
    denied_parameters: Mapping[str, tuple[Any, ...]] | None = field(default=None, hash=False)
    required_parameters: tuple[str, ...] = ()
    min_wrapping_ttl: float | None = None
    max_wrapping_ttl: float | None = None

    @property
    def denies(self) -> bool:
        return Capability.DENY in self.capabilities


@dataclass(frozen=True)
class PathPolicy:
    name: str
    rules: tuple[PathRule, ...]


ROOT_PATH_POLICY = PathPolicy(ROOT_POLICY, ())
"""The ``root`` policy: it has no rules, an :class:`Acl` that includes it grants everything."""


def is_root(policy_names: Iterable[str]) -> bool:
    """Whether a token holding these policies is a root token (the ``root`` policy grants everything)."""
    return ROOT_POLICY in set(policy_names)


