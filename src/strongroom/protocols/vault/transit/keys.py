"""Key management: ``keys`` (list), ``keys/:name`` (create, read, delete), ``keys/:name/config|rotate|trim`` and
``export/:kind/:name[/:version]``; the key read every one of them answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strongroom.domain.actions import Action
from strongroom.domain.path_policy import Capability
from strongroom.errors import InvalidCiphertextError, InvalidRequestError
from strongroom.protocols.vault.errors import VaultError
from strongroom.protocols.vault.request import NO_CONTENT, Reply, boolean, integer, rfc3339, seconds, text
from strongroom.protocols.vault.transit.backup import info_members
from strongroom.protocols.vault.transit.common import (
    AEAD,
    AUTO_ROTATE_PERIOD,
    SIGNING,
    TYPES,
    Keys,
    auto_rotate_period,
    flag,
)
from strongroom.service.named_keys import NamedKey

ROTATION_NOT_ALLOWED = "allow_rotation must be set to true if auto-rotation is enabled"
HMAC_KEY_BYTES = (32, 512)  # Vault's bounds of an HMAC key's key_size
HMAC_DEFAULT_KEY_BYTES = 32  # what a key made without key_size has (Vault refuses to make one)


def list_keys(keys: Keys) -> Reply:
    keys.call.authorize(Capability.LIST)
    names = keys.service.names(keys.call.ctx, keys.space)
    if not names:
        raise VaultError(404, "")  # rendered as {"errors": []}, as Vault answers an empty list
    return Reply({"keys": names})


def key_settings(params: dict[str, Any]) -> tuple[str, int | None, bool, dict[str, str]]:
    """A create request's settings, validated in Vault's order and with its texts: spec, key size, exportable,
    attributes."""
    derived = boolean(params.get("derived"), "derived")
    convergent = boolean(params.get("convergent_encryption"), "convergent_encryption")
    if convergent and not derived:
        raise InvalidRequestError("convergent encryption requires derivation to be enabled")
    key_type = text(params.get("type"), "type") or "aes256-gcm96"
    spec = TYPES.get(key_type)
    if spec is None:
        raise InvalidRequestError(f"unknown key type {key_type}")
    key_size = integer(params.get("key_size"), "key_size")
    if key_size and key_type != "hmac":
        raise InvalidRequestError(f"key_size is not valid for algorithm {key_type}")
    if key_size and not HMAC_KEY_BYTES[0] <= key_size <= HMAC_KEY_BYTES[1]:
        raise InvalidRequestError(f"invalid key_size {key_size}")
    if derived and key_type not in (*AEAD, "ed25519"):
        raise InvalidRequestError(f"key derivation and convergent encryption not supported for keys of type "
                                  f"{key_type}")
    if convergent and key_type not in AEAD:
        raise InvalidRequestError(f"convergent encryption not supported for keys of type {key_type}")
    rotate_period = seconds(params.get("auto_rotate_period"), "auto_rotate_period") or 0
    if rotate_period and rotate_period < 3600:
        raise InvalidRequestError("auto rotate period must be 0 to disable or at least an hour")
    attributes = {"vault.type": key_type, "vault.derived": str(derived).lower(),
                  "vault.convergent": str(convergent).lower(), "vault.deletion_allowed": "false",
                  "vault.allow_plaintext_backup": str(boolean(params.get("allow_plaintext_backup"),
                                                              "allow_plaintext_backup")).lower(),
                  AUTO_ROTATE_PERIOD: str(int(rotate_period))}
    if key_size:
        attributes["core.key_size"] = str(key_size)
    return spec, key_size, boolean(params.get("exportable"), "exportable"), attributes


def new_key(keys: Keys, name: str, params: dict[str, Any]) -> NamedKey:
    spec, key_size, exportable, attributes = key_settings(params)
    return keys.service.create(keys.call.ctx, keys.space, name, spec, key_size=key_size, exportable=exportable,
                               attributes=attributes)


def create(keys: Keys, name: str) -> Reply:
    exists = keys.service.exists(keys.call.ctx, keys.space, name)
    keys.call.authorize(Capability.UPDATE if exists else Capability.CREATE)
    key_settings(keys.call.body)
    if exists:  # Vault answers a create of an existing key with its read, changing nothing
        return read(keys, name, authorized=True)
    return Reply(view(keys, new_key(keys, name, keys.call.body)))


_CURVES = {"ecdsa-p256": "P-256", "ecdsa-p384": "P-384", "ecdsa-p521": "P-521"}  # a version's "name" (Go's)


def view(keys: Keys, named: NamedKey) -> dict[str, Any]:
    """The key read: Vault's ``transit/keys/:name`` data for this key. ``keys`` lists the versions that can still
    decrypt (Vault keeps older ones archived, out of the read)."""
    key = named.key
    key_type = keys.type_of(key)
    derived = flag(named, "derived")
    live = {n: t for n, t in sorted(named.versions.items()) if n >= key.min_decryption_version}
    versions: dict[str, Any]
    if key_type in SIGNING:
        versions = {}
        for number, created in live.items():
            public = "" if derived else keys.service.public_key(keys.call.ctx, keys.space, key.name or "", number)
            versions[str(number)] = {"certificate_chain": "", "creation_time": rfc3339(created),
                                     "name": _CURVES.get(key_type, key_type), "public_key": public}
    else:
        versions = {str(n): int(t) for n, t in live.items()}
    data: dict[str, Any] = {
        "name": key.name, "type": key_type, "keys": versions, "latest_version": key.current_version,
        "min_available_version": named.min_available_version if named.min_available_version > 1 else 0,
        "min_decryption_version": key.min_decryption_version, "min_encryption_version": key.min_encryption_version,
        "deletion_allowed": flag(named, "deletion_allowed"), "derived": derived, "exportable": key.exportable,
        "allow_plaintext_backup": flag(named, "allow_plaintext_backup"),
        "auto_rotate_period": auto_rotate_period(key.attributes),
        "imported_key": flag(named, "imported"),
        "supports_encryption": key_type in AEAD or key_type.startswith("rsa"),
        "supports_decryption": key_type in AEAD or key_type.startswith("rsa"),
        "supports_derivation": key_type in (*AEAD, "ed25519"), "supports_signing": key_type in SIGNING,
    }
    if flag(named, "imported"):
        data["imported_key_allow_rotation"] = flag(named, "allow_rotation")
    data.update(info_members(key.attributes))
    if derived:
        data["kdf"] = "hmac-sha256-counter" if key.attributes.get("core.kdf") == "hmac-sha256-counter" else \
            "hkdf_sha256"
        data["convergent_encryption"] = flag(named, "convergent")
        if data["convergent_encryption"]:
            data["convergent_encryption_version"] = -1  # Vault's "the latest version" (ours: 3)
    if key_type == "hmac":  # Vault's read of an HMAC key has its size and no versions
        del data["keys"]
        data["key_size"] = int(key.attributes.get("core.key_size") or HMAC_DEFAULT_KEY_BYTES)
    return data


def read(keys: Keys, name: str, authorized: bool = False) -> Reply:
    if not authorized:
        keys.call.authorize(Capability.READ)
    return Reply(view(keys, keys.service.describe(keys.call.ctx, keys.space, name)))


def delete(keys: Keys, name: str) -> Reply:
    keys.call.authorize(Capability.DELETE)
    named = keys.service.describe(keys.call.ctx, keys.space, name)
    if not flag(named, "deletion_allowed"):
        raise InvalidRequestError(f"error deleting policy {name}: deletion is not allowed for this key")
    keys.service.delete(keys.call.ctx, keys.space, name)
    return NO_CONTENT


def config(keys: Keys, name: str) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    p = keys.call.body
    attributes = {}
    for setting in ("deletion_allowed", "allow_plaintext_backup"):
        if setting in p:
            attributes[f"vault.{setting}"] = str(boolean(p[setting], setting)).lower()
    if "auto_rotate_period" in p:
        period = seconds(p["auto_rotate_period"], "auto_rotate_period") or 0
        if period and period < 3600:
            raise InvalidRequestError("auto rotate period must be 0 to disable or at least an hour")
        key = keys.service.authorized(keys.call.ctx, keys.space, name, Action.UPDATE_KEY_CONFIGURATION)
        if period and key.attributes.get("vault.imported") == "true" and \
                key.attributes.get("vault.allow_rotation") != "true":
            raise InvalidRequestError(ROTATION_NOT_ALLOWED)
        attributes[AUTO_ROTATE_PERIOD] = str(int(period))
    exportable = boolean(p["exportable"], "exportable") if "exportable" in p else None
    named = keys.service.configure(keys.call.ctx, keys.space, name,
                                   min_decryption_version=integer(p.get("min_decryption_version"),
                                                                  "min_decryption_version"),
                                   min_encryption_version=integer(p.get("min_encryption_version"),
                                                                  "min_encryption_version"),
                                   exportable=exportable, attributes=attributes)
    return Reply(view(keys, named))


def rotate(keys: Keys, name: str) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    key = keys.service.authorized(keys.call.ctx, keys.space, name, Action.ROTATE_KEY_ON_DEMAND)
    imported = key.attributes.get("vault.imported") == "true"
    if imported and key.attributes.get("vault.allow_rotation") != "true":
        # Vault answers 500 for this; it is the caller's request that cannot be done, so 400 here
        raise InvalidRequestError(f"imported key {name} does not allow rotation within Vault")
    # once it has material made here, Vault no longer counts the key as imported
    changed = {"vault.imported": "false"} if imported else None
    return Reply(view(keys, keys.service.rotate(keys.call.ctx, keys.space, name, attributes=changed)))


def trim(keys: Keys, name: str) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    version = integer(keys.call.param("min_available_version"), "min_available_version")
    if version is None:
        raise InvalidRequestError("missing min_available_version")
    return Reply(view(keys, keys.service.trim(keys.call.ctx, keys.space, name, version)))


# What each export kind needs of the key's type, and Vault's text when it is not so ("{type}": the key's; for
# public-key Vault answers 500, here 400).
_EXPORTABLE_BY: dict[str, tuple[Callable[[str], bool], str]] = {
    "encryption-key": (lambda t: t in AEAD or t.startswith("rsa"), "encryption not supported for the key"),
    "signing-key": (lambda t: t in SIGNING, "signing not supported for the key"),
    "public-key": (lambda t: t in SIGNING, "unknown key type {type} for export type public-key"),
    "hmac-key": (lambda t: True, ""),
}


def export(keys: Keys, kind: str, name: str, version: str | None = None) -> Reply:
    keys.call.authorize(Capability.READ)
    if kind not in _EXPORTABLE_BY:
        raise InvalidRequestError(f"invalid export type: {kind}")
    named = keys.service.describe(keys.call.ctx, keys.space, name)
    key_type = keys.type_of(named.key)
    if kind != "public-key" and not named.key.exportable:
        raise InvalidRequestError("private key material is not exportable")
    supported, refusal = _EXPORTABLE_BY[kind]
    if not supported(key_type):
        raise InvalidRequestError(refusal.format(type=key_type))
    if version not in (None, "", "latest") and not version.isdigit():
        raise InvalidRequestError("invalid key version")
    number = None if version in (None, "") else named.latest_version if version == "latest" else int(version)
    if number is not None and number not in named.versions:
        raise InvalidRequestError("version does not exist or cannot be found")
    try:
        exported = keys.service.export(keys.call.ctx, keys.space, name, kind, number)
    except InvalidCiphertextError as exc:
        raise VaultError(400, exc.message) from None
    return Reply({"name": name, "type": key_type, "keys": {str(n): v for n, v in exported.items()}})
