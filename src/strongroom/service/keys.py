"""Key lifecycle: create, describe, list, enable, disable, schedule and cancel deletion, tags, policy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from strongroom.crypto import keygen
from strongroom.crypto.aead import random_bytes
from strongroom.domain import keys as rules
from strongroom.domain.actions import Action
from strongroom.domain.audit import AuditEvent
from strongroom.domain.clock import Clock
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import Key, KeyState, KeyVersion, Origin
from strongroom.domain.limits import Limits
from strongroom.domain.pagination import Page, decode_marker, page_of
from strongroom.domain.policy import DEFAULT_POLICY_NAME, PolicyDocument, default_key_policy, parse_policy
from strongroom.domain.references import KeyRef, new_key_id, requested_alias
from strongroom.domain.tags import merged_tags
from strongroom.errors import (
    InvalidRequestError,
    KeyStateError,
    LimitExceededError,
    MalformedPolicyError,
    NotFoundError,
)
from strongroom.service.audit import AuditTrail
from strongroom.service.authorization import Authorizer
from strongroom.service.key_hierarchy import KeyHierarchy, material_label
from strongroom.service.keyring import KeyRing, key_version
from strongroom.service.material_expiry import material_complete
from strongroom.storage.base import Store
from strongroom.storage.records import StoredVersion


@dataclass(frozen=True, slots=True)
class KeyUsageRecord:
    key: Key
    tracking_start: float
    last: AuditEvent | None


LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."


def new_material_id() -> str:
    return random_bytes(32).hex()


class KeyService:
    def __init__(self, store: Store, ring: KeyRing, secrets: KeyHierarchy, authz: Authorizer, clock: Clock,
                 audit: AuditTrail, limits: Limits) -> None:
        self._audit = audit
        self._limits = limits
        self._store = store
        self._ring = ring
        self._secrets = secrets
        self._authz = authz
        self._clock = clock

    def new_version(self, key_id: str, version: int, rotation_type: str | None,
                    key_spec: str = rules.SYMMETRIC_DEFAULT) -> StoredVersion:
        """Fresh material of ``key_spec`` for one version of a key, wrapped before it goes anywhere."""
        wrapped = self._secrets.wrap(keygen.new_material(key_spec), material_label(key_id, version))
        return StoredVersion(version, new_material_id(), self._clock.now(), rotation_type, wrapped)

    def _check_lockout(self, ctx: RequestContext, key: Key, policy: PolicyDocument) -> None:
        facts = self._authz.facts(ctx, key)
        if not self._authz.allows(ctx, Action.PUT_KEY_POLICY, key, facts, policy)[0]:
            raise MalformedPolicyError(LOCKOUT_MESSAGE)

    def create_key(self, ctx: RequestContext, *, description: str = "", key_usage: str | None = None,
                   key_spec: str | None = None, origin: str | None = None, policy: str | None = None,
                   tags: Sequence[tuple[str, str]] = (), multi_region: bool = False,
                   bypass_policy_lockout_check: bool = False) -> Key:
        key_spec = key_spec or rules.SYMMETRIC_DEFAULT
        key_usage = key_usage or rules.KeyUsage.ENCRYPT_DECRYPT
        origin = origin or rules.Origin.AWS_KMS
        request_tags = dict(tags)
        self._authz.check_account(ctx, Action.CREATE_KEY, request_tags=request_tags, extra={
            "kms:KeySpec": key_spec, "kms:KeyUsage": key_usage, "kms:KeyOrigin": origin,
            "kms:MultiRegion": multi_region})
        rules.check_creatable(key_spec, key_usage, origin)
        keygen.check_supported(key_spec)
        if multi_region:
            raise rules.UnsupportedError("Multi-Region keys are not supported by this server yet.")
        key_id = new_key_id()
        imported = origin == rules.Origin.EXTERNAL  # no material (version 0) until ImportKeyMaterial
        key = Key(key_id=key_id, account_id=ctx.caller.account_id, region=ctx.region,
                  created_at=self._clock.now(), description=description, key_spec=key_spec,
                  key_usage=key_usage, origin=origin, policy=policy, tags=merged_tags({}, tags),
                  state=KeyState.PENDING_IMPORT if imported else KeyState.ENABLED,
                  current_version=0 if imported else 1)
        if policy is not None:
            document = parse_policy(policy, max_bytes=self._limits.key_policy_bytes)
            if not bypass_policy_lockout_check:
                self._check_lockout(ctx, key, document)
        with self._store.transaction():
            if self._store.count_region_keys(key.account_id, key.region) >= self._limits.keys_per_region:
                raise LimitExceededError(f"The account already has {self._limits.keys_per_region} keys in "
                                         f"{key.region}.")
            self._store.insert_key(key, None if imported else self.new_version(key_id, 1, None, key_spec))
        self._ring.remember(key)
        return key

    def describe_key(self, ctx: RequestContext, key_ref: KeyRef | str) -> Key:
        key = self._ring.resolve(ctx, key_ref, cross_account=True)
        self._authz.check_key(ctx, Action.DESCRIBE_KEY, key, alias=requested_alias(key_ref))
        return key

    def last_usage(self, ctx: RequestContext, key_ref: KeyRef | str) -> KeyUsageRecord:
        """GetKeyLastUsage, from the audit trail: the last successful cryptographic use of the key."""
        key = self._ring.resolve(ctx, key_ref, cross_account=True)
        self._authz.check_key(ctx, Action.GET_KEY_LAST_USAGE, key)
        stored = self._audit.last_key_usage(key.arn)
        start = self._audit.tracking_start()
        return KeyUsageRecord(key, start if start is not None else self._clock.now(),
                              stored.event if stored is not None else None)

    def current_material(self, key: Key) -> KeyVersion | None:
        """What is known about the key's current material (None before any material was imported)."""
        return self._ring.material(key, key.current_version)

    def current_material_id(self, key: Key) -> str | None:
        current = self.current_material(key)
        return current.material_id if current is not None else None

    def list_keys(self, ctx: RequestContext, limit: int | None, marker: str | None) -> Page[Key]:
        self._authz.check_account(ctx, Action.LIST_KEYS)
        after = decode_marker(marker)
        limit = limit or 100
        found = self._store.list_keys(ctx.caller.account_id, ctx.region, after, limit + 1)
        return page_of(found, limit, lambda key: key.key_id)

    def authorized(self, ctx: RequestContext, key_ref: KeyRef | str, action: Action, **facts: object) -> Key:
        """Resolve a KeyId of the caller's account (no alias) and check the caller may do ``action`` on it."""
        key = self._ring.resolve(ctx, key_ref)
        self._authz.check_key(ctx, action, key, **facts)  # type: ignore[arg-type]
        return key

    def change(self, ctx: RequestContext, key_ref: KeyRef | str, action: Action, change: Callable[[Key], Key],
               **facts: object) -> Key:
        """Authorize, then read-modify-write one key inside a transaction, from fresh state."""
        found = self.authorized(ctx, key_ref, action, **facts)
        with self._store.transaction():
            key = self._store.get_key(found.key_id)
            if key is None:
                raise NotFoundError(f"Key '{key_ref}' does not exist")
            updated = change(key)
            if updated is not key:
                self._store.update_key(updated)
        self._ring.remember(updated)
        return updated

    def enable_key(self, ctx: RequestContext, key_ref: KeyRef | str) -> Key:
        def enable(key: Key) -> Key:
            key.check_not_pending_deletion()
            key.check_not_pending_import()
            return key if key.state is KeyState.ENABLED else key.evolve(state=KeyState.ENABLED)
        return self.change(ctx, key_ref, Action.ENABLE_KEY, enable)

    def disable_key(self, ctx: RequestContext, key_ref: KeyRef | str) -> Key:
        def disable(key: Key) -> Key:
            key.check_not_pending_deletion()
            key.check_not_pending_import()
            return key if key.state is KeyState.DISABLED else key.evolve(state=KeyState.DISABLED)
        return self.change(ctx, key_ref, Action.DISABLE_KEY, disable)

    def schedule_key_deletion(self, ctx: RequestContext, key_ref: KeyRef | str, pending_window_days: int | None) -> Key:
        days = rules.DEFAULT_PENDING_WINDOW_DAYS if pending_window_days is None else pending_window_days
        if not rules.MIN_PENDING_WINDOW_DAYS <= days <= rules.MAX_PENDING_WINDOW_DAYS:
            raise InvalidRequestError(
                f"PendingWindowInDays must be between {rules.MIN_PENDING_WINDOW_DAYS} and "
                f"{rules.MAX_PENDING_WINDOW_DAYS}.")

        def schedule(key: Key) -> Key:
            key.check_not_pending_deletion()
            return key.evolve(state=KeyState.PENDING_DELETION, pending_window_days=days,
                              deletion_date=self._clock.now() + days * rules.DAY_SECONDS)
        return self.change(ctx, key_ref, Action.SCHEDULE_KEY_DELETION, schedule)

    def cancel_key_deletion(self, ctx: RequestContext, key_ref: KeyRef | str) -> Key:
        def cancel(key: Key) -> Key:
            if key.state is not KeyState.PENDING_DELETION:
                raise KeyStateError(f"{key.arn} is not pending deletion.")
            versions = self._store.get_versions(key.key_id)
            complete = key.origin != rules.Origin.EXTERNAL or material_complete(key, versions)
            return key.evolve(state=KeyState.DISABLED if complete else KeyState.PENDING_IMPORT, deletion_date=None,
                              pending_window_days=None)
        return self.change(ctx, key_ref, Action.CANCEL_KEY_DELETION, cancel)

    def update_key_description(self, ctx: RequestContext, key_ref: KeyRef | str, description: str) -> Key:
        def describe(key: Key) -> Key:
            key.check_not_pending_deletion()
            return key.evolve(description=description)
        return self.change(ctx, key_ref, Action.UPDATE_KEY_DESCRIPTION, describe)

    # --- tags ---------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, key_ref: KeyRef | str, tags: Sequence[tuple[str, str]]) -> Key:
        def tag(key: Key) -> Key:
            key.check_not_pending_deletion()
            return key.evolve(tags=merged_tags(key.tags, tags))
        return self.change(ctx, key_ref, Action.TAG_RESOURCE, tag, request_tags=dict(tags))

    def untag_resource(self, ctx: RequestContext, key_ref: KeyRef | str, tag_keys: Sequence[str]) -> Key:
        def untag(key: Key) -> Key:
            key.check_not_pending_deletion()
            return key.evolve(tags={k: v for k, v in key.tags.items() if k not in set(tag_keys)})
        return self.change(ctx, key_ref, Action.UNTAG_RESOURCE, untag, extra={"aws:TagKeys": list(tag_keys)})

    def list_resource_tags(self, ctx: RequestContext, key_ref: KeyRef | str, limit: int | None,
                           marker: str | None) -> Page[tuple[str, str]]:
        key = self.authorized(ctx, key_ref, Action.LIST_RESOURCE_TAGS)
        after = decode_marker(marker) or ""
        items = sorted((k, v) for k, v in key.tags.items() if k > after)
        return page_of(items, limit, lambda item: item[0])

    # --- key policy ---------------------------------------------------------------------------

    def get_key_policy(self, ctx: RequestContext, key_ref: KeyRef | str, policy_name: str | None) -> str:
        key = self.authorized(ctx, key_ref, Action.GET_KEY_POLICY)
        if (policy_name or DEFAULT_POLICY_NAME) != DEFAULT_POLICY_NAME:
            raise NotFoundError(f"Policy {policy_name} does not exist for {key.arn}.")
        return key.policy or default_key_policy(key.account_id)

    def list_key_policies(self, ctx: RequestContext, key_ref: KeyRef | str) -> list[str]:
        self.authorized(ctx, key_ref, Action.LIST_KEY_POLICIES)
        return [DEFAULT_POLICY_NAME]

    def set_version_enabled(self, ctx: RequestContext, key_ref: KeyRef | str, version: int,
                            enabled: bool) -> KeyVersion:
        """Enable or disable one version of a key; a disabled version is refused for every use (encrypt with it
        as the current version too), the key's other versions are not."""
        key = self.authorized(ctx, key_ref, Action.ENABLE_KEY if enabled else Action.DISABLE_KEY)
        ctx.note.version(version)
        with self._store.transaction():
            stored = next((v for v in self._store.get_versions(key.key_id) if v.version == version), None)
            if stored is None:
                raise NotFoundError(f"Version {version} of key '{key.key_id}' does not exist")
            if stored.enabled != enabled:
                stored = replace(stored, enabled=enabled)
                self._store.update_version(key.key_id, stored)
        self._ring.forget_material(key.key_id)
        return key_version(stored, key.origin is Origin.EXTERNAL)

    def put_key_policy(self, ctx: RequestContext, key_ref: KeyRef | str, policy_name: str | None, policy: str, *,
                       bypass_policy_lockout_check: bool = False) -> Key:
        if (policy_name or DEFAULT_POLICY_NAME) != DEFAULT_POLICY_NAME:
            raise InvalidRequestError(f"PolicyName must be {DEFAULT_POLICY_NAME}.")
        document = parse_policy(policy, max_bytes=self._limits.key_policy_bytes)

        def put(key: Key) -> Key:
            key.check_not_pending_deletion()
            updated = key.evolve(policy=policy)
            if not bypass_policy_lockout_check:
                self._check_lockout(ctx, updated, document)
            return updated
        return self.change(ctx, key_ref, Action.PUT_KEY_POLICY, put)
