"""Data key documents, exactly as MongoDB's key vault collection stores them.

    {_id: UUID (Binary subtype 4), keyAltNames?: [str, ...], keyMaterial: Binary subtype 0,
     creationDate: datetime, updateDate: datetime, status: 0, masterKey: {provider: str, ...}, version?: 0}

:func:`validate` applies libmongocrypt's rules for a key it reads: those fields and no other, ``_id`` a UUID,
``keyMaterial`` subtype 0, dates as BSON datetimes, unique string ``keyAltNames``, ``version`` 0 if present.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bson.binary import Binary, UuidRepresentation
from bson.codec_options import CodecOptions

from strongroom_client.errors import ConfigurationError, KeyVaultError

UUID_SUBTYPE = 4
KEY_CODEC = CodecOptions(tz_aware=True, tzinfo=dt.UTC, uuid_representation=UuidRepresentation.UNSPECIFIED)
"""How key documents are decoded here: ``_id`` stays a ``Binary`` subtype 4, dates are aware UTC."""

_ALLOWED = frozenset(
    {"_id", "keyAltNames", "keyMaterial", "creationDate", "updateDate", "status", "masterKey", "version"}
)
_REQUIRED = ("_id", "keyMaterial", "masterKey", "status", "creationDate", "updateDate")

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def bson_time(moment: dt.datetime) -> dt.datetime:
    """``moment`` at BSON datetime precision (milliseconds), aware UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    moment = moment.astimezone(dt.UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def new_key_id() -> Binary:
    return Binary(uuid.uuid4().bytes, UUID_SUBTYPE)


def as_key_id(value: Any) -> Binary:
    """A data key id given as ``uuid.UUID`` or ``Binary`` subtype 4, as the ``Binary`` stored in ``_id``."""
    if isinstance(value, uuid.UUID):
        return Binary(value.bytes, UUID_SUBTYPE)
    if isinstance(value, Binary) and value.subtype == UUID_SUBTYPE and len(value) == 16:
        return value
    raise ConfigurationError("a data key id is a uuid.UUID or a bson Binary of subtype 4 (16 bytes)")


def as_alt_names(names: Iterable[str] | None) -> list[str]:
    if names is None:
        return []
    if isinstance(names, str):
        raise ConfigurationError("key_alt_names is a list of strings, not a string")
    result = list(names)
    if not all(isinstance(n, str) and n for n in result):
        raise ConfigurationError("every key alt name is a non-empty string")
    if len(set(result)) != len(result):
        raise ConfigurationError("key_alt_names has duplicates")
    return result


def new_key_document(
    key_id: Binary, key_material: bytes, master_key: Mapping[str, Any], alt_names: list[str], now: dt.datetime
) -> dict[str, Any]:
    """A key document in libmongocrypt's field order."""
    moment = bson_time(now)
    document: dict[str, Any] = {"_id": key_id}
    if alt_names:
        document["keyAltNames"] = list(alt_names)
    document.update(
        keyMaterial=bytes(key_material),
        creationDate=moment,
        updateDate=moment,
        status=0,
        masterKey=dict(master_key),
    )
    return document


def key_id_of(document: Mapping[str, Any]) -> bytes:
    return bytes(document["_id"])


def alt_names_of(document: Mapping[str, Any]) -> list[str]:
    return list(document.get("keyAltNames", []))


def provider_of(document: Mapping[str, Any]) -> str:
    return str(document["masterKey"]["provider"])


def key_material_of(document: Mapping[str, Any]) -> bytes:
    return bytes(document["keyMaterial"])


def validate(document: Mapping[str, Any]) -> None:
    """Raise :class:`KeyVaultError` unless ``document`` is a key document libmongocrypt would accept."""
    label = _label(document)
    unknown = sorted(set(document) - _ALLOWED)
    if unknown:
        raise KeyVaultError(f"key document {label}: unrecognized field {unknown[0]!r}")
    for name in _REQUIRED:
        if name not in document:
            raise KeyVaultError(f"key document {label}: no {name!r}")
    key_id = document["_id"]
    if not (isinstance(key_id, Binary) and key_id.subtype == UUID_SUBTYPE and len(key_id) == 16):
        raise KeyVaultError(f"key document {label}: '_id' is not a UUID")
    material = document["keyMaterial"]
    if not isinstance(material, bytes) or (isinstance(material, Binary) and material.subtype != 0):
        raise KeyVaultError(f"key document {label}: 'keyMaterial' is not Binary subtype 0")
    for name in ("creationDate", "updateDate"):
        if not isinstance(document[name], dt.datetime):
            raise KeyVaultError(f"key document {label}: {name!r} is not a datetime")
    master_key = document["masterKey"]
    if not isinstance(master_key, Mapping) or not isinstance(master_key.get("provider"), str):
        raise KeyVaultError(f"key document {label}: 'masterKey' is not a document with a string 'provider'")
    names = document.get("keyAltNames", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise KeyVaultError(f"key document {label}: 'keyAltNames' is not an array of strings")
    if len(set(names)) != len(names):
        raise KeyVaultError(f"key document {label}: duplicate keyAltNames")
    version = document.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version != 0:
        raise KeyVaultError(f"key document {label}: only 'version' 0 is supported")


def _label(document: Mapping[str, Any]) -> str:
    key_id = document.get("_id")
    if isinstance(key_id, Binary) and len(key_id) == 16:
        return str(uuid.UUID(bytes=bytes(key_id)))
    return "<no valid _id>"
