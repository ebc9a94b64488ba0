"""Request validation for the AWS KMS JSON 1.1 API, compiled from botocore's service model.

botocore's ``kms`` model is the source of truth for every operation's input shape. :class:`KmsModel`
compiles each shape once into small closures, so a request is checked without walking botocore objects.
``validate`` returns the known members with blobs decoded to ``bytes``, or raises :class:`ValidationFailure`
with AWS's code and wording:

* a JSON value of the wrong type is a ``SerializationException``, raised at the first one (AWS deserializes
  before it validates). Wording as measured against live AWS JSON services: Athena, awsJson1.1, in a public
  Athena emulator's tests ("NUMBER_VALUE can not be converted to a String", "Expected list or null", ...), and
  DynamoDB in architect/dynalite test/helpers.js (blob base64 errors, "Expected map or null");
* constraint violations are collected, in model member order, into one ``ValidationException``:
  "2 validation errors detected: Value 'x' at 'keyId' failed to satisfy constraint: ...; Value ...".
  Blobs and ``sensitive`` members are never echoed ("Value at 'plaintext' ...", AWS-verified in
  getmoto/moto tests/test_kms/test_kms_encrypt.py); list members are checked as a whole ("Member must
  satisfy constraint: [...]", as ACM and Lambda answer); nested paths read ``tags.1.member.tagKey``.

JSON ``null`` counts as absent and unknown members are ignored, as measured on Athena (same source).
Patterns are matched against the whole value (Java ``matches()``: IAM rejects text outside a ``[...]*``
pattern), with ``re.ASCII`` for Java's ASCII ``\\w``/``\\d``/``\\s``.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from typing import Any

import botocore.session
from botocore.model import Shape

# check(value, path, errors) -> converted value; appends constraint messages, raises on a type error.
Check = Callable[[Any, str, list[str]], Any]

_LIST_HERE = "Start of list found where not expected"
_MAP_HERE = "Start of structure or map found where not expected."
_REDACTED = "*** Sensitive Data Redacted ***"  # the AWS SDKs' placeholder for sensitive values
_B64_BAD = re.compile(r"[^A-Za-z0-9+/=]|=[^=]")
_B64_VALUES = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


class ValidationFailure(Exception):
    """code is 'ValidationException' or 'SerializationException'; message is AWS's wording."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _serialization(message: str) -> ValidationFailure:
    return ValidationFailure("SerializationException", message)


def _wrong_scalar(value: Any, target: str) -> ValidationFailure:
    """A value where a scalar (``target`` is e.g. 'a String', 'an Integer') was expected."""
    if type(value) is list:
        return _serialization(_LIST_HERE)
    if type(value) is dict:
        return _serialization(_MAP_HERE)
    if type(value) is bool:
        kind = "TRUE_VALUE" if value else "FALSE_VALUE"
    else:
        kind = "STRING_VALUE" if type(value) is str else "NUMBER_VALUE"
    return _serialization(f"{kind} can not be converted to {target}")


def _echo(value: Any) -> str:
    """A value as AWS (Java's toString) prints it inside Value '...'."""
    if type(value) is list:
        return "[" + ", ".join(_echo(v) for v in value) + "]"
    if type(value) is dict:
        return "{" + ", ".join(f"{k}={_echo(v)}" for k, v in value.items()) + "}"
    if type(value) is bool:
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _violation(value: Any, path: str, constraint: str, secret: bool) -> str:
    shown = "" if secret else " null" if value is None else f" '{_echo(value)}'"
    return f"Value{shown} at '{path}' failed to satisfy constraint: {constraint}"


def _secret(shape: Shape) -> bool:
    """Whether AWS keeps a value of ``shape`` out of its messages: blobs and sensitive shapes."""
    return shape.type_name == "blob" or bool(shape.metadata.get("sensitive"))


def _compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """Compile a model pattern for Python ``re``; ``None`` (the check is skipped) if it cannot be."""
    try:
        return re.compile(pattern, re.ASCII)
    except re.error:
        return None


def _base64_fault(text: str, secret: bool) -> str:
    """Why ``text`` is not strict base64, in the words of AWS's deserializer (typo included)."""
    if len(text) % 4:
        return f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(text)}"
    bad = _B64_BAD.search(text)
    if bad is not None:
        return "Invalid Base64 character" + ("" if secret else f": '{bad.group()[0]}'")
    return "Invalid last non-pad Base64 character dectected"


def _limits(metadata: dict[str, Any], what: str) -> list[tuple[str, Callable[[int], bool]]]:
    lo, hi = metadata.get("min"), metadata.get("max")
    out: list[tuple[str, Callable[[int], bool]]] = []
    if hi is not None:
        out.append((f"Member must have {what} less than or equal to {hi}", lambda n, hi=hi: n > hi))
    if lo is not None:
        out.append((f"Member must have {what} greater than or equal to {lo}", lambda n, lo=lo: n < lo))
    return out


class _Compiler:
    """Turns botocore shapes into checks, one per shape name (KMS shapes are not recursive)."""

    def __init__(self) -> None:
        self._done: dict[str, tuple[Check, list[str]]] = {}
        self.skipped_patterns: list[str] = []

    def check(self, shape: Shape) -> tuple[Check, list[str]]:
        """The check for ``shape`` and its scalar constraints' wording (for list/map members)."""
        if shape.name not in self._done:
            build = getattr(self, "_" + shape.type_name)
            self._done[shape.name] = build(shape, bool(shape.metadata.get("sensitive")))
        return self._done[shape.name]

    def _string(self, shape: Shape, secret: bool) -> tuple[Check, list[str]]:
        md = shape.metadata
        limits = _limits(md, "length")
        regex, enum, pattern_rule, enum_rule = None, None, "", ""
        if "pattern" in md:
            pattern_rule = f"Member must satisfy regular expression pattern: {md['pattern']}"
            regex = _compile_pattern(md["pattern"])
            if regex is None:
                self.skipped_patterns.append(md["pattern"])
        if "enum" in md:
            enum = frozenset(md["enum"])
            enum_rule = f"Member must satisfy enum value set: [{', '.join(md['enum'])}]"
        rules = [text for text, _ in limits] + [rule for rule in (pattern_rule, enum_rule) if rule]

        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) is not str:
                raise _wrong_scalar(value, "a String")
            if regex is not None and regex.fullmatch(value) is None:
                errors.append(_violation(value, path, pattern_rule, secret))
            for text, broken in limits:
                if broken(len(value)):
                    errors.append(_violation(value, path, text, secret))
            if enum is not None and value not in enum:
                errors.append(_violation(value, path, enum_rule, secret))
            return value

        return check, rules

    def _blob(self, shape: Shape, secret: bool) -> tuple[Check, list[str]]:
        limits = _limits(shape.metadata, "length")
        decode = binascii.a2b_base64

        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) is not str:
                raise _wrong_scalar(value, "a Blob")
            try:
                data = decode(value, strict_mode=True)
                # strict_mode still allows non-zero bits after the last byte; AWS does not ("+/+=").
                if value[-1:] == "=" and _B64_VALUES[value.rstrip("=")[-1]] & (15 if value[-2] == "=" else 3):
                    raise ValueError
            except (ValueError, KeyError, IndexError):
                shown = _REDACTED if secret else value
                raise _serialization(
                    f"'{shown}' can not be converted to a Blob: {_base64_fault(value, secret)}"
                ) from None
            for text, broken in limits:
                if broken(len(data)):
                    errors.append(_violation(data, path, text, True))  # AWS never echoes a blob
            return data

        return check, [text for text, _ in limits]

    def _integer(self, shape: Shape, secret: bool) -> tuple[Check, list[str]]:
        limits = _limits(shape.metadata, "value")

        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) is not int:
                if type(value) is not float:
                    raise _wrong_scalar(value, "an Integer")
                value = int(value)  # AWS truncates a decimal given for an integer
            for text, broken in limits:
                if broken(value):
                    errors.append(_violation(value, path, text, secret))
            return value

        return check, [text for text, _ in limits]

    _long = _integer  # not in the KMS model today; same checks if a future botocore adds one

    def _boolean(self, shape: Shape, secret: bool) -> tuple[Check, list[str]]:
        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) is not bool:
                raise _wrong_scalar(value, "a Boolean")
            return value

        return check, []

    def _timestamp(self, shape: Shape, secret: bool) -> tuple[Check, list[str]]:
        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) not in (int, float):
                raise _wrong_scalar(value, "a Timestamp")
            return float(value)  # JSON 1.1 sends epoch seconds

        return check, []

    def _list(self, shape: Shape, secret: bool) -> tuple[Check, list[str]]:
        limits = _limits(shape.metadata, "length")
        item, item_rules = self.check(shape.member)
        scalar = shape.member.type_name not in ("structure", "list", "map")
        hidden = secret or _secret(shape.member)
        aggregate = f"Member must satisfy constraint: [{', '.join(item_rules)}]"

        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) is not list:
                raise _serialization(_MAP_HERE if type(value) is dict else "Expected list or null")
            for text, broken in limits:
                if broken(len(value)):
                    errors.append(_violation(value, path, text, hidden))
            if scalar:  # AWS reports a scalar member's rules once, for the whole list
                found: list[str] = []
                out = [item(v, path, found) for v in value if v is not None]
                if found:
                    errors.append(_violation(value, path, aggregate, hidden))
                return out
            return [item(v, f"{path}.{i}.member", errors) for i, v in enumerate(value, 1) if v is not None]

        return check, []

    def _map(self, shape: Shape, secret: bool) -> tuple[Check, list[str]]:
        key, key_rules = self.check(shape.key)
        item, item_rules = self.check(shape.value)
        scalar = shape.value.type_name not in ("structure", "list", "map")
        hidden = secret or _secret(shape.value)
        keys_rule = f"Map keys must satisfy constraint: [{', '.join(key_rules)}]"
        value_rules = ", ".join([*item_rules, "Member must not be null"])
        values_rule = f"Map value must satisfy constraint: [{value_rules}]"

        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) is not dict:
                raise _serialization(_LIST_HERE if type(value) is list else "Expected map or null")
            out, bad_keys, bad_values = {}, [], []
            for k, v in value.items():
                key(k, path, bad_keys)
                if v is None:
                    bad_values.append("null")
                elif scalar:
                    out[k] = item(v, path, bad_values)
                else:
                    out[k] = item(v, f"{path}.{k}.member", errors)
            if bad_keys:
                errors.append(_violation(value, path, keys_rule, hidden))
            if bad_values:
                errors.append(_violation(value, path, values_rule, hidden))
            return out

        return check, []

    def _structure(self, shape: Shape, secret: bool) -> tuple[Check, list[str]]:
        required = set(shape.required_members)
        members = [
            (name, name[:1].lower() + name[1:], self.check(member)[0], name in required)
            for name, member in shape.members.items()
        ]

        def check(value: Any, path: str, errors: list[str]) -> Any:
            if type(value) is not dict:
                raise _serialization(_LIST_HERE if type(value) is list else "Expected null")
            out = {}
            for name, camel, member, needed in members:
                v = value.get(name)
                where = f"{path}.{camel}" if path else camel
                if v is not None:
                    out[name] = member(v, where, errors)
                elif needed:
                    errors.append(_violation(None, where, "Member must not be null", False))
            return out

        return check, []


def _empty(value: Any, path: str, errors: list[str]) -> dict[str, Any]:
    return {}


class KmsModel:
    """The KMS operations and a compiled request validator for each."""

    def __init__(self) -> None:
        service = botocore.session.get_session().get_service_model("kms")
        compiler = _Compiler()
        self._checks: dict[str, Check] = {}
        for name in service.operation_names:
            shape = service.operation_model(name).input_shape
            self._checks[name] = compiler.check(shape)[0] if shape is not None else _empty
        self.operation_names: frozenset[str] = frozenset(self._checks)
        self.skipped_patterns: tuple[str, ...] = tuple(compiler.skipped_patterns)

    def validate(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        """The parameters of ``body`` for ``operation`` (a known name), blobs decoded to bytes."""
        errors: list[str] = []
        params = self._checks[operation](body, "", errors)
        if errors:
            count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: "
            raise ValidationFailure("ValidationException", count + "; ".join(errors))
        return params
