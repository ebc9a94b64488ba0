"""Rotation operations."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.protocols.aws import shapes
from strongroom.protocols.aws.key_ids import key_ref
from strongroom.service.core import Core


def enable_key_rotation(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.rotation.enable_key_rotation(ctx, key_ref(p["KeyId"], alias=False), p.get("RotationPeriodInDays"))


def disable_key_rotation(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.rotation.disable_key_rotation(ctx, key_ref(p["KeyId"], alias=False))


def get_key_rotation_status(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key = core.rotation.get_key_rotation_status(ctx, key_ref(p["KeyId"], alias=False))
    out: dict[str, Any] = {"KeyRotationEnabled": key.rotation_period_days is not None, "KeyId": key.arn}
    if key.rotation_period_days is not None:
        out["RotationPeriodInDays"] = key.rotation_period_days
        out["NextRotationDate"] = key.next_rotation_at
    return out


def rotate_key_on_demand(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"KeyId": core.rotation.rotate_key_on_demand(ctx, key_ref(p["KeyId"], alias=False)).arn}


def list_key_rotations(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    include_all = p.get("IncludeKeyMaterial") == "ALL_KEY_MATERIAL"
    found = core.rotation.list_key_rotations(ctx, key_ref(p["KeyId"], alias=False), include_all, p.get("Limit"),
                                             p.get("Marker"))
    entries = []
    for rotation in found.items:
        entry: dict[str, Any] = {"KeyId": rotation.key.arn, "KeyMaterialId": rotation.material_id,
                                 "KeyMaterialState": rotation.state}
        if rotation.state != "PENDING_ROTATION":
            entry["RotationDate"] = rotation.rotated_at
        if rotation.rotation_type is not None:
            entry["RotationType"] = rotation.rotation_type
        material = rotation.material
        if material is not None and material.imported:
            entry["ImportState"] = "IMPORTED" if material.has_material else "PENDING_IMPORT"
            if material.expiration_model is not None:
                entry["ExpirationModel"] = material.expiration_model
            if material.valid_to is not None:
                entry["ValidTo"] = material.valid_to
            if material.description is not None:
                entry["KeyMaterialDescription"] = material.description
        entries.append(entry)
    return shapes.page("Rotations", entries, found.next_marker)


HANDLERS = {
    "EnableKeyRotation": enable_key_rotation,
    "DisableKeyRotation": disable_key_rotation,
    "GetKeyRotationStatus": get_key_rotation_status,
    "RotateKeyOnDemand": rotate_key_on_demand,
    "ListKeyRotations": list_key_rotations,
}
