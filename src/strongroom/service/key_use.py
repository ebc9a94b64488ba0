"""The checks every cryptographic operation makes on its key, in AWS's order: resolve (any account, by ARN),
authorize, then the key's usage, then its state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strongroom.domain.actions import Action
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import Key
from strongroom.domain.references import KeyRef, requested_alias
from strongroom.service.authorization import Authorizer
from strongroom.service.keyring import KeyRing


def key_for_use(ring: KeyRing, authz: Authorizer, ctx: RequestContext, key_ref: KeyRef | str, action: Action,
                usage: str, *,
                context: Mapping[str, str] | None = None, extra: Mapping[str, Any] | None = None) -> Key:
    key = ring.resolve(ctx, key_ref, cross_account=True)
    check_use(authz, ctx, key, key_ref, action, usage, context=context, extra=extra)
    return key


def check_use(authz: Authorizer, ctx: RequestContext, key: Key, key_ref: KeyRef | str | None, action: Action,
              usage: str, *,
              context: Mapping[str, str] | None = None, extra: Mapping[str, Any] | None = None) -> None:
    authz.check_key(ctx, action, key, context=context, alias=requested_alias(key_ref),
                    extra=extra)
    key.check_usage(usage)
    key.check_usable_for_crypto()
