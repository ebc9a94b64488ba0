"""Evaluating compiled policies against one request.

``evaluate`` answers, for one document, whether it denies, allows the caller directly, or allows the
caller's account (delegation to identity policies). Combining key policy, identity policies and grants is
the authorizer's job (service/authorization.py), following AWS's rules.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strongroom.domain.policy.document import PolicyDocument, Principals

_EC_PREFIX = "kms:encryptioncontext:"
_RESOURCE_TAG = "aws:resourcetag/"
_REQUEST_TAG = "aws:requesttag/"


class Effect(enum.Enum):
    NONE = "none"
    ALLOW_ACCOUNT = "allow-account"  # allowed through the caller's account: identity policies decide
    ALLOW = "allow"
    DENY = "deny"


@dataclass(slots=True)
class RequestFacts:
    """The condition keys of one request. ``values`` may be given as a function that builds them, and single
    values may be callables: both are computed on first use, since most policies have no conditions."""

    values: dict[str, Any] | Callable[[], dict[str, Any]]  # lower-case key names
    encryption_context: Mapping[str, str] = field(default_factory=dict)
    resource_tags: Mapping[str, str] = field(default_factory=dict)
    request_tags: Mapping[str, str] = field(default_factory=dict)

    def lookup(self, key: str) -> Any:
        if callable(self.values):
            self.values = self.values()
        name = key.lower()
        if name.startswith(_EC_PREFIX):
            return self.encryption_context.get(key[len(_EC_PREFIX):])
        if name.startswith(_RESOURCE_TAG):
            return self.resource_tags.get(key[len(_RESOURCE_TAG):])
        if name.startswith(_REQUEST_TAG):
            return self.request_tags.get(key[len(_REQUEST_TAG):])
        value = self.values.get(name)
        if callable(value):
            value = self.values[name] = value()
        return value


def _named(principals: Principals, principal_arn: str, account_id: str) -> Effect:
    if principals.anyone or principal_arn in principals.arns:
        return Effect.ALLOW
    if account_id in principals.accounts:
        return Effect.ALLOW if principal_arn == f"arn:aws:iam::{account_id}:root" else Effect.ALLOW_ACCOUNT
    return Effect.NONE


_MAX_VERDICTS = 4096


def evaluate(policy: PolicyDocument, action: str, resource: str, facts: RequestFacts, *,
             principal_arn: str, account_id: str) -> Effect:
    """The strongest effect of the statements that apply (DENY > ALLOW > ALLOW_ACCOUNT > NONE).

    Identity-policy statements have no principal: when they apply they allow or deny the caller."""
    verdicts = policy.verdicts
    if verdicts is None:  # conditions: the verdict depends on this request's facts
        return _evaluate(policy, action, resource, facts, principal_arn, account_id)
    asked = (action, resource, principal_arn, account_id)
    effect = verdicts.get(asked)
    if effect is None:
        if len(verdicts) >= _MAX_VERDICTS:
            verdicts.clear()
        effect = verdicts[asked] = _evaluate(policy, action, resource, facts, principal_arn, account_id)
    return effect  # type: ignore[no-any-return]


def _evaluate(policy: PolicyDocument, action: str, resource: str, facts: RequestFacts, principal_arn: str,
              account_id: str) -> Effect:
    best = Effect.NONE
    for statement in policy.statements:
        if statement.principals is not None:
            named = _named(statement.principals, principal_arn, account_id)
        elif statement.not_principals is not None:
            excluded = _named(statement.not_principals, principal_arn, account_id)
            named = Effect.ALLOW if excluded is Effect.NONE else Effect.NONE
        else:
            named = Effect.ALLOW
        if named is Effect.NONE or not statement.applies(action, resource, facts):
            continue
        if not statement.allow:
            return Effect.DENY
        if named is Effect.ALLOW or best is Effect.NONE:
            best = named
    return best

