"""Key rotation (automatic and on demand) and the work that falls due with time: rotations and deletions.

Rotation adds a version with fresh material; the newest version encrypts, every version still decrypts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from strongroom.domain import keys as rules
from strongroom.domain.clock import Clock
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import Key, KeyState
from strongroom.domain.pagination import Page, decode_marker, page_of
from strongroom.errors import InvalidRequestError, LimitExceededError
from strongroom.service.keyring import KeyRing
from strongroom.service.keys import KeyService
from strongroom.storage.base import Store
from strongroom.storage.records import StoredVersion

AUTOMATIC = "AUTOMATIC"
ON_DEMAND = "ON_DEMAND"


@dataclass(frozen=True, slots=True)
class Rotation:
    key: Key
    version: int
    material_id: str
    rotated_at: float
    rotation_type: str | None


@dataclass(frozen=True, slots=True)
class DueWorkDone:
    rotated: list[str]
    deleted: list[str]


class RotationService:
    def __init__(self, store: Store, ring: KeyRing, keys: KeyService, clock: Clock) -> None:
        self._store = store
        self._ring = ring
        self._keys = keys
        self._clock = clock

    def _change(self, ctx: RequestContext, key_ref: str, action: str, change: Callable[[Key], Key]) -> Key:
        def checked(key: Key) -> Key:
            key.check_rotatable()
            return change(key)
        return self._keys.change(ctx, key_ref, action, checked)

    def enable_key_rotation(self, ctx: RequestContext, key_ref: str, period_days: int | None) -> Key:
        days = rules.DEFAULT_ROTATION_PERIOD_DAYS if period_days is None else period_days
        if not rules.MIN_ROTATION_PERIOD_DAYS <= days <= rules.MAX_ROTATION_PERIOD_DAYS:
            raise InvalidRequestError(f"RotationPeriodInDays must be between {rules.MIN_ROTATION_PERIOD_DAYS} "
                                      f"and {rules.MAX_ROTATION_PERIOD_DAYS}.")

        def enable(key: Key) -> Key:
            key.check_usable_for_crypto()
            return key.evolve(rotation_period_days=days,
                              next_rotation_at=self._clock.now() + days * rules.DAY_SECONDS)
        return self._change(ctx, key_ref, "kms:EnableKeyRotation", enable)

    def disable_key_rotation(self, ctx: RequestContext, key_ref: str) -> Key:
        def disable(key: Key) -> Key:
            key.check_usable_for_crypto()
            return key.evolve(rotation_period_days=None, next_rotation_at=None)
        return self._change(ctx, key_ref, "kms:DisableKeyRotation", disable)

    def get_key_rotation_status(self, ctx: RequestContext, key_ref: str) -> Key:
        key = self._keys.authorized(ctx, key_ref, "kms:GetKeyRotationStatus")
        key.check_not_pending_deletion()
        return key

    def rotate_key_on_demand(self, ctx: RequestContext, key_ref: str) -> Key:
        def rotate(key: Key) -> Key:
            key.check_usable_for_crypto()
            if key.on_demand_rotations >= rules.MAX_ON_DEMAND_ROTATIONS:
                raise LimitExceededError(
                    f"{key.arn} has reached the limit of {rules.MAX_ON_DEMAND_ROTATIONS} on-demand rotations.")
            return self._add_version(key, ON_DEMAND).evolve(on_demand_rotations=key.on_demand_rotations + 1)
        return self._change(ctx, key_ref, "kms:RotateKeyOnDemand", rotate)

    def _add_version(self, key: Key, rotation_type: str) -> Key:
        version: StoredVersion = self._keys.new_version(key.key_id, key.current_version + 1, rotation_type)
        self._store.add_version(key.key_id, version)
        return key.evolve(current_version=version.version)

    def list_key_rotations(self, ctx: RequestContext, key_ref: str, include_all_material: bool,
                           limit: int | None, marker: str | None) -> Page[Rotation]:
        key = self._keys.authorized(ctx, key_ref, "kms:ListKeyRotations")
        key.check_rotatable()
        after = int(decode_marker(marker) or 0)
        rotations = [Rotation(key, v.version, v.material_id, v.created_at, v.rotation_type)
                     for v in self._store.get_versions(key.key_id)
                     if v.version > after and (include_all_material or v.rotation_type is not None)]
        return page_of(rotations, limit, lambda rotation: str(rotation.version))

    def run_due(self) -> DueWorkDone:
        """Delete keys whose window has ended and rotate keys whose period has passed. Safe to run on
        every node and process at once: each key is re-read and changed inside its own transaction."""
        now = self._clock.now()
        done = DueWorkDone([], [])
        for key_id in self._store.keys_due(now):
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
                    self._ring.remember(rotated)
        return done
