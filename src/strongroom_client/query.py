"""The small subset of MongoDB query filters that ``rewrap_many_data_key`` accepts.

Supported: ``{}``; ``{"field.path": value}`` (an array field matches if any element equals); the operators
``$eq``, ``$ne``, ``$in``, ``$nin`` and ``$exists`` on a field; ``$and``, ``$or`` and ``$nor`` at any level.
A ``uuid.UUID`` matches the ``Binary`` subtype 4 MongoDB stores. Anything else raises
:class:`ConfigurationError` rather than silently matching the wrong keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from bson.binary import Binary

from strongroom_client.errors import ConfigurationError

Predicate = Callable[[Mapping[str, Any]], bool]
_MISSING = object()


def compile_filter(query: Mapping[str, Any] | None) -> Predicate:
    if query is None:
        return lambda _doc: True
    if not isinstance(query, Mapping):
        raise ConfigurationError("a filter is a document")
    clauses = [_clause(name, condition) for name, condition in query.items()]
    return lambda doc: all(clause(doc) for clause in clauses)


def _clause(name: str, condition: Any) -> Predicate:
    if name in ("$and", "$or", "$nor"):
        if not isinstance(condition, list) or not condition:
            raise ConfigurationError(f"{name} takes a non-empty array of filters")
        parts = [compile_filter(sub) for sub in condition]
        if name == "$and":
            return lambda doc: all(p(doc) for p in parts)
        if name == "$or":
            return lambda doc: any(p(doc) for p in parts)
        return lambda doc: not any(p(doc) for p in parts)
    if name.startswith("$"):
        raise ConfigurationError(f"unsupported filter operator {name!r}")
    path = name.split(".")
    if isinstance(condition, Mapping) and condition and all(str(k).startswith("$") for k in condition):
        tests = [_operator(op, arg) for op, arg in condition.items()]
        return lambda doc: all(t(_lookup(doc, path)) for t in tests)
    return lambda doc: _equals(_lookup(doc, path), condition)


def _operator(op: str, arg: Any) -> Callable[[Any], bool]:
    if op == "$eq":
        return lambda value: _equals(value, arg)
    if op == "$ne":
        return lambda value: not _equals(value, arg)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise ConfigurationError(f"{op} takes an array")
        if op == "$in":
            return lambda value: any(_equals(value, a) for a in arg)
        return lambda value: not any(_equals(value, a) for a in arg)
    if op == "$exists":
        return lambda value: (value is not _MISSING) == bool(arg)
    raise ConfigurationError(f"unsupported filter operator {op!r}")


def _lookup(doc: Any, path: list[str]) -> Any:
    value = doc
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _equals(value: Any, wanted: Any) -> bool:
    if value is _MISSING:
        return wanted is None
    if isinstance(value, list) and not isinstance(wanted, list):
        return any(_norm(v) == _norm(wanted) for v in value)
    return _norm(value) == _norm(wanted)


def _norm(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return ("binary", 4, value.bytes)
    if isinstance(value, Binary):
        return ("binary", value.subtype, bytes(value))
    if isinstance(value, bytes):
        return ("binary", 0, value)
    if isinstance(value, Mapping):
        return [(k, _norm(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value
