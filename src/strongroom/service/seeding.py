"""Seeding: keys, aliases and grants put in place with the ids, material and state a seed file gives them.

These are operator primitives, for seeding only (``strongroom seed apply``, or a server with ``--seed`` before it
serves): there is no caller, so nothing here is authorized or audited, like ``Credentials.create``. What is written
is checked as the API checks it (key spec and usage, policy, tags, alias names, grant terms). Material given is
checked against the key's spec, put in its one stored form and wrapped like every key's material, bound to its key
and version; material already stored is never replaced (ciphertexts made with it must keep opening), and
``same_material`` tells a caller whether a stored version holds what a file says. ``atomically`` makes a whole seed
one transaction, so a file that fails half way leaves the store as it was.
"""

from __future__ import annotations

import hmac
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace

from strongroom.crypto import keygen
from strongroom.crypto import versioned_keys as vk
from strongroom.crypto.aead import random_bytes
from strongroom.crypto.key_objects import private_key_at_rest
from strongroom.crypto.materials import canonical_material, material_fingerprint
from strongroom.domain import keys as rules
from strongroom.domain.aliases import Alias, check_alias_name
from strongroom.domain.clock import Clock
from strongroom.domain.context import principal_arn
from strongroom.domain.grants import Grant, check_grant_request
from strongroom.domain.key_specs import FAMILY, KEY_MATERIAL_DOES_NOT_EXPIRE, grant_operations
from strongroom.domain.keys import Key, KeyState, KeyVersion, Origin
from strongroom.domain.limits import Limits
from strongroom.domain.policy import parse_policy
from strongroom.domain.tags import merged_tags
from strongroom.errors import InvalidRequestError, LimitExceededError, NotFoundError, UnsupportedError
from strongroom.service.authorization import Authorizer
from strongroom.service.caches import StoreCaches
from strongroom.service.grants import check_principal
from strongroom.service.key_hierarchy import KeyHierarchy, material_label
from strongroom.service.keyring import KeyRing, key_version
from strongroom.service.keys import new_material_id
from strongroom.service.rotation import ON_DEMAND
from strongroom.storage.base import Store
from strongroom.storage.records import StoredVersion

_GRANT_ID = re.compile(r"^[0-9a-f]{64}$")
_PAGE = 1000
# What a seeded key's identity is: a seed cannot change these on a key that exists.
_FIXED = ("account_id", "region", "key_spec", "key_usage", "origin", "name_space", "name", "created_at")
_STATES = (KeyState.ENABLED, KeyState.DISABLED, KeyState.PENDING_DELETION, KeyState.PENDING_IMPORT)


def check_key_id(key_id: str) -> None:
    """Key ids are UUIDs (a ciphertext names its key by the id's 16 bytes)."""
    try:
        canonical = str(uuid.UUID(key_id))
    except ValueError:
        canonical = ""
    if canonical != key_id:
        raise InvalidRequestError(f"key id {key_id!r} is not a lower-case UUID (like 1234abcd-12ab-34cd-56ef-"
                                  "1234567890ab)")


class Seeding:
    def __init__(self, store: Store, ring: KeyRing, secrets: KeyHierarchy, authz: Authorizer, caches: StoreCaches,
                 clock: Clock, limits: Limits) -> None:
        self._store = store
        self._ring = ring
        self._secrets = secrets
        self._authz = authz
        self._caches = caches
        self._clock = clock
        self._limits = limits

    @contextmanager
    def atomically(self) -> Iterator[None]:
        """Everything done inside is committed together, or not at all (and the caches are then dropped)."""
        try:
            with self._store.transaction():
                yield
        except BaseException:
            self._caches.clear_all()
            raise

    # --- reading ------------------------------------------------------------------------------

    def key(self, key_id: str) -> Key | None:
        return self._store.get_key(key_id)

    def versions(self, key: Key) -> list[KeyVersion]:
        return [key_version(v, key.origin == Origin.EXTERNAL) for v in self._store.get_versions(key.key_id)]

    def regions(self, account_id: str) -> list[str]:
        return self._store.list_key_regions(account_id)

    def keys(self, account_id: str, region: str) -> Iterator[Key]:
        """Every key of the account in the region, whatever made it, by key id."""
        after: str | None = None
        while True:
            page = self._store.list_keys(account_id, region, after, _PAGE)
            yield from page
            if len(page) < _PAGE:
                return
            after = page[-1].key_id

    def aliases(self, key: Key) -> list[Alias]:
        return self._store.list_aliases(key.account_id, key.region, key.key_id, None, 1_000_000)

    def grants(self, key: Key) -> list[Grant]:
        return self._store.list_grants(key.key_id, None, 1_000_000)

    def material(self, key: Key, version: int) -> bytes:
        """A version's plaintext material: only for a seed export that was asked, and allowed, to include it."""
        stored = self._stored(key, version)
        if stored is None or not stored.has_material:
            raise NotFoundError(f"version {version} of key {key.key_id} has no material")
        return self._secrets.unwrap(stored.wrapped_material, material_label(key.key_id, version))

    def same_material(self, key: Key, version: int, material: bytes) -> bool:
        """Whether the stored version holds ``material`` (in any encoding its spec accepts); False if it has none."""
        stored = self._stored(key, version)
        if stored is None or not stored.has_material:
            return False
        held = self._secrets.unwrap(stored.wrapped_material, material_label(key.key_id, version))
        return hmac.compare_digest(held, self.checked(key, material))

    @staticmethod
    def private_key_spec(der: bytes) -> str:
        """The key spec of a DER private key (PKCS#8, PKCS#1 or SEC 1), for files that do not name it."""
        return private_key_at_rest(der)[0]

    def _stored(self, key: Key, version: int) -> StoredVersion | None:
        return next((v for v in self._store.get_versions(key.key_id) if v.version == version), None)

    @staticmethod
    def checked(key: Key, material: bytes) -> bytes:
        """``material`` checked for the key's spec, in the one form the key stores it in."""
        if key.name_space is not None:
            return vk.check_material(key.key_spec, material)
        if key.key_spec in FAMILY:
            return canonical_material(key.key_spec, material)
        return bytes(material)  # what only managed objects hold (AES-128, secret data, ...): kept as given

    # --- keys ---------------------------------------------------------------------------------

    def create_key(self, key: Key, materials: Sequence[bytes | None]) -> Key:
        """Insert ``key`` as given (its id too) with one version per item of ``materials``, oldest first: the
        material checked for the key's spec, or fresh where None. ``key.current_version`` becomes the number of
        versions; no versions is an ``EXTERNAL`` key waiting for its import (PendingImport)."""
        key = key.evolve(current_version=len(materials))
        self._check(key)
        versions = [self._version(key, number, material) for number, material in enumerate(materials, 1)]
        with self._store.transaction():
            if self._store.get_key(key.key_id) is not None:
                raise InvalidRequestError(f"a key with id {key.key_id} already exists")
            if self._store.count_region_keys(key.account_id, key.region) >= self._limits.keys_per_region:
                raise LimitExceededError(f"The account already has {self._limits.keys_per_region} keys in "
                                         f"{key.region}.")
            self._store.ensure_account(key.account_id, self._clock.now())
            self._store.insert_key(key, versions[0] if versions else None)
            for version in versions[1:]:
                self._store.add_version(key.key_id, version)
        self._ring.remember(key)
        return key

    def add_versions(self, key: Key, materials: Sequence[bytes | None]) -> Key:
        """Append versions after the key's current one (the first of them becomes version ``current + 1``); the
        newest is then current. Returns the key as it now is."""
        fresh = self._store.get_key(key.key_id)
        if fresh is None:
            raise NotFoundError(f"Key '{key.key_id}' does not exist")
        numbers = range(fresh.current_version + 1, fresh.current_version + 1 + len(materials))
        updated = fresh.evolve(current_version=fresh.current_version + len(materials))
        self._check(updated)
        versions = [self._version(updated, n, m) for n, m in zip(numbers, materials, strict=True)]
        with self._store.transaction():
            for version in versions:
                self._store.add_version(key.key_id, version)
            self._store.update_key(updated)
        self._ring.forget_material(key.key_id)
        self._ring.remember(updated)
        return updated

    def update_key(self, key: Key) -> Key:
        """Write what may change of a key that exists (description, policy, tags, state and deletion date,
        rotation); what identifies it (account, region, spec, usage, origin, name) must be as stored."""
        stored = self._store.get_key(key.key_id)
        if stored is None:
            raise NotFoundError(f"Key '{key.key_id}' does not exist")
        for name in _FIXED:
            if getattr(stored, name) != getattr(key, name):
                raise InvalidRequestError(f"key {key.key_id} exists with {name} {getattr(stored, name)}; a seed "
                                          "cannot change it")
        self._check(key)
        if key == stored:
            return stored
        self._store.update_key(key)
        self._ring.remember(key)
        return key

    def _check(self, key: Key) -> None:
        check_key_id(key.key_id)
        rules.check_creatable(key.key_spec, key.key_usage, key.origin)
        keygen.check_supported(key.key_spec)
        if key.multi_region:
            raise UnsupportedError("Multi-Region keys are not supported by this server yet.")
        if key.policy is not None:
            parse_policy(key.policy, max_bytes=self._limits.key_policy_bytes)
        merged_tags({}, key.tags.items())
        if key.rotation_period_days is not None:
            key.check_rotatable()
            if not rules.MIN_ROTATION_PERIOD_DAYS <= key.rotation_period_days <= rules.MAX_ROTATION_PERIOD_DAYS:
                raise InvalidRequestError(f"RotationPeriodInDays must be between {rules.MIN_ROTATION_PERIOD_DAYS} "
                                          f"and {rules.MAX_ROTATION_PERIOD_DAYS}.")
        if key.current_version > 1 and key.key_spec != rules.SYMMETRIC_DEFAULT:
            raise UnsupportedError(f"{key.key_spec} keys have one key material for life; only symmetric keys have "
                                   "older versions")
        if key.state not in _STATES:
            raise InvalidRequestError(f"a seeded key is Enabled, Disabled, PendingDeletion or PendingImport, not "
                                      f"{key.state}")
        if key.state is KeyState.PENDING_IMPORT and key.origin != Origin.EXTERNAL:
            raise InvalidRequestError("only a key with Origin EXTERNAL can be PendingImport")
        if key.current_version == 0 and key.state in (KeyState.ENABLED, KeyState.DISABLED):
            raise InvalidRequestError(f"key {key.key_id} has no key material yet, so it is PendingImport")
        if key.state is KeyState.PENDING_DELETION and (key.deletion_date is None or not key.pending_window_days):
            raise InvalidRequestError("a key pending deletion needs its deletion date and waiting period")

    def _version(self, key: Key, number: int, material: bytes | None) -> StoredVersion:
        imported = key.origin == Origin.EXTERNAL
        if material is None:
            if imported:
                raise InvalidRequestError(f"key {key.key_id} has Origin EXTERNAL: give the material of each of its "
                                          "versions (or none, to leave it PendingImport)")
            made = keygen.new_material(key.key_spec)
        else:
            made = canonical_material(key.key_spec, material)
        material_id = material_fingerprint(key.key_id, made) if imported else new_material_id()
        wrapped = self._secrets.wrap(made, material_label(key.key_id, number))
        return StoredVersion(number, material_id, self._clock.now(), None if number == 1 else ON_DEMAND, wrapped,
                             expiration_model=KEY_MATERIAL_DOES_NOT_EXPIRE if imported else None)

    # --- aliases and grants -------------------------------------------------------------------

    def put_alias(self, account_id: str, region: str, name: str, key_id: str) -> str | None:
        """Make the alias name ``key_id`` (a key of the same account and region); what changed, or None."""
        check_alias_name(name)
        key = self._store.get_key(key_id)
        if key is None or (key.account_id, key.region) != (account_id, region):
            raise NotFoundError(f"alias {name}: no key {key_id} in account {account_id}, {region}")
        now = self._clock.now()
        with self._store.transaction():
            current = self._store.get_alias(account_id, region, name)
            if current is not None and current.target_key_id == key_id:
                return None
            if self._store.count_aliases(key_id) >= self._limits.aliases_per_key:
                raise LimitExceededError(f"{key.arn} already has {self._limits.aliases_per_key} aliases.")
            if current is None:
                self._store.insert_alias(Alias(account_id, region, name, key_id, now, now))
            else:
                self._store.update_alias(Alias(account_id, region, name, key_id, current.created_at, now))
        self._ring.forget_alias(account_id, region, name)
        return f"alias {name} → {key_id}" if current is None else f"alias {name} moved to {key_id}"

    def put_grant(self, key: Key, *, grant_id: str | None, name: str | None, grantee: str, operations: Sequence[str],
                  retiring: str | None = None, context_equals: Mapping[str, str] | None = None,
                  context_subset: Mapping[str, str] | None = None) -> str | None:
        """Make the key hold this grant: the one with ``grant_id`` (replaced if its terms differ), else the one
        named ``name``, else one with these terms; a new one when none is found. What changed, or None."""
        check_principal("GranteePrincipal", grantee)
        check_principal("RetiringPrincipal", retiring)
        check_grant_request(list(operations), grant_operations(key.key_spec, key.key_usage), context_equals,
                            context_subset, symmetric=key.key_spec == rules.SYMMETRIC_DEFAULT)
        if grant_id is not None and not _GRANT_ID.match(grant_id):
            raise InvalidRequestError(f"grant id {grant_id!r} is not 64 lower-case hex digits")
        wanted = Grant(grant_id or random_bytes(32).hex(), key.key_id, name, grantee, retiring,
                       principal_arn(key.account_id, "root"), tuple(operations),
                       dict(context_equals) if context_equals is not None else None,
                       dict(context_subset) if context_subset is not None else None, self._clock.now())
        with self._store.transaction():
            found = self._find_grant(key, grant_id, name, wanted)
            if found is not None and found.same_request(wanted) and found.name == name:
                return None
            if found is not None:
                self._store.delete_grant(found.grant_id)
                wanted = replace(wanted, grant_id=found.grant_id)
            elif self._store.count_grants(key.key_id) >= self._limits.grants_per_key:
                raise LimitExceededError(f"{key.arn} already has {self._limits.grants_per_key} grants.")
            self._store.insert_grant(wanted)
        self._authz.forget_grants(key.key_id)
        what = f"grant {wanted.name or wanted.grant_id} on {key.key_id}"
        return f"{what} replaced" if found is not None else f"{what} created"

    def _find_grant(self, key: Key, grant_id: str | None, name: str | None, wanted: Grant) -> Grant | None:
        if grant_id is not None:
            found = self._store.get_grant(grant_id)
            if found is not None and found.key_id != key.key_id:
                raise InvalidRequestError(f"grant {grant_id} belongs to another key ({found.key_id})")
            return found
        if name:
            return self._store.find_grant_by_name(key.key_id, name)
        return next((g for g in self._store.list_grants(key.key_id, None, 1_000_000)
                     if g.same_request(wanted) and not g.name), None)
