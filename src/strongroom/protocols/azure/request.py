"""One Key Vault request as the handlers see it, and the wire encodings: base64url (padded or not), JSON bodies."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from strongroom.domain.context import RequestContext
from strongroom.protocols.azure.errors import AzureError, bad_parameter
from strongroom.service.core import Core
from strongroom.service.sealed_backups import SealedBackups
from strongroom.service.version_crypto import VersionCrypto

API_VERSIONS = frozenset({"2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"})
NAME_SPACE_PREFIX = "azure:"
DEFAULT_VAULT = "default"


@dataclass(slots=True)
class Call:
    core: Core
    ctx: RequestContext
    method: str
    host: str  # as received (with its port): the authority of every identifier answered
    vault: str
    body: dict[str, Any]
    query: dict[str, list[str]]
    crypto: VersionCrypto
    backups: SealedBackups

    @property
    def name_space(self) -> str:
        return NAME_SPACE_PREFIX + self.vault

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def vault_of(host: str) -> str:
    """The vault a Host header names: the first label of a DNS name (``myvault`` of ``myvault.vault.azure.net``);
    IP addresses and single-label hosts are the ``default`` vault."""
    bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    bare = bare.strip("[]").lower()
    labels = bare.split(".")
    if len(labels) < 2 or all(label.isdigit() for label in labels) or ":" in bare:
        return DEFAULT_VAULT
    return labels[0]


def query_of(text: str) -> dict[str, list[str]]:
    return parse_qs(text, keep_blank_values=True)


def check_api_version(query: dict[str, list[str]]) -> str:
    values = query.get("api-version")
    if not values or not values[0]:
        raise bad_parameter("The request is missing the api-version query parameter.")
    if values[0] not in API_VERSIONS:
        raise AzureError(400, "BadParameter", f"The specified version ({values[0]}) is not recognized. Consider "
                                              f"using the latest supported version (2025-07-01).")
    return values[0]


def json_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise bad_parameter("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise bad_parameter("The request body must be a JSON object.")
    return body


def b64url_decode(value: Any, name: str, *, required: bool = True) -> bytes | None:
    """base64url with or without ``=`` padding (libmongocrypt pads unwrapkey's value; the SDK never pads)."""
    if value is None or value == "":
        if required:
            raise bad_parameter(f"Property '{name}' is required.")
        return None if value is None else b""
    if not isinstance(value, str):
        raise bad_parameter(f"Property '{name}' must be a base64url string.")
    text = value.rstrip("=")
    if any(c in text for c in "+/=") or len(text) % 4 == 1:
        raise bad_parameter(f"Property '{name}' is not valid base64url.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise bad_parameter(f"Property '{name}' is not valid base64url.") from None


def b64_any(value: Any, name: str) -> bytes:
    """Standard or URL-safe base64, padded or not (BYOK blobs come either way from different tools)."""
    if not isinstance(value, str) or not value:
        raise bad_parameter(f"Property '{name}' must be a base64 string.")
    text = value.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise bad_parameter(f"Property '{name}' is not valid base64.") from None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def int_b64url(number: int) -> str:
    return b64url(number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big"))


def string(value: Any, name: str, *, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise bad_parameter(f"Property '{name}' is required.")
        return None
    if not isinstance(value, str):
        raise bad_parameter(f"Property '{name}' must be a string.")
    return value


def integer(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_parameter(f"Property '{name}' must be an integer.")
    return value


def boolean(value: Any, name: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise bad_parameter(f"Property '{name}' must be a boolean.")
    return value
