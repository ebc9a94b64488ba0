"""The Key Vault dispatch table: method and path → the operation's name (for the audit trail and the quotas) and
its handler. Paths keep their empty segments: ``/keys/{name}/`` and ``/keys/{name}//wrapkey`` name the current
version."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from strongroom.protocols.azure import importing, keys, operations
from strongroom.protocols.azure.errors import AzureError, bad_parameter
from strongroom.protocols.azure.request import Call

Handler = Callable[[Call], "dict[str, Any] | None"]
_NAME = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
_CRYPTO: dict[str, tuple[str, Callable[[Call, str, str], dict[str, Any]]]] = {
    "encrypt": ("Encrypt", operations.encrypt), "decrypt": ("Decrypt", operations.decrypt),
    "wrapkey": ("WrapKey", operations.wrap), "unwrapkey": ("UnwrapKey", operations.unwrap),
    "sign": ("Sign", operations.sign), "verify": ("Verify", operations.verify),
}
_KEY_ACTIONS: dict[tuple[str, str], tuple[str, Callable[[Call, str], Any]]] = {
    ("POST", "create"): ("CreateKey", keys.create), ("GET", "versions"): ("GetKeyVersions", keys.list_versions),
    ("POST", "rotate"): ("RotateKey", keys.rotate),
    ("GET", "rotationpolicy"): ("GetKeyRotationPolicy", keys.get_rotation_policy),
    ("PUT", "rotationpolicy"): ("UpdateKeyRotationPolicy", keys.put_rotation_policy),
}


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise bad_parameter(f"The key name '{name}' is invalid: 1-127 letters, digits and dashes.")
    return name


def route(method: str, path: str) -> tuple[str, Handler]:
    """The operation and its handler; AzureError for a path or method Key Vault does not have."""
    parts = path.split("/")[1:]
    head, rest = parts[0], parts[1:]
    if head == "rng" and not rest and method == "POST":
        return "GetRandomBytes", keys.random_bytes
    if head == "keys":
        found = _keys(method, rest)
        if found is not None:
            return found
    if head == "deletedkeys":
        found = _deleted(method, rest)
        if found is not None:
            return found
    raise AzureError(404 if method in ("GET", "POST", "PUT", "PATCH", "DELETE") else 405, "NotFound" if method in (
        "GET", "POST", "PUT", "PATCH", "DELETE") else "MethodNotAllowed", f"{method} {path} is not a Key Vault "
                                                                        f"operation.")


def _keys(method: str, rest: list[str]) -> tuple[str, Handler] | None:
    if not rest or rest == [""]:
        return ("GetKeys", keys.list_keys) if method == "GET" else None
    if rest == ["restore"] and method == "POST":
        return "RestoreKey", keys.restore
    name = _checked(rest[0])
    if len(rest) == 1:
        if method == "DELETE":
            return "DeleteKey", partial(keys.delete, name=name)
        if method == "GET":
            return "GetKey", partial(keys.get, name=name, version="")
        if method == "PATCH":
            return "UpdateKey", partial(keys.update, name=name, version="")
        if method == "PUT":
            return "ImportKey", partial(importing.import_key, name=name)
        return None
    if len(rest) == 2:
        action = (method, rest[1])
        if action in _KEY_ACTIONS:
            operation, handler = _KEY_ACTIONS[action]
            return operation, partial(handler, name=name)
        if rest[1] == "backup" and method == "POST":
            return "BackupKey", partial(keys.backup, name=name)
        if method == "GET":
            return "GetKey", partial(keys.get, name=name, version=rest[1])
        if method == "PATCH":
            return "UpdateKey", partial(keys.update, name=name, version=rest[1])
        return None
    if len(rest) == 3 and method == "POST" and rest[2] in _CRYPTO:
        operation, crypto = _CRYPTO[rest[2]]
        return operation, partial(crypto, name=name, version=rest[1])
    return None


def _deleted(method: str, rest: list[str]) -> tuple[str, Handler] | None:
    if not rest or rest == [""]:
        return ("GetDeletedKeys", keys.list_deleted) if method == "GET" else None
    name = _checked(rest[0])
    if len(rest) == 1 and method == "GET":
        return "GetDeletedKey", partial(keys.get_deleted, name=name)
    if len(rest) == 1 and method == "DELETE":
        return "PurgeDeletedKey", partial(keys.purge, name=name)
    if rest[1:] == ["recover"] and method == "POST":
        return "RecoverDeletedKey", partial(keys.recover, name=name)
    return None
