"""HashiCorp Vault / OpenBao ACL policies: parse once (HCL or JSON), merge, evaluate many times.

A policy is a list of path rules::

    path "transit/encrypt/orders" { capabilities = ["update"] }
    path "transit/keys/*"        { capabilities = ["create", "read", "update", "delete", "list"] }
    path "transit/+/orders"      { capabilities = ["read"] }
    path "secret/private"        { capabilities = ["deny"] }

or, as JSON, ``{"path": {"transit/keys/*": {"capabilities": ["read"]}}}``. The semantics follow Vault's
``vault/policy.go`` (parsing) and ``vault/acl.go`` (``NewACL``, ``AllowOperation``,
``CheckAllowedFromNonExactPaths``) and the "Policies" page of the Vault documentation.

Path patterns (one leading ``/`` is dropped, as Vault does):

* exact: ``transit/keys/orders`` matches only that path. A ``*`` that is not the last character is literal.
* glob: a trailing ``*`` makes the rest a prefix: ``transit/keys/*`` matches ``transit/keys/`` and everything
  under it, ``transit/ke*`` matches ``transit/keys/x`` too.
* segment wildcard: a ``+`` segment matches exactly one segment (any text, even empty) anywhere; it may be
  combined with a trailing ``*`` (``transit/+/ord*``). As in Vault, a pattern counts as having segment
  wildcards when it is ``+``, starts with ``+/`` or contains ``/+``; ``+*`` is refused.

Merging: every rule of every policy attached to a token is folded into one rule per distinct pattern (exact,
glob and segment-wildcard patterns are keyed separately, exactly as Vault's three tables). Capabilities are the
union, except that ``deny`` on any of the merged rules leaves only ``deny``. Parameter constraints merge as in
Vault: per key the value lists are concatenated, and an empty list (``any value``) on either side wins; required
parameters are the union; for the wrapping TTLs the smaller bound of each kind is kept.

Which rule decides for a request path (Vault ``AllowOperation``):

1. an exact rule for the path;
2. for ``list`` only: an exact rule for the path without one trailing ``/``, then the wildcard rules matched
   against the path without that ``/``;
3. otherwise the highest-priority glob or segment-wildcard rule that matches. Vault's priority order
   (``CheckAllowedFromNonExactPaths`` in ``vault/acl.go``; the "Priority matching" list of the Policies docs),
   comparing two matching patterns P1 and P2, P1 loses when, in this order:

   a. the first wildcard (``+``) or glob (``*``) comes earlier in P1 (for a glob, at its position; for a
      segment-wildcard pattern, at its first ``+``);
   b. P1 ends in ``*`` and P2 does not;
   c. P1 has more ``+`` segments;
   d. P1 is shorter (the trailing ``*`` not counted);
   e. P1 is smaller lexicographically (a tie breaker only).

   So ``foo/a*`` beats ``foo/+``, ``foo/bar/+/baz`` beats ``foo/+/bar/baz``, ``foo/+/bar`` beats ``foo/+/ba*``,
   ``foo/+`` beats ``foo/*``, ``foo/bar/+/baz`` beats ``foo/+/+/baz`` and ``foo/+/bar/ba*`` beats
   ``foo/+/bar/b*``. The order depends on the patterns only, so :class:`Acl` sorts once and takes the first
   match.

Only the winning rule counts: a ``deny`` on a less specific rule does not refuse a path that a more specific
rule grants (that is Vault's behaviour), while a ``deny`` merged into the winning rule refuses everything.

The policy named ``root`` grants everything; it has no document (Vault refuses to store one, and so does
:func:`parse_path_policy`). ``default`` is an ordinary policy whose document the caller supplies.

Parameters (``allowed_parameters``, ``denied_parameters``, ``required_parameters``) are enforced for the
``create``, ``read``, ``update`` and ``patch`` capabilities, as Vault does (not for ``list``, ``delete`` or
``sudo``), following ``AllowOperation``: every required parameter must be present (names compared
lower-cased); a request without parameters is then allowed; ``denied_parameters = {"*" = []}`` refuses any
parameter; a parameter whose lower-cased name is denied is refused when its value is in the denied list;
with ``allowed_parameters``, every parameter must be allowed by name (or ``*``) and its value must be in the
allowed list. A value list that is empty matches any value. Policy strings match request strings with one
leading and/or trailing ``*`` glob; other values must be equal (numbers by value, booleans only to booleans).
A list value, or a string value read as a comma-separated list (items trimmed, ``""`` being the empty list),
is allowed when every item is allowed and denied when any item is denied. ``min_wrapping_ttl`` and
``max_wrapping_ttl`` (seconds, or a Go duration such as ``"1h30m"`` or ``"2d"``) require the request to be
response-wrapped with a TTL within the bounds.

Refused, with :class:`~strongroom.errors.MalformedPolicyError`: unparseable HCL/JSON, a document that is not
an object, unknown keys, a path without capabilities, unknown capability names, wrongly typed values,
templated paths (``{{identity...}}``), JSON-pointer parameter names (``/a/b``) and the Vault Enterprise keys
``mfa_methods``, ``control_group`` and ``subscribe_event_types``, which would add requirements that this
module cannot enforce. Vault's legacy ``policy = "read" | "write" | "sudo" | "deny"`` is accepted.
"""

from __future__ import annotations

import enum
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import hcl.parser

from strongroom.errors import MalformedPolicyError

__all__ = [
    "DEFAULT_POLICY",
    "ROOT_PATH_POLICY",
    "ROOT_POLICY",
    "Acl",
    "Capability",
    "PathPolicy",
    "PathRule",
    "is_root",
    "parse_path_policy",
]

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


_GRANTING = frozenset(c for c in Capability if c is not Capability.DENY)
_DENY_ONLY = frozenset({Capability.DENY})
# The capabilities whose requests Vault checks against the parameter constraints.
_PARAMETER_CHECKED = frozenset({Capability.CREATE, Capability.READ, Capability.UPDATE, Capability.PATCH})

# Vault's pre-capabilities syntax: `policy = "read"` and so on.
_LEGACY_POLICIES: Mapping[str, tuple[Capability, ...]] = MappingProxyType({
    "deny": (Capability.DENY,),
    "read": (Capability.READ, Capability.LIST),
    "write": (Capability.CREATE, Capability.READ, Capability.UPDATE, Capability.DELETE, Capability.LIST),
    "sudo": (
        Capability.CREATE, Capability.READ, Capability.UPDATE, Capability.DELETE, Capability.LIST, Capability.SUDO,
    ),
})

_RULE_KEYS = frozenset({
    "comment", "policy", "capabilities", "allowed_parameters", "denied_parameters", "required_parameters",
    "min_wrapping_ttl", "max_wrapping_ttl",
})
_UNSUPPORTED_RULE_KEYS = frozenset({"mfa_methods", "control_group", "subscribe_event_types"})


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


# --------------------------------------------------------------------------------------------------------------
# Parsing


class _Pairs(list):
    """An HCL/JSON object kept as its ordered (key, value) pairs, duplicates included.

    pyhcl's own loader merges repeated keys, so that two ``path "x"`` blocks would silently become one (the last
    ``capabilities`` winning, a ``deny`` possibly lost). Vault keeps both blocks and merges their capabilities;
    keeping every pair lets us do the same.
    """


def _keep_pairs(items: list[Any], replace: bool) -> _Pairs:
    return _Pairs(items)  # `replace` (pyhcl's merge mode) is irrelevant: nothing is merged


_hcl_lock = threading.Lock()
_hcl_parser: Any = None


def _parse_hcl(text: str) -> Any:
    global _hcl_parser
    with _hcl_lock:  # the ply parser keeps its parse state on the instance
        if _hcl_parser is None:
            parser = hcl.parser.HclParser()
            # An instance attribute shadows the method the grammar actions call to build objects.
            parser.objectlist_flat = _keep_pairs
            _hcl_parser = parser
        return _hcl_parser.parse(text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _load(text: str) -> Any:
    # Vault's HCL library reads a document as JSON when its first non-space character is "{".
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text, object_pairs_hook=_Pairs, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise MalformedPolicyError(f"the policy is not valid JSON: {exc}") from None
    try:
        return _parse_hcl(text)
    except Exception as exc:  # pyhcl reports syntax errors with assorted exception types
        raise MalformedPolicyError(f"the policy is not valid HCL: {exc}") from None


def _items(value: Any, where: str) -> list[tuple[str, Any]]:
    if isinstance(value, _Pairs):
        items = [tuple(item) for item in value]
    elif isinstance(value, dict):
        items = list(value.items())
    else:
        raise MalformedPolicyError(f"{where} must be an object")
    for key, _ in items:
        if not isinstance(key, str):
            raise MalformedPolicyError(f"{where} has a key that is not a string")
    return items


def _unique_items(value: Any, where: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in _items(value, where):
        if key in result:
            raise MalformedPolicyError(f'{where} has "{key}" more than once')
        result[key] = item
    return result


def _freeze(value: Any, where: str) -> Any:
    """A parameter value as stored in a rule: JSON scalars, tuples and read-only mappings."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MalformedPolicyError(f"{where} has a non-finite number")
        return value
    if isinstance(value, _Pairs | dict):
        return MappingProxyType({k: _freeze(v, where) for k, v in _unique_items(value, where).items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v, where) for v in value)
    raise MalformedPolicyError(f"{where} has a value of an unsupported type")


def _check_parameter_name(name: str, where: str, *, wildcard: bool) -> None:
    if name.startswith("/"):
        raise MalformedPolicyError(f'{where}: parameter "{name}": JSON-pointer parameter names are not supported')
    if "*" in name and not (wildcard and name == "*"):
        raise MalformedPolicyError(f'{where}: parameter "{name}": the only wildcard parameter name allowed is "*"')


def _parameters(value: Any, where: str) -> Mapping[str, tuple[Any, ...]] | None:
    result: dict[str, tuple[Any, ...]] = {}
    for name, values in _items(value, where):
        _check_parameter_name(name, where, wildcard=True)
        key = name.lower()
        if key in result:
            raise MalformedPolicyError(f'{where}: parameter "{name}" is given more than once')
        if not isinstance(values, list):
            raise MalformedPolicyError(f'{where}: parameter "{name}" must be a list of values')
        result[key] = _freeze(values, f'{where}: parameter "{name}"')
    return MappingProxyType(result) if result else None


def _string_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedPolicyError(f"{where} must be a list of strings")
    return value


_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_DURATION = re.compile(rf"[+-]?(?:{_GO_DURATION_PART.pattern})+")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(value: Any, where: str) -> float | None:
    """Seconds, as Vault's ``parseutil.ParseDurationSecond`` reads them; ``None`` for zero or unset."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise MalformedPolicyError(f"{where} must be a number of seconds or a duration string")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if text == "":
            seconds = 0.0
        elif re.fullmatch(r"[+-]?\d+", text):
            seconds = float(int(text))
        elif re.fullmatch(r"[+-]?\d+d", text):
            seconds = float(int(text[:-1])) * 86400
        elif _GO_DURATION.fullmatch(text):
            sign = -1.0 if text.startswith("-") else 1.0
            seconds = sign * sum(float(n) * _GO_UNITS[unit] for n, unit in _GO_DURATION_PART.findall(text))
        else:
            raise MalformedPolicyError(f'{where}: "{value}" is not a duration')
    else:
        raise MalformedPolicyError(f"{where} must be a number of seconds or a duration string")
    if not math.isfinite(seconds) or seconds < 0:
        raise MalformedPolicyError(f"{where} must be a non-negative duration")
    return seconds or None


def _check_pattern(pattern: str, where: str) -> None:
    if "+*" in pattern:
        raise MalformedPolicyError(f"{where}: invalid use of wildcards ('+*' is forbidden)")
    if "{{" in pattern:
        raise MalformedPolicyError(f"{where}: templated policy paths are not supported")


def _parse_rule(pattern: str, body: Any) -> PathRule:
    where = f'path "{pattern}"'
    if pattern.startswith("/"):
        pattern = pattern[1:]
    _check_pattern(pattern, where)
    fields = _unique_items(body, where)
    for key in fields:
        if key in _UNSUPPORTED_RULE_KEYS:
            raise MalformedPolicyError(f'{where}: "{key}" is not supported')
        if key not in _RULE_KEYS:
            raise MalformedPolicyError(f'{where}: unknown key "{key}"')

    if "comment" in fields and not isinstance(fields["comment"], str):
        raise MalformedPolicyError(f"{where}: comment must be a string")

    names: list[str] = []
    if "capabilities" in fields:
        names = list(_string_list(fields["capabilities"], f"{where}: capabilities"))
    if "policy" in fields:
        legacy = fields["policy"]
        if not isinstance(legacy, str) or legacy not in _LEGACY_POLICIES:
            raise MalformedPolicyError(f"{where}: invalid policy {legacy!r} (use read, write, sudo or deny)")
        names.extend(_LEGACY_POLICIES[legacy])
    if not names:
        raise MalformedPolicyError(f"{where} has no capabilities")
    capabilities: set[Capability] = set()
    for name in names:
        try:
            capabilities.add(Capability(name))
        except ValueError:
            raise MalformedPolicyError(f'{where}: unknown capability "{name}"') from None

    allowed = denied = None
    if "allowed_parameters" in fields:
        allowed = _parameters(fields["allowed_parameters"], f"{where}: allowed_parameters")
    if "denied_parameters" in fields:
        denied = _parameters(fields["denied_parameters"], f"{where}: denied_parameters")
    required: list[str] = []
    if "required_parameters" in fields:
        for name in _string_list(fields["required_parameters"], f"{where}: required_parameters"):
            _check_parameter_name(name, f"{where}: required_parameters", wildcard=False)
            if name.lower() not in required:
                required.append(name.lower())
    min_ttl = _duration(fields.get("min_wrapping_ttl"), f"{where}: min_wrapping_ttl")
    max_ttl = _duration(fields.get("max_wrapping_ttl"), f"{where}: max_wrapping_ttl")
    if min_ttl is not None and max_ttl is not None and max_ttl < min_ttl:
        raise MalformedPolicyError(f"{where}: max_wrapping_ttl cannot be less than min_wrapping_ttl")

    if Capability.DENY in capabilities:
        # Vault keeps nothing but the deny.
        return PathRule(pattern, _DENY_ONLY)
    return PathRule(pattern, frozenset(capabilities), allowed, denied, tuple(required), min_ttl, max_ttl)


def _path_blocks(value: Any) -> list[tuple[str, Any]]:
    # `path "a" {...}` blocks, `path = { "a" = {...} }` and, from JSON, `"path": [{"a": {...}}, ...]`.
    if isinstance(value, list) and not isinstance(value, _Pairs):
        blocks: list[tuple[str, Any]] = []
        for item in value:
            blocks.extend(_items(item, '"path"'))
        return blocks
    return _items(value, '"path"')


def parse_path_policy(name: str, text: str) -> PathPolicy:
    """Parse a Vault ACL policy document, HCL or JSON, into its rules (in document order, not merged).

    Raises :class:`~strongroom.errors.MalformedPolicyError` for anything Vault would refuse, and for the
    features listed in the module documentation that this module does not implement.
    """
    if not isinstance(name, str) or not name.strip():
        raise MalformedPolicyError("a policy needs a name")
    if name.strip().lower() == ROOT_POLICY:
        raise MalformedPolicyError('"root" is a reserved policy name')
    if not isinstance(text, str):
        raise MalformedPolicyError(f'policy "{name}": the policy document must be text')
    if not text.strip():
        raise MalformedPolicyError(f'policy "{name}": the policy document is empty')
    try:
        document = _load(text)
        if not isinstance(document, _Pairs):
            raise MalformedPolicyError("the policy document must be an object")
        rules: list[PathRule] = []
        for key, value in _items(document, "the policy document"):
            if key == "name":
                if not isinstance(value, str):
                    raise MalformedPolicyError('"name" must be a string')
            elif key == "path":
                for pattern, body in _path_blocks(value):
                    rules.append(_parse_rule(pattern, body))
            else:
                raise MalformedPolicyError(f'unknown top-level key "{key}" (expected "path")')
    except MalformedPolicyError as exc:
        raise MalformedPolicyError(f'policy "{name}": {exc.message}') from None
    return PathPolicy(name, tuple(rules))


# --------------------------------------------------------------------------------------------------------------
# Merging and evaluation


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
        return PathRule(existing.pattern, _DENY_ONLY)
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
                _check_pattern(pattern, f'policy "{policy.name}": path "{rule.pattern}"')
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
            return _GRANTING
        rule = self.rule_for(path, list_operation=True)
        if rule is None:
            return frozenset()
        if rule.denies:
            return _DENY_ONLY
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
        if capability in _PARAMETER_CHECKED:
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
