"""Policy documents: validated and compiled once, so evaluating them is a few dictionary lookups.

Both key policies (which name a Principal) and identity policies (attached to a user; no Principal) use
this parser. Anything AWS would refuse is a ``MalformedPolicyError`` that says what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from strongroom.domain.policy.conditions import Facts, compile_condition, glob_regex
from strongroom.domain.policy.defaults import MAX_POLICY_BYTES
from strongroom.errors import LimitExceededError, MalformedPolicyError

_VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_LEVEL = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
                   "NotResource", "Condition"}
_ACCOUNT = re.compile(r"^\d{12}$")
_IAM_ARN = re.compile(r"^arn:aws:(iam|sts)::(\d{12}):(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+|"
                      r"assumed-role/[\w+=,.@/-]+)$")


@dataclass(frozen=True, slots=True)
class Principals:
    """The AWS principals a statement names: ``*``, account roots (delegation) and exact ARNs."""

    anyone: bool
    accounts: frozenset[str]  # account ids whose root was named (the account delegates to IAM)
    arns: frozenset[str]


@dataclass(frozen=True, slots=True)
class Statement:
    sid: str
    allow: bool
    principals: Principals | None
    not_principals: Principals | None
    action: Callable[[str], bool]
    resource: Callable[[str], bool]
    conditions: tuple[Callable[[Facts], bool], ...]

    def applies(self, action: str, resource: str, facts: Facts) -> bool:
        return self.action(action) and self.resource(resource) and all(c(facts) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    text: str
    statements: tuple[Statement, ...]
    # Without conditions a statement's verdict depends only on (action, resource, caller): ``evaluate``
    # remembers those verdicts here (documents are shared per text, see ``parse_policy``).
    verdicts: dict[tuple[str, str, str, str], Any] | None = field(default=None, compare=False, repr=False)


def _strings(value: Any, what: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) and i for i in items):
        raise MalformedPolicyError(f"{what} must be a non-empty string or list of strings.")
    return items


def _principals(value: Any) -> Principals:
    if value == "*":
        return Principals(True, frozenset(), frozenset())
    if not isinstance(value, dict) or not value:
        raise MalformedPolicyError("Policy contains a statement with one or more invalid principals.")
    anyone, accounts, arns = False, set(), set()
    for kind, names in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise MalformedPolicyError(f"Policy contains a statement with an invalid principal type: {kind}")
        for name in _strings(names, f"Principal {kind}"):
            if kind != "AWS":
                continue  # no AWS service or federated identity acts here; such a principal matches nobody
            if name == "*":
                anyone = True
            elif _ACCOUNT.match(name):
                accounts.add(name)
            elif match := _IAM_ARN.match(name):
                if match.group(3) == "root":
                    accounts.add(match.group(2))
                else:
                    arns.add(name)
            else:
                raise MalformedPolicyError(
                    f"Policy contains a statement with one or more invalid principals: {name}")
    return Principals(anyone, frozenset(accounts), frozenset(arns))


def _matcher(patterns: list[str], *, ignore_case: bool, negate: bool) -> Callable[[str], bool]:
    if patterns == ["*"]:
        return (lambda _v: False) if negate else (lambda _v: True)
    regexes = [glob_regex(p, ignore_case) for p in patterns]

    def match(value: str) -> bool:
        hit = any(r.fullmatch(value) is not None for r in regexes)
        return not hit if negate else hit
    return match


def _actions(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        if pattern != "*" and ":" not in pattern:
            raise MalformedPolicyError(f"Policy contains an invalid action: {pattern}")
    return patterns


def _conditions(value: Any, variables: bool) -> tuple[Callable[[Facts], bool], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise MalformedPolicyError("Condition must be an object of operators.")
    compiled = []
    for operator, entries in value.items():
        if not isinstance(entries, dict) or not entries:
            raise MalformedPolicyError(f"Condition {operator} must map condition keys to values.")
        for key, values in entries.items():
            compiled.append(compile_condition(operator, key, values, variables=variables))
    return tuple(compiled)


def _one_of(raw: dict[str, Any], a: str, b: str, *, required: bool) -> tuple[str, Any] | None:
    if a in raw and b in raw:
        raise MalformedPolicyError(f"A statement cannot have both {a} and {b}.")
    for name in (a, b):
        if name in raw:
            return name, raw[name]
    if required:
        raise MalformedPolicyError(f"Each statement needs {a} or {b}.")
    return None


def _statement(raw: Any, *, key_policy: bool, variables: bool) -> Statement:
    if not isinstance(raw, dict):
        raise MalformedPolicyError("Each statement must be a JSON object.")
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise MalformedPolicyError(f"Policy statement has unknown fields: {', '.join(sorted(unknown))}")
    if raw.get("Effect") not in ("Allow", "Deny"):
        raise MalformedPolicyError("Each statement needs an Effect of Allow or Deny.")
    principal = _one_of(raw, "Principal", "NotPrincipal", required=key_policy)
    if principal is not None and not key_policy:
        raise MalformedPolicyError("An identity policy statement must not name a Principal.")
    action_name, actions = _one_of(raw, "Action", "NotAction", required=True)  # type: ignore[misc]
    resource = _one_of(raw, "Resource", "NotResource", required=True)
    assert resource is not None
    resource_name, resources = resource
    sid = raw.get("Sid", "")
    if not isinstance(sid, str):
        raise MalformedPolicyError("Sid must be a string.")
    return Statement(
        sid=sid,
        allow=raw["Effect"] == "Allow",
        principals=_principals(principal[1]) if principal and principal[0] == "Principal" else None,
        not_principals=_principals(principal[1]) if principal and principal[0] == "NotPrincipal" else None,
        action=_matcher(_actions(_strings(actions, action_name)), ignore_case=True,
                        negate=action_name == "NotAction"),
        resource=_matcher(_strings(resources, resource_name), ignore_case=False,
                          negate=resource_name == "NotResource"),
        conditions=_conditions(raw.get("Condition"), variables),
    )


@lru_cache(maxsize=4096)
def parse_policy(text: str, *, key_policy: bool = True, max_bytes: int = MAX_POLICY_BYTES) -> PolicyDocument:
    """Validate and compile a policy document (a key policy unless ``key_policy`` is False). Compiled documents
    are immutable, so one compilation serves every key with the same text (the default policy, above all)."""
    if len(text.encode("utf-8")) > max_bytes:
        raise LimitExceededError(f"The policy exceeds the maximum size of {max_bytes} bytes.")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise MalformedPolicyError(f"The policy is not valid JSON: {exc.msg} at position {exc.pos}.") from None
    if not isinstance(document, dict):
        raise MalformedPolicyError("The policy must be a JSON object.")
    unknown = set(document) - _TOP_LEVEL
    if unknown:
        raise MalformedPolicyError(f"The policy has unknown top-level fields: {', '.join(sorted(unknown))}")
    if "Version" in document and document["Version"] not in _VERSIONS:
        raise MalformedPolicyError(f"The policy Version must be one of {', '.join(_VERSIONS)}.")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise MalformedPolicyError("The policy must contain at least one Statement.")
    variables = document.get("Version") == "2012-10-17"  # policy variables came with this version
    compiled = tuple(_statement(s, key_policy=key_policy, variables=variables) for s in statements)
    return PolicyDocument(text, compiled, None if any(s.conditions for s in compiled) else {})
