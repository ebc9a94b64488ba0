"""keyRings: create, get, list. A key ring is a container of keys at a path of the caller's account (a core
mount of type ``key-ring`` at ``gcp/<key ring name>/``); its mount's uuid is the name space of its keys."""

from __future__ import annotations

from typing import Any

from strongroom.domain.engines import Mount
from strongroom.errors import InvalidRequestError
from strongroom.protocols.gcp.errors import GoogleError, not_found
from strongroom.protocols.gcp.names import ResourceName, check_id
from strongroom.protocols.gcp.paging import page
from strongroom.protocols.gcp.request import Call, rfc3339

ENGINE_TYPE = "key-ring"
_PREFIX = "gcp/"


def mount_path(name: ResourceName) -> str:
    return f"{_PREFIX}{name.key_ring_path}/"


def find(call: Call, name: ResourceName) -> Mount | None:
    path = mount_path(name)
    for mount in call.core.mounts.all(call.ctx.caller.account_id):
        if mount.path == path and mount.engine_type == ENGINE_TYPE:
            return mount
    return None


def name_space(call: Call, name: ResourceName) -> str:
    """The name space of the key ring's keys; NOT_FOUND when the key ring does not exist."""
    mount = find(call, name)
    if mount is None:
        raise not_found(f"KeyRing {name.key_ring_path} not found.")
    return mount.uuid


def _render(name: str, mount: Mount) -> dict[str, Any]:
    return {"name": name, "createTime": rfc3339(mount.created_at)}


def create(call: Call) -> dict[str, Any]:
    ring_id = check_id(call.param("keyRingId"), "key_ring_id")
    name = call.target.name.child(key_ring=ring_id)
    if find(call, name) is not None:
        raise GoogleError(409, "ALREADY_EXISTS", f"KeyRing {name.key_ring_path} already exists.")
    try:
        mount = call.core.mounts.enable(call.ctx, mount_path(name), ENGINE_TYPE, "Cloud KMS key ring")
    except InvalidRequestError:  # made meanwhile, or a path in use
        raise GoogleError(409, "ALREADY_EXISTS", f"KeyRing {name.key_ring_path} already exists.") from None
    return _render(name.key_ring_path, mount)


def get(call: Call) -> dict[str, Any]:
    name = call.target.name
    mount = find(call, name)
    if mount is None:
        raise not_found(f"KeyRing {name.key_ring_path} not found.")
    return _render(name.key_ring_path, mount)


def list_key_rings(call: Call) -> dict[str, Any]:
    prefix = f"{_PREFIX}{call.target.name.location_path}/keyRings/"
    rings = sorted((m.path[len(_PREFIX):-1], m) for m in call.core.mounts.all(call.ctx.caller.account_id)
                   if m.engine_type == ENGINE_TYPE and m.path.startswith(prefix))
    items, next_token = page(call, [r[0] for r in rings])
    found = dict(rings)
    body: dict[str, Any] = {"keyRings": [_render(n, found[n]) for n in items], "totalSize": len(rings)}
    if next_token:
        body["nextPageToken"] = next_token
    return body
