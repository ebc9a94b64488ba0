"""What every Transit route shares: the mount's view of the core's named keys, Vault's type names, and the parsing
of the parameters several operations take (derivation context, ``vault:v<n>:`` texts, batches)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from strongroom.domain.engines import Mount
from strongroom.errors import InvalidCiphertextError, InvalidRequestError, StrongroomError
from strongroom.protocols.vault.errors import vault_error_for
from strongroom.protocols.vault.request import Call, Reply, b64, go_b64decode
from strongroom.service.named_keys import NamedKey

TYPES = {"aes128-gcm96": "AES_128", "aes256-gcm96": "SYMMETRIC_DEFAULT", "chacha20-poly1305": "CHACHA20_POLY1305",
         "ed25519": "ECC_NIST_EDWARDS25519", "ecdsa-p256": "ECC_NIST_P256", "ecdsa-p384": "ECC_NIST_P384",
         "ecdsa-p521": "ECC_NIST_P521", "rsa-2048": "RSA_2048", "rsa-3072": "RSA_3072", "rsa-4096": "RSA_4096",
         "hmac": "HMAC"}
AEAD = ("aes128-gcm96", "aes256-gcm96", "chacha20-poly1305")
SIGNING = ("ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048", "rsa-3072", "rsa-4096")
HASHES = ("sha1", "sha2-224", "sha2-256", "sha2-384", "sha2-512", "sha3-224", "sha3-256", "sha3-384", "sha3-512")
MAX_BATCH = 10_000
Handler = Callable[[Call], Reply]


# The key's automatic rotation period, in seconds: an attribute the core acts on (service/named_keys.py).
AUTO_ROTATE_PERIOD = "core.auto_rotate_period"


def auto_rotate_period(attributes: dict[str, str]) -> int:
    """Seconds (0: off). Keys made before the core rotated them have the period only as ``vault.auto_rotate_period``,
    which is shown and never acted on: setting it again through config moves it to the core's attribute."""
    return int(attributes.get(AUTO_ROTATE_PERIOD) or attributes.get("vault.auto_rotate_period") or 0)


class Keys:
    """The mount's view of the core's named keys."""

    def __init__(self, call: Call, mount: Mount) -> None:
        self.call, self.space = call, mount.uuid
        self.service = call.core.named_keys

    def type_of(self, key: Any) -> str:
        return key.attributes.get("vault.type", "aes256-gcm96")


def flag(named: NamedKey, name: str) -> bool:
    return named.key.attributes.get(f"vault.{name}") == "true"


def context(keys: Keys, named_derived: bool, item: dict[str, Any]) -> bytes | None:
    value = b64(item.get("context"), "context")
    if named_derived and not value:
        raise InvalidRequestError("missing 'context' for key derivation; the key was created using a derived key, "
                                  "which means additional, per-request information must be included in order to "
                                  "perform operations with the key")
    return value if named_derived else None


# Vault's texts for a ``vault:v<n>:<base64>`` value that is not one: no prefix, no version field, a version that is
# not a number, bad base64 ("{error}": Go's decoding error).
_VERSIONED_TEXTS = {
    "ciphertext": ("invalid ciphertext: no prefix", "invalid ciphertext: wrong number of fields",
                   "invalid ciphertext: version number could not be decoded",
                   "invalid ciphertext: could not decode base64"),
    "signature": ("invalid signature: no prefix", "invalid signature: wrong number of fields",
                  "invalid signature: version number could not be decoded", "invalid base64 signature value"),
    "hmac": ("invalid HMAC to verify: no prefix", "invalid HMAC: wrong number of fields",
             "invalid HMAC: version number could not be decoded",
             "unable to decode verification HMAC as base64: {error}"),
}


def parse_versioned(value: str, what: str) -> tuple[int, str]:
    """``vault:v<n>:<rest>`` → (n, rest); version 0 is Vault's legacy name of version 1."""
    no_prefix, fields, version, _ = _VERSIONED_TEXTS[what]
    error = InvalidCiphertextError if what == "ciphertext" else InvalidRequestError
    if not value.startswith("vault:v"):
        raise error(no_prefix)
    version_text, sep, rest = value[len("vault:v"):].partition(":")
    if not sep:
        raise error(fields)
    if not version_text.isdigit() or not version_text.isascii():
        raise error(version)
    return max(int(version_text), 1), rest


def parse_ciphertext(value: Any, what: str = "ciphertext") -> tuple[int, bytes]:
    """A ciphertext (or an HMAC, ``what="hmac"``) → (version, raw bytes)."""
    if not isinstance(value, str) or not value:
        raise InvalidRequestError("missing ciphertext to decrypt")
    number, data = parse_versioned(value, what)
    try:
        raw = go_b64decode(data)
    except ValueError as exc:
        error = InvalidCiphertextError if what == "ciphertext" else InvalidRequestError
        raise error(_VERSIONED_TEXTS[what][3].format(error=exc)) from None
    return number, raw


def output(data: bytes, fmt: str | None) -> str:
    if fmt == "hex":
        return data.hex()
    if fmt in (None, "", "base64"):
        return base64.b64encode(data).decode()
    raise InvalidRequestError(f"unsupported encoding format {fmt}; must be \"hex\" or \"base64\"")


# --- batches ------------------------------------------------------------------------------------------------

# What a failed batch item holds besides its error and reference, as Vault's result structs marshal it (members
# with Go's omitempty drop out).
FAILED: dict[str, dict[str, Any]] = {"encrypt": {}, "decrypt": {"plaintext": ""}, "rewrap": {},
                                     "sign": {"key_version": 0}, "verify": {"valid": False}, "verify-hmac": {},
                                     "hmac": {}}
# Vault answers 400 when an item of these failed; the others answer 200 (the results still say which failed).
_FAILING_BATCHES = ("encrypt", "decrypt")


def batch_reply(operation: str, results: list[dict[str, Any]]) -> Reply:
    failed = operation in _FAILING_BATCHES and any(r.get("error") for r in results)
    return Reply({"batch_results": results}, status=400 if failed else 200)


def failed_item(operation: str, exc: StrongroomError) -> dict[str, Any]:
    return {**FAILED[operation], "error": vault_error_for(exc).message}


def inputs(call: Call) -> tuple[list[dict[str, Any]], bool]:
    """The items of a sign/verify/hmac request: its ``batch_input``, or the body as the one item."""
    batch = call.body.get("batch_input")
    if batch is None:
        return [call.body], False
    if not isinstance(batch, list) or not batch or not all(isinstance(i, dict) for i in batch):
        raise InvalidRequestError("missing batch input to process")
    if len(batch) > MAX_BATCH:
        raise InvalidRequestError(f"batch_input holds more than {MAX_BATCH} items")
    return batch, True


def each(items: list[dict[str, Any]], is_batch: bool, operation: str,
         one: Callable[[dict[str, Any]], dict[str, Any]]) -> Reply:
    """``one`` of every item: a batch's item errors become results shaped as ``operation``'s failed items (see
    ``FAILED``), a single request's error is the answer."""
    if not is_batch:
        return Reply(one(items[0]))
    results = []
    for item in items:
        try:
            result = one(item)
        except StrongroomError as exc:
            result = failed_item(operation, exc)
        result["reference"] = item.get("reference", "")
        results.append(result)
    return batch_reply(operation, results)
