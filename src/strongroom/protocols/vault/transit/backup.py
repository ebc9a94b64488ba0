"""``backup/:name`` and ``restore[/:name]``: a key with all its versions, in the backup format of Vault's transit
engine as OpenBao writes it, so a backup made by either server restores into the other.

The backup is base64 of the JSON of ``keysutil.KeyData``: ``policy`` (the key's settings and its versions from
``min_decryption_version`` on, in ``keys``) and ``archived_keys.keys`` (every version from the minimum available
one, at index ``version - min_available_version``, so index 0 is an empty entry while nothing was trimmed). A
version's material is in ``VersionedKey.backup_entry``'s members; ECDSA and RSA values are JSON integers of any
size, hence the standard ``json`` module here. It is plaintext key material: only exportable keys that allow
plaintext backups have one, it is authorized and audited in the core like export, and it is never logged (the
audit record leaves ``backup`` out).

Differences that remain: an encryption or signing key version restored here MACs with the HMAC key derived from its
material, not with the separate ``hmac_key`` of the backup (a backup made here carries the derived one, so a key
restored into OpenBao MACs as it did here); only convergent encryption version 3 restores.
"""

from __future__ import annotations

import base64
import calendar
import json
import time
from typing import Any

from strongroom.domain.actions import Action
from strongroom.domain.path_policy import Capability
from strongroom.errors import InvalidRequestError
from strongroom.protocols.vault.request import NO_CONTENT, Reply, b64, boolean, text
from strongroom.protocols.vault.transit.common import AEAD, AUTO_ROTATE_PERIOD, TYPES, Keys, auto_rotate_period
from strongroom.service.named_keys import VersionBackup

# keysutil.KeyType, by number, as OpenBao numbers them
KEY_TYPE_NUMBERS = {"aes256-gcm96": 0, "ecdsa-p256": 1, "ed25519": 2, "rsa-2048": 3, "rsa-4096": 4,
                    "chacha20-poly1305": 5, "ecdsa-p384": 6, "ecdsa-p521": 7, "aes128-gcm96": 8, "rsa-3072": 9,
                    "hmac": 10}
_KEY_TYPES = {number: name for name, number in KEY_TYPE_NUMBERS.items()}
_KDFS = {0: "hmac-sha256-counter", 1: "hkdf_sha256"}  # keysutil's Kdf_hmac_sha256_counter, Kdf_hkdf_sha256
_CONVERGENT_VERSION = 3  # the only one made and opened here
_GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_EMPTY_ENTRY: dict[str, Any] = {"key": None, "hmac_key": None, "time": _GO_ZERO_TIME, "ec_x": None, "ec_y": None,
                                "ec_d": None, "rsa_key": None, "rsa_public_key": None, "public_key": "",
                                "convergent_version": 0, "creation_time": 0, "certificate_chain": None,
                                "external_key_ref": ""}


def rfc3339_nano(epoch: float) -> str:
    """Go's JSON form of a time.Time (RFC 3339 with the nanoseconds, trailing zeros dropped)."""
    whole = int(epoch)
    fraction = f"{round((epoch - whole) * 1e9):09d}".rstrip("0")[:9]
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + (f".{fraction}" if fraction else "") + "Z"


def _info(attributes: dict[str, str], what: str) -> dict[str, Any] | None:
    """``backup_info`` / ``restore_info`` of a key: when and at which latest version it was backed up / restored."""
    stamp, version = attributes.get(f"vault.{what}_time"), attributes.get(f"vault.{what}_version")
    if not stamp or not version or not version.isdigit():
        return None
    try:
        return {"time": rfc3339_nano(float(stamp)), "version": int(version)}
    except (ValueError, OverflowError, OSError):
        return None


def info_members(attributes: dict[str, str]) -> dict[str, Any]:
    """What the key read shows of a key's backups and restores (as Vault shows them: only once there was one)."""
    found = {f"{what}_info": _info(attributes, what) for what in ("backup", "restore")}
    return {k: v for k, v in found.items() if v is not None}


# --- backup -----------------------------------------------------------------------------------------------------

def backup(keys: Keys, name: str) -> Reply:
    call = keys.call
    call.authorize(Capability.READ)
    key = keys.service.authorized(call.ctx, keys.space, name, Action.BACKUP_KEY)
    if not key.exportable:
        raise InvalidRequestError("exporting is disallowed on the policy")
    if key.attributes.get("vault.allow_plaintext_backup") != "true":
        raise InvalidRequestError("plaintext backup is disallowed on the policy")
    now = call.core.clock.now()
    mark = {"vault.backup_time": repr(now), "vault.backup_version": str(key.current_version)}
    key, versions = keys.service.backup(call.ctx, keys.space, name, mark)
    document = _key_data(keys.type_of(key), key, versions)
    encoded = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
    return Reply({"backup": encoded})


def _key_data(key_type: str, key: Any, versions: list[VersionBackup]) -> dict[str, Any]:
    attributes = key.attributes
    convergent = attributes.get("vault.convergent") == "true"
    derived = attributes.get("vault.derived") == "true"
    entries = {v.number: {**_EMPTY_ENTRY, **v.entry, "time": rfc3339_nano(v.created_at),
                          "creation_time": int(v.created_at),
                          "convergent_version": _CONVERGENT_VERSION if convergent else 0} for v in versions}
    lowest = min(entries, default=1)
    available = lowest if lowest > 1 else 0  # Vault's min_available_version: 0 until a trim
    archive = [dict(_EMPTY_ENTRY) if n == 0 else entries.get(n, dict(_EMPTY_ENTRY))
               for n in range(available, key.current_version + 1)]
    imported = attributes.get("vault.imported") == "true"
    policy = {
        "name": key.name,
        "keys": {str(n): e for n, e in entries.items() if n >= key.min_decryption_version},
        "derived": derived,
        "kdf": 1 if derived and attributes.get("core.kdf") != "hmac-sha256-counter" else 0,
        "convergent_encryption": convergent,
        "exportable": key.exportable,
        "min_decryption_version": key.min_decryption_version,
        "min_encryption_version": key.min_encryption_version,
        "latest_version": key.current_version,
        "archive_version": key.current_version,
        "archive_min_version": available,
        "min_available_version": available,
        "deletion_allowed": attributes.get("vault.deletion_allowed") == "true",
        "convergent_version": -1 if convergent else 0,
        "type": KEY_TYPE_NUMBERS[key_type],
        "backup_info": _info(attributes, "backup"),
        "restore_info": _info(attributes, "restore"),
        "allow_plaintext_backup": attributes.get("vault.allow_plaintext_backup") == "true",
        "version_template": "",
        "storage_prefix": "",
        "auto_rotate_period": auto_rotate_period(attributes) * 1_000_000_000,  # Go's time.Duration: ns
        "Imported": imported,
        "AllowImportedKeyRotation": imported and attributes.get("vault.allow_rotation") == "true",
    }
    return {"policy": policy, "archived_keys": {"keys": archive}}


# --- restore ----------------------------------------------------------------------------------------------------

def restore(keys: Keys, name: str | None = None) -> Reply:
    call = keys.call
    call.authorize(Capability.UPDATE)
    encoded = text(call.param("backup"), "backup")
    if not encoded:
        raise InvalidRequestError("'backup' must be supplied")
    force = boolean(call.param("force"), "force")
    raw = b64(encoded, "backup") or b""
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequestError(f"the backup is not JSON: {exc}") from None
    policy = document.get("policy") if isinstance(document, dict) else None
    if not isinstance(policy, dict):
        raise InvalidRequestError("the backup has no key policy")
    name = name or _text(policy, "name")
    if not name:
        raise InvalidRequestError("invalid key name")
    key_type = _KEY_TYPES.get(_number(policy, "type"))
    if key_type is None:
        raise InvalidRequestError(f"the backup's key type {policy.get('type')!r} is not supported")
    spec = TYPES[key_type]
    derived, convergent = _flag(policy, "derived"), _flag(policy, "convergent_encryption")
    versions = _versions(policy, document.get("archived_keys"), convergent)
    attributes = {"vault.type": key_type, "vault.derived": str(derived).lower(),
                  "vault.convergent": str(convergent).lower(),
                  "vault.deletion_allowed": str(_flag(policy, "deletion_allowed")).lower(),
                  "vault.allow_plaintext_backup": str(_flag(policy, "allow_plaintext_backup")).lower(),
                  AUTO_ROTATE_PERIOD: str(_number(policy, "auto_rotate_period", maximum=_MAX_DURATION)
                                          // 1_000_000_000),
                  "vault.restore_time": repr(call.core.clock.now()),
                  "vault.restore_version": str(_number(policy, "latest_version"))}
    if convergent and (not derived or key_type not in AEAD):
        raise InvalidRequestError("the backup's key has convergent encryption without derivation on an AEAD key")
    if derived:
        kdf = _KDFS.get(_number(policy, "kdf"))
        if kdf is None or key_type not in (*AEAD, "ed25519") or \
                (kdf == "hmac-sha256-counter" and key_type not in ("aes256-gcm96", "chacha20-poly1305")):
            raise InvalidRequestError(f"the backup's key derivation ({policy.get('kdf')!r}) is not supported for "
                                      f"keys of type {key_type}")
        attributes["core.kdf"] = kdf
    imported = _flag(policy, "Imported")
    if imported:
        attributes["vault.imported"] = "true"
        attributes["vault.allow_rotation"] = str(_flag(policy, "AllowImportedKeyRotation")).lower()
    info = policy.get("backup_info")
    if isinstance(info, dict) and type(info.get("version")) is int and 0 < info["version"] <= _MAX_NUMBER:
        stamp = _epoch(info.get("time"))
        if stamp is not None:
            attributes.update({"vault.backup_time": repr(stamp), "vault.backup_version": str(info["version"])})
    keys.service.restore(call.ctx, keys.space, name, spec, versions,
                         latest_version=_number(policy, "latest_version"),
                         min_decryption_version=max(_number(policy, "min_decryption_version"), 1),
                         min_encryption_version=_number(policy, "min_encryption_version"),
                         exportable=_flag(policy, "exportable"), attributes=attributes, imported=imported,
                         force=force)
    return NO_CONTENT


def _versions(policy: dict[str, Any], archived: Any, convergent: bool) -> list[VersionBackup]:
    """The backup's versions: the archive's (index + the minimum available version) and the policy's own."""
    found: dict[int, dict[str, Any]] = {}
    offset = _number(policy, "archive_min_version", _number(policy, "min_available_version"))
    archive = archived.get("keys") if isinstance(archived, dict) else None
    for index, entry in enumerate(archive if isinstance(archive, list) else []):
        if index + offset >= 1 and isinstance(entry, dict) and _has_material(entry):
            found[index + offset] = entry
    live = policy.get("keys")
    for number, entry in (live.items() if isinstance(live, dict) else ()):
        if not str(number).isdigit() or not 0 < int(number) <= _MAX_NUMBER or not isinstance(entry, dict) \
                or not _has_material(entry):
            raise InvalidRequestError("the backup's key versions are not valid")
        found[int(number)] = entry
    if not found:
        raise InvalidRequestError("the backup holds no key version")
    versions = []
    for number, entry in sorted(found.items()):
        version = entry.get("convergent_version", 0)
        if convergent and version != _CONVERGENT_VERSION:
            raise InvalidRequestError(f"convergent encryption version {version!r} of the backup is not supported")
        created = entry.get("creation_time")
        stamp = float(created) if isinstance(created, int) and not isinstance(created, bool) and \
            0 < created <= _MAX_EPOCH else _epoch(entry.get("time"))
        versions.append(VersionBackup(number, stamp if stamp is not None else time.time(), entry))
    return versions


def _has_material(entry: dict[str, Any]) -> bool:
    return any(entry.get(k) for k in ("key", "ec_d", "rsa_key"))


def _flag(policy: dict[str, Any], name: str) -> bool:
    value = policy.get(name, False)
    if not isinstance(value, bool):
        raise InvalidRequestError(f"the backup's {name} is not a boolean")
    return value


_MAX_NUMBER = 2**31 - 1  # versions and such
_MAX_DURATION = 2**63 - 1  # Go's time.Duration (nanoseconds)
_MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z


def _number(policy: dict[str, Any], name: str, default: int = 0, maximum: int = _MAX_NUMBER) -> int:
    """A whole number of the backup, -1 (Vault's "latest") read as 0."""
    value = policy.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= maximum:
        raise InvalidRequestError(f"the backup's {name} is not a number")
    return max(value, 0)


def _text(policy: dict[str, Any], name: str) -> str:
    value = policy.get(name)
    return value if isinstance(value, str) else ""


def _epoch(value: Any) -> float | None:
    """A Go RFC 3339 time as seconds since the epoch (None when it is not one, or Go's zero time)."""
    if not isinstance(value, str) or not value.endswith("Z") or value == _GO_ZERO_TIME:
        return None
    whole, _, fraction = value[:-1].partition(".")
    try:
        seconds = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    except (ValueError, OverflowError):
        return None
    if not 0 < seconds <= _MAX_EPOCH:
        return None
    return seconds + (float(f"0.{fraction}") if fraction.isdigit() else 0.0)
