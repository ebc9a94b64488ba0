"""The Transit secrets engine's endpoints over the core's named keys (``service/named_keys.py``).

A Transit key ``k`` on a mount is the key named ``k`` in the mount's namespace (its uuid) of the token owner's
account. Vault's type names map to key specs one way (``TYPES``); Vault-only settings are key attributes
prefixed ``vault.``. Ciphertexts are ``vault:v<version>:<base64>``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from strongroom.domain.actions import Action
from strongroom.domain.engines import Mount
from strongroom.domain.path_policy import Capability
from strongroom.errors import InvalidCiphertextError, InvalidRequestError, StrongroomError
from strongroom.protocols.vault.errors import VaultError, vault_error_for
from strongroom.protocols.vault.request import NO_CONTENT, Call, Reply, b64, boolean, integer, rfc3339, seconds, text
from strongroom.service.named_keys import NamedKey

TYPES = {"aes128-gcm96": "AES_128", "aes256-gcm96": "SYMMETRIC_DEFAULT", "chacha20-poly1305": "CHACHA20_POLY1305",
         "ed25519": "ECC_NIST_EDWARDS25519", "ecdsa-p256": "ECC_NIST_P256", "ecdsa-p384": "ECC_NIST_P384",
         "ecdsa-p521": "ECC_NIST_P521", "rsa-2048": "RSA_2048", "rsa-3072": "RSA_3072", "rsa-4096": "RSA_4096",
         "hmac": "HMAC"}
_AEAD = ("aes128-gcm96", "aes256-gcm96", "chacha20-poly1305")
_SIGNING = ("ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048", "rsa-3072", "rsa-4096")
_HASHES = ("sha1", "sha2-224", "sha2-256", "sha2-384", "sha2-512", "sha3-224", "sha3-256", "sha3-384", "sha3-512")
MAX_BATCH = 10_000
Handler = Callable[[Call], Reply]


class _Keys:
    """The mount's view of the core's named keys."""

    def __init__(self, call: Call, mount: Mount) -> None:
        self.call, self.space = call, mount.uuid
        self.service = call.core.named_keys

    def type_of(self, key: Any) -> str:
        return key.attributes.get("vault.type", "aes256-gcm96")


def route(call: Call, mount: Mount, rest: str) -> tuple[Handler, str]:
    parts = rest.strip("/").split("/") if rest.strip("/") else []
    keys = _Keys(call, mount)
    head, method = (parts[0] if parts else ""), call.method

    def bind(handler: Callable[..., Reply], *args: Any) -> Handler:
        return lambda c: handler(keys, *args)

    if head == "keys" and len(parts) == 1 and method in ("LIST", "GET"):
        return bind(_list), "ListKeys"
    if head == "keys" and len(parts) == 2:
        name = parts[1]
        table = {"POST": (_create, "CreateKey"), "PUT": (_create, "CreateKey"), "GET": (_read, "DescribeKey"),
                 "DELETE": (_delete, "DeleteKey")}
        if method in table:
            handler, operation = table[method]
            return bind(handler, name), operation
    if head == "wrapping_key" and len(parts) == 1 and method == "GET":
        return bind(_wrapping_key), "GetParametersForImport"
    if head == "keys" and len(parts) == 3 and parts[2] in ("import", "import_version") and method in ("POST", "PUT"):
        return bind(_import, parts[1], parts[2] == "import_version"), "ImportKeyMaterial"
    if head == "keys" and len(parts) == 3 and method in ("POST", "PUT"):
        action = {"config": (_config, "UpdateKeyConfiguration"), "rotate": (_rotate, "RotateKey"),
                  "trim": (_trim, "TrimKey")}.get(parts[2])
        if action:
            return bind(action[0], parts[1]), action[1]
    if head in ("encrypt", "decrypt", "rewrap") and len(parts) == 2 and method in ("POST", "PUT"):
        return bind(_batch, head, parts[1]), head.capitalize()
    if head == "datakey" and len(parts) == 3 and method in ("POST", "PUT"):
        return bind(_datakey, parts[1], parts[2]), "GenerateDataKey"
    if head == "random" and len(parts) <= 3 and method in ("POST", "PUT"):
        return bind(_random, parts[1:]), "GenerateRandom"
    if head == "hash" and len(parts) <= 2 and method in ("POST", "PUT"):
        return bind(_hash, parts[1] if len(parts) == 2 else None), "Hash"
    if head in ("hmac", "sign", "verify") and len(parts) in (2, 3) and method in ("POST", "PUT"):
        algorithm = parts[2] if len(parts) == 3 else None
        handler = {"hmac": _hmac, "sign": _sign, "verify": _verify}[head]
        return bind(handler, parts[1], algorithm), {"hmac": "GenerateMac", "sign": "Sign", "verify": "Verify"}[head]
    if head == "export" and len(parts) in (3, 4) and method == "GET":
        return bind(_export, parts[1], parts[2], parts[3] if len(parts) == 4 else None), "ExportKey"
    raise VaultError(404, f"unsupported path: {call.path}")


# --- keys -----------------------------------------------------------------------------------------

def _list(keys: _Keys) -> Reply:
    keys.call.authorize(Capability.LIST)
    names = keys.service.names(keys.call.ctx, keys.space)
    if not names:
        raise VaultError(404, "")  # rendered as {"errors": []}, as Vault answers an empty list
    return Reply({"keys": names})


def _key_settings(params: dict[str, Any]) -> tuple[str, int | None, bool, dict[str, str]]:
    """A create request's settings, validated: spec, key size, exportable, attributes."""
    key_type = text(params.get("type"), "type") or "aes256-gcm96"
    spec = TYPES.get(key_type)
    if spec is None:
        raise InvalidRequestError(f"unknown key type {key_type}")
    derived = boolean(params.get("derived"), "derived")
    convergent = boolean(params.get("convergent_encryption"), "convergent_encryption")
    if convergent and not derived:
        raise InvalidRequestError("convergent encryption requires derivation to be enabled, so context is required")
    if convergent and key_type not in _AEAD:
        raise InvalidRequestError(f"convergent encryption not supported for keys of type {key_type}")
    if derived and key_type not in (*_AEAD, "ed25519"):
        raise InvalidRequestError(f"key derivation not supported for keys of type {key_type}")
    key_size = integer(params.get("key_size"), "key_size")
    if key_size and key_type != "hmac":
        raise InvalidRequestError("key_size is only valid for HMAC keys")
    rotate_period = seconds(params.get("auto_rotate_period"), "auto_rotate_period") or 0
    if rotate_period and rotate_period < 3600:
        raise InvalidRequestError("auto rotate period must be 0 to disable or at least an hour")
    attributes = {"vault.type": key_type, "vault.derived": str(derived).lower(),
                  "vault.convergent": str(convergent).lower(), "vault.deletion_allowed": "false",
                  "vault.allow_plaintext_backup": str(boolean(params.get("allow_plaintext_backup"),
                                                              "allow_plaintext_backup")).lower(),
                  "vault.auto_rotate_period": str(int(rotate_period))}
    if key_size:
        attributes["core.key_size"] = str(key_size)
    return spec, key_size, boolean(params.get("exportable"), "exportable"), attributes


def _new_key(keys: _Keys, name: str, params: dict[str, Any]) -> NamedKey:
    spec, key_size, exportable, attributes = _key_settings(params)
    return keys.service.create(keys.call.ctx, keys.space, name, spec, key_size=key_size, exportable=exportable,
                               attributes=attributes)


def _create(keys: _Keys, name: str) -> Reply:
    exists = keys.service.exists(keys.call.ctx, keys.space, name)
    keys.call.authorize(Capability.UPDATE if exists else Capability.CREATE)
    _key_settings(keys.call.body)
    if exists:  # Vault answers a create of an existing key with its read, changing nothing
        return _read(keys, name, authorized=True)
    return Reply(_view(keys, _new_key(keys, name, keys.call.body)))


def _wrapping_key(keys: _Keys) -> Reply:
    keys.call.authorize(Capability.READ)
    return Reply({"public_key": keys.service.wrapping_key(keys.call.ctx, keys.space)})


def _import(keys: _Keys, name: str, new_version: bool) -> Reply:
    """BYOK: material wrapped for the mount's wrapping key becomes a new key, or its next version."""
    call = keys.call
    ciphertext = b64(call.param("ciphertext"), "ciphertext", required=True) or b""
    hash_function = text(call.param("hash_function"), "hash_function") or "SHA256"
    exists = keys.service.exists(call.ctx, keys.space, name)
    if new_version:
        call.authorize(Capability.UPDATE)
        named = keys.service.describe(call.ctx, keys.space, name)
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
    spec, _, exportable, attributes = _key_settings(params)
    attributes["vault.imported"] = "true"
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


def _flag(named: NamedKey, name: str) -> bool:
    return named.key.attributes.get(f"vault.{name}") == "true"


def _view(keys: _Keys, named: NamedKey) -> dict[str, Any]:
    key = named.key
    key_type = keys.type_of(key)
    derived = _flag(named, "derived")
    if key_type in _SIGNING:
        versions: dict[str, Any] = {}
        for number, created in named.versions.items():
            public = keys.service.public_key(keys.call.ctx, keys.space, key.name or "", number)
            versions[str(number)] = {"creation_time": rfc3339(created), "name": key_type, "public_key": public}
    else:
        versions = {str(n): int(t) for n, t in named.versions.items()}
    view: dict[str, Any] = {
        "name": key.name, "type": key_type, "keys": versions, "latest_version": key.current_version,
        "min_available_version": named.min_available_version if named.min_available_version > 1 else 0,
        "min_decryption_version": key.min_decryption_version, "min_encryption_version": key.min_encryption_version,
        "deletion_allowed": _flag(named, "deletion_allowed"), "derived": derived, "exportable": key.exportable,
        "allow_plaintext_backup": _flag(named, "allow_plaintext_backup"),
        "auto_rotate_period": int(key.attributes.get("vault.auto_rotate_period", "0")),
        "imported_key": _flag(named, "imported"),
        "supports_encryption": key_type in _AEAD or key_type.startswith("rsa"),
        "supports_decryption": key_type in _AEAD or key_type.startswith("rsa"),
        "supports_derivation": key_type in (*_AEAD, "ed25519"), "supports_signing": key_type in _SIGNING,
    }
    if derived:
        view["kdf"] = "hmac-sha256-counter" if key.attributes.get("core.kdf") == "hmac-sha256-counter" else \
            "hkdf_sha256"
        view["convergent_encryption"] = _flag(named, "convergent")
        if view["convergent_encryption"]:
            view["convergent_encryption_version"] = 3
    if key_type == "hmac":
        view["keys"] = {str(n): int(t) for n, t in named.versions.items()}
    return view


def _read(keys: _Keys, name: str, authorized: bool = False) -> Reply:
    if not authorized:
        keys.call.authorize(Capability.READ)
    return Reply(_view(keys, keys.service.describe(keys.call.ctx, keys.space, name)))


def _delete(keys: _Keys, name: str) -> Reply:
    keys.call.authorize(Capability.DELETE)
    named = keys.service.describe(keys.call.ctx, keys.space, name)
    if not _flag(named, "deletion_allowed"):
        raise InvalidRequestError("deletion is not allowed for this key")
    keys.service.delete(keys.call.ctx, keys.space, name)
    return NO_CONTENT


def _config(keys: _Keys, name: str) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    p = keys.call.body
    attributes = {}
    for flag in ("deletion_allowed", "allow_plaintext_backup"):
        if flag in p:
            attributes[f"vault.{flag}"] = str(boolean(p[flag], flag)).lower()
    if "auto_rotate_period" in p:
        period = seconds(p["auto_rotate_period"], "auto_rotate_period") or 0
        if period and period < 3600:
            raise InvalidRequestError("auto rotate period must be 0 to disable or at least an hour")
        attributes["vault.auto_rotate_period"] = str(int(period))
    exportable = boolean(p["exportable"], "exportable") if "exportable" in p else None
    named = keys.service.configure(keys.call.ctx, keys.space, name,
                                   min_decryption_version=integer(p.get("min_decryption_version"),
                                                                  "min_decryption_version"),
                                   min_encryption_version=integer(p.get("min_encryption_version"),
                                                                  "min_encryption_version"),
                                   exportable=exportable, attributes=attributes)
    return Reply(_view(keys, named))


def _rotate(keys: _Keys, name: str) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    return Reply(_view(keys, keys.service.rotate(keys.call.ctx, keys.space, name)))


def _trim(keys: _Keys, name: str) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    version = integer(keys.call.param("min_available_version"), "min_available_version") or 0
    return Reply(_view(keys, keys.service.trim(keys.call.ctx, keys.space, name, version)))


# --- encrypt / decrypt / rewrap ---------------------------------------------------------------------

def _context(keys: _Keys, named_derived: bool, item: dict[str, Any]) -> bytes | None:
    context = b64(item.get("context"), "context")
    if named_derived and not context:
        raise InvalidRequestError("missing 'context' for key derivation; the key was created using a derived key, "
                                  "which means additional, per-request information must be included in order to "
                                  "perform operations with the key")
    return context if named_derived else None


def _parse_ciphertext(value: Any) -> tuple[int, bytes]:
    if not isinstance(value, str) or not value:
        raise InvalidRequestError("missing ciphertext to decrypt")
    if not value.startswith("vault:v"):
        raise InvalidCiphertextError("invalid ciphertext: no prefix")
    version_text, sep, data = value[len("vault:v"):].partition(":")
    if not sep or not version_text.isdigit():
        raise InvalidCiphertextError("invalid ciphertext: wrong number of fields")
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise InvalidCiphertextError("invalid ciphertext: could not decode") from None
    return max(int(version_text), 1), raw


def _encrypt_one(keys: _Keys, name: str, item: dict[str, Any], derived: bool, convergent: bool,
                 version: int | None) -> dict[str, Any]:
    plaintext = item.get("plaintext")
    if not isinstance(plaintext, str):
        raise InvalidRequestError("missing plaintext to encrypt")
    data = b64(plaintext, "plaintext") or b""
    use = keys.service.use(keys.call.ctx, keys.space, name, Action.ENCRYPT, version)
    sealed = use.material.encrypt(data, associated_data=b64(item.get("associated_data"), "associated_data") or b"",
                                  derivation_context=_context(keys, derived, item), convergent=convergent)
    return {"ciphertext": f"vault:v{use.version}:{base64.b64encode(sealed).decode()}", "key_version": use.version}


def _decrypt_one(keys: _Keys, name: str, item: dict[str, Any], derived: bool, action: Action) -> tuple[bytes, int]:
    version, data = _parse_ciphertext(item.get("ciphertext"))
    use = keys.service.use(keys.call.ctx, keys.space, name, action, version, opening=True)
    plaintext = use.material.decrypt(data, associated_data=b64(item.get("associated_data"), "associated_data") or b"",
                                     derivation_context=_context(keys, derived, item))
    return plaintext, version


def _batch(keys: _Keys, operation: str, name: str) -> Reply:
    call = keys.call
    body = call.body
    exists = keys.service.exists(call.ctx, keys.space, name)
    if operation == "encrypt" and not exists:  # Vault's upsert: create the key (needs "create")
        call.authorize(Capability.CREATE)
        _new_key(keys, name, {"type": body.get("type"), "derived": bool(body.get("context")) or
                              boolean(body.get("derived"), "derived"), "convergent_encryption":
                              body.get("convergent_encryption")})
    else:
        call.authorize(Capability.UPDATE)
    named = keys.service.describe(call.ctx, keys.space, name)
    derived, convergent = _flag(named, "derived"), _flag(named, "convergent")
    if keys.type_of(named.key) not in _AEAD and not keys.type_of(named.key).startswith("rsa"):
        raise InvalidRequestError(f"key type {keys.type_of(named.key)} does not support encryption")
    version = integer(body.get("key_version"), "key_version")
    batch = body.get("batch_input")
    items = batch if batch is not None else [body]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidRequestError("error converting input for field \"batch_input\": not a list of objects")
    if batch is not None and not items:
        raise InvalidRequestError("missing batch input to process")
    if len(items) > MAX_BATCH:
        raise InvalidRequestError(f"batch_input holds more than {MAX_BATCH} items")
    results = []
    for item in items:
        try:
            if operation == "encrypt":
                result = _encrypt_one(keys, name, item, derived, convergent, version)
            elif operation == "decrypt":
                plaintext, _ = _decrypt_one(keys, name, item, derived, Action.DECRYPT)
                result = {"plaintext": base64.b64encode(plaintext).decode()}
            else:
                plaintext, _ = _decrypt_one(keys, name, item, derived, Action.RE_ENCRYPT_FROM)
                again = dict(item, plaintext=base64.b64encode(plaintext).decode())
                result = _encrypt_one(keys, name, again, derived, convergent, version)
        except StrongroomError as exc:
            if batch is None:
                raise
            result = {**_FAILED[operation], "error": vault_error_for(exc).message}
        result["reference"] = item.get("reference", "")
        results.append(result)
    if batch is None:
        results[0].pop("reference")
        return Reply(results[0])
    return _batch_reply(results)


# What a failed batch item holds besides its error, as Vault's result structs marshal it.
_FAILED: dict[str, dict[str, Any]] = {"encrypt": {"ciphertext": "", "key_version": 0}, "decrypt": {"plaintext": ""},
                                      "rewrap": {"ciphertext": "", "key_version": 0}, "sign": {"signature": "",
                                      "key_version": 0}, "verify": {"valid": False}, "hmac": {"hmac": ""}}


def _batch_reply(results: list[dict[str, Any]]) -> Reply:
    """Vault answers 400 when any item failed (the results still say which)."""
    return Reply({"batch_results": results}, status=400 if any(r.get("error") for r in results) else 200)


def _datakey(keys: _Keys, kind: str, name: str) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    if kind not in ("plaintext", "wrapped"):
        raise InvalidRequestError(f"invalid type {kind}")
    bits = integer(keys.call.param("bits"), "bits", 256)
    if bits not in (128, 256, 512):
        raise InvalidRequestError(f"invalid bits {bits}")
    named = keys.service.describe(keys.call.ctx, keys.space, name)
    if keys.type_of(named.key) not in _AEAD:
        raise InvalidRequestError("datakey requires an encryption key of type aes or chacha")
    data_key = keys.service.random(bits // 8)
    item = {"plaintext": base64.b64encode(data_key).decode(), "context": keys.call.param("context")}
    action = Action.GENERATE_DATA_KEY if kind == "plaintext" else Action.GENERATE_DATA_KEY_WITHOUT_PLAINTEXT
    use = keys.service.use(keys.call.ctx, keys.space, name, action, integer(keys.call.param("key_version"),
                                                                             "key_version"))
    sealed = use.material.encrypt(data_key, derivation_context=_context(keys, _flag(named, "derived"), item),
                                  convergent=_flag(named, "convergent"))
    data: dict[str, Any] = {"ciphertext": f"vault:v{use.version}:{base64.b64encode(sealed).decode()}",
                            "key_version": use.version}
    if kind == "plaintext":
        data["plaintext"] = item["plaintext"]
    return Reply(data)


# --- random, hash, hmac, sign, verify, export ----------------------------------------------------

def _random(keys: _Keys, parts: list[str]) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    words = [p for p in parts if p not in ("platform", "seal", "all")]
    count = integer(words[0] if words else keys.call.param("bytes"), "bytes", 32) or 0
    if not 1 <= count <= 1024 * 1024:
        raise InvalidRequestError("the number of bytes must be between 1 and 1048576")
    fmt = text(keys.call.param("format"), "format", "base64")
    data = keys.service.random(count)
    return Reply({"random_bytes": data.hex() if fmt == "hex" else base64.b64encode(data).decode()})


def _output(data: bytes, fmt: str | None) -> str:
    if fmt == "hex":
        return data.hex()
    if fmt in (None, "", "base64"):
        return base64.b64encode(data).decode()
    raise InvalidRequestError(f"unsupported encoding format {fmt}; must be \"hex\" or \"base64\"")


def _hash(keys: _Keys, algorithm: str | None) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    algorithm = algorithm or text(keys.call.param("algorithm"), "algorithm") or "sha2-256"
    if algorithm not in _HASHES[1:]:
        raise InvalidRequestError(f"unsupported algorithm {algorithm}")
    data = b64(keys.call.param("input"), "input", required=True) or b""
    fmt = text(keys.call.param("format"), "format") or "hex"  # transit/hash answers hex by default
    return Reply({"sum": _output(keys.service.digest(data, algorithm), fmt)})


def _inputs(call: Call) -> tuple[list[dict[str, Any]], bool]:
    batch = call.body.get("batch_input")
    if batch is None:
        return [call.body], False
    if not isinstance(batch, list) or not batch or not all(isinstance(i, dict) for i in batch):
        raise InvalidRequestError("missing batch input to process")
    if len(batch) > MAX_BATCH:
        raise InvalidRequestError(f"batch_input holds more than {MAX_BATCH} items")
    return batch, True


def _each(call: Call, items: list[dict[str, Any]], is_batch: bool, operation: str,
          one: Callable[[dict[str, Any]], dict[str, Any]]) -> Reply:
    if not is_batch:
        return Reply(one(items[0]))
    results = []
    for item in items:
        try:
            result = one(item)
        except StrongroomError as exc:
            result = {**_FAILED[operation], "error": vault_error_for(exc).message}
        result["reference"] = item.get("reference", "")
        results.append(result)
    return _batch_reply(results)


def _algorithm(call: Call, from_path: str | None, name: str = "hash_algorithm") -> str:
    algorithm = (from_path or text(call.param(name), name) or text(call.param("hash_algorithm"), "hash_algorithm")
                 or text(call.param("algorithm"), "algorithm") or "sha2-256")
    if algorithm not in (*_HASHES, "none"):
        raise InvalidRequestError(f"unsupported hash algorithm {algorithm}")
    return algorithm


def _hmac(keys: _Keys, name: str, from_path: str | None) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    algorithm = _algorithm(keys.call, from_path, "algorithm")
    version = integer(keys.call.param("key_version"), "key_version")
    items, is_batch = _inputs(keys.call)

    def one(item: dict[str, Any]) -> dict[str, Any]:
        data = b64(item.get("input"), "input", required=True) or b""
        use = keys.service.use(keys.call.ctx, keys.space, name, Action.GENERATE_MAC, version)
        mac = use.material.hmac(data, algorithm)
        return {"hmac": f"vault:v{use.version}:{base64.b64encode(mac).decode()}"}
    return _each(keys.call, items, is_batch, "hmac", one)


def _sign_options(call: Call, item: dict[str, Any], from_path: str | None) -> dict[str, Any]:
    salt: Any = call.param("salt_length", "auto")
    if isinstance(salt, str) and salt.lstrip("-").isdigit():
        salt = int(salt)
    return {"hash_algorithm": _algorithm(call, from_path), "prehashed": boolean(call.param("prehashed"), "prehashed"),
            "signature_algorithm": text(call.param("signature_algorithm"), "signature_algorithm") or "pss",
            "marshaling": text(call.param("marshaling_algorithm"), "marshaling_algorithm") or "asn1",
            "salt_length": salt, "derivation_context": b64(item.get("context"), "context")}


def _signature_text(signature: bytes, marshaling: str) -> str:
    if marshaling == "jws":
        return base64.urlsafe_b64encode(signature).decode().rstrip("=")
    return base64.b64encode(signature).decode()


def _sign(keys: _Keys, name: str, from_path: str | None) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    version = integer(keys.call.param("key_version"), "key_version")
    items, is_batch = _inputs(keys.call)

    def one(item: dict[str, Any]) -> dict[str, Any]:
        data = b64(item.get("input"), "input", required=True) or b""
        options = _sign_options(keys.call, item, from_path)
        use = keys.service.use(keys.call.ctx, keys.space, name, Action.SIGN, version)
        signature = use.material.sign(data, **options)
        return {"signature": f"vault:v{use.version}:{_signature_text(signature, options['marshaling'])}",
                "key_version": use.version}
    return _each(keys.call, items, is_batch, "sign", one)


def _verify(keys: _Keys, name: str, from_path: str | None) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    items, is_batch = _inputs(keys.call)

    def one(item: dict[str, Any]) -> dict[str, Any]:
        data = b64(item.get("input"), "input", required=True) or b""
        if item.get("hmac"):
            version, mac = _parse_ciphertext(item["hmac"])
            use = keys.service.use(keys.call.ctx, keys.space, name, Action.VERIFY_MAC, version, opening=True)
            return {"valid": use.material.verify_hmac(data, mac, _algorithm(keys.call, from_path, "algorithm"))}
        options = _sign_options(keys.call, item, from_path)
        signature_text = item.get("signature")
        if not isinstance(signature_text, str) or not signature_text.startswith("vault:v"):
            raise InvalidRequestError("missing signature to verify" if not signature_text else
                                      "invalid signature: no prefix")
        version_text, _, encoded = signature_text[len("vault:v"):].partition(":")
        if not version_text.isdigit():
            raise InvalidRequestError("invalid signature: wrong number of fields")
        try:
            signature = (base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
                         if options["marshaling"] == "jws" else base64.b64decode(encoded, validate=True))
        except ValueError:
            raise InvalidRequestError("invalid signature: could not decode") from None
        use = keys.service.use(keys.call.ctx, keys.space, name, Action.VERIFY, int(version_text), opening=True)
        return {"valid": use.material.verify(data, signature, **options)}
    return _each(keys.call, items, is_batch, "verify", one)


def _export(keys: _Keys, kind: str, name: str, version: str | None) -> Reply:
    keys.call.authorize(Capability.READ)
    if kind not in ("encryption-key", "signing-key", "hmac-key", "public-key"):
        raise InvalidRequestError(f"invalid export type: {kind}")
    number = None if version in (None, "", "latest") else integer(version, "version")
    if version == "latest":
        number = keys.service.describe(keys.call.ctx, keys.space, name).latest_version
    try:
        exported = keys.service.export(keys.call.ctx, keys.space, name, kind, number)
    except InvalidCiphertextError as exc:
        raise VaultError(400, exc.message) from None
    return Reply({"name": name, "type": keys.type_of(keys.service.describe(keys.call.ctx, keys.space, name).key),
                  "keys": {str(n): v for n, v in exported.items()}})
