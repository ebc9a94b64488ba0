"""Import (``PUT /keys/{name}``): a JSON Web Key with its private parts (RSA ``n e d p q [dp dq qi]``, EC
``crv x y d``, oct ``k``), or with ``key_hsm``, a BYOK transfer blob (``{"schema_version", "header": {"kid", "alg":
"dir", "enc": "CKM_RSA_AES_KEY_WRAP"}, "ciphertext"}``) wrapped for a key exchange key of the same vault (an
``RSA-HSM`` key whose only operation is ``import``), becomes a key, or a new version of the key of that name."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import orjson

from strongroom.errors import IncorrectKeyMaterialError
from strongroom.protocols.azure import bundle, model
from strongroom.protocols.azure.errors import AzureError, bad_parameter
from strongroom.protocols.azure.keys import conflict_if_deleted, version_attributes_of
from strongroom.protocols.azure.request import Call, b64_any, b64url_decode, boolean, string
from strongroom.service.key_material import PrivateNumbers, imported_material, material_from_numbers

_RSA_MEMBERS = ("n", "e", "d", "p", "q", "dp", "dq", "qi")


def _number(jwk: dict[str, Any], member: str, required: bool) -> int | None:
    raw = b64url_decode(jwk.get(member), f"key.{member}", required=required)
    return int.from_bytes(raw, "big") if raw else None


def _spec_and_numbers(jwk: dict[str, Any], kty: str) -> tuple[str, PrivateNumbers]:
    kind = model.family(kty)
    if kind == "RSA":
        values = {m: _number(jwk, m, m in ("n", "e", "d", "p", "q")) for m in _RSA_MEMBERS}
        n = values["n"] or 0
        return model.key_spec(kty, n.bit_length(), None, values["e"]), PrivateNumbers(**values)
    if kind == "EC":
        spec = model.key_spec(kty, None, string(jwk.get("crv"), "key.crv", required=True), None)
        return spec, PrivateNumbers(x=_number(jwk, "x", True), y=_number(jwk, "y", True), d=_number(jwk, "d", True))
    raw = b64url_decode(jwk.get("k"), "key.k") or b""
    return model.key_spec(kty, len(raw) * 8, None, None), PrivateNumbers(raw=raw)


def _transferred(call: Call, jwk: dict[str, Any], kty: str) -> tuple[str, bytes]:
    """The spec and material of a BYOK transfer blob, unwrapped in the core by its key exchange key."""
    kind = model.family(kty)
    if kind == "oct":
        raise bad_parameter("BYOK transfer blobs carry RSA or EC keys.")
    raw = b64_any(jwk.get("key_hsm"), "key.key_hsm")
    try:
        blob = orjson.loads(raw)
        header = blob["header"]
        kid, ciphertext = str(header["kid"]), str(blob["ciphertext"])
        enc = header.get("enc")
    except (ValueError, KeyError, TypeError):
        raise bad_parameter("Property 'key.key_hsm' is not a BYOK transfer blob.") from None
    if enc != "CKM_RSA_AES_KEY_WRAP" or header.get("alg", "dir") != "dir":
        raise bad_parameter(f"Unsupported transfer blob encryption {enc!r}: CKM_RSA_AES_KEY_WRAP with alg dir.")
    path = urlsplit(kid).path.split("/")
    if len(path) != 4 or path[1] != "keys" or not path[3]:
        raise bad_parameter("The transfer blob's kid must name a version of a key exchange key.")
    kek_name, kek_version = path[2], path[3]
    kek = call.core.named_keys.peek(call.ctx, call.name_space, kek_name)
    if kek is None:
        raise AzureError(404, "KeyNotFound", f"The key exchange key {kek_name} was not found in this key vault.")
    number = model.version_number(kek.key, kek.versions, kek_version, kek_name)
    if model.kty_of(kek.key) != "RSA-HSM" or model.version_attributes(kek.key, number).key_ops != ["import"]:
        raise bad_parameter(f"{kek_name} is not a key exchange key: an RSA-HSM key whose only operation is "
                            "import.")
    if kind == "RSA":
        spec = "RSA_"  # the size is the material's: checked against each RSA spec below
    else:
        spec = model.key_spec(kty, None, string(jwk.get("crv"), "key.crv", required=True), None)
    wrapped = b64_any(ciphertext, "key.key_hsm.ciphertext")
    material = call.crypto.unwrap_transfer(call.ctx, call.name_space, kek_name, number, wrapped)
    if spec != "RSA_":
        return spec, imported_material(spec, material)
    for candidate in model.RSA_SIZES.values():
        try:
            return candidate, imported_material(candidate, material)
        except IncorrectKeyMaterialError:
            continue
    raise bad_parameter("The transfer blob does not hold an RSA private key of 2048, 3072 or 4096 bits.")


def import_key(call: Call, name: str) -> dict[str, Any]:
    jwk = call.body.get("key")
    if not isinstance(jwk, dict):
        raise bad_parameter("Property 'key' is required: a JSON Web Key.")
    kty = string(jwk.get("kty"), "key.kty", required=True) or ""
    if boolean(call.body.get("Hsm"), "Hsm") and not kty.endswith("-HSM"):
        kty += "-HSM"
    if jwk.get("key_hsm") is not None:
        spec, material = _transferred(call, jwk, kty)
    else:
        spec, numbers = _spec_and_numbers(jwk, kty)
        material = material_from_numbers(spec, numbers)
    version = version_attributes_of(call, {**call.body, "key_ops": jwk.get("key_ops")}, kty)
    template = model.VersionAttributes(version.key_ops, version.tags).stored()
    named_keys, ns = call.core.named_keys, call.name_space
    if named_keys.exists(call.ctx, ns, name):
        existing = conflict_if_deleted(call, name)
        if existing.key.key_spec != spec:
            raise bad_parameter(f"Key {name} exists with another type or size; a new version must keep them.")
        number = existing.latest_version + 1
        named = named_keys.rotate(call.ctx, ns, name, material, attributes={
            model.TEMPLATE: template, f"{model.VERSION_PREFIX}{number}": version.stored()})
    else:
        number = 1
        named = named_keys.create(call.ctx, ns, name, spec, material=material, attributes={
            model.KTY: kty, model.IDENTITY: uuid.uuid4().hex, model.TEMPLATE: template,
            f"{model.VERSION_PREFIX}1": version.stored()})
    if not version.enabled:
        call.core.keys.set_version_enabled(call.ctx, named.key.key_id, number, False)
    call.ctx.note.version(number)
    return bundle.key_bundle(call, named.key, number, named.versions[number])
