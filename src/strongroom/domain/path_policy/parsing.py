"""Parsing a Vault ACL policy document (HCL or JSON) into a :class:`PathPolicy`, refusing what cannot be enforced."""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import hcl.parser

from strongroom.domain.path_policy.rules import (
    DENY_ONLY,
    ROOT_POLICY,
    Capability,
    PathPolicy,
    PathRule,
)
from strongroom.errors import MalformedPolicyError

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


def check_pattern(pattern: str, where: str) -> None:
    if "+*" in pattern:
        raise MalformedPolicyError(f"{where}: invalid use of wildcards ('+*' is forbidden)")
    if "{{" in pattern:
        raise MalformedPolicyError(f"{where}: templated policy paths are not supported")


def _parse_rule(pattern: str, body: Any) -> PathRule:
    where = f'path "{pattern}"'
    if pattern.startswith("/"):
        pattern = pattern[1:]
    check_pattern(pattern, where)
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
            # Vault's wording, the rule's name twice included (its parser wraps the error in it twice)
            raise MalformedPolicyError(f'{where}: {where}: invalid capability "{name}"') from None

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
        return PathRule(pattern, DENY_ONLY)
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
        raise MalformedPolicyError(f"failed to parse policy: {exc.message}") from None
    return PathPolicy(name, tuple(rules))
