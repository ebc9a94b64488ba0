"""How an Azure key is a named key of the core: its key type, sizes and curves as key specs, its 32-hex version ids,
and the Azure attributes kept on the key (``azure.*``).

* ``kty`` (``RSA``, ``RSA-HSM``, ``EC``, ``EC-HSM``, ``oct``, ``oct-HSM``) is kept as created in ``azure.kty``;
  RSA 2048/3072/4096 → ``RSA_*``, P-256/384/521 → ``ECC_NIST_P*``, oct 128/256 → ``AES_128``/``SYMMETRIC_DEFAULT``.
* A version's id is the first 32 hex digits of SHA-256(``azure.id``, version number): stable and derived, never
  stored per version. ``azure.id`` is a random id given at creation and kept by a restored key, so a backup
  restored keeps its version ids.
* Per version (``azure.v.<n>``, JSON): ``key_ops``, ``tags``, ``exp``, ``nbf``, ``enabled``, ``updated``. A
  version's enabled flag is also the core's, so a disabled version is refused by every protocol.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from strongroom.domain.keys import Key
from strongroom.protocols.azure.errors import AzureError, bad_parameter

KTY = "azure.kty"
IDENTITY = "azure.id"  # what version ids derive from (kept by a restored key)
VERSION_PREFIX = "azure.v."
TEMPLATE = "azure.template"  # what a version made by rotation inherits: key_ops, tags
ROTATION_POLICY = "azure.rotation_policy"
RSA_SIZES = {2048: "RSA_2048", 3072: "RSA_3072", 4096: "RSA_4096"}
CURVES = {"P-256": "ECC_NIST_P256", "P-384": "ECC_NIST_P384", "P-521": "ECC_NIST_P521"}
OCT_SIZES = {128: "AES_128", 256: "SYMMETRIC_DEFAULT"}
KTYS = ("RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM")
KEY_OPS = ("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export")
DEFAULT_OPS = {"RSA": ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"], "EC": ["sign", "verify"],
               "oct": ["encrypt", "decrypt", "wrapKey", "unwrapKey"]}


def family(kty: str) -> str:
    return kty.removesuffix("-HSM")


def key_spec(kty: str, key_size: int | None, curve: str | None, public_exponent: int | None) -> str:
    if kty not in KTYS:
        raise bad_parameter(f"Invalid kty '{kty}'. Valid values: {', '.join(KTYS)}.")
    kind = family(kty)
    if kind == "RSA":
        if public_exponent not in (None, 65537):
            raise bad_parameter("Only the public exponent 65537 is supported.")
        spec = RSA_SIZES.get(key_size or 2048)
        if spec is None:
            raise bad_parameter(f"Invalid key size {key_size}: RSA keys are 2048, 3072 or 4096 bits.")
        return spec
    if kind == "EC":
        spec = CURVES.get(curve or "P-256")
        if spec is None:
            raise bad_parameter(f"Invalid curve '{curve}': P-256, P-384 and P-521 are supported.")
        return spec
    spec = OCT_SIZES.get(key_size or 256)
    if spec is None:
        raise bad_parameter(f"Invalid key size {key_size}: oct keys are 128 or 256 bits here.")
    return spec


def version_id(key: Key, number: int) -> str:
    return hashlib.sha256(f"{key.attributes.get(IDENTITY, key.key_id)}/{number}".encode()).hexdigest()[:32]


def version_number(key: Key, versions: dict[int, float], version: str, name: str) -> int:
    lowered = version.lower()
    for number in versions:
        if version_id(key, number) == lowered:
            return number
    raise AzureError(404, "KeyNotFound", f"A key with (name/id) {name}/{version} was not found in this key vault.")


@dataclass(slots=True)
class VersionAttributes:
    key_ops: list[str]
    tags: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    exp: int | None = None
    nbf: int | None = None
    updated: int | None = None

    def stored(self) -> str:
        return orjson.dumps({"key_ops": self.key_ops, "tags": self.tags, "enabled": self.enabled, "exp": self.exp,
                             "nbf": self.nbf, "updated": self.updated}).decode()


def kty_of(key: Key) -> str:
    return key.attributes.get(KTY) or ("RSA" if key.key_spec.startswith("RSA") else
                                       "EC" if key.key_spec.startswith("ECC") else "oct")


def template(key: Key) -> dict[str, Any]:
    raw = key.attributes.get(TEMPLATE)
    return orjson.loads(raw) if raw else {}


def version_attributes(key: Key, number: int) -> VersionAttributes:
    raw = key.attributes.get(f"{VERSION_PREFIX}{number}")
    if raw:
        data = orjson.loads(raw)
        return VersionAttributes(list(data.get("key_ops") or []), dict(data.get("tags") or {}),
                                 bool(data.get("enabled", True)), data.get("exp"), data.get("nbf"),
                                 data.get("updated"))
    base = template(key)
    return VersionAttributes(list(base.get("key_ops") or DEFAULT_OPS[family(kty_of(key))]),
                             dict(base.get("tags") or {}))


def key_ops(value: Any, kty: str) -> list[str]:
    if value is None:
        return list(DEFAULT_OPS[family(kty)])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_parameter("Property 'key_ops' must be a list of strings.")
    for op in value:
        if op not in KEY_OPS:
            raise bad_parameter(f"Invalid key operation '{op}'.")
    return list(value)


def tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise bad_parameter("Property 'tags' must be an object of strings.")
    if len(value) > 15:
        raise bad_parameter("A key has at most 15 tags.")
    return dict(value)
