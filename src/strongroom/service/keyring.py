"""Finding keys and their material: KeyId resolution, per-process caches, unwrapping on first use.

Unwrapped material lives only in memory, inside the per-spec usable key of ``crypto/materials.py`` (an AEAD,
an HMAC key or an asymmetric private key), never in logs or errors. Every read first syncs with the store,
so a change made by another process (a disable, a rotation, a deleted import) is seen at once. A key whose
imported material has passed its ValidTo is expired here, on the first use after that moment.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto.aead import Aead
from strongroom.crypto.materials import UsableKey, load_usable
from strongroom.domain.clock import Clock, SystemClock
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import Key, KeyVersion, Origin
from strongroom.domain.references import KeyRef
from strongroom.errors import InternalError, InvalidCiphertextError, KeyStateError, NotFoundError
from strongroom.service.caches import BoundedCache, StoreCaches
from strongroom.service.key_hierarchy import KeyHierarchy, material_label
from strongroom.service.material_expiry import due, expire_material
from strongroom.storage.base import Store
from strongroom.storage.records import StoredVersion

_MAX_CACHED = 100_000


@dataclass(frozen=True, slots=True)
class UsableVersion:
    version: int
    material_id: str
    key: UsableKey

    @property
    def aead(self) -> Aead:
        if not isinstance(self.key, Aead):
            raise InternalError("not a symmetric encryption key")
        return self.key


def key_version(stored: StoredVersion, imported: bool) -> KeyVersion:
    """What may be said about a stored version outside the core: everything but the material."""
    return KeyVersion(stored.version, stored.material_id, stored.created_at, stored.rotation_type, imported,
                      stored.has_material, stored.valid_to, stored.expiration_model, stored.description,
                      stored.enabled)


class KeyRing:
    def __init__(self, store: Store, secrets: KeyHierarchy, caches: StoreCaches, clock: Clock | None = None) -> None:
        self._store = store
        self._secrets = secrets
        self._caches = caches
        self._clock = clock or SystemClock()
        self._keys: BoundedCache[str, Key | None] = BoundedCache(_MAX_CACHED)
        self._aliases: BoundedCache[tuple[str, str, str], str | None] = BoundedCache(_MAX_CACHED)
        self._names: BoundedCache[tuple[str, str, str], str | None] = BoundedCache(_MAX_CACHED)
        self._records: BoundedCache[str, tuple[StoredVersion, ...]] = BoundedCache(_MAX_CACHED)
        self._versions: BoundedCache[tuple[str, int], UsableVersion] = BoundedCache(_MAX_CACHED)
        for cache in (self._keys, self._aliases, self._names, self._records, self._versions):
            caches.register(cache)

    def register(self, cache: dict) -> None:  # type: ignore[type-arg]
        """Another cache of key state, dropped whenever the ring's are."""
        self._caches.register(cache)

    def sync(self) -> None:
        self._caches.sync()

    # --- lookups ------------------------------------------------------------------------------

    def get(self, key_id: str) -> Key | None:
        self._caches.sync()
        try:
            key = self._keys[key_id]
        except KeyError:
            key = self._store.get_key(key_id)
            self._remember(key_id, key)
        return self._expired(key)

    def _expired(self, key: Key | None) -> Key | None:
        """The key, after deleting imported material whose ValidTo has passed (rare; one transaction)."""
        if key is None or key.origin != Origin.EXTERNAL:
            return key
        now = self._clock.now()
        if not due(self.records(key.key_id), now):
            return key
        updated, _ = expire_material(self._store, key.key_id, now)
        self.forget_material(key.key_id)
        self._remember(key.key_id, updated)
        return updated

    def resolve(self, ctx: RequestContext, ref: KeyRef | str, *, cross_account: bool = False) -> Key:
        """The key a reference names in the request's region, or NotFoundError.

        Only a reference pinned to another account can name that account's key, and only operations that may
        act across accounts (``cross_account``) accept one; authorization then decides."""
        account, region = ctx.caller.account_id, ctx.region
        if isinstance(ref, str):  # a key id: the common case, kept short
            key = self.get(ref)
            if key is None or key.account_id != account or key.region != region:
                raise NotFoundError(f"Key '{ref}' does not exist")
            ctx.note.key(key)
            return key
        account = ref.account_id or account
        if (ref.region or region) != region or (account != ctx.caller.account_id and not cross_account):
            raise NotFoundError(f"Key '{ref}' does not exist")
        key_id = ref.key_id
        if ref.alias is not None:
            key_id = self.alias_target(account, region, ref.alias)
            if key_id is None:
                raise NotFoundError(f"Alias {ref.alias} is not found.")
        elif ref.name is not None:
            key_id = self.named(account, ref.name_space or "", ref.name)
        key = self.get(key_id) if key_id else None
        if key is None or key.account_id != account or key.region != region:
            raise NotFoundError(f"Key '{ref}' does not exist")
        ctx.note.key(key)
        return key

    def named(self, account_id: str, name_space: str, name: str) -> str | None:
        """The id of the key called ``name`` in ``name_space`` of the account, cached per process."""
        self._caches.sync()
        cache_key = (account_id, name_space, name)
        try:
            return self._names[cache_key]
        except KeyError:
            pass
        found = self._store.engines.get_key_by_name(account_id, name_space, name)
        key_id = found.key_id if found is not None else None
        self._names.put(cache_key, key_id)
        return key_id

    def alias_target(self, account_id: str, region: str, name: str) -> str | None:
        self._caches.sync()
        cache_key = (account_id, region, name)
        try:
            return self._aliases[cache_key]
        except KeyError:
            pass
        alias = self._store.get_alias(account_id, region, name)
        target = alias.target_key_id if alias else None
        self._aliases.put(cache_key, target)
        return target

    def records(self, key_id: str) -> tuple[StoredVersion, ...]:
        """Every stored version of a key (material still wrapped), cached per process."""
        try:
            return self._records[key_id]
        except KeyError:
            pass
        found = tuple(self._store.get_versions(key_id))
        self._records.put(key_id, found)
        return found

    def record(self, key: Key, version: int) -> StoredVersion | None:
        for stored in self.records(key.key_id):
            if stored.version == version:
                return stored
        self._records.pop(key.key_id, None)  # a version added since (a rotation): read again, once
        return next((s for s in self.records(key.key_id) if s.version == version), None)

    def materials(self, key: Key) -> list[KeyVersion]:
        return [key_version(s, key.origin == Origin.EXTERNAL) for s in self.records(key.key_id)]

    def material(self, key: Key, version: int) -> KeyVersion | None:
        stored = self.record(key, version) if version > 0 else None
        return key_version(stored, key.origin == Origin.EXTERNAL) if stored is not None else None

    def version(self, key: Key, version: int) -> UsableVersion:
        """The material of one version, unwrapped once per process. A missing version is a bad ciphertext."""
        try:
            return self._versions[(key.key_id, version)]
        except KeyError:
            pass
        stored = self.usable_record(key, version)
        material = self._secrets.unwrap(stored.wrapped_material, material_label(key.key_id, version))
        usable = UsableVersion(version, stored.material_id, load_usable(key.key_spec, material))
        return self._versions.put((key.key_id, version), usable)

    def usable_record(self, key: Key, version: int) -> StoredVersion:
        """The stored version, if it can be used: it exists (else the ciphertext naming it is bad), is enabled
        and still has its material."""
        stored = self.record(key, version)
        if stored is None:
            raise InvalidCiphertextError()
        if not stored.enabled:
            raise KeyStateError(f"{key.arn} key version {version} is disabled.")
        if not stored.has_material:
            raise KeyStateError(f"{key.arn} key material {stored.material_id} was deleted or has expired; "
                                "import it again.")
        return stored

    # --- keeping the caches true after our own writes -----------------------------------------

    def _remember(self, key_id: str, key: Key | None) -> None:
        self._keys.put(key_id, key)

    def remember(self, key: Key) -> None:
        self._remember(key.key_id, key)

    def forget_material(self, key_id: str) -> None:
        """Drop a key's version records and unwrapped material (after its material changed here)."""
        self._records.pop(key_id, None)
        for cache_key in [k for k in self._versions if k[0] == key_id]:
            del self._versions[cache_key]

    def forget_key(self, key_id: str) -> None:
        self._keys.pop(key_id, None)
        self.forget_material(key_id)
        for names in (self._aliases, self._names):
            for cache_key in [k for k, v in names.items() if v == key_id]:
                del names[cache_key]

    def forget_name(self, account_id: str, name_space: str, name: str) -> None:
        self._names.pop((account_id, name_space, name), None)

    def forget_alias(self, account_id: str, region: str, name: str) -> None:
        self._aliases.pop((account_id, region, name), None)
