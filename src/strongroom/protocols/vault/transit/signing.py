"""Signatures and MACs: ``sign/:name[/:algorithm]``, ``verify/:name[/:algorithm]`` (signatures, or HMACs when the
request gives ``hmac``) and ``hmac/:name[/:algorithm]``, each single or ``batch_input``."""

from __future__ import annotations

import base64
import re
from typing import Any

from strongroom.domain.actions import Action
from strongroom.domain.path_policy import Capability
from strongroom.errors import InvalidRequestError, NotFoundError
from strongroom.protocols.vault.errors import VaultError
from strongroom.protocols.vault.request import Call, Reply, b64, boolean, integer, text
from strongroom.protocols.vault.transit.common import (
    HASHES,
    SIGNING,
    Keys,
    each,
    inputs,
    parse_ciphertext,
    parse_versioned,
)

_INPUT_PREFIX = "unable to decode input as base64: "
_URLSAFE = re.compile(r"^[A-Za-z0-9_-]*$")


def _hash_algorithm(call: Call, from_path: str | None, signing: bool) -> str:
    names = ("hash_algorithm", "algorithm") if signing else ("algorithm", "hash_algorithm")
    chosen = from_path or next((v for n in names if (v := text(call.param(n), n))), "sha2-256")
    if chosen not in (*HASHES, "none") or (chosen == "none" and not signing):
        raise InvalidRequestError(f"invalid hash algorithm \"{chosen}\"" if signing else
                                  f"unsupported algorithm {chosen}")
    return chosen


def hmac(keys: Keys, name: str, from_path: str | None = None) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    chosen = _hash_algorithm(keys.call, from_path, signing=False)
    version = integer(keys.call.param("key_version"), "key_version")
    items, is_batch = inputs(keys.call)
    keys.service.authorized(keys.call.ctx, keys.space, name, Action.GENERATE_MAC)

    def one(item: dict[str, Any]) -> dict[str, Any]:
        data = b64(item.get("input"), "input", missing="missing input for HMAC", prefix=_INPUT_PREFIX) or b""
        use = keys.service.use(keys.call.ctx, keys.space, name, Action.GENERATE_MAC, version)
        mac = use.material.hmac(data, chosen)
        return {"hmac": f"vault:v{use.version}:{base64.b64encode(mac).decode()}"}
    return each(items, is_batch, "hmac", one)


def _sign_options(call: Call, item: dict[str, Any], from_path: str | None) -> dict[str, Any]:
    salt: Any = call.param("salt_length", "auto")
    if isinstance(salt, str) and salt.lstrip("-").isdigit():
        salt = int(salt)
    return {"hash_algorithm": _hash_algorithm(call, from_path, signing=True),
            "prehashed": boolean(call.param("prehashed"), "prehashed"),
            "signature_algorithm": text(call.param("signature_algorithm"), "signature_algorithm") or "pss",
            "marshaling": text(call.param("marshaling_algorithm"), "marshaling_algorithm") or "asn1",
            "salt_length": salt, "derivation_context": b64(item.get("context"), "context")}


def _signature_text(signature: bytes, marshaling: str) -> str:
    if marshaling == "jws":
        return base64.urlsafe_b64encode(signature).decode().rstrip("=")
    return base64.b64encode(signature).decode()


def _signing_key(keys: Keys, name: str, action: Action, verb: str) -> None:
    """The key may be used for ``action`` and is of a signing type (else Vault's text: ``verb`` it cannot)."""
    key = keys.service.authorized(keys.call.ctx, keys.space, name, action)
    if keys.type_of(key) not in SIGNING:
        raise InvalidRequestError(f"key type {keys.type_of(key)} does not support {verb}")


def sign(keys: Keys, name: str, from_path: str | None = None) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    version = integer(keys.call.param("key_version"), "key_version")
    _signing_key(keys, name, Action.SIGN, "signing")
    _sign_options(keys.call, {}, from_path)  # the request's options, checked once
    items, is_batch = inputs(keys.call)

    def one(item: dict[str, Any]) -> dict[str, Any]:
        data = b64(item.get("input"), "input", prefix=_INPUT_PREFIX) or b""
        options = _sign_options(keys.call, item, from_path)
        use = keys.service.use(keys.call.ctx, keys.space, name, Action.SIGN, version)
        signature = use.material.sign(data, **options)
        return {"signature": f"vault:v{use.version}:{_signature_text(signature, options['marshaling'])}",
                "key_version": use.version}
    return each(items, is_batch, "sign", one)


def verify(keys: Keys, name: str, from_path: str | None = None) -> Reply:
    """Vault decides per request whether it verifies signatures or HMACs: by which of the two it was given."""
    call = keys.call
    call.authorize(Capability.UPDATE)
    items, is_batch = inputs(call)
    signatures = any("signature" in i for i in items) if is_batch else bool(call.param("signature"))
    macs = any("hmac" in i for i in items) if is_batch else bool(call.param("hmac"))
    if signatures and macs:
        raise InvalidRequestError("provide one of 'signature' or 'hmac'")
    if not signatures and not macs:
        raise InvalidRequestError("neither a 'signature' nor an 'hmac' were given to verify")
    if macs:
        return _verify_hmacs(keys, name, from_path, items, is_batch)
    try:
        _signing_key(keys, name, Action.VERIFY, "verification")
    except NotFoundError:
        raise VaultError(400, "signature verification key not found") from None
    _sign_options(call, {}, from_path)

    def one(item: dict[str, Any]) -> dict[str, Any]:
        data = b64(item.get("input"), "input", prefix=_INPUT_PREFIX) or b""
        options = _sign_options(call, item, from_path)
        signature_text = item.get("signature")
        if not isinstance(signature_text, str) or not signature_text:
            raise InvalidRequestError("missing signature to verify")
        version, encoded = parse_versioned(signature_text, "signature")
        try:
            if options["marshaling"] == "jws":
                if not _URLSAFE.match(encoded):
                    raise ValueError(encoded)
                signature = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            else:
                signature = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise InvalidRequestError("invalid base64 signature value") from None
        use = keys.service.use(call.ctx, keys.space, name, Action.VERIFY, version, opening=True)
        return {"valid": use.material.verify(data, signature, **options)}
    return each(items, is_batch, "verify", one)


def _verify_hmacs(keys: Keys, name: str, from_path: str | None, items: list[dict[str, Any]],
                  is_batch: bool) -> Reply:
    call = keys.call
    chosen = _hash_algorithm(call, from_path, signing=False)
    try:
        keys.service.authorized(call.ctx, keys.space, name, Action.VERIFY_MAC)
    except NotFoundError:
        raise VaultError(400, "encryption key not found") from None

    def one(item: dict[str, Any]) -> dict[str, Any]:
        data = b64(item.get("input"), "input", prefix=_INPUT_PREFIX) or b""
        mac_text = item.get("hmac")
        if not isinstance(mac_text, str) or not mac_text:
            raise InvalidRequestError("missing hmac value to verify")
        version, mac = parse_ciphertext(mac_text, "hmac")
        use = keys.service.use(call.ctx, keys.space, name, Action.VERIFY_MAC, version, opening=True)
        return {"valid": use.material.verify_hmac(data, mac, chosen)}
    return each(items, is_batch, "verify-hmac", one)
