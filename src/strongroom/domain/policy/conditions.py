"""Condition operators of the IAM policy language, compiled once into predicates over request facts.

Semantics follow AWS: a positive operator on a missing key is false, a negated one (``...Not...``) is
true; ``IfExists`` makes a missing key true; ``ForAnyValue:`` / ``ForAllValues:`` compare multi-valued keys
(``ForAllValues`` is true for a missing or empty key, ``ForAnyValue`` false).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from strongroom.errors import MalformedPolicyError

Compare = Callable[[str, str], bool]


class Facts(Protocol):
    def lookup(self, key: str) -> Any: ...


@lru_cache(maxsize=4096)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """``*`` and ``?`` wildcards, everything else literal."""
    parts = ("." * (c == "?") + ".*" * (c == "*") or re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _numeric(op: Callable[[float, float], bool], parse: Callable[[str], float | None]) -> Compare:
    def compare(actual: str, expected: str) -> bool:
        a, b = parse(actual), parse(expected)
        return a is not None and b is not None and op(a, b)
    return compare


def _ip(actual: str, expected: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    except ValueError:
        return False


def _bool(actual: str, expected: str) -> bool:
    return actual.lower() == expected.lower()


_POSITIVE: dict[str, tuple[Compare, Callable[[str], bool] | None]] = {
    "StringEquals": (lambda a, e: a == e, None),
    "StringEqualsIgnoreCase": (lambda a, e: a.lower() == e.lower(), None),
    "StringLike": (lambda a, e: glob_regex(e).fullmatch(a) is not None, None),
    "NumericEquals": (_numeric(lambda a, b: a == b, _number), lambda v: _number(v) is not None),
    "NumericLessThan": (_numeric(lambda a, b: a < b, _number), lambda v: _number(v) is not None),
    "NumericLessThanEquals": (_numeric(lambda a, b: a <= b, _number), lambda v: _number(v) is not None),
    "NumericGreaterThan": (_numeric(lambda a, b: a > b, _number), lambda v: _number(v) is not None),
    "NumericGreaterThanEquals": (_numeric(lambda a, b: a >= b, _number), lambda v: _number(v) is not None),
    "DateEquals": (_numeric(lambda a, b: a == b, _date), lambda v: _date(v) is not None),
    "DateLessThan": (_numeric(lambda a, b: a < b, _date), lambda v: _date(v) is not None),
    "DateLessThanEquals": (_numeric(lambda a, b: a <= b, _date), lambda v: _date(v) is not None),
    "DateGreaterThan": (_numeric(lambda a, b: a > b, _date), lambda v: _date(v) is not None),
    "DateGreaterThanEquals": (_numeric(lambda a, b: a >= b, _date), lambda v: _date(v) is not None),
    "Bool": (_bool, lambda v: v.lower() in ("true", "false")),
    "IpAddress": (_ip, lambda v: _valid_network(v)),
    "ArnEquals": (lambda a, e: glob_regex(e).fullmatch(a) is not None, None),
    "ArnLike": (lambda a, e: glob_regex(e).fullmatch(a) is not None, None),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _valid_network(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_condition(operator: str, key: str, raw_values: Any) -> Callable[[Facts], bool]:
    """One ``"Operator": {"key": values}`` entry as a predicate; unknown operators are malformed."""
    qualifier = None
    name = operator
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if name.startswith(prefix):
            qualifier, name = prefix[:-1], name[len(prefix):]
    if_exists = name.endswith("IfExists") and name != "IfExists"
    if if_exists:
        name = name[: -len("IfExists")]
    values = raw_values if isinstance(raw_values, list) else [raw_values]
    if not values or not all(isinstance(v, str | int | float | bool) for v in values):
        raise MalformedPolicyError(f"Condition {operator} on {key} needs a string, number or boolean value.")
    expected = [_text(v) for v in values]

    if name == "Null":
        if if_exists or qualifier or any(v.lower() not in ("true", "false") for v in expected):
            raise MalformedPolicyError(f"Condition Null on {key} takes only \"true\" or \"false\".")

        def is_null(facts: Facts) -> bool:
            value = facts.lookup(key)
            absent = value is None or value == []
            return any((v.lower() == "true") == absent for v in expected)
        return is_null

    negated = name in _NEGATED
    positive_name = _NEGATED.get(name, name)
    if positive_name not in _POSITIVE:
        raise MalformedPolicyError(f"Policy contains an unsupported condition operator: {operator}")
    compare, check = _POSITIVE[positive_name]
    if check is not None and not all(check(v) for v in expected):
        raise MalformedPolicyError(f"Condition {operator} on {key} has a value of the wrong type.")

    def matches(actual: Any) -> bool:
        hit = any(compare(_text(actual), e) for e in expected)
        return not hit if negated else hit

    def predicate(facts: Facts) -> bool:
        value = facts.lookup(key)
        if value is None:
            if qualifier == "ForAllValues":
                return True
            return if_exists or (negated and qualifier is None)
        if isinstance(value, list | tuple | set | frozenset):
            if qualifier == "ForAllValues":
                return all(matches(v) for v in value)
            return any(matches(v) for v in value)
        return matches(value)
    return predicate
