"""Symmetric cryptographic operations: Encrypt, Decrypt, ReEncrypt, data keys, random bytes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from strongroom.crypto import ciphertext_blob
from strongroom.crypto.aead import random_bytes
from strongroom.domain.context import RequestContext
from strongroom.domain.encryption_context import canonical_encryption_context
from strongroom.domain.keys import Key
from strongroom.domain.references import requested_alias
from strongroom.errors import DryRunSucceeded, IncorrectKeyError, InvalidCiphertextError, InvalidRequestError
from strongroom.service.authorization import Authorizer
from strongroom.service.keyring import KeyRing

DATA_KEY_SPECS = {"AES_256": 32, "AES_128": 16}
MAX_RANDOM_BYTES = 1024
MAX_PLAINTEXT_BYTES = 4096

Context = Mapping[str, str] | None
DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun parameter was set."


@dataclass(frozen=True, slots=True)
class Sealed:
    ciphertext: bytes
    key: Key
    material_id: str


@dataclass(frozen=True, slots=True)
class Opened:
    plaintext: bytes
    key: Key
    material_id: str


@dataclass(frozen=True, slots=True)
class DataKey:
    plaintext: bytes
    sealed: Sealed


@dataclass(frozen=True, slots=True)
class ReEncrypted:
    source: Opened
    destination: Sealed


def data_key_length(key_spec: str | None, number_of_bytes: int | None) -> int:
    if key_spec is None and number_of_bytes is None:
        raise InvalidRequestError("Please specify either number of bytes or key spec.")
    if key_spec is not None and number_of_bytes is not None:
        raise InvalidRequestError("Please specify either number of bytes or key spec, but not both.")
    if key_spec is not None:
        if key_spec not in DATA_KEY_SPECS:
            raise InvalidRequestError(f"KeySpec {key_spec} is not a data key spec.")
        return DATA_KEY_SPECS[key_spec]
    assert number_of_bytes is not None
    if not 1 <= number_of_bytes <= MAX_RANDOM_BYTES:
        raise InvalidRequestError(f"NumberOfBytes must be between 1 and {MAX_RANDOM_BYTES}.")
    return number_of_bytes


ALGORITHM_FACTS = {"kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}


class CryptoService:
    def __init__(self, ring: KeyRing, authz: Authorizer) -> None:
        self._ring = ring
        self._authz = authz

    def _usable_key(self, ctx: RequestContext, key_ref: str, action: str, context: Context) -> Key:
        """Resolve (any account, by ARN), authorize, then check usage and state, in AWS's order."""
        key = self._ring.resolve(ctx, key_ref, cross_account=True)
        self._authz.check_key(ctx, action, key, context=context, alias=requested_alias(key_ref),
                              extra=ALGORITHM_FACTS)
        key.check_encrypt_decrypt()
        key.check_usable_for_crypto()
        return key

    def _seal(self, key: Key, plaintext: bytes, context: Context) -> Sealed:
        current = self._ring.version(key, key.current_version)
        blob = ciphertext_blob.seal(current.aead, key.key_id, current.version, plaintext,
                                    canonical_encryption_context(context))
        return Sealed(blob, key, current.material_id)

    def encrypt(self, ctx: RequestContext, key_ref: str, plaintext: bytes, context: Context = None, *,
                dry_run: bool = False) -> Sealed:
        if not 1 <= len(plaintext) <= MAX_PLAINTEXT_BYTES:
            raise InvalidRequestError(f"Plaintext must be between 1 and {MAX_PLAINTEXT_BYTES} bytes.")
        key = self._usable_key(ctx, key_ref, "kms:Encrypt", context)
        if dry_run:
            raise DryRunSucceeded(DRY_RUN_MESSAGE)
        return self._seal(key, plaintext, context)

    def decrypt(self, ctx: RequestContext, ciphertext: bytes, context: Context = None,
                key_ref: str | None = None, *, dry_run: bool = False, ignore_ciphertext: bool = False,
                action: str = "kms:Decrypt") -> Opened:
        """Open a blob; it names its own key and version. Every malformed or forged blob is one error.

        A dry run checks everything a real call would (the ciphertext too, unless ``ignore_ciphertext``, in
        which case the KeyId is required) and then reports success without returning plaintext."""
        if dry_run and ignore_ciphertext:
            if key_ref is None:
                raise InvalidRequestError("KeyId is required when DryRunModifiers contains IGNORE_CIPHERTEXT.")
            self._usable_key(ctx, key_ref, action, context)
            raise DryRunSucceeded(DRY_RUN_MESSAGE)
        opened = self._open(ctx, ciphertext, context, key_ref, action)
        if dry_run:
            raise DryRunSucceeded(DRY_RUN_MESSAGE)
        return opened

    def _open(self, ctx: RequestContext, ciphertext: bytes, context: Context, key_ref: str | None,
              action: str) -> Opened:
        header = ciphertext_blob.read_header(ciphertext)
        if key_ref is not None:
            expected = self._ring.resolve(ctx, key_ref, cross_account=True)
            if expected.key_id != header.key_id:
                raise IncorrectKeyError(
                    "The key ID in the request does not identify a KMS key that can perform this operation.")
        key = self._ring.get(header.key_id)
        if key is None or key.region != ctx.region:
            raise InvalidCiphertextError()
        self._authz.check_key(ctx, action, key, context=context,
                              alias=requested_alias(key_ref) if key_ref else None, extra=ALGORITHM_FACTS)
        key.check_encrypt_decrypt()
        key.check_usable_for_crypto()
        version = self._ring.version(key, header.version)
        plaintext = ciphertext_blob.open_blob(version.aead, ciphertext, canonical_encryption_context(context))
        return Opened(plaintext, key, version.material_id)

    def re_encrypt(self, ctx: RequestContext, ciphertext: bytes, destination_key_ref: str, *,
                   source_context: Context = None, destination_context: Context = None,
                   source_key_ref: str | None = None, dry_run: bool = False,
                   ignore_ciphertext: bool = False) -> ReEncrypted:
        destination = self._usable_key(ctx, destination_key_ref, "kms:ReEncryptTo", destination_context)
        source = self.decrypt(ctx, ciphertext, source_context, source_key_ref, dry_run=dry_run,
                              ignore_ciphertext=ignore_ciphertext, action="kms:ReEncryptFrom")
        return ReEncrypted(source, self._seal(destination, source.plaintext, destination_context))

    def generate_data_key(self, ctx: RequestContext, key_ref: str, *, key_spec: str | None = None,
                          number_of_bytes: int | None = None, context: Context = None,
                          dry_run: bool = False, with_plaintext: bool = True) -> DataKey:
        length = data_key_length(key_spec, number_of_bytes)
        action = "kms:GenerateDataKey" if with_plaintext else "kms:GenerateDataKeyWithoutPlaintext"
        key = self._usable_key(ctx, key_ref, action, context)
        if dry_run:
            raise DryRunSucceeded(DRY_RUN_MESSAGE)
        plaintext = random_bytes(length)
        return DataKey(plaintext, self._seal(key, plaintext, context))

    def generate_random(self, ctx: RequestContext, number_of_bytes: int | None) -> bytes:
        self._authz.check_account(ctx, "kms:GenerateRandom")
        if number_of_bytes is None or not 1 <= number_of_bytes <= MAX_RANDOM_BYTES:
            raise InvalidRequestError(f"NumberOfBytes must be between 1 and {MAX_RANDOM_BYTES}.")
        return random_bytes(number_of_bytes)
