"""Merging the policies of a token into one :class:`Acl` and deciding requests with it, as Vault's ``vault/acl.go``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from strongroom.domain.path_policy.parsing import check_pattern
from strongroom.domain.path_policy.rules import (
    DENY_ONLY,
    GRANTING,
    PARAMETER_CHECKED,
    Capability,
    PathPolicy,
    PathRule,
    is_root,
)


def _merge_parameters(
    existing: Mapping[str, tuple[Any, ...]] | None, new: Mapping[str, tuple[Any, ...]] | None
) -> Mapping[str, tuple[Any, ...]] | None:
    if not new:
        return existing
    if not existing:
        return new
    merged = dict(existing)
    for key, values in new.items():
        if not values or (key in merged and not merged[key]):
            merged[key] = ()  # "any value" wins
        else:
            merged[key] = values + merged.get(key, ())
    return MappingProxyType(merged)


def _lesser(existing: float | None, new: float | None) -> float | None:
    if new is not None and (existing is None or new < existing):
        return new
    return existing


def _merge(existing: PathRule, new: PathRule) -> PathRule:
    if existing.denies:
        return existing
    if new.denies:
        return PathRule(existing.pattern, DENY_ONLY)
    required = existing.required_parameters + tuple(
        p for p in new.required_parameters if p not in existing.required_parameters
    )
    return PathRule(
        existing.pattern,
        existing.capabilities | new.capabilities,
        _merge_parameters(existing.allowed_parameters, new.allowed_parameters),
        _merge_parameters(existing.denied_parameters, new.denied_parameters),
        required,
        _lesser(existing.min_wrapping_ttl, new.min_wrapping_ttl),
        _lesser(existing.max_wrapping_ttl, new.max_wrapping_ttl),
    )


def _has_segment_wildcards(pattern: str) -> bool:
    return pattern == "+" or "/+" in pattern or pattern.startswith("+/")


@dataclass(frozen=True, slots=True)
class _Wildcard:
    """A glob or segment-wildcard rule, with what matching and Vault's priority order need."""

    rule: PathRule
    stem: str  # the pattern without its trailing "*"
    is_prefix: bool
    segments: tuple[str, ...] | None  # None for a plain glob (a prefix match)
    priority: tuple[int, bool, int, int, str]

    @classmethod
    def of(cls, rule: PathRule, key: str, segmented: bool) -> _Wildcard:
        if segmented:
            is_prefix = key.endswith("*")
            stem = key[:-1] if is_prefix else key
            segments = tuple(stem.split("/"))
            first = key.index("+")
        else:
            is_prefix, stem, segments, first = True, key, None, len(key)
        wildcards = sum(1 for s in segments if s == "+") if segments else 0
        # Higher sorts first: later first wildcard, not a glob, fewer "+", longer, lexicographically greater.
        priority = (first, not is_prefix, -wildcards, len(stem), stem)
        return cls(rule, stem, is_prefix, segments, priority)

    def matches(self, path: str, parts: list[str]) -> bool:
        if self.segments is None:
            return path.startswith(self.stem)
        count = len(self.segments)
        if len(parts) < count or (not self.is_prefix and len(parts) != count):
            return False
        last = count - 1
        for i, expected in enumerate(self.segments):
            actual = parts[i]
            if expected == "+" or expected == actual:
                continue
            if self.is_prefix and i == last and actual.startswith(expected):
                continue
            return False
        return True


class Acl:
    """The policies attached to a token, merged once; then cheap lookups per request.

    See the module documentation for the merge and priority rules.
    """

    def __init__(self, policies: Iterable[PathPolicy]) -> None:
        exact: dict[str, PathRule] = {}
        globs: dict[str, PathRule] = {}
        segmented: dict[str, PathRule] = {}
        names: list[str] = []
        for policy in policies:
            names.append(policy.name)
            for rule in policy.rules:
                pattern = rule.pattern[1:] if rule.pattern.startswith("/") else rule.pattern
                check_pattern(pattern, f'policy "{policy.name}": path "{rule.pattern}"')
                if _has_segment_wildcards(pattern):
                    table, key = segmented, pattern
                elif pattern.endswith("*"):
                    table, key = globs, pattern[:-1]
                else:
                    table, key = exact, pattern
                table[key] = _merge(table[key], rule) if key in table else rule
        self._policy_names = tuple(names)
        self._root = is_root(names)
        self._exact = exact
        wildcards = [_Wildcard.of(rule, key, False) for key, rule in globs.items()]
        wildcards += [_Wildcard.of(rule, key, True) for key, rule in segmented.items()]
        wildcards.sort(key=lambda w: w.priority, reverse=True)
        self._wildcards = tuple(wildcards)

    @property
    def root(self) -> bool:
        return self._root

    @property
    def policy_names(self) -> tuple[str, ...]:
        return self._policy_names

    def _from_wildcards(self, path: str) -> PathRule | None:
        parts = path.split("/")
        for wildcard in self._wildcards:
            if wildcard.matches(path, parts):
                return wildcard.rule
        return None

    def rule_for(self, path: str, *, list_operation: bool = False) -> PathRule | None:
        """The merged rule that decides for ``path`` (``None``: no rule matches, so nothing is granted).

        ``list_operation`` adds Vault's fallback for ``list``: the path without one trailing ``/`` is tried too.
        Not meaningful for a root ACL, which grants everything without rules.
        """
        path = path.lstrip("/")
        rule = self._exact.get(path)
        if rule is not None:
            return rule
        if list_operation:
            trimmed = path[:-1] if path.endswith("/") else path
            rule = self._exact.get(trimmed)
            if rule is not None:
                return rule
            if trimmed != path:
                rule = self._from_wildcards(trimmed)
                if rule is not None:
                    return rule
        return self._from_wildcards(path)

    def capabilities(self, path: str) -> frozenset[Capability]:
        """What the winning rule grants: ``{DENY}`` if it denies, empty if no rule matches.

        Like Vault's ``sys/capabilities``, the lookup includes the ``list`` trailing-slash fallback. A root ACL
        reports every capability but ``deny``.
        """
        if self._root:
            return GRANTING
        rule = self.rule_for(path, list_operation=True)
        if rule is None:
            return frozenset()
        if rule.denies:
            return DENY_ONLY
        return rule.capabilities

    def allows(
        self,
        path: str,
        capability: Capability,
        parameters: Mapping[str, Any] | None = None,
        *,
        wrap_ttl: float | None = None,
    ) -> bool:
        """Whether a request needing ``capability`` on ``path``, with these request parameters, is allowed.

        ``wrap_ttl`` is the response-wrapping TTL the request asks for, in seconds (``None``: not wrapped); it
        matters only for rules with ``min_wrapping_ttl`` / ``max_wrapping_ttl``. For ``sudo`` only the
        capability itself is checked (Vault checks it on top of the operation's own capability).
        """
        capability = Capability(capability)
        if capability is Capability.DENY:
            raise ValueError("deny is not a capability a request can need")
        if self._root:
            return True
        rule = self.rule_for(path, list_operation=capability is Capability.LIST)
        if rule is None or rule.denies or capability not in rule.capabilities:
            return False
        if capability is Capability.SUDO:
            return True
        if not _wrapping_allowed(rule, wrap_ttl):
            return False
        if capability in PARAMETER_CHECKED:
            return _parameters_allowed(rule, parameters or {})
        return True


def _wrapping_allowed(rule: PathRule, wrap_ttl: float | None) -> bool:
    if rule.max_wrapping_ttl is not None and (wrap_ttl is None or wrap_ttl > rule.max_wrapping_ttl):
        return False
    # (Merging can leave max < min; the two checks then refuse every TTL, as Vault's extra check does.)
    return rule.min_wrapping_ttl is None or (wrap_ttl is not None and wrap_ttl >= rule.min_wrapping_ttl)


def _parameters_allowed(rule: PathRule, parameters: Mapping[str, Any]) -> bool:
    for required in rule.required_parameters:
        if required not in parameters:
            return False
    if not parameters:
        return True
    denied = rule.denied_parameters
    if denied:
        if "*" in denied:
            return False
        for name, value in parameters.items():
            values = denied.get(name.lower())
            if values is not None and _is_denied(value, values):
                return False
    allowed = rule.allowed_parameters
    if not allowed:
        return True
    allow_all = "*" in allowed
    if allow_all and len(allowed) == 1:
        return True
    for name, value in parameters.items():
        values = allowed.get(name.lower())
        if values is None:
            if not allow_all:
                return False
        elif not _is_allowed(value, values):
            return False
    return True


def _comma_items(value: str) -> list[str]:
    return [] if value == "" else [item.strip() for item in value.split(",")]


def _is_allowed(value: Any, values: tuple[Any, ...]) -> bool:
    if not values or _in_list(value, values):
        return True
    if isinstance(value, list | tuple):
        return all(_in_list(item, values) for item in value)
    if isinstance(value, str):
        return all(_in_list(item, values) for item in _comma_items(value))
    return False


def _is_denied(value: Any, values: tuple[Any, ...]) -> bool:
    if not values or _in_list(value, values):
        return True
    if isinstance(value, list | tuple):
        return any(_in_list(item, values) for item in value)
    if isinstance(value, str):
        return any(_in_list(item, values) for item in _comma_items(value))
    return False


def _in_list(value: Any, values: tuple[Any, ...]) -> bool:
    for candidate in values:
        if candidate is None or value is None:
            if candidate is None and value is None:
                return True
        elif isinstance(candidate, str):
            if isinstance(value, str) and _glob_matches(candidate, value):
                return True
        elif _equal(candidate, value):
            return True
    return False


def _glob_matches(pattern: str, value: str) -> bool:
    """Vault's ``GlobbedStringsMatch``: one optional leading and/or trailing ``*``."""
    if len(pattern) < 2:
        return value == pattern
    leading, trailing = pattern.startswith("*"), pattern.endswith("*")
    if leading and trailing:
        return pattern[1:-1] in value
    if leading:
        return value.endswith(pattern[1:])
    if trailing:
        return value.startswith(pattern[:-1])
    return value == pattern


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, int | float) or isinstance(b, int | float):
        return isinstance(a, int | float) and isinstance(b, int | float) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if a is None or b is None:
        return a is b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return False
