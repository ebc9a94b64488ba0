"""Encryption: ``encrypt/:name`` (which creates a missing key, as Vault's upsert does), ``decrypt/:name``,
``rewrap/:name`` (single or ``batch_input``) and ``datakey/:kind/:name``."""

from __future__ import annotations

import base64
from typing import Any

from strongroom.domain.actions import Action
from strongroom.domain.path_policy import Capability
from strongroom.errors import InvalidCiphertextError, InvalidRequestError, NotFoundError, StrongroomError
from strongroom.protocols.vault.request import Reply, b64, boolean, integer
from strongroom.protocols.vault.transit.common import (
    AEAD,
    MAX_BATCH,
    Keys,
    batch_reply,
    context,
    failed_item,
    flag,
    parse_ciphertext,
)
from strongroom.protocols.vault.transit.keys import new_key

# Vault's texts for a ciphertext that does not open: Go's AEAD and RSA errors.
_OPEN_FAILED = {"aes128-gcm96": "cipher: message authentication failed",
                "aes256-gcm96": "cipher: message authentication failed",
                "chacha20-poly1305": "chacha20poly1305: message authentication failed"}
_RSA_OPEN_FAILED = "failed to RSA decrypt the ciphertext: crypto/rsa: decryption error"
_NONCE_BYTES = 12


def _encrypt_one(keys: Keys, name: str, item: dict[str, Any], derived: bool, convergent: bool,
                 version: int | None) -> dict[str, Any]:
    plaintext = item.get("plaintext")
    if plaintext is None:
        raise InvalidRequestError("missing plaintext to encrypt")
    data = b64(plaintext, "plaintext") or b""
    associated = b64(item.get("associated_data"), "associated_data",
                     prefix="unable to decode associated_data as base64: ") or b""
    use = keys.service.use(keys.call.ctx, keys.space, name, Action.ENCRYPT, version)
    sealed = use.material.encrypt(data, associated_data=associated, derivation_context=context(keys, derived, item),
                                  convergent=convergent)
    return {"ciphertext": f"vault:v{use.version}:{base64.b64encode(sealed).decode()}", "key_version": use.version}


def _decrypt_one(keys: Keys, name: str, key_type: str, item: dict[str, Any], derived: bool,
                 action: Action) -> bytes:
    version, data = parse_ciphertext(item.get("ciphertext"))
    associated = b64(item.get("associated_data"), "associated_data",
                     prefix="unable to decode associated_data as base64: ") or b""
    derivation = context(keys, derived, item)
    use = keys.service.use(keys.call.ctx, keys.space, name, action, version, opening=True)
    if key_type in AEAD and len(data) < _NONCE_BYTES:
        raise InvalidCiphertextError("invalid ciphertext length")
    try:
        return use.material.decrypt(data, associated_data=associated, derivation_context=derivation)
    except InvalidCiphertextError as exc:
        if exc.message:
            raise
        raise InvalidCiphertextError(_OPEN_FAILED.get(key_type, _RSA_OPEN_FAILED)) from None


def batch(keys: Keys, name: str, *, operation: str) -> Reply:
    """``operation`` (encrypt, decrypt or rewrap) of the body, or of each item of its ``batch_input``."""
    call = keys.call
    body = call.body
    named = keys.service.peek(call.ctx, keys.space, name)  # each item's ``use`` authorizes its own action
    if operation == "encrypt" and named is None:  # Vault's upsert: create the key (needs "create")
        call.authorize(Capability.CREATE)
        new_key(keys, name, {"type": body.get("type"), "derived": bool(body.get("context")) or
                             boolean(body.get("derived"), "derived"), "convergent_encryption":
                             body.get("convergent_encryption")})
        named = keys.service.peek(call.ctx, keys.space, name)
    else:
        call.authorize(Capability.UPDATE)
    if named is None:
        raise NotFoundError(f"key '{name}' not found")
    derived, convergent = flag(named, "derived"), flag(named, "convergent")
    key_type = keys.type_of(named.key)
    if key_type not in AEAD and not key_type.startswith("rsa"):
        verb = "encryption" if operation == "encrypt" else "decryption"
        raise InvalidRequestError(f"message {verb} not supported for key type {key_type}")
    version = integer(body.get("key_version"), "key_version")
    given = body.get("batch_input")
    items = given if given is not None else [body]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidRequestError("error converting input for field \"batch_input\": not a list of objects")
    if given is not None and not items:
        raise InvalidRequestError("missing batch input to process")
    if len(items) > MAX_BATCH:
        raise InvalidRequestError(f"batch_input holds more than {MAX_BATCH} items")
    results = []
    for item in items:
        try:
            if operation == "encrypt":
                result = _encrypt_one(keys, name, item, derived, convergent, version)
            elif operation == "decrypt":
                plaintext = _decrypt_one(keys, name, key_type, item, derived, Action.DECRYPT)
                result = {"plaintext": base64.b64encode(plaintext).decode()}
            else:
                plaintext = _decrypt_one(keys, name, key_type, item, derived, Action.RE_ENCRYPT_FROM)
                again = dict(item, plaintext=base64.b64encode(plaintext).decode())
                result = _encrypt_one(keys, name, again, derived, convergent, version)
        except StrongroomError as exc:
            if given is None:
                raise
            result = failed_item(operation, exc)
        result["reference"] = item.get("reference", "")
        results.append(result)
    if given is None:
        results[0].pop("reference")
        return Reply(results[0])
    return batch_reply(operation, results)


def datakey(keys: Keys, kind: str, name: str) -> Reply:
    """A fresh data key sealed under the named key (AEAD or RSA, as Vault allows), with its plaintext or not."""
    keys.call.authorize(Capability.UPDATE)
    if kind not in ("plaintext", "wrapped"):
        raise InvalidRequestError("Invalid path, must be 'plaintext' or 'wrapped'")
    named = keys.service.peek(keys.call.ctx, keys.space, name)  # ``use`` authorizes the data key's action
    if named is None:
        raise NotFoundError(f"key '{name}' not found")
    key_type = keys.type_of(named.key)
    bits = integer(keys.call.param("bits"), "bits", 256)
    if bits not in (128, 256, 512):
        raise InvalidRequestError("invalid bit length")
    if key_type not in AEAD and not key_type.startswith("rsa"):
        raise InvalidRequestError(f"message encryption not supported for key type {key_type}")
    data_key = keys.service.random(bits // 8)
    item = {"plaintext": base64.b64encode(data_key).decode(), "context": keys.call.param("context")}
    action = Action.GENERATE_DATA_KEY if kind == "plaintext" else Action.GENERATE_DATA_KEY_WITHOUT_PLAINTEXT
    use = keys.service.use(keys.call.ctx, keys.space, name, action, integer(keys.call.param("key_version"),
                                                                             "key_version"))
    sealed = use.material.encrypt(data_key, derivation_context=context(keys, flag(named, "derived"), item),
                                  convergent=flag(named, "convergent"))
    data: dict[str, Any] = {"ciphertext": f"vault:v{use.version}:{base64.b64encode(sealed).decode()}",
                            "key_version": use.version}
    if kind == "plaintext":
        data["plaintext"] = item["plaintext"]
    return Reply(data)
