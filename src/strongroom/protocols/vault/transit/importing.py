"""Bring your own key: ``wrapping_key`` and ``keys/:name/import`` / ``keys/:name/import_version``."""

from __future__ import annotations

from strongroom.domain.path_policy import Capability
from strongroom.errors import InvalidRequestError
from strongroom.protocols.vault.request import NO_CONTENT, Reply, b64, boolean, text
from strongroom.protocols.vault.transit.common import AUTO_ROTATE_PERIOD, Keys
from strongroom.protocols.vault.transit.keys import ROTATION_NOT_ALLOWED, key_settings


def wrapping_key(keys: Keys) -> Reply:
    keys.call.authorize(Capability.READ)
    return Reply({"public_key": keys.service.wrapping_key(keys.call.ctx, keys.space)})


def import_key(keys: Keys, name: str, new_version: bool) -> Reply:
    """Material wrapped for the mount's wrapping key becomes a new key, or its next version."""
    call = keys.call
    ciphertext = b64(call.param("ciphertext"), "ciphertext", missing="the ciphertext of the key to import must be "
                     "provided") or b""
    hash_function = text(call.param("hash_function"), "hash_function") or "SHA256"
    exists = keys.service.exists(call.ctx, keys.space, name)
    if new_version:
        call.authorize(Capability.UPDATE)
        named = keys.service.describe(call.ctx, keys.space, name)
        if named.key.attributes.get("vault.imported") != "true":  # Vault: 500; the request is what is wrong
            raise InvalidRequestError("the import_version endpoint can only be used with an imported key")
        material = keys.service.unwrap_import(call.ctx, keys.space, named.key.key_spec, ciphertext, hash_function)
        keys.service.rotate(call.ctx, keys.space, name, material)
        return NO_CONTENT
    call.authorize(Capability.CREATE if not exists else Capability.UPDATE)
    if exists:
        raise InvalidRequestError("the import path cannot be used with an existing key; use import-version to "
                                  "rotate an existing imported key")
    params = dict(call.body)
    if boolean(params.get("convergent_encryption"), "convergent_encryption"):
        raise InvalidRequestError("import cannot be used on keys with convergent encryption enabled")
    spec, _, exportable, attributes = key_settings(params)
    allow_rotation = boolean(params.get("allow_rotation"), "allow_rotation")
    if int(attributes[AUTO_ROTATE_PERIOD]) and not allow_rotation:
        raise InvalidRequestError(ROTATION_NOT_ALLOWED)  # Vault: 500, for the caller's request
    attributes["vault.imported"] = "true"
    attributes["vault.allow_rotation"] = str(allow_rotation).lower()
    if attributes["vault.derived"] == "true":
        # Vault leaves derived keys it imports on its legacy KDF, so by default so do we (the same material
        # imported into both then opens each other's ciphertexts); kdf=hkdf_sha256 (ours only) takes a derived
        # key Vault created itself, whose KDF is HKDF.
        kdf = text(params.get("kdf"), "kdf") or "hmac-sha256-counter"
        if kdf not in ("hmac-sha256-counter", "hkdf_sha256"):
            raise InvalidRequestError(f"unknown kdf {kdf}")
        attributes["core.kdf"] = kdf
    material = keys.service.unwrap_import(call.ctx, keys.space, spec, ciphertext, hash_function)
    keys.service.create(call.ctx, keys.space, name, spec, exportable=exportable, attributes=attributes,
                        material=material)
    return NO_CONTENT
