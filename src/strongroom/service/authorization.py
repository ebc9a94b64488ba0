"""Authorization as AWS KMS does it, evaluated once in the core for every front end.

For an action on a key:
1. An explicit Deny in the key policy or in the caller's identity policies refuses.
2. A key policy that allows the caller directly allows (cross-account: the caller's identity policies must
   allow too, unless the caller is that account's root).
3. A key policy that allows the caller's account delegates: the caller's identity policies decide (an
   account root may do anything its account may).
4. Otherwise a grant for the caller, the operation and the request's encryption context allows.
Actions on no key (CreateKey, ListKeys, ...) are decided by identity policies alone.
Every refusal is logged with who, what and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from strongroom.domain.actions import Action
from strongroom.domain.clock import Clock
from strongroom.domain.context import RequestContext
from strongroom.domain.grants import Grant
from strongroom.domain.keys import Key
from strongroom.domain.policy import Effect, PolicyDocument, RequestFacts, default_key_policy, evaluate, parse_policy
from strongroom.errors import AccessDeniedError
from strongroom.service.caches import StoreCaches
from strongroom.service.principals import Principals
from strongroom.storage.base import Store

log = logging.getLogger("strongroom.authz")

_NO_RESOURCE_POLICY = "because no resource-based policy allows the {action} action"
_NO_IDENTITY_POLICY = "because no identity-based policy allows the {action} action"
_RESOURCE_DENY = "with an explicit deny in a resource-based policy"
_IDENTITY_DENY = "with an explicit deny in an identity-based policy"


class Authorizer:
    def __init__(self, store: Store, principals: Principals, clock: Clock, caches: StoreCaches) -> None:
        self._store = store
        self._principals = principals
        self._clock = clock
        self._caches = caches
        self._policies: dict[str, tuple[str | None, PolicyDocument]] = {}
        self._grants: dict[str, tuple[Grant, ...]] = {}
        caches.register(self._policies)
        caches.register(self._grants)

    # --- what is evaluated --------------------------------------------------------------------

    def key_policy(self, key: Key) -> PolicyDocument:
        cached = self._policies.get(key.key_id)
        if cached is not None and cached[0] == key.policy:
            return cached[1]
        document = parse_policy(key.policy or default_key_policy(key.account_id))
        self._policies[key.key_id] = (key.policy, document)
        return document

    def grants_for(self, key_id: str) -> tuple[Grant, ...]:
        self._caches.sync()
        found = self._grants.get(key_id)
        if found is None:
            found = tuple(self._store.list_grants(key_id, None, 1_000_000))
            self._grants[key_id] = found
        return found

    def forget_grants(self, key_id: str) -> None:
        self._grants.pop(key_id, None)

    def facts(self, ctx: RequestContext, key: Key | None, *, context: Mapping[str, str] | None = None,
              alias: str | None = None, extra: Mapping[str, Any] | None = None,
              request_tags: Mapping[str, str] | None = None) -> RequestFacts:
        caller = ctx.caller
        now = self._clock.now

        def values() -> dict[str, Any]:
            found: dict[str, Any] = {
                "kms:calleraccount": caller.account_id,
                "aws:principalarn": caller.principal_arn,
                "aws:principalaccount": caller.account_id,
                "aws:username": caller.user_name,
                "aws:sourceip": ctx.source_ip or None,
                "aws:securetransport": ctx.secure_transport,
                "aws:currenttime": lambda: datetime.fromtimestamp(now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "aws:epochtime": lambda: int(now()),
                "kms:requestalias": alias,
                "kms:encryptioncontextkeys": list(context) if context else None,
            }
            if key is not None:
                found.update({
                    "kms:keyspec": key.key_spec, "kms:customermasterkeyspec": key.key_spec,
                    "kms:keyusage": key.key_usage, "kms:customermasterkeyusage": key.key_usage,
                    "kms:keyorigin": key.origin, "kms:multiregion": key.multi_region,
                    "kms:resourcealiases": lambda: [a.name for a in self._store.list_aliases(
                        key.account_id, key.region, key.key_id, None, 100)],
                })
            if request_tags is not None:
                found["aws:tagkeys"] = list(request_tags)
            if extra:
                found.update({k.lower(): v for k, v in extra.items()})
            return found
        return RequestFacts(values, context or {}, key.tags if key is not None else {}, request_tags or {})

    # --- decisions ----------------------------------------------------------------------------

    def _identity(self, ctx: RequestContext, action: Action, resource: str, facts: RequestFacts) -> Effect:
        if ctx.caller.is_root:
            return Effect.ALLOW
        best = Effect.NONE
        for document in self._principals.identity_policies(ctx.caller):
            effect = evaluate(document, action, resource, facts, principal_arn=ctx.caller.principal_arn,
                              account_id=ctx.caller.account_id)
            if effect is Effect.DENY:
                return effect
            if effect is not Effect.NONE:
                best = Effect.ALLOW
        return best

    def allows(self, ctx: RequestContext, action: Action, key: Key, facts: RequestFacts,
               policy: PolicyDocument | None = None,
               grant_allows: Callable[[Grant], bool] | None = None) -> tuple[bool, str]:
        """Whether the caller may do ``action`` on ``key``, and if not, AWS's reason. ``grant_allows``: a
        further test a grant must pass to allow (CreateGrant through a grant is limited to narrower grants)."""
        caller = ctx.caller
        resource = key.arn
        key_effect = evaluate(policy or self.key_policy(key), action, resource, facts,
                              principal_arn=caller.principal_arn, account_id=caller.account_id)
        if key_effect is Effect.DENY:
            return False, _RESOURCE_DENY
        identity = self._identity(ctx, action, resource, facts)
        if identity is Effect.DENY:
            return False, _IDENTITY_DENY
        same_account = caller.account_id == key.account_id
        if key_effect is Effect.ALLOW and (same_account or identity is Effect.ALLOW):
            return True, ""
        if key_effect is Effect.ALLOW_ACCOUNT and identity is Effect.ALLOW:
            return True, ""
        operation = action.split(":", 1)[1]
        context = facts.encryption_context
        if any(g.permits(operation, caller.principal_arn, context) and (grant_allows is None or grant_allows(g))
               for g in self.grants_for(key.key_id)):
            return True, ""
        if key_effect is Effect.NONE:
            return False, _NO_RESOURCE_POLICY.format(action=action)
        return False, _NO_IDENTITY_POLICY.format(action=action)

    def check_key(self, ctx: RequestContext, action: Action, key: Key, *, context: Mapping[str, str] | None = None,
                  alias: str | None = None, extra: Mapping[str, Any] | None = None,
                  request_tags: Mapping[str, str] | None = None,
                  grant_allows: Callable[[Grant], bool] | None = None) -> None:
        facts = self.facts(ctx, key, context=context, alias=alias, extra=extra, request_tags=request_tags)
        allowed, reason = self.allows(ctx, action, key, facts, grant_allows=grant_allows)
        if not allowed:
            self._deny(ctx, action, key.arn, reason)

    def check_account(self, ctx: RequestContext, action: Action, *, resource: str = "*",
                      extra: Mapping[str, Any] | None = None, request_tags: Mapping[str, str] | None = None) -> None:
        facts = self.facts(ctx, None, extra=extra, request_tags=request_tags)
        effect = self._identity(ctx, action, resource, facts)
        if effect is Effect.DENY:
            self._deny(ctx, action, resource, _IDENTITY_DENY)
        if effect is not Effect.ALLOW:
            self._deny(ctx, action, resource, _NO_IDENTITY_POLICY.format(action=action))

    def _deny(self, ctx: RequestContext, action: Action, resource: str, reason: str) -> None:
        message = (f"User: {ctx.caller.principal_arn} is not authorized to perform: {action} on resource: "
                   f"{resource} {reason}")
        log.warning("access denied (request %s): %s", ctx.request_id, message)
        raise AccessDeniedError(message)
