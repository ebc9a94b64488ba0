"""The Transit secrets engine's endpoints over the core's named keys (``service/named_keys.py``).

A Transit key ``k`` on a mount is the key named ``k`` in the mount's namespace (its uuid) of the token owner's
account. Vault's type names map to key specs one way (``common.TYPES``); Vault-only settings are key attributes
prefixed ``vault.``. Ciphertexts are ``vault:v<version>:<base64>``.

``ROUTES`` is the engine's path table; each module holds the handlers of one concept (``keys``: key management
and export; ``backup``: backup and restore; ``ciphers``: encrypt/decrypt/rewrap/datakey; ``signing``:
sign/verify/hmac; ``utility``: random and hash; ``importing``: BYOK), over the shared parsing of ``common``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from strongroom.domain.engines import Mount
from strongroom.errors import NotFoundError
from strongroom.protocols.vault.errors import VaultError
from strongroom.protocols.vault.request import Call, Reply
from strongroom.protocols.vault.transit import backup, ciphers, importing, keys, signing, utility
from strongroom.protocols.vault.transit.common import TYPES, Handler, Keys

__all__ = ["ROUTES", "TYPES", "route"]

READ, WRITE, DELETE, LISTING = ("GET",), ("POST", "PUT"), ("DELETE",), ("LIST", "GET")


@dataclass(frozen=True, slots=True)
class Route:
    """``pattern``: segments after the mount, ``:word`` matching any one non-empty segment, passed to ``handler``
    positionally after the mount's key view. ``missing``: Vault's answer when the named key does not exist
    (``{name}`` is the key's name); None lets the core's 404 through."""

    pattern: str
    methods: tuple[str, ...]
    handler: Callable[..., Reply]
    operation: str
    missing: tuple[int, str] | None = None

    def match(self, parts: list[str]) -> dict[str, str] | None:
        segments = self.pattern.split("/")
        if len(segments) != len(parts):
            return None
        captured = {}
        for segment, part in zip(segments, parts, strict=True):
            if segment.startswith(":"):
                if not part:
                    return None
                captured[segment[1:]] = part
            elif segment != part:
                return None
        return captured


_ENCRYPTION_KEY_NOT_FOUND = (400, "encryption key not found")

ROUTES: tuple[Route, ...] = (
    Route("keys", LISTING, keys.list_keys, "ListKeys"),
    Route("keys/:name", WRITE, keys.create, "CreateKey"),
    Route("keys/:name", READ, keys.read, "DescribeKey", (404, "")),
    Route("keys/:name", DELETE, keys.delete, "DeleteKey",
          (400, "error deleting policy {name}: could not delete key; not found")),
    Route("keys/:name/config", WRITE, keys.config, "UpdateKeyConfiguration",
          (400, "no existing key named {name} could be found")),
    Route("keys/:name/rotate", WRITE, keys.rotate, "RotateKey", (400, "key not found")),
    Route("keys/:name/trim", WRITE, keys.trim, "TrimKey", (400, "invalid key name")),
    Route("export/:kind/:name", READ, keys.export, "ExportKey", (404, "")),
    Route("export/:kind/:name/:version", READ, keys.export, "ExportKey", (404, "")),
    Route("backup/:name", READ, backup.backup, "BackupKey", (400, 'key "{name}" not found')),
    Route("restore", WRITE, backup.restore, "RestoreKey"),
    Route("restore/:name", WRITE, backup.restore, "RestoreKey"),
    Route("wrapping_key", READ, importing.wrapping_key, "GetParametersForImport"),
    Route("keys/:name/import", WRITE, partial(importing.import_key, new_version=False), "ImportKeyMaterial"),
    Route("keys/:name/import_version", WRITE, partial(importing.import_key, new_version=True), "ImportKeyMaterial",
          (400, "no key found with name {name}; to import a new key, use the import/ endpoint")),
    Route("encrypt/:name", WRITE, partial(ciphers.batch, operation="encrypt"), "Encrypt"),
    Route("decrypt/:name", WRITE, partial(ciphers.batch, operation="decrypt"), "Decrypt", _ENCRYPTION_KEY_NOT_FOUND),
    Route("rewrap/:name", WRITE, partial(ciphers.batch, operation="rewrap"), "Rewrap", _ENCRYPTION_KEY_NOT_FOUND),
    Route("datakey/:kind/:name", WRITE, ciphers.datakey, "GenerateDataKey", _ENCRYPTION_KEY_NOT_FOUND),
    Route("sign/:name", WRITE, signing.sign, "Sign", (400, "signing key not found")),
    Route("sign/:name/:algorithm", WRITE, signing.sign, "Sign", (400, "signing key not found")),
    Route("verify/:name", WRITE, signing.verify, "Verify"),  # its answer depends on what it verifies
    Route("verify/:name/:algorithm", WRITE, signing.verify, "Verify"),
    Route("hmac/:name", WRITE, signing.hmac, "GenerateMac", _ENCRYPTION_KEY_NOT_FOUND),
    Route("hmac/:name/:algorithm", WRITE, signing.hmac, "GenerateMac", _ENCRYPTION_KEY_NOT_FOUND),
    Route("hash", WRITE, utility.hash_data, "Hash"),
    Route("hash/:algorithm", WRITE, utility.hash_data, "Hash"),
    Route("random", WRITE, utility.random, "GenerateRandom"),
    Route("random/:source_or_bytes", WRITE, utility.random, "GenerateRandom"),
    Route("random/:source/:bytes", WRITE, utility.random, "GenerateRandom"),
)


def _shape(parts: list[str] | tuple[str, ...]) -> tuple[str, int]:
    return (parts[0] if parts else "", len(parts))


# Every pattern starts with a literal segment: the routes a path can match share its first segment and length.
_BY_SHAPE: dict[tuple[str, int], list[Route]] = {}
for _entry in ROUTES:
    _BY_SHAPE.setdefault(_shape(_entry.pattern.split("/")), []).append(_entry)


def route(call: Call, mount: Mount, rest: str) -> tuple[Handler, str]:
    """The handler of ``rest`` (the path after the mount) for the call's method, and its operation's name. A known
    path asked with a method it lacks is Vault's 405, except LIST, which Vault routes as another path."""
    parts = rest.strip("/").split("/") if rest.strip("/") else []
    known = False
    for entry in _BY_SHAPE.get(_shape(parts), ()):
        captured = entry.match(parts)
        if captured is None:
            continue
        if call.method in entry.methods:
            return _bind(entry, Keys(call, mount), captured), entry.operation
        known = True
    if known and call.method != "LIST":
        raise VaultError(405, "unsupported operation")
    raise VaultError(404, "unsupported path")


def _bind(entry: Route, view: Keys, captured: dict[str, str]) -> Handler:
    def handle(call: Call) -> Reply:
        try:
            return entry.handler(view, *captured.values())
        except NotFoundError:
            if entry.missing is None:
                raise
            status, text = entry.missing
            raise VaultError(status, text.format(name=captured.get("name", ""))) from None
    return handle
