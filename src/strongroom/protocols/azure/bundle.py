"""The shapes Key Vault answers: KeyBundle (a JSON Web Key with public parts only, its attributes and tags),
KeyItem (a list entry), DeletedKeyBundle."""

from __future__ import annotations

from typing import Any

from strongroom.domain.keys import Key
from strongroom.protocols.azure import model
from strongroom.protocols.azure.request import Call, b64url, int_b64url

RECOVERY_LEVEL = "Recoverable+Purgeable"
RECOVERABLE_DAYS = 30  # the core's longest deletion window


def key_url(call: Call, name: str) -> str:
    return f"https://{call.host}/keys/{name}"


def kid(call: Call, key: Key, number: int) -> str:
    return f"{key_url(call, key.name or '')}/{model.version_id(key, number)}"


def attributes(key: Key, number: int, created: float) -> dict[str, Any]:
    found = model.version_attributes(key, number)
    out: dict[str, Any] = {"enabled": found.enabled}
    if found.nbf is not None:
        out["nbf"] = found.nbf
    if found.exp is not None:
        out["exp"] = found.exp
    out.update(created=int(created), updated=int(found.updated or created), recoveryLevel=RECOVERY_LEVEL,
               recoverableDays=RECOVERABLE_DAYS, exportable=False)
    return out


def jwk(call: Call, key: Key, number: int) -> dict[str, Any]:
    found = model.version_attributes(key, number)
    out: dict[str, Any] = {"kid": kid(call, key, number), "kty": model.kty_of(key), "key_ops": found.key_ops}
    numbers = call.crypto.public_numbers(call.ctx, call.name_space, key.name or "", number)
    if numbers.n is not None:
        out["n"] = int_b64url(numbers.n)
        out["e"] = int_b64url(numbers.e)
    elif numbers.curve is not None:
        size = (numbers.size + 7) // 8
        out["crv"] = numbers.curve
        out["x"] = b64url(numbers.x.to_bytes(size, "big"))
        out["y"] = b64url(numbers.y.to_bytes(size, "big"))
    return out


def key_bundle(call: Call, key: Key, number: int, created: float) -> dict[str, Any]:
    return {"key": jwk(call, key, number), "attributes": attributes(key, number, created),
            "tags": model.version_attributes(key, number).tags}


def key_item(call: Call, key: Key, number: int, created: float, *, versioned: bool) -> dict[str, Any]:
    return {"kid": kid(call, key, number) if versioned else key_url(call, key.name or ""),
            "attributes": attributes(key, number, created), "tags": model.version_attributes(key, number).tags}


def deleted(call: Call, key: Key, body: dict[str, Any]) -> dict[str, Any]:
    name = key.name or ""
    out = {"recoveryId": f"https://{call.host}/deletedkeys/{name}", **body}
    if key.deletion_date is not None:
        out["scheduledPurgeDate"] = int(key.deletion_date)
        out["deletedDate"] = int(key.deletion_date) - RECOVERABLE_DAYS * 86400
    return out
