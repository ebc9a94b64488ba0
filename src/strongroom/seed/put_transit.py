"""Transit keys (Vault's named keys) as a seed file describes them, on a Transit mount of their account.

The mount is enabled if the account has none at that path. A key that does not exist is made with its versions
(and its id, when given); one that exists keeps its type and material, as keys of the AWS API do: versions the
file has beyond the stored ones are added, and its settings (exportable, plaintext backup, deletion, automatic
rotation, the version window) are made what the file says.
"""

from __future__ import annotations

from strongroom.domain.context import RequestContext
from strongroom.domain.engines import Mount
from strongroom.seed.model import SeedTransitKey
from strongroom.seed.run import SeedRun
from strongroom.seed.transit_settings import DELETION_ALLOWED, FIXED_ATTRIBUTES, TransitSettings, check_settings
from strongroom.service.mounts import mount_path
from strongroom.service.named_keys import NamedKey

TRANSIT = "transit"
_KEY_SIZE = "core.key_size"


def put_transit_key(run: SeedRun, entry: SeedTransitKey) -> None:
    account = run.account_of(entry.line, entry.account)
    ctx = run.operator(account, run.options.transit_region)
    run.step(entry.line, f"transit key {entry.mount}/{entry.name}", lambda: _put(run, ctx, entry))


def _put(run: SeedRun, ctx: RequestContext, entry: SeedTransitKey) -> None:
    mount = _mount(run, ctx, entry)
    settings = check_settings(entry.settings)
    attributes = {**settings.attributes, DELETION_ALLOWED: str(entry.deletion_allowed).lower()}
    materials = [v.material for v in entry.versions] if entry.versions is not None else [None]
    found = run.core.named_keys.peek(ctx, mount.uuid, entry.name)
    what = f"transit key {mount.path}{entry.name}"
    if found is None:
        found = run.core.named_keys.seed(ctx, mount.uuid, entry.name, settings.key_spec, materials,
                                         key_id=entry.key_id, key_size=settings.key_size,
                                         exportable=settings.exportable, attributes=attributes)
        run.changed(f"{what} created ({attributes['vault.type']}, {len(materials)} "
                    f"version{'s' * (len(materials) != 1)})")
    else:
        _check_fixed(run, entry, found, settings, what)
        found = _add_versions(run, ctx, entry, mount, found, materials, what)
        found = _configure(run, ctx, entry, mount, found, settings, attributes, what)
    _set_window(run, ctx, entry, mount, found, what)


def _mount(run: SeedRun, ctx: RequestContext, entry: SeedTransitKey) -> Mount:
    wanted = mount_path(entry.mount)
    account = ctx.caller.account_id
    found = next((m for m in run.core.mounts.all(account) if m.path == wanted), None)
    if found is not None:
        if found.engine_type != TRANSIT:
            raise run.error(f"{wanted} of account {account} is a {found.engine_type} mount, not {TRANSIT}",
                            entry.line)
        return found
    made = run.core.mounts.enable(ctx, wanted, TRANSIT)
    run.changed(f"transit engine enabled at {wanted} in account {account}")
    return made


def _check_fixed(run: SeedRun, entry: SeedTransitKey, found: NamedKey, settings: TransitSettings,
                 what: str) -> None:
    key = found.key
    if entry.key_id is not None and key.key_id != entry.key_id:
        raise run.error(f"{what} exists with id {key.key_id}, not {entry.key_id}", entry.line)
    fixed = [*FIXED_ATTRIBUTES, *([_KEY_SIZE] if settings.key_size else [])]
    for name in fixed:
        have, wanted = key.attributes.get(name), settings.attributes.get(name)
        if have != wanted:
            raise run.error(f"{what} exists with {name.split('.', 1)[1]} {have}, not {wanted}; a seed cannot "
                            "change it", entry.line)
    if key.exportable and not settings.exportable:
        raise run.error(f"{what} is exportable, which cannot be undone", entry.line)


def _add_versions(run: SeedRun, ctx: RequestContext, entry: SeedTransitKey, mount: Mount, found: NamedKey,
                  materials: list[bytes | None], what: str) -> NamedKey:
    key = found.key
    for number, (version, material) in enumerate(zip(entry.versions or (), materials, strict=False), 1):
        if material is None or number > key.current_version or number not in found.versions:
            continue  # no material said, beyond the stored versions, or trimmed away
        if not run.core.seeding.same_material(key, number, material):
            raise run.error(f"version {number} of {what} holds other material than this file gives; stored material "
                            "is never replaced (its ciphertexts would no longer open)", version.line)
    extra = materials[key.current_version:]
    for material in extra:
        checked = None if material is None else run.core.seeding.checked(key, material)
        found = run.core.named_keys.rotate(ctx, mount.uuid, entry.name, checked)
    if extra:
        run.changed(f"{what}: {len(extra)} version{'s' * (len(extra) != 1)} added")
    return found


def _configure(run: SeedRun, ctx: RequestContext, entry: SeedTransitKey, mount: Mount, found: NamedKey,
               settings: TransitSettings, attributes: dict[str, str], what: str) -> NamedKey:
    key = found.key
    changed = {name: value for name, value in attributes.items()
               if name not in (*FIXED_ATTRIBUTES, _KEY_SIZE) and key.attributes.get(name) != value}
    exportable = settings.exportable and not key.exportable
    if not changed and not exportable:
        return found
    found = run.core.named_keys.configure(ctx, mount.uuid, entry.name, exportable=True if exportable else None,
                                          attributes=changed)
    names = [name.split(".", 1)[1] for name in changed] + (["exportable"] if exportable else [])
    run.changed(f"{what}: {', '.join(sorted(names))} set")
    return found


def _set_window(run: SeedRun, ctx: RequestContext, entry: SeedTransitKey, mount: Mount, found: NamedKey,
                what: str) -> None:
    key = found.key
    decryption = entry.min_decryption_version or 1
    encryption = entry.min_encryption_version or 0
    if (key.min_decryption_version, key.min_encryption_version) == (decryption, encryption):
        return
    run.core.named_keys.configure(ctx, mount.uuid, entry.name, min_decryption_version=decryption,
                                  min_encryption_version=encryption)
    run.changed(f"{what}: version window set (decryption from {decryption}, encryption from {encryption or 'any'})")
