"""Imported key material: GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.protocols.aws.key_ids import key_ref
from strongroom.service.core import Core


def get_parameters_for_import(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    found = core.key_import.get_parameters_for_import(ctx, key_ref(p["KeyId"], alias=False), p["WrappingAlgorithm"],
                                                      p["WrappingKeySpec"])
    return {"KeyId": found.key.arn, "ImportToken": found.import_token, "PublicKey": found.public_key,
            "ParametersValidTo": found.valid_to}


def import_key_material(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key, material_id = core.key_import.import_key_material(
        ctx, key_ref(p["KeyId"], alias=False), p["ImportToken"], p["EncryptedKeyMaterial"], valid_to=p.get("ValidTo"),
        expiration_model=p.get("ExpirationModel"), import_type=p.get("ImportType"),
        description=p.get("KeyMaterialDescription"), material_id=p.get("KeyMaterialId"))
    return {"KeyId": key.arn, "KeyMaterialId": material_id}


def delete_imported_key_material(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key, material_id = core.key_import.delete_imported_key_material(ctx, key_ref(p["KeyId"], alias=False),
                                                                    p.get("KeyMaterialId"))
    return {"KeyId": key.arn, "KeyMaterialId": material_id}


HANDLERS = {
    "GetParametersForImport": get_parameters_for_import,
    "ImportKeyMaterial": import_key_material,
    "DeleteImportedKeyMaterial": delete_imported_key_material,
}
