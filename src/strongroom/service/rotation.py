"""Key rotation (automatic and on demand) and the work that falls due with time: rotations, deletions, and
imported key material reaching its ValidTo.

Rotation adds a version with fresh material; the newest version encrypts, every version still decrypts. A key
with imported material rotates on demand only, to the material imported beforehand (ImportType
NEW_KEY_MATERIAL), which is then current.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from strongroom.domain import keys as rules
from strongroom.domain.actions import Action
from strongroom.domain.clock import Clock
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import Key, KeyState, KeyVersion, Origin
from strongroom.domain.limits import Limits
from strongroom.domain.pagination import Page, decode_marker, page_of
from strongroom.domain.references import KeyRef
from strongroom.errors import InvalidRequestError, KeyStateError, LimitExceededError
from strongroom.service.keyring import KeyRing
from strongroom.service.keys import KeyService
from strongroom.service.material_expiry import due, expire_material
from strongroom.storage.base import Store
from strongroom.storage.records import StoredVersion

if TYPE_CHECKING:  # named_keys imports this module (AUTOMATIC, ON_DEMAND): only the type is needed here
    from strongroom.service.named_keys import NamedKeyService

AUTOMATIC = "AUTOMATIC"
ON_DEMAND = "ON_DEMAND"


@dataclass(frozen=True, slots=True)
class Rotation:
    key: Key
    version: int
    material_id: str
    rotated_at: float
    rotation_type: str | None
    material: KeyVersion | None = None

    @property
    def state(self) -> str:
        """AWS's KeyMaterialState: CURRENT, NON_CURRENT, or PENDING_ROTATION (imported, not yet rotated to)."""
        if self.version == self.key.current_version:
            return "CURRENT"
        return "PENDING_ROTATION" if self.version > self.key.current_version else "NON_CURRENT"


@dataclass(frozen=True, slots=True)
class DueWorkDone:
    rotated: list[str]
    deleted: list[str]
    expired: list[str] = field(default_factory=list)  # keys whose imported material reached its ValidTo


class RotationService:
    def __init__(self, store: Store, ring: KeyRing, keys: KeyService, clock: Clock, limits: Limits,
                 named: NamedKeyService | None = None) -> None:
        self._named = named  # keys named in a name space rotate by their own period (``core.auto_rotate_period``)
        self._limits = limits
        self._store = store
        self._ring = ring
        self._keys = keys
        self._clock = clock

    def _change(self, ctx: RequestContext, key_ref: KeyRef | str, action: Action, change: Callable[[Key], Key],
                on_demand: bool = False) -> Key:
        def checked(key: Key) -> Key:
            if on_demand:
                key.check_rotatable_on_demand()
            else:
                key.check_rotatable()
            return change(key)
        return self._keys.change(ctx, key_ref, action, checked)

    def enable_key_rotation(self, ctx: RequestContext, key_ref: KeyRef | str, period_days: int | None) -> Key:
        days = rules.DEFAULT_ROTATION_PERIOD_DAYS if period_days is None else period_days
        if not rules.MIN_ROTATION_PERIOD_DAYS <= days <= rules.MAX_ROTATION_PERIOD_DAYS:
            raise InvalidRequestError(f"RotationPeriodInDays must be between {rules.MIN_ROTATION_PERIOD_DAYS} "
                                      f"and {rules.MAX_ROTATION_PERIOD_DAYS}.")

        def enable(key: Key) -> Key:
            key.check_usable_for_crypto()
            return key.evolve(rotation_period_days=days,
                              next_rotation_at=self._clock.now() + days * rules.DAY_SECONDS)
        return self._change(ctx, key_ref, Action.ENABLE_KEY_ROTATION, enable)

    def disable_key_rotation(self, ctx: RequestContext, key_ref: KeyRef | str) -> Key:
        def disable(key: Key) -> Key:
            key.check_usable_for_crypto()
            return key.evolve(rotation_period_days=None, next_rotation_at=None)
        return self._change(ctx, key_ref, Action.DISABLE_KEY_ROTATION, disable)

    def get_key_rotation_status(self, ctx: RequestContext, key_ref: KeyRef | str) -> Key:
        key = self._keys.authorized(ctx, key_ref, Action.GET_KEY_ROTATION_STATUS)
        key.check_not_pending_deletion()
        return key

    def rotate_key_on_demand(self, ctx: RequestContext, key_ref: KeyRef | str) -> Key:
        def rotate(key: Key) -> Key:
            key.check_usable_for_crypto()
            if key.on_demand_rotations >= self._limits.on_demand_rotations_per_key:
                limit = self._limits.on_demand_rotations_per_key
                raise LimitExceededError(f"{key.arn} has reached the limit of {limit} on-demand rotations.")
            rotated = self._to_imported(key) if key.origin == Origin.EXTERNAL else self._add_version(key, ON_DEMAND)
            return rotated.evolve(on_demand_rotations=key.on_demand_rotations + 1)
        rotated = self._change(ctx, key_ref, Action.ROTATE_KEY_ON_DEMAND, rotate, on_demand=True)
        self._ring.forget_material(rotated.key_id)
        return rotated

    def _to_imported(self, key: Key) -> Key:
        """Make the imported material pending rotation the current one."""
        pending = next((v for v in self._store.get_versions(key.key_id)
                        if v.version == key.current_version + 1 and v.has_material), None)
        if pending is None:
            raise KeyStateError(f"{key.arn} has no imported key material pending rotation; import new key material "
                                "(ImportType NEW_KEY_MATERIAL) first.")
        self._store.update_version(key.key_id, replace(pending, rotation_type=ON_DEMAND, created_at=self._clock.now()))
        return key.evolve(current_version=pending.version)

    def _add_version(self, key: Key, rotation_type: str) -> Key:
        version: StoredVersion = self._keys.new_version(key.key_id, key.current_version + 1, rotation_type)
        self._store.add_version(key.key_id, version)
        return key.evolve(current_version=version.version)

    def list_key_rotations(self, ctx: RequestContext, key_ref: KeyRef | str, include_all_material: bool,
                           limit: int | None, marker: str | None) -> Page[Rotation]:
        key = self._keys.authorized(ctx, key_ref, Action.LIST_KEY_ROTATIONS)
        key.check_rotatable_on_demand()
        after = int(decode_marker(marker) or 0)
        rotations = [Rotation(key, v.version, v.material_id, v.created_at, v.rotation_type, v)
                     for v in self._ring.materials(key)
                     if v.version > after and (include_all_material or v.rotation_type is not None)]
        return page_of(rotations, limit, lambda rotation: str(rotation.version))

    def run_due(self) -> DueWorkDone:
        """Delete keys whose window has ended, delete imported material past its ValidTo, and rotate keys whose
        period has passed. Safe to run on every node and process at once: each key is re-read and changed
        inside its own transaction."""
        now = self._clock.now()
        done = DueWorkDone([], [])
        for key_id in self._store.keys_due(now):
            if self._named is not None and self._named.rotate_if_due(key_id):
                done.rotated.append(key_id)
                continue
            if due(self._store.get_versions(key_id), now):
                key, expired = expire_material(self._store, key_id, now)
                self._ring.forget_material(key_id)
                if key is not None and expired:
                    done.expired.append(key_id)
                    self._ring.remember(key)
            with self._store.transaction():
                key = self._store.get_key(key_id)
                if key is None:
                    continue
                if key.state is KeyState.PENDING_DELETION and key.deletion_date and key.deletion_date <= now:
                    self._store.delete_key(key_id)
                    done.deleted.append(key_id)
                    self._ring.forget_key(key_id)
                    continue
                if (key.state is KeyState.ENABLED and key.rotation_period_days and key.next_rotation_at
                        and key.next_rotation_at <= now):
                    rotated = self._add_version(key, AUTOMATIC).evolve(
                        next_rotation_at=now + key.rotation_period_days * rules.DAY_SECONDS)
                    self._store.update_key(rotated)
                    done.rotated.append(key_id)
                    self._ring.forget_material(key_id)
                    self._ring.remember(rotated)
        return done
