"""Grants: create, list, retire, revoke; grant tokens.

Grants here take effect the moment CreateGrant returns (one store, no propagation delay), so a grant token
only has to be well-formed: it names its grant, and a malformed one is refused as AWS refuses it.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence

from strongroom.crypto.aead import random_bytes
from strongroom.domain.actions import Action
from strongroom.domain.clock import Clock
from strongroom.domain.context import RequestContext
from strongroom.domain.grants import Grant, check_grant_request
from strongroom.domain.key_specs import grant_operations
from strongroom.domain.keys import SYMMETRIC_DEFAULT, Key
from strongroom.domain.limits import Limits
from strongroom.domain.pagination import Page, decode_marker, page_of
from strongroom.domain.references import KeyRef
from strongroom.errors import InvalidGrantError, InvalidRequestError, LimitExceededError, WouldSucceed
from strongroom.service.authorization import Authorizer
from strongroom.service.keyring import KeyRing
from strongroom.storage.base import Store

_PRINCIPAL = re.compile(r"^arn:aws:(iam|sts)::\d{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+|"
                        r"assumed-role/[\w+=,.@/-]+)$")
_TOKEN_VERSION = 1
_TOKEN_BYTES = 1 + 32 + 16


def grant_token(grant_id: str) -> str:
    raw = bytes([_TOKEN_VERSION]) + bytes.fromhex(grant_id) + random_bytes(16)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def grant_id_of_token(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != _TOKEN_BYTES or raw[0] != _TOKEN_VERSION:
        raise InvalidGrantError("The provided grant token is not valid.", token=True)
    return raw[1:33].hex()


def check_principal(name: str, value: str | None) -> None:
    if value is not None and not _PRINCIPAL.match(value):
        raise InvalidRequestError(f"{name} {value} is not a valid principal ARN.")


class GrantService:
    def __init__(self, store: Store, ring: KeyRing, authz: Authorizer, clock: Clock, limits: Limits) -> None:
        self._limits = limits
        self._store = store
        self._ring = ring
        self._authz = authz
        self._clock = clock

    def check_tokens(self, tokens: Sequence[str] | None) -> None:
        for token in tokens or ():
            grant_id_of_token(token)

    def create_grant(self, ctx: RequestContext, key_ref: KeyRef | str, grantee: str, operations: list[str], *,
                     retiring: str | None = None, context_equals: Mapping[str, str] | None = None,
                     context_subset: Mapping[str, str] | None = None, name: str | None = None,
                     check_only: bool = False) -> tuple[Grant, str]:
        check_principal("GranteePrincipal", grantee)
        check_principal("RetiringPrincipal", retiring)
        key = self._ring.resolve(ctx, key_ref, cross_account=True)
        check_grant_request(operations, grant_operations(key.key_spec, key.key_usage), context_equals,
                            context_subset, symmetric=key.key_spec == SYMMETRIC_DEFAULT)
        constraint_type = ("EncryptionContextEquals" if context_equals is not None
                           else "EncryptionContextSubset" if context_subset is not None else None)
        self._authz.check_key(ctx, Action.CREATE_GRANT, key, extra={
            "kms:GrantOperations": list(operations), "kms:GranteePrincipal": grantee,
            "kms:RetiringPrincipal": retiring, "kms:GrantIsForAWSResource": False,
            "kms:GrantConstraintType": constraint_type},
            grant_allows=lambda parent: parent.allows_subgrant(operations, context_equals, context_subset))
        key.check_not_pending_deletion()
        if check_only:
            raise WouldSucceed()
        grant = Grant(random_bytes(32).hex(), key.key_id, name, grantee, retiring, ctx.caller.principal_arn,
                      tuple(operations), dict(context_equals) if context_equals is not None else None,
                      dict(context_subset) if context_subset is not None else None, self._clock.now())
        with self._store.transaction():
            if name:
                existing = self._store.find_grant_by_name(key.key_id, name)
                if existing is not None and existing.same_request(grant):
                    return existing, grant_token(existing.grant_id)
            if self._store.count_grants(key.key_id) >= self._limits.grants_per_key:
                raise LimitExceededError(f"{key.arn} already has {self._limits.grants_per_key} grants.")
            self._store.insert_grant(grant)
        self._authz.forget_grants(key.key_id)
        return grant, grant_token(grant.grant_id)

    def key_of(self, grant: Grant) -> Key | None:
        """The key a grant is for (None once deleted), to describe a grant already read with authorization."""
        return self._ring.get(grant.key_id)

    def list_grants(self, ctx: RequestContext, key_ref: KeyRef | str, *, grant_id: str | None = None,
                    grantee: str | None = None, limit: int | None = None, marker: str | None = None) -> Page[Grant]:
        key = self._ring.resolve(ctx, key_ref, cross_account=True)
        self._authz.check_key(ctx, Action.LIST_GRANTS, key)
        limit = limit or 50
        found = [g for g in self._store.list_grants(key.key_id, decode_marker(marker), 1_000_000)
                 if grant_id in (None, g.grant_id) and grantee in (None, g.grantee_principal)]
        return page_of(found[: limit + 1], limit, lambda g: g.grant_id)

    def list_retirable_grants(self, ctx: RequestContext, retiring_principal: str, limit: int | None,
                              marker: str | None) -> Page[Grant]:
        check_principal("RetiringPrincipal", retiring_principal)
        self._authz.check_account(ctx, Action.LIST_RETIRABLE_GRANTS)
        limit = limit or 50
        found = self._store.list_retirable_grants(retiring_principal, decode_marker(marker), limit + 1)
        return page_of(found, limit, lambda g: g.grant_id)

    def retire_grant(self, ctx: RequestContext, *, token: str | None = None, key_ref: KeyRef | str | None = None,
                     grant_id: str | None = None, check_only: bool = False) -> None:
        """Retire by token, or by key and grant id: the retiring principal, a grantee allowed to, or the root
        of the key's account may."""
        if token is not None:
            grant_id = grant_id_of_token(token)
        elif key_ref is None or grant_id is None:
            raise InvalidRequestError("Specify GrantToken, or both KeyId and GrantId.")
        grant = self._store.get_grant(grant_id)  # type: ignore[arg-type]
        if grant is None or (key_ref is not None and
                             self._ring.resolve(ctx, key_ref, cross_account=True).key_id != grant.key_id):
            raise InvalidGrantError(f"Grant {grant_id} does not exist.")
        key = self._ring.get(grant.key_id)
        is_key_owner = key is not None and ctx.caller.principal_arn == f"arn:aws:iam::{key.account_id}:root"
        if not (grant.may_retire(ctx.caller.principal_arn) or is_key_owner):
            assert key is not None
            self._authz.check_key(ctx, Action.RETIRE_GRANT, key)
        if check_only:
            raise WouldSucceed()
        self._store.delete_grant(grant.grant_id)
        self._authz.forget_grants(grant.key_id)

    def revoke_grant(self, ctx: RequestContext, key_ref: KeyRef | str, grant_id: str, *,
                     check_only: bool = False) -> None:
        key = self._ring.resolve(ctx, key_ref, cross_account=True)
        self._authz.check_key(ctx, Action.REVOKE_GRANT, key)
        grant = self._store.get_grant(grant_id)
        if grant is None or grant.key_id != key.key_id:
            raise InvalidGrantError(f"Grant {grant_id} does not exist for {key.arn}.")
        if check_only:
            raise WouldSucceed()
        self._store.delete_grant(grant_id)
        self._authz.forget_grants(key.key_id)
