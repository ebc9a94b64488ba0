"""KMIP objects as a seed file describes them: symmetric keys, secret data and opaque objects with a fixed Unique
Identifier (a UUID, as every object's here), made and changed through the core's managed-object service.

The KMIP attributes a seed sets (the Name, the Secret Data Type) are written in the KMIP adapter's stored form, so
KMIP clients read them as if a Register had set them. A lifecycle only moves forward (pre-active → active →
deactivated), so a seed can move an object on, never back.
"""

from __future__ import annotations

from strongroom.domain.context import RequestContext
from strongroom.protocols.kmip import stored
from strongroom.protocols.kmip.attributes import name_attribute
from strongroom.protocols.kmip.enums import SecretDataType
from strongroom.seed.model import SeedObject
from strongroom.seed.run import SeedRun
from strongroom.service.managed_objects import ManagedObject, NewObject, ObjectKind
from strongroom.service.object_lifecycle import Lifecycle
from strongroom.service.object_model import KIND

KINDS = {"symmetric-key": ObjectKind.SYMMETRIC_KEY, "secret": ObjectKind.SECRET, "opaque": ObjectKind.OPAQUE}
SECRET_TYPES = {"password": SecretDataType.PASSWORD, "seed": SecretDataType.SEED}
GENERATED_SECRET_BYTES = 32
NAME = "Name"


def put_object(run: SeedRun, entry: SeedObject) -> None:
    account = run.account_of(entry.line, entry.account)
    ctx = run.operator(account, entry.region or run.options.kmip_region)  # the file's region is its keys'
    run.step(entry.line, f"KMIP object {entry.object_id}", lambda: _put(run, ctx, entry))


def _put(run: SeedRun, ctx: RequestContext, entry: SeedObject) -> None:
    existing = run.core.seeding.key(entry.object_id)
    if existing is None:
        _create(run, ctx, entry)
        return
    if (existing.account_id, existing.region) != (ctx.caller.account_id, ctx.region):
        raise run.error(f"{entry.object_id} exists in account {existing.account_id}, {existing.region}", entry.line)
    if KIND not in existing.attributes:
        raise run.error(f"{entry.object_id} is a key made through another protocol, not a KMIP object", entry.line)
    found = run.core.managed_objects.get(ctx, entry.object_id)
    if found.kind is not KINDS[entry.kind] or (entry.spec is not None and found.algorithm != entry.spec):
        raise run.error(f"{entry.object_id} exists as a {found.kind.value} ({found.algorithm}); a seed cannot change "
                        "that", entry.line)
    if entry.material is not None and not run.core.seeding.same_material(found.key, 1, entry.material):
        raise run.error(f"{entry.object_id} holds other material than this file gives (or none left); stored "
                        "material is never replaced", entry.line)
    _set_attributes(run, ctx, entry, found)
    _set_state(run, ctx, entry, found.state)
    if not entry.extractable and found.key.exportable:
        run.core.managed_objects.set_protection(ctx, entry.object_id, extractable=False)
        run.changed(f"KMIP object {entry.object_id} made unextractable")
    elif entry.extractable and not found.extractable:
        raise run.error(f"{entry.object_id} is unextractable, which cannot be undone", entry.line)


def kmip_attributes(entry: SeedObject, current: dict[str, str] | None = None) -> dict[str, str]:
    """``current`` with the Name and Secret Data Type the entry gives (an omitted one removed)."""
    attributes = stored.with_values(dict(current or {}), NAME, None, [name_attribute(entry.name)] if entry.name else [])
    attributes.pop(stored.SECRET_DATA_TYPE, None)
    if entry.secret_type is not None:
        attributes[stored.SECRET_DATA_TYPE] = str(int(SECRET_TYPES[entry.secret_type]))
    return attributes


def _create(run: SeedRun, ctx: RequestContext, entry: SeedObject) -> None:
    now = run.core.clock.now()
    new = NewObject(attributes=kmip_attributes(entry), extractable=entry.extractable,
                    activation_date=None if entry.state == "pre-active" else now,
                    deactivation_date=now if entry.state == "deactivated" else None)
    objects, kind = run.core.managed_objects, KINDS[entry.kind]
    if kind is ObjectKind.SYMMETRIC_KEY and entry.material is None:
        assert entry.spec is not None
        made = objects.create_symmetric(ctx, entry.spec, new, object_id=entry.object_id)
    else:
        material = entry.material if entry.material is not None else run.core.crypto.generate_random(
            ctx, GENERATED_SECRET_BYTES)
        made = objects.register(ctx, kind, material, new, key_spec=entry.spec, object_id=entry.object_id)
    run.changed(f"KMIP object {entry.object_id} created ({made.kind.value}, {made.algorithm}, {made.state.value})")


def _set_attributes(run: SeedRun, ctx: RequestContext, entry: SeedObject, found: ManagedObject) -> None:
    wanted = kmip_attributes(entry, found.attributes)
    if wanted == found.attributes:
        return
    run.core.managed_objects.update_attributes(ctx, entry.object_id, lambda current: kmip_attributes(
        entry, current.attributes))
    run.changed(f"KMIP object {entry.object_id}: name and secret type set")


def _set_state(run: SeedRun, ctx: RequestContext, entry: SeedObject, state: Lifecycle) -> None:
    wanted = Lifecycle(entry.state)
    if state is wanted:
        return
    objects = run.core.managed_objects
    if wanted is Lifecycle.ACTIVE and state is Lifecycle.PRE_ACTIVE:
        objects.activate(ctx, entry.object_id)
    elif wanted is Lifecycle.DEACTIVATED and state in (Lifecycle.PRE_ACTIVE, Lifecycle.ACTIVE):
        objects.revoke(ctx, entry.object_id, compromised=False)
    else:
        raise run.error(f"{entry.object_id} is {state.value}; a lifecycle only moves forward, so it cannot become "
                        f"{wanted.value} again", entry.line)
    run.changed(f"KMIP object {entry.object_id}: {state.value} → {wanted.value}")
