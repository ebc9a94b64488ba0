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

from strongroom.domain.policy.variables import Template, as_text, template
from strongroom.errors import MalformedPolicyError

Compare = Callable[[str, str], bool]


class Facts(Protocol):
    def lookup(self, key: str) -> Any: ...


@lru_cache(maxsize=4096)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """``*`` and ``?`` wildcards, everything else literal."""
    return re.compile(_glob_source(pattern), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _glob_source(pattern: str) -> str:
    return "".join("." * (c == "?") + ".*" * (c == "*") or re.escape(c) for c in pattern)


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


def compile_condition(operator: str, key: str, raw_values: Any, *, variables: bool = False) -> Callable[[Facts], bool]:
    """One ``"Operator": {"key": values}`` entry as a predicate; unknown operators are malformed. With
    ``variables`` (a 2012-10-17 policy), string and ARN values may hold policy variables (``variables.py``)."""
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
    expected = [as_text(v) for v in values]

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

    templates = [template(e) for e in expected] if variables and positive_name in _TEXTUAL else []
    substituted = _substituted(positive_name, expected, templates) if any(templates) else None

    def fixed(actual: str) -> bool:
        return any(compare(actual, e) for e in expected)

    def matches(actual: Any, hits: Callable[[str], bool]) -> bool:
        hit = hits(as_text(actual))
        return not hit if negated else hit

    def predicate(facts: Facts) -> bool:
        value = facts.lookup(key)
        if value is None:
            if qualifier == "ForAllValues":
                return True
            return if_exists or (negated and qualifier is None)
        hits = fixed if substituted is None else substituted(facts)
        if isinstance(value, list | tuple | set | frozenset):
            if qualifier == "ForAllValues":
                return all(matches(v, hits) for v in value)
            return any(matches(v, hits) for v in value)
        return matches(value, hits)
    return predicate


_TEXTUAL = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})


def _substituted(operator: str, expected: list[str], templates: list[Template | None]
                 ) -> Callable[[Facts], Callable[[str], bool]]:
    """For values with policy variables: per request, the test of an actual value against the values as
    substituted. Substituted text is literal: in a pattern only the policy's own ``*`` and ``?`` are wildcards."""
    pattern = operator in ("StringLike", "ArnEquals", "ArnLike")
    fold = operator == "StringEqualsIgnoreCase"

    def hits(facts: Facts) -> Callable[[str], bool]:
        if pattern:
            sources = [_glob_source(text) if variable is None else
                       variable.render(facts.lookup, text=_glob_source, value=re.escape)
                       for text, variable in zip(expected, templates, strict=True)]
            regexes = [re.compile(source, re.DOTALL) for source in sources if source is not None]
            return lambda actual: any(r.fullmatch(actual) is not None for r in regexes)
        values = [text if variable is None else variable.render(facts.lookup)
                  for text, variable in zip(expected, templates, strict=True)]
        if fold:
            folded = {v.lower() for v in values if v is not None}
            return lambda actual: actual.lower() in folded
        return set(values).__contains__
    return hits
