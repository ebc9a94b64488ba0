"""Aliases: create, retarget, delete, list."""

from __future__ import annotations

from strongroom.domain.actions import Action
from strongroom.domain.aliases import Alias, check_alias_name
from strongroom.domain.clock import Clock
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import Key
from strongroom.domain.limits import Limits
from strongroom.domain.pagination import Page, decode_marker, page_of
from strongroom.domain.references import KeyRef
from strongroom.errors import KeyUsageError, LimitExceededError, NotFoundError
from strongroom.service.authorization import Authorizer
from strongroom.service.keyring import KeyRing
from strongroom.storage.base import Store


class AliasService:
    def __init__(self, store: Store, ring: KeyRing, authz: Authorizer, clock: Clock, limits: Limits) -> None:
        self._limits = limits
        self._store = store
        self._ring = ring
        self._authz = authz
        self._clock = clock

    def _target(self, ctx: RequestContext, key_ref: KeyRef | str, action: Action) -> Key:
        key = self._ring.resolve(ctx, key_ref)
        self._authz.check_key(ctx, action, key)
        key.check_not_pending_deletion()
        return key

    def _check_room(self, key: Key) -> None:
        if self._store.count_aliases(key.key_id) >= self._limits.aliases_per_key:
            raise LimitExceededError(f"{key.arn} already has {self._limits.aliases_per_key} aliases.")

    def create_alias(self, ctx: RequestContext, name: str, target_key_ref: KeyRef | str) -> Alias:
        check_alias_name(name)
        key = self._target(ctx, target_key_ref, Action.CREATE_ALIAS)
        now = self._clock.now()
        alias = Alias(ctx.caller.account_id, ctx.region, name, key.key_id, now, now)
        with self._store.transaction():
            self._check_room(key)
            self._store.insert_alias(alias)
        self._ring.forget_alias(alias.account_id, alias.region, name)
        return alias

    def update_alias(self, ctx: RequestContext, name: str, target_key_ref: KeyRef | str) -> Alias:
        check_alias_name(name)
        key = self._target(ctx, target_key_ref, Action.UPDATE_ALIAS)
        with self._store.transaction():
            alias = self._store.get_alias(ctx.caller.account_id, ctx.region, name)
            if alias is None:
                raise NotFoundError(f"Alias {alias_arn_of(ctx, name)} is not found.")
            current = self._store.get_key(alias.target_key_id)
            if current is not None:
                self._authz.check_key(ctx, Action.UPDATE_ALIAS, current)
            if current is not None and (current.key_spec, current.key_usage) != (key.key_spec, key.key_usage):
                raise KeyUsageError("The new target key must have the same key spec and usage as the old one.")
            if alias.target_key_id != key.key_id:
                self._check_room(key)
            alias = Alias(alias.account_id, alias.region, name, key.key_id, alias.created_at, self._clock.now())
            self._store.update_alias(alias)
        self._ring.forget_alias(alias.account_id, alias.region, name)
        return alias

    def delete_alias(self, ctx: RequestContext, name: str) -> None:
        check_alias_name(name)
        with self._store.transaction():
            alias = self._store.get_alias(ctx.caller.account_id, ctx.region, name)
            if alias is None:
                raise NotFoundError(f"Alias {alias_arn_of(ctx, name)} is not found.")
            target = self._store.get_key(alias.target_key_id)
            if target is not None:
                self._authz.check_key(ctx, Action.DELETE_ALIAS, target)
            self._store.delete_alias(ctx.caller.account_id, ctx.region, name)
        self._ring.forget_alias(ctx.caller.account_id, ctx.region, name)

    def list_aliases(self, ctx: RequestContext, key_ref: KeyRef | str | None, limit: int | None,
                     marker: str | None) -> Page[Alias]:
        self._authz.check_account(ctx, Action.LIST_ALIASES)
        key_id = self._ring.resolve(ctx, key_ref).key_id if key_ref else None
        limit = limit or 100
        found = self._store.list_aliases(ctx.caller.account_id, ctx.region, key_id, decode_marker(marker),
                                         limit + 1)
        return page_of(found, limit, lambda alias: alias.name)


def alias_arn_of(ctx: RequestContext, name: str) -> str:
    return f"arn:aws:kms:{ctx.region}:{ctx.caller.account_id}:{name}"
