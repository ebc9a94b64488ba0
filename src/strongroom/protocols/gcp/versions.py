"""cryptoKeyVersions: create, get, list, patch (state ENABLED/DISABLED), ``:destroy`` and ``:restore``.

Destroying schedules the material's destruction ``destroyScheduledDuration`` ahead (the version is disabled in
the core meanwhile); restoring before then leaves it DISABLED, as Google does. Once the time has passed, the core
wipes the version's material (``NamedKeyService.destroy_version``) the next time the key is read here.
"""

from __future__ import annotations

from typing import Any

from strongroom.protocols.gcp.enums import STATE
from strongroom.protocols.gcp.errors import failed_precondition, invalid
from strongroom.protocols.gcp.model import DESTROY_PREFIX, IMPORT_ONLY_ATTR, PRIMARY_ATTR, KeyView, load
from strongroom.protocols.gcp.paging import page
from strongroom.protocols.gcp.request import Call, version_number


def _target(call: Call) -> tuple[KeyView, int]:
    view = load(call, call.target.name)
    google = version_number(call.target.name.version, "crypto key version")
    return view, view.version(google).version


def _shown(call: Call, view: KeyView, core_number: int) -> dict[str, Any]:
    return view.render_version(call, view.version(core_number - view.offset))


def create(call: Call) -> dict[str, Any]:
    view = load(call, call.target.name)
    if view.attributes.get(IMPORT_ONLY_ATTR):
        raise failed_precondition(f"{view.name.crypto_key_path} is import-only: versions are imported.")
    latest = view.key.current_version + 1
    attributes = {}
    if view.purpose == "ENCRYPT_DECRYPT":
        primary = view.primary()  # a new version is not made primary, unless there is none
        attributes[PRIMARY_ATTR] = f"{primary or latest}@{latest}"
    call.core.named_keys.rotate(call.ctx, view.space, view.key.name or "", attributes=attributes)
    fresh = load(call, call.target.name)
    return _shown(call, fresh, fresh.key.current_version)


def get(call: Call) -> dict[str, Any]:
    view, number = _target(call)
    return _shown(call, view, number)


def list_versions(call: Call) -> dict[str, Any]:
    view = load(call, call.target.name)
    wanted = call.param("filter")
    versions = view.shown()
    by_name = {f"{v.version - view.offset:010d}": v for v in versions}
    rows = [(n, v) for n, v in sorted(by_name.items()) if not wanted or _matches(view, v, wanted)]
    items, next_token = page(call, [n for n, _ in rows])
    body: dict[str, Any] = {"cryptoKeyVersions": [view.render_version(call, by_name[n]) for n in items],
                            "totalSize": len(rows)}
    if next_token:
        body["nextPageToken"] = next_token
    return body


def _matches(view: KeyView, version: Any, expression: str) -> bool:
    """The one filter form clients use on versions: ``state=NAME`` (or ``state:NAME``)."""
    field, _, value = expression.replace(":", "=").partition("=")
    if field.strip() != "state":
        raise invalid(f"Unsupported filter: {expression!r}")
    return view.state(version) == value.strip()


def patch(call: Call) -> dict[str, Any]:
    mask = {m.strip() for m in (call.param("updateMask") or "").split(",") if m.strip()}
    if mask != {"state"}:
        raise invalid("update_mask must be \"state\": only a version's state can be updated.")
    wanted = STATE.parse(call.body.get("state"), "crypto_key_version.state")
    if wanted not in ("ENABLED", "DISABLED"):
        raise invalid("A version's state can only be updated to ENABLED or DISABLED.")
    view, number = _target(call)
    current = view.state(view.version(number - view.offset))
    if current not in ("ENABLED", "DISABLED"):
        raise failed_precondition(f"{view.name.version_path(number - view.offset)} is not enabled or disabled, "
                                  f"current state is: {current}.")
    call.core.keys.set_version_enabled(call.ctx, view.key.key_id, number, wanted == "ENABLED")
    return _shown(call, load(call, call.target.name), number)


def destroy(call: Call) -> dict[str, Any]:
    view, number = _target(call)
    current = view.state(view.version(number - view.offset))
    if current not in ("ENABLED", "DISABLED"):
        raise failed_precondition(f"{view.name.version_path(number - view.offset)} is not enabled or disabled, "
                                  f"current state is: {current}.")
    if current == "ENABLED":
        call.core.keys.set_version_enabled(call.ctx, view.key.key_id, number, False)
    due = call.core.clock.now() + view.destroy_seconds
    call.core.named_keys.configure(call.ctx, view.space, view.key.name or "",
                                   attributes={f"{DESTROY_PREFIX}{number}": repr(due)})
    return _shown(call, load(call, call.target.name), number)


def restore(call: Call) -> dict[str, Any]:
    view, number = _target(call)
    current = view.state(view.version(number - view.offset))
    if current != "DESTROY_SCHEDULED":
        raise failed_precondition(f"{view.name.version_path(number - view.offset)} is not scheduled for "
                                  f"destruction, current state is: {current}.")
    call.core.named_keys.configure(call.ctx, view.space, view.key.name or "",
                                   attributes={f"{DESTROY_PREFIX}{number}": ""})
    return _shown(call, load(call, call.target.name), number)
