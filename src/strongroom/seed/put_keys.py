"""Keys of the AWS API as a seed file describes them, with their aliases and grants.

A key that does not exist is made with its id, versions and state. A key that exists keeps its material: each
version the file gives material for must already hold that material (else the file is refused: replacing it would
orphan every ciphertext made with it), versions the file has beyond the stored ones are added, and stored versions
beyond the file's are kept (a key rotated since). What the file says of the key itself (description, policy,
tags, state, automatic rotation) is made so; an omitted one means its default. Aliases and grants the file lists
are made to exist; others are left alone.
"""

from __future__ import annotations

import json

from strongroom.domain import key_specs as specs
from strongroom.domain.keys import DAY_SECONDS, DEFAULT_PENDING_WINDOW_DAYS, Key, KeyState
from strongroom.domain.policy import default_key_policy
from strongroom.seed.model import SeedKey
from strongroom.seed.run import SeedRun
from strongroom.service.object_model import KIND

_COMPARED = ("description", "policy", "tags", "state", "pending_window_days", "rotation_period_days")


def put_key(run: SeedRun, entry: SeedKey) -> None:
    account = run.account_of(entry.line, entry.account)
    region = run.region_of(entry.region, run.options.kms_region)
    what = f"key {entry.key_id}"
    key = run.step(entry.line, what, lambda: _put(run, entry, account, region))
    for alias in entry.aliases:
        run.changed(run.step(entry.line, what, lambda alias=alias: run.core.seeding.put_alias(
            account, region, alias, key.key_id)))
    for grant in entry.grants:
        run.changed(run.step(grant.line, f"{what}: grant", lambda grant=grant: run.core.seeding.put_grant(
            key, grant_id=grant.grant_id, name=grant.name, grantee=grant.grantee, operations=grant.operations,
            retiring=grant.retiring, context_equals=grant.context_equals, context_subset=grant.context_subset)))


def _put(run: SeedRun, entry: SeedKey, account: str, region: str) -> Key:
    materials = [v.material for v in entry.versions] if entry.versions is not None else None
    spec = entry.spec or _spec_of_material(run, entry, materials)
    usage = entry.usage or specs.USAGES[specs.family(spec)][0]
    existing = run.core.seeding.key(entry.key_id)
    if existing is None:
        return _create(run, entry, account, region, spec, usage, materials)
    where = (existing.account_id, existing.region)
    if where != (account, region):
        raise run.error(f"key {entry.key_id} exists in account {where[0]}, {where[1]}, not {account}, {region}",
                        entry.line)
    if existing.name_space is not None or KIND in existing.attributes:
        raise run.error(f"key {entry.key_id} exists as a Transit key or KMIP object, not as a key of this section",
                        entry.line)
    for name, wanted in (("spec", spec), ("usage", usage), ("origin", entry.origin)):
        have = getattr(existing, {"spec": "key_spec", "usage": "key_usage"}.get(name, name))
        if have != wanted:
            raise run.error(f"key {entry.key_id} exists with {name} {have}, not {wanted}; a seed cannot change it",
                            entry.line)
    return _reconcile(run, entry, existing, materials)


def _spec_of_material(run: SeedRun, entry: SeedKey, materials: list[bytes | None] | None) -> str:
    if not materials or materials[0] is None:
        raise run.error(f"key {entry.key_id}: give its 'spec' (or its private key, whose spec it then has)",
                        entry.line)
    return run.core.seeding.private_key_spec(materials[0])


def _create(run: SeedRun, entry: SeedKey, account: str, region: str, spec: str, usage: str,
            materials: list[bytes | None] | None) -> Key:
    now = run.core.clock.now()
    versions = materials if materials is not None else ([] if entry.origin == "EXTERNAL" else [None])
    key = Key(key_id=entry.key_id, account_id=account, region=region, created_at=now, description=entry.description,
              key_spec=spec, key_usage=usage, origin=entry.origin, policy=entry.policy, tags=dict(entry.tags))
    key = _with_state(key, _state(run, entry, waiting=not versions), entry.pending_window_days, now)
    key = _with_rotation(key, entry.rotation_period_days, now)
    made = run.core.seeding.create_key(key, versions)
    run.changed(f"key {entry.key_id} created ({spec}, {len(versions)} version{'s' * (len(versions) != 1)}, "
                f"{made.state})")
    return made


def _reconcile(run: SeedRun, entry: SeedKey, existing: Key, materials: list[bytes | None] | None) -> Key:
    seeding = run.core.seeding
    stored = existing.current_version
    added = 0
    if materials is not None:
        versions = entry.versions or ()
        for number, (version, material) in enumerate(zip(versions, materials, strict=True), 1):
            if number <= stored and material is not None and not seeding.same_material(existing, number, material):
                raise run.error(f"version {number} of key {entry.key_id} holds other material than this file gives; "
                                "stored material is never replaced (its ciphertexts would no longer open)",
                                version.line)
        extra = materials[stored:]
        if extra:
            existing = seeding.add_versions(existing, extra)
            added = len(extra)
            run.changed(f"key {entry.key_id}: {added} version{'s' * (added != 1)} added")
    now = run.core.clock.now()
    policy = existing.policy if _same_policy(existing, entry.policy) else entry.policy
    wanted = existing.evolve(description=entry.description, policy=policy, tags=dict(entry.tags))
    waiting = existing.current_version == 0 or (existing.state is KeyState.PENDING_IMPORT and not added)
    wanted = _with_state(wanted, _state(run, entry, waiting=waiting), entry.pending_window_days, now)
    wanted = _with_rotation(wanted, entry.rotation_period_days, now)
    updated = seeding.update_key(wanted)
    changed = [name for name in _COMPARED if getattr(updated, name) != getattr(existing, name)]
    if changed:
        run.changed(f"key {entry.key_id}: {', '.join(changed)} set")
    return updated


def _state(run: SeedRun, entry: SeedKey, *, waiting: bool) -> KeyState:
    """The state the file asks for; a key still waiting for its material is PendingImport (or PendingDeletion)."""
    wanted = KeyState(entry.state or KeyState.ENABLED)
    if waiting:
        return KeyState.PENDING_DELETION if wanted is KeyState.PENDING_DELETION else KeyState.PENDING_IMPORT
    if wanted is KeyState.PENDING_IMPORT:
        raise run.error(f"key {entry.key_id} has key material, so it cannot be PendingImport", entry.line)
    return wanted


def _with_state(key: Key, state: KeyState, window: int | None, now: float) -> Key:
    if state is KeyState.PENDING_DELETION:
        if key.state is KeyState.PENDING_DELETION and window in (None, key.pending_window_days):
            return key  # already scheduled: the date stays
        days = window or DEFAULT_PENDING_WINDOW_DAYS
        return key.evolve(state=state, deletion_date=now + days * DAY_SECONDS, pending_window_days=days)
    return key.evolve(state=state, deletion_date=None, pending_window_days=None)


def _with_rotation(key: Key, period_days: int | None, now: float) -> Key:
    if period_days == key.rotation_period_days:
        return key
    if period_days is None:
        return key.evolve(rotation_period_days=None, next_rotation_at=None)
    return key.evolve(rotation_period_days=period_days, next_rotation_at=now + period_days * DAY_SECONDS)


def _same_policy(key: Key, wanted: str | None) -> bool:
    """Whether the key's policy says what ``wanted`` says (JSON compared as data: a file's YAML and the stored
    text differ in form; None is the default policy)."""
    default = default_key_policy(key.account_id)
    return bool(json.loads(key.policy or default) == json.loads(wanted or default))
