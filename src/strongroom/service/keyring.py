"""Finding keys and their material: KeyId resolution, per-process caches, unwrapping on first use.

Unwrapped material lives only in memory (inside AEAD objects), never in logs or errors. Every read first
syncs with the store, so a change made by another process (a disable, a rotation) is seen at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto.aead import Aead
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import Key
from strongroom.domain.references import parse_key_reference
from strongroom.errors import InvalidCiphertextError, NotFoundError
from strongroom.service.caches import StoreCaches
from strongroom.service.key_hierarchy import KeyHierarchy, material_label
from strongroom.storage.base import Store

_MAX_CACHED = 100_000


@dataclass(frozen=True, slots=True)
class UsableVersion:
    version: int
    material_id: str
    aead: Aead


class KeyRing:
    def __init__(self, store: Store, secrets: KeyHierarchy, caches: StoreCaches) -> None:
        self._store = store
        self._secrets = secrets
        self._caches = caches
        self._keys: dict[str, Key | None] = {}
        self._aliases: dict[tuple[str, str, str], str | None] = {}
        self._versions: dict[tuple[str, int], UsableVersion] = {}
        for cache in (self._keys, self._aliases, self._versions):
            caches.register(cache)

    # --- lookups ------------------------------------------------------------------------------

    def get(self, key_id: str) -> Key | None:
        self._caches.sync()
        try:
            return self._keys[key_id]
        except KeyError:
            pass
        key = self._store.get_key(key_id)
        self._remember(key_id, key)
        return key

    def resolve(self, ctx: RequestContext, key_ref: str, *, allow_alias: bool = True,
                cross_account: bool = False) -> Key:
        """The key a KeyId names in the request's region, or NotFoundError.

        Only a key ARN or alias ARN can name a key of another account, and only operations that AWS allows
        across accounts (``cross_account``) accept one; authorization then decides."""
        ref = parse_key_reference(key_ref, allow_alias=allow_alias)
        account, region = ref.account_id or ctx.caller.account_id, ctx.region
        if (ref.region or region) != region or (account != ctx.caller.account_id and not cross_account):
            raise NotFoundError(f"Key '{key_ref}' does not exist")
        key_id = ref.key_id
        if ref.alias_name is not None:
            key_id = self.alias_target(account, region, ref.alias_name)
            if key_id is None:
                raise NotFoundError(f"Alias {ref.alias_name} is not found.")
        key = self.get(key_id) if key_id else None
        if key is None or key.account_id != account or key.region != region:
            raise NotFoundError(f"Key '{key_ref}' does not exist")
        return key

    def alias_target(self, account_id: str, region: str, name: str) -> str | None:
        self._caches.sync()
        cache_key = (account_id, region, name)
        try:
            return self._aliases[cache_key]
        except KeyError:
            pass
        alias = self._store.get_alias(account_id, region, name)
        target = alias.target_key_id if alias else None
        if len(self._aliases) > _MAX_CACHED:
            self._aliases.clear()
        self._aliases[cache_key] = target
        return target

    def version(self, key: Key, version: int) -> UsableVersion:
        """The material of one version, unwrapped once per process. A missing version is a bad ciphertext."""
        try:
            return self._versions[(key.key_id, version)]
        except KeyError:
            pass
        for stored in self._store.get_versions(key.key_id):
            if stored.version == version:
                material = self._secrets.unwrap(stored.wrapped_material, material_label(key.key_id, version))
                usable = UsableVersion(version, stored.material_id, Aead(material))
                if len(self._versions) > _MAX_CACHED:
                    self._versions.clear()
                self._versions[(key.key_id, version)] = usable
                return usable
        raise InvalidCiphertextError()

    # --- keeping the caches true after our own writes -----------------------------------------

    def _remember(self, key_id: str, key: Key | None) -> None:
        if len(self._keys) > _MAX_CACHED:
            self._keys.clear()
        self._keys[key_id] = key

    def remember(self, key: Key) -> None:
        self._remember(key.key_id, key)

    def forget_key(self, key_id: str) -> None:
        self._keys.pop(key_id, None)
        for cache_key in [k for k in self._versions if k[0] == key_id]:
            del self._versions[cache_key]
        for cache_key in [k for k, v in self._aliases.items() if v == key_id]:
            del self._aliases[cache_key]

    def forget_alias(self, account_id: str, region: str, name: str) -> None:
        self._aliases.pop((account_id, region, name), None)
