"""Keys addressed by a caller-chosen name in a namespace, used version by version.

This is the key model the version-addressed protocols need (Vault's Transit engine, later KMIP and the clouds):
a key is named ``name`` in ``name_space`` of the caller's account; every ciphertext, signature and MAC names
the version that made it; the key's window (``min_decryption_version`` .. latest, and
``min_encryption_version``) is enforced here, for every protocol; material leaves only through ``export``, for
keys created (or later made, irreversibly) exportable, authorized as ``kms:ExportKey`` and audited, or through
``backup`` (every version at once; ``kms:BackupKey`` and ``kms:ExportKey``), whose output ``restore`` takes back
(``kms:RestoreKey``). A key with a ``core.auto_rotate_period`` attribute gets a new version before its first use or
read once that period has passed since its latest version was made.

Such a key is one key of the store: it has a key id and, where its spec is an AWS one (``SYMMETRIC_DEFAULT``,
RSA, ECC), it is usable through the AWS API by that id too. Every call authorizes its action against the key's
policy, the caller's identity policies and grants, as for AWS requests, and notes the key and version it used
in the request's audit note.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from strongroom.crypto import versioned_keys as vk
from strongroom.crypto.aead import random_bytes
from strongroom.domain.actions import Action
from strongroom.domain.clock import Clock
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import Key, KeyState, KeyUsage, KeyVersion
from strongroom.domain.limits import Limits
from strongroom.domain.references import new_key_id
from strongroom.errors import (
    AlreadyExistsError,
    InvalidCiphertextError,
    InvalidRequestError,
    KeyStateError,
    LimitExceededError,
    NotFoundError,
    UnsupportedError,
)
from strongroom.service.authorization import Authorizer
from strongroom.service.caches import BoundedCache
from strongroom.service.key_hierarchy import KeyHierarchy, material_label
from strongroom.service.keyring import KeyRing, key_version
from strongroom.service.keys import new_material_id
from strongroom.service.rotation import AUTOMATIC, ON_DEMAND
from strongroom.service.seeding import check_key_id
from strongroom.storage.base import Store
from strongroom.storage.records import StoredVersion

_USAGE = {vk.HMAC_SPEC: KeyUsage.GENERATE_VERIFY_MAC, vk.ED25519_SPEC: KeyUsage.SIGN_VERIFY,
          **{s: KeyUsage.SIGN_VERIFY for s in vk.ECDSA_SPECS}}
_MAX_CACHED = 100_000
WRAPPING_KEY_NAME = "/wrapping-key"  # a namespace's import wrapping key: no caller's name has a "/"
AUTO_ROTATE_PERIOD = "core.auto_rotate_period"  # attribute: seconds after which a key's latest version is replaced


@dataclass(frozen=True, slots=True)
class NamedKey:
    """A key and what may be said of its versions: number → creation time."""

    key: Key
    versions: dict[int, float]

    @property
    def latest_version(self) -> int:
        return self.key.current_version

    @property
    def min_available_version(self) -> int:
        return min(self.versions, default=0)


@dataclass(frozen=True, slots=True)
class VersionBackup:
    """One version of a key in a backup: its number, creation time and material in Vault's ``KeyEntry`` members
    (``VersionedKey.backup_entry``). Holds plaintext key material: never logged, never kept."""

    number: int
    created_at: float
    entry: dict[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Use:
    """A version of a key, ready for one operation."""

    key: Key
    version: int
    material: vk.VersionedKey


class NamedKeyService:
    def __init__(self, store: Store, ring: KeyRing, secrets: KeyHierarchy, authz: Authorizer, clock: Clock,
                 limits: Limits) -> None:
        self._store = store
        self._ring = ring
        self._secrets = secrets
        self._authz = authz
        self._clock = clock
        self._limits = limits
        self._usable: BoundedCache[tuple[str, int, str], vk.VersionedKey] = BoundedCache(_MAX_CACHED)
        ring.register(self._usable)

    # --- finding ------------------------------------------------------------------------------

    def _find(self, ctx: RequestContext, name_space: str, name: str) -> Key | None:
        key_id = self._ring.named(ctx.caller.account_id, name_space, name)
        return self._ring.get(key_id) if key_id is not None else None

    def _key(self, ctx: RequestContext, name_space: str, name: str, action: Action) -> Key:
        key = self._find(ctx, name_space, name)
        if key is None or key.state is KeyState.PENDING_DELETION:
            raise NotFoundError(f"key '{name}' not found")
        ctx.note.key(key.arn)
        self._authz.check_key(ctx, action, key)
        return key if action is Action.DELETE_KEY else self._rotated_if_due(key)

    def _rotated_if_due(self, key: Key) -> Key:
        """The key, with a new version first when its ``core.auto_rotate_period`` has passed since its latest version
        was made: a key due for rotation is rotated before anyone uses or reads it again (an automatic rotation,
        whoever's request found it due). Checked again inside the write, so concurrent finders rotate it once."""
        period = _period(key)
        if not period or key.state is not KeyState.ENABLED:
            return key
        latest = self._ring.record(key, key.current_version)
        now = self._clock.now()
        if latest is None or latest.created_at + period > now:
            return key
        with self._store.transaction():
            fresh = self._store.get_key(key.key_id)
            newest = next((v for v in self._store.get_versions(key.key_id) if fresh is not None
                           and v.version == fresh.current_version), None)
            if fresh is None or newest is None or newest.created_at + _period(fresh) > now or not _period(fresh):
                rotated = None
            else:
                number = fresh.current_version + 1
                material = vk.generate_material(fresh.key_spec, _key_size(fresh))
                self._store.add_version(key.key_id, self._version(key.key_id, number, material, rotation=AUTOMATIC))
                rotated = _scheduled(fresh.evolve(current_version=number), now)
                self._store.update_key(rotated)
        self._forget(key)
        if rotated is None:
            return self._ring.get(key.key_id) or key
        return rotated

    def rotate_if_due(self, key_id: str) -> bool:
        """Rotate a named key whose automatic period has passed (the scheduler's call: an automatic rotation, no
        caller to authorize); whether it was."""
        key = self._store.get_key(key_id)  # not the ring's get: that would also expire imported material
        if key is None or key.name_space is None:
            return False
        return self._rotated_if_due(key).current_version != key.current_version

    def authorized(self, ctx: RequestContext, name_space: str, name: str, action: Action) -> Key:
        """The key, once the caller may do ``action`` with it (what a protocol checks of a key before the
        operation's items, each of which then calls ``use``)."""
        return self._key(ctx, name_space, name, action)

    def exists(self, ctx: RequestContext, name_space: str, name: str) -> bool:
        return self._find(ctx, name_space, name) is not None

    def peek(self, ctx: RequestContext, name_space: str, name: str) -> NamedKey | None:
        """The key's facts, not authorized: what a protocol needs to read a request (the key's type, whether it
        derives) before the operation itself, which ``use`` authorizes for its own action."""
        key = self._find(ctx, name_space, name)
        if key is None or key.state is KeyState.PENDING_DELETION:
            return None
        ctx.note.key(key)
        return self._described(key)

    def names(self, ctx: RequestContext, name_space: str) -> list[str]:
        self._authz.check_account(ctx, Action.LIST_KEYS)
        return [n for n in self._store.engines.list_key_names(ctx.caller.account_id, name_space)
                if n != WRAPPING_KEY_NAME]

    def describe(self, ctx: RequestContext, name_space: str, name: str) -> NamedKey:
        key = self._key(ctx, name_space, name, Action.DESCRIBE_KEY)
        return self._described(key)

    def _described(self, key: Key) -> NamedKey:
        return NamedKey(key, {r.version: r.created_at for r in self._ring.records(key.key_id)})

    def use(self, ctx: RequestContext, name_space: str, name: str, action: Action, version: int | None = None, *,
            opening: bool = False) -> Use:
        """The version to use (the latest when ``version`` is None) once the caller may and the key's window
        allows it: ``opening`` (decrypt, verify) needs ``min_decryption_version`` ≤ version ≤ latest; making
        (encrypt, sign) needs ``min_encryption_version`` ≤ version."""
        key = self._key(ctx, name_space, name, action)
        key.check_usable_for_crypto()
        latest = key.current_version
        chosen = latest if not version else version
        if chosen > latest:
            raise InvalidCiphertextError("invalid ciphertext: version is too new") if opening else \
                InvalidRequestError("requested version for encryption is higher than the latest key version")
        if opening and chosen < key.min_decryption_version:
            raise InvalidRequestError("ciphertext or signature version is disallowed by policy (too old)")
        if not opening and version and chosen < key.min_encryption_version:
            raise InvalidRequestError("requested version for encryption is less than the minimum encryption key "
                                      "version")
        if not opening and chosen < key.min_decryption_version:  # below the window: as if it did not exist
            raise InvalidRequestError("no such key version")
        ctx.note.version(chosen)
        return Use(key, chosen, self._material(key, chosen))

    def _material(self, key: Key, version: int, *, enabled_only: bool = True) -> vk.VersionedKey:
        stored = self._ring.record(key, version)  # the key ring's cache: sees a version disabled since
        if stored is None or not stored.has_material:
            raise InvalidRequestError(f"version {version} of key '{key.name}' is not available (trimmed)")
        if enabled_only and not stored.enabled:
            raise KeyStateError(f"version {version} of key '{key.name}' is disabled")
        kdf = key.attributes.get("core.kdf", vk.KDF_HKDF_SHA256)
        cache_key = (key.key_id, version, kdf)
        usable = self._usable.get(cache_key)
        if usable is None:
            material = self._secrets.unwrap(stored.wrapped_material, material_label(key.key_id, version))
            usable = self._usable.put(cache_key, vk.VersionedKey(key.key_spec, material, kdf=kdf))
        return usable

    # --- lifecycle ----------------------------------------------------------------------------

    def _version(self, key_id: str, version: int, material: bytes, created_at: float | None = None, *,
                 rotation: str = ON_DEMAND) -> StoredVersion:
        wrapped = self._secrets.wrap(material, material_label(key_id, version))
        return StoredVersion(version, new_material_id(), self._clock.now() if created_at is None else created_at,
                             None if version == 1 else rotation, wrapped)

    def create(self, ctx: RequestContext, name_space: str, name: str, key_spec: str, *,
               key_size: int | None = None, exportable: bool = False, attributes: dict[str, str] | None = None,
               material: bytes | None = None) -> NamedKey:
        """A new key named ``name`` (AlreadyExistsError if one is). ``material``: imported, already checked."""
        self._authz.check_account(ctx, Action.CREATE_KEY if material is None else Action.IMPORT_KEY_MATERIAL,
                                  extra={"kms:KeySpec": key_spec})
        if key_spec not in vk.KEY_SPECS:
            raise UnsupportedError(f"key spec {key_spec} cannot be named and versioned")
        if name == WRAPPING_KEY_NAME:
            raise InvalidRequestError(f"the name {name} is reserved")
        fresh = material if material is not None else vk.generate_material(key_spec, key_size)
        key = self._create(ctx, name_space, name, key_spec, fresh, origin="EXTERNAL" if material is not None
                           else "AWS_KMS", exportable=exportable, attributes=attributes)
        return self._described(key)

    def _create(self, ctx: RequestContext, name_space: str, name: str, key_spec: str, fresh: bytes, *, origin: str,
                exportable: bool = False, attributes: dict[str, str] | None = None) -> Key:
        key = Key(key_id=new_key_id(), account_id=ctx.caller.account_id, region=ctx.region,
                  created_at=self._clock.now(), key_spec=key_spec,
                  key_usage=_USAGE.get(key_spec, KeyUsage.ENCRYPT_DECRYPT), origin=origin, name_space=name_space,
                  name=name, exportable=exportable, attributes=dict(attributes or {}))
        key = _scheduled(key, key.created_at)
        ctx.note.key(key.arn)
        with self._store.transaction():
            if self._store.engines.get_key_by_name(key.account_id, name_space, name) is not None:
                raise AlreadyExistsError(f"key '{name}' already exists")
            if self._store.count_region_keys(key.account_id, key.region) >= self._limits.keys_per_region:
                raise LimitExceededError(f"The account already has {self._limits.keys_per_region} keys.")
            self._store.insert_key(key, self._version(key.key_id, 1, fresh))
        self._forget(key)
        return key

    def seed(self, ctx: RequestContext, name_space: str, name: str, key_spec: str, materials: Sequence[bytes | None],
             *, key_id: str | None = None, key_size: int | None = None, exportable: bool = False,
             attributes: dict[str, str] | None = None) -> NamedKey:
        """For seeding: a new key named ``name`` with one version per item of ``materials``, oldest first (each
        checked for ``key_spec``, or fresh where None), and the fixed ``key_id`` when one is given: the key with the
        rotation history a seed file describes. AlreadyExistsError if the name or the id is taken."""
        self._authz.check_account(ctx, Action.CREATE_KEY, extra={"kms:KeySpec": key_spec})
        if key_spec not in vk.KEY_SPECS:
            raise UnsupportedError(f"key spec {key_spec} cannot be named and versioned")
        if name == WRAPPING_KEY_NAME or not name or "/" in name:
            raise InvalidRequestError("invalid key name")
        if not materials:
            raise InvalidRequestError("a key has at least one version")
        if key_id is not None:
            check_key_id(key_id)
        made = [vk.generate_material(key_spec, key_size) if m is None else vk.check_material(key_spec, m)
                for m in materials]
        attributes = dict(attributes or {})
        if key_spec == vk.HMAC_SPEC:  # its rotations make material of the size its latest version has
            attributes["core.key_size"] = str(len(made[-1]))
        now = self._clock.now()
        key = Key(key_id=key_id or new_key_id(), account_id=ctx.caller.account_id, region=ctx.region, created_at=now,
                  key_spec=key_spec, key_usage=_USAGE.get(key_spec, KeyUsage.ENCRYPT_DECRYPT), origin="AWS_KMS",
                  name_space=name_space, name=name, current_version=len(made), exportable=exportable,
                  attributes=attributes)
        key = _scheduled(key, now)
        ctx.note.key(key.arn)
        versions = [self._version(key.key_id, number, material, now) for number, material in enumerate(made, 1)]
        with self._store.transaction():
            if self._store.engines.get_key_by_name(key.account_id, name_space, name) is not None:
                raise AlreadyExistsError(f"key '{name}' already exists")
            if self._store.get_key(key.key_id) is not None:
                raise AlreadyExistsError(f"a key with id {key.key_id} already exists")
            if self._store.count_region_keys(key.account_id, key.region) >= self._limits.keys_per_region:
                raise LimitExceededError(f"The account already has {self._limits.keys_per_region} keys.")
            self._store.insert_key(key, versions[0])
            for version in versions[1:]:
                self._store.add_version(key.key_id, version)
        self._forget(key)
        return self._described(key)

    def _change(self, ctx: RequestContext, name_space: str, name: str, action: Action,
                change: Callable[[Key], Key], new_material: Callable[[Key], bytes] | None = None) -> NamedKey:
        """Authorize, then read-modify-write the key from fresh state in one transaction."""
        found = self._key(ctx, name_space, name, action)
        with self._store.transaction():
            key = self._store.get_key(found.key_id)
            if key is None:
                raise NotFoundError(f"key '{name}' not found")
            updated = change(key)
            if new_material is not None:
                version = key.current_version + 1
                self._store.add_version(key.key_id, self._version(key.key_id, version, new_material(key)))
                updated = _scheduled(updated.evolve(current_version=version,
                                                    on_demand_rotations=key.on_demand_rotations + 1), self._clock.now())
            else:
                latest = next((v for v in self._store.get_versions(key.key_id) if v.version == key.current_version),
                              None)
                updated = _scheduled(updated, latest.created_at if latest is not None else self._clock.now())
            if updated != key:
                self._store.update_key(updated)
        self._forget(updated)
        return self._described(updated)

    def configure(self, ctx: RequestContext, name_space: str, name: str, *, min_decryption_version: int | None = None,
                  min_encryption_version: int | None = None, exportable: bool | None = None,
                  attributes: dict[str, str] | None = None) -> NamedKey:
        def configure(key: Key) -> Key:
            dec = key.min_decryption_version if min_decryption_version is None else max(min_decryption_version, 1)
            enc = key.min_encryption_version if min_encryption_version is None else min_encryption_version
            if dec > key.current_version:
                raise InvalidRequestError(f"cannot set min decryption version of {dec}, latest key version is "
                                          f"{key.current_version}")
            if enc > key.current_version:
                raise InvalidRequestError(f"cannot set min encryption version of {enc}, latest key version is "
                                          f"{key.current_version}")
            if enc != 0 and enc < dec:
                raise InvalidRequestError("cannot set min encryption/decryption values; min encryption version "
                                          "must be greater than or equal to min decryption version")
            if dec < self._described(key).min_available_version:
                raise InvalidRequestError("min decryption version should not be less then min available version")
            if exportable is False and key.exportable:
                raise InvalidRequestError("export cannot be disabled on a key that has had it enabled")
            return key.evolve(min_decryption_version=dec, min_encryption_version=enc,
                              exportable=key.exportable or bool(exportable),
                              attributes={**key.attributes, **(attributes or {})})
        return self._change(ctx, name_space, name, Action.UPDATE_KEY_CONFIGURATION, configure)

    def rotate(self, ctx: RequestContext, name_space: str, name: str, material: bytes | None = None, *,
               attributes: dict[str, str] | None = None) -> NamedKey:
        """A new latest version: fresh material, or ``material`` imported (already checked); ``attributes``
        changed in the same write."""
        def change(key: Key) -> Key:
            return key.evolve(attributes={**key.attributes, **attributes}) if attributes else key
        if material is not None:
            return self._change(ctx, name_space, name, Action.IMPORT_KEY_MATERIAL, change, lambda k: material)
        return self._change(ctx, name_space, name, Action.ROTATE_KEY_ON_DEMAND, change,
                            lambda k: vk.generate_material(k.key_spec, _key_size(k)))

    def trim(self, ctx: RequestContext, name_space: str, name: str, min_available_version: int) -> NamedKey:
        """Delete every version below ``min_available_version``, which may not pass the encryption or decryption
        window; the key must have a ``min_encryption_version`` (Vault's rule: trimming below an unset one could
        delete the version a caller still encrypts with)."""
        found = self._key(ctx, name_space, name, Action.UPDATE_KEY_CONFIGURATION)
        trimmed_to = self._described(found).min_available_version
        if min_available_version < (trimmed_to if trimmed_to > 1 else 0):
            raise InvalidRequestError("minimum available version cannot be decremented")
        # The checks and texts are Vault's, in its order (its typos too: clients match on them).
        if not found.min_encryption_version:
            raise InvalidRequestError("minimum available version cannot be set when minimum encryption version is "
                                      "not set")
        if min_available_version > found.min_encryption_version:
            raise InvalidRequestError("minimum available version cannot be greater than minmum encryption version")
        if min_available_version > found.min_decryption_version:
            raise InvalidRequestError("minimum available version cannot be greater than minimum decryption version")
        if min_available_version < 0:
            raise InvalidRequestError("minimum available version cannot be negative")
        with self._store.transaction():
            for stored in self._store.get_versions(found.key_id):
                if stored.version < min_available_version:
                    self._store.delete_version(found.key_id, stored.version)
        self._forget(found)
        return self._described(found)

    def delete(self, ctx: RequestContext, name_space: str, name: str) -> None:
        """Delete the key and every version at once (protocols decide whether their callers may)."""
        key = self._key(ctx, name_space, name, Action.DELETE_KEY)
        self._store.delete_key(key.key_id)
        self._forget(key)

    def delete_namespace(self, ctx: RequestContext, name_space: str) -> int:
        """Delete every key of a namespace (an engine unmounted)."""
        names = self._store.engines.list_key_names(ctx.caller.account_id, name_space)
        for name in names:
            key = self._store.engines.get_key_by_name(ctx.caller.account_id, name_space, name)
            if key is not None:
                self._store.delete_key(key.key_id)
                self._forget(key)
        return len(names)

    def version_details(self, ctx: RequestContext, name_space: str, name: str,
                        action: Action = Action.DESCRIBE_KEY) -> tuple[Key, list[KeyVersion]]:
        """The key and each of its versions' facts (enabled, material present), once the caller may do ``action``
        (``kms:DescribeKey``, or the operation about to be done with one of them)."""
        key = self._key(ctx, name_space, name, action)
        return key, [key_version(r, key.origin == "EXTERNAL") for r in self._ring.records(key.key_id)]

    def destroy_version(self, ctx: RequestContext, name_space: str, name: str, version: int) -> None:
        """Wipe one version's material for good (the version stays, disabled, without material), authorized as
        ``kms:DeleteKey``; the key's other versions are untouched."""
        key = self._key(ctx, name_space, name, Action.DELETE_KEY)
        ctx.note.version(version)
        with self._store.transaction():
            stored = next((v for v in self._store.get_versions(key.key_id) if v.version == version), None)
            if stored is None:
                raise NotFoundError(f"version {version} of key '{name}' does not exist")
            self._store.update_version(key.key_id, replace(stored, wrapped_material=b"", enabled=False))
        self._ring.forget_material(key.key_id)
        self._forget(key)

    def _forget(self, key: Key) -> None:
        self._ring.forget_key(key.key_id)
        self._ring.forget_name(key.account_id, key.name_space or "", key.name or "")
        for cache_key in [k for k in self._usable if k[0] == key.key_id]:
            del self._usable[cache_key]

    # --- material arriving (bring your own key) -------------------------------------------------

    def wrapping_key(self, ctx: RequestContext, name_space: str) -> str:
        """The PEM public key of the namespace's RSA-4096 import wrapping key (made on first use)."""
        self._authz.check_account(ctx, Action.GET_PARAMETERS_FOR_IMPORT)
        return self._wrapping(ctx, name_space).public_key_pem() or ""

    def _wrapping(self, ctx: RequestContext, name_space: str) -> vk.VersionedKey:
        key = self._find(ctx, name_space, WRAPPING_KEY_NAME)
        if key is None:
            try:
                self._create(ctx, name_space, WRAPPING_KEY_NAME, "RSA_4096", vk.generate_material("RSA_4096"),
                             origin="AWS_KMS")
            except AlreadyExistsError:  # made meanwhile by another worker
                pass
            key = self._find(ctx, name_space, WRAPPING_KEY_NAME)
            assert key is not None
        return self._material(key, key.current_version)

    def unwrap_import(self, ctx: RequestContext, name_space: str, key_spec: str, ciphertext: bytes,
                      hash_function: str = "SHA256") -> bytes:
        """Key material a caller wrapped for the namespace's wrapping key, unwrapped and checked for ``key_spec``
        (to be handed to ``create`` or ``rotate``; it stays in the core)."""
        self._authz.check_account(ctx, Action.IMPORT_KEY_MATERIAL)
        unwrapped = self._wrapping(ctx, name_space).unwrap_import(ciphertext, hash_function)
        return vk.check_material(key_spec, unwrapped)

    # --- material leaving ---------------------------------------------------------------------

    def export(self, ctx: RequestContext, name_space: str, name: str, kind: str,
               version: int | None = None) -> dict[int, str]:
        """Versions' material in ``kind``'s encoding (every available version when ``version`` is None)."""
        key = self._key(ctx, name_space, name, Action.EXPORT_KEY)
        if not key.exportable and kind != "public-key":
            raise InvalidRequestError("private key material is not exportable")
        available = self._described(key).versions
        versions = [version] if version else sorted(available)
        out = {}
        for number in versions:
            if number not in available:
                raise InvalidRequestError("invalid key version")
            out[number] = self._material(key, number).export(kind)
        ctx.note.version(versions[-1] if versions else None)
        return out

    def backup(self, ctx: RequestContext, name_space: str, name: str,
               attributes: dict[str, str] | None = None) -> tuple[Key, list[VersionBackup]]:
        """Every available version's material, for a plaintext backup of an exportable key: authorized as both
        ``kms:BackupKey`` and ``kms:ExportKey`` (the material leaves as it does by export) and audited.
        ``attributes``: set on the key in the same step (the protocol's record of the backup)."""
        key = self._key(ctx, name_space, name, Action.BACKUP_KEY)
        self._authz.check_key(ctx, Action.EXPORT_KEY, key)
        if not key.exportable:
            raise InvalidRequestError("exporting is disallowed on the policy")
        versions = [VersionBackup(r.version, r.created_at, self._material(key, r.version).backup_entry())
                    for r in self._ring.records(key.key_id) if r.has_material]
        ctx.note.version(key.current_version)
        if attributes:
            key = self._change(ctx, name_space, name, Action.BACKUP_KEY,
                               lambda k: k.evolve(attributes={**k.attributes, **attributes})).key
        return key, versions

    def restore(self, ctx: RequestContext, name_space: str, name: str, key_spec: str, versions: list[VersionBackup],
                *, latest_version: int, min_decryption_version: int = 1, min_encryption_version: int = 0,
                exportable: bool = False, attributes: dict[str, str] | None = None, imported: bool = False,
                force: bool = False) -> NamedKey:
        """A key named ``name`` made from a backup's versions (their material checked against ``key_spec``),
        authorized as ``kms:RestoreKey``. An existing key of that name is an AlreadyExistsError unless ``force``,
        which replaces it (and needs ``kms:DeleteKey`` on it)."""
        self._authz.check_account(ctx, Action.RESTORE_KEY, extra={"kms:KeySpec": key_spec})
        if key_spec not in vk.KEY_SPECS:
            raise UnsupportedError(f"key spec {key_spec} cannot be named and versioned")
        if name == WRAPPING_KEY_NAME or not name or "/" in name:
            raise InvalidRequestError("invalid key name")
        materials = {v.number: (vk.material_from_backup_entry(key_spec, v.entry), v.created_at) for v in versions}
        if not materials or min(materials) < 1 or latest_version not in materials or max(materials) != latest_version:
            raise InvalidRequestError("the backup's versions do not reach its latest version")
        if key_spec == vk.HMAC_SPEC:  # its rotations make material of the size it has
            attributes = {**(attributes or {}), "core.key_size": str(len(materials[latest_version][0]))}
        if not 1 <= min_decryption_version <= latest_version or not 0 <= min_encryption_version <= latest_version:
            raise InvalidRequestError("the backup's version window is outside its versions")
        existing = self._find(ctx, name_space, name)
        if existing is not None:
            if not force:
                raise AlreadyExistsError(f'key "{name}" already exists')
            ctx.note.key(existing.arn)
            self._authz.check_key(ctx, Action.DELETE_KEY, existing)
        key = Key(key_id=new_key_id(), account_id=ctx.caller.account_id, region=ctx.region,
                  created_at=self._clock.now(), key_spec=key_spec,
                  key_usage=_USAGE.get(key_spec, KeyUsage.ENCRYPT_DECRYPT),
                  origin="EXTERNAL" if imported else "AWS_KMS", name_space=name_space, name=name,
                  current_version=latest_version, min_decryption_version=min_decryption_version,
                  min_encryption_version=min_encryption_version, exportable=exportable,
                  attributes=dict(attributes or {}))
        key = _scheduled(key, materials[latest_version][1])
        ctx.note.key(key.arn)
        ctx.note.version(latest_version)
        stored = [self._version(key.key_id, number, material, created_at)
                  for number, (material, created_at) in sorted(materials.items())]
        with self._store.transaction():
            found = self._store.engines.get_key_by_name(key.account_id, name_space, name)
            if found is not None:
                if existing is None or found.key_id != existing.key_id:  # made or replaced meanwhile
                    raise AlreadyExistsError(f'key "{name}" already exists')
                self._store.delete_key(found.key_id)
            elif self._store.count_region_keys(key.account_id, key.region) >= self._limits.keys_per_region:
                raise LimitExceededError(f"The account already has {self._limits.keys_per_region} keys.")
            self._store.insert_key(key, stored[0])
            for version in stored[1:]:
                self._store.add_version(key.key_id, version)
        if existing is not None:
            self._forget(existing)
        self._forget(key)
        return self._described(key)

    def public_key(self, ctx: RequestContext, name_space: str, name: str, version: int) -> str | None:
        """A version's public key as its read shows it (the caller has been allowed to describe the key); a
        disabled version still has one."""
        key = self._find(ctx, name_space, name)
        if key is None:
            raise NotFoundError(f"key '{name}' not found")
        return self._material(key, version, enabled_only=False).public_key_for_read()

    @staticmethod
    def random(n: int) -> bytes:
        return random_bytes(n)

    @staticmethod
    def digest(data: bytes, algorithm: str) -> bytes:
        return vk.digest(data, algorithm)


def _period(key: Key) -> float:
    """A key's automatic rotation period in seconds (0: none)."""
    try:
        return max(float(key.attributes.get(AUTO_ROTATE_PERIOD) or 0), 0.0)
    except ValueError:
        return 0.0


def _scheduled(key: Key, latest_created_at: float) -> Key:
    """The key with its next automatic rotation due one period after its latest version (none without a period),
    so the scheduler finds it (``Store.keys_due``) even when no request does."""
    period = _period(key)
    return key.evolve(next_rotation_at=latest_created_at + period if period else None)


def _key_size(key: Key) -> int | None:
    size = key.attributes.get("core.key_size")
    return int(size) if size else None

