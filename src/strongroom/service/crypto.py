"""Encrypt, Decrypt, ReEncrypt, data keys and data key pairs, random bytes.

Symmetric keys seal the self-describing blob of ``crypto/ciphertext_blob.py``. RSA ENCRYPT_DECRYPT keys
produce AWS's raw RSAES-OAEP ciphertext, which names no key: decrypting one needs the KeyId and the
EncryptionAlgorithm, and takes no encryption context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strongroom.crypto import ciphertext_blob, keygen
from strongroom.crypto.aead import random_bytes
from strongroom.crypto.asymmetric import RsaKey
from strongroom.domain import key_specs as specs
from strongroom.domain.actions import Action
from strongroom.domain.context import RequestContext
from strongroom.domain.encryption_context import AssociatedData, associated_data_bytes
from strongroom.domain.key_specs import SYMMETRIC_DEFAULT
from strongroom.domain.keys import Key, KeyUsage
from strongroom.domain.references import KeyRef
from strongroom.errors import IncorrectKeyError, InvalidCiphertextError, InvalidRequestError, WouldSucceed
from strongroom.service.authorization import Authorizer
from strongroom.service.key_use import check_use
from strongroom.service.keyring import KeyRing

DATA_KEY_SPECS = {"AES_256": 32, "AES_128": 16}
MAX_RANDOM_BYTES = 1024
ASYMMETRIC_CONTEXT = "EncryptionContext is not supported when encrypting/decrypting with asymmetric CMKs."

Context = AssociatedData  # an encryption context or raw associated data


@dataclass(slots=True)  # not frozen: built per request, and a frozen one costs 3-4x to build
class Sealed:
    ciphertext: bytes
    key: Key
    material_id: str | None  # None for asymmetric ciphertexts (AWS reports no KeyMaterialId for them)
    algorithm: str = SYMMETRIC_DEFAULT


@dataclass(slots=True)  # not frozen: built per request, and a frozen one costs 3-4x to build
class Opened:
    plaintext: bytes = field(repr=False)
    key: Key
    material_id: str | None
    algorithm: str = SYMMETRIC_DEFAULT


@dataclass(frozen=True, slots=True)
class DataKey:
    plaintext: bytes = field(repr=False)
    sealed: Sealed


@dataclass(frozen=True, slots=True)
class DataKeyPair:
    private_key: bytes | None = field(repr=False)  # PKCS#8 DER; None for GenerateDataKeyPairWithoutPlaintext
    public_key: bytes  # DER SubjectPublicKeyInfo
    sealed: Sealed  # the private key under the symmetric KMS key
    key_pair_spec: str


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


ALGORITHM_FACTS = {"kms:EncryptionAlgorithm": SYMMETRIC_DEFAULT}


def _facts(algorithm: str, extra: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if algorithm == SYMMETRIC_DEFAULT and not extra:
        return ALGORITHM_FACTS
    return {"kms:EncryptionAlgorithm": algorithm, **(extra or {})}


class CryptoService:
    def __init__(self, ring: KeyRing, authz: Authorizer) -> None:
        self._ring = ring
        self._authz = authz

    def _check(self, ctx: RequestContext, key: Key, key_ref: KeyRef | str | None, action: Action, context: Context,
               algorithm: str, extra: Mapping[str, Any] | None = None) -> None:
        """Authorize, then usage, state, algorithm and (asymmetric keys take none) encryption context."""
        check_use(self._authz, ctx, key, key_ref, action, KeyUsage.ENCRYPT_DECRYPT,
                  context=None if isinstance(context, bytes) else context,
                  extra=_facts(algorithm, extra))
        if algorithm != SYMMETRIC_DEFAULT or key.key_spec != SYMMETRIC_DEFAULT:
            specs.check_algorithm(key.key_spec, specs.algorithms(key.key_spec, key.key_usage).encryption, algorithm)
            if context:
                raise InvalidRequestError(ASYMMETRIC_CONTEXT)

    def _usable_key(self, ctx: RequestContext, key_ref: KeyRef | str, action: Action, context: Context,
                    algorithm: str = SYMMETRIC_DEFAULT, extra: Mapping[str, Any] | None = None) -> Key:
        key = self._ring.resolve(ctx, key_ref, cross_account=True)
        self._check(ctx, key, key_ref, action, context, algorithm, extra)
        return key

    def _rsa(self, key: Key) -> RsaKey:
        usable = self._ring.version(key, key.current_version).key
        assert isinstance(usable, RsaKey)
        return usable

    def _seal(self, key: Key, plaintext: bytes, context: Context, algorithm: str = SYMMETRIC_DEFAULT) -> Sealed:
        if key.key_spec != SYMMETRIC_DEFAULT:
            limit = specs.rsa_plaintext_limit(key.key_spec, algorithm)
            if len(plaintext) > limit:
                raise InvalidRequestError(f"Plaintext is too long for {key.key_spec} with {algorithm}: at most "
                                          f"{limit} bytes.")
            return Sealed(self._rsa(key).encrypt(algorithm, plaintext), key, None, algorithm)
        current = self._ring.version(key, key.current_version)
        blob = ciphertext_blob.seal(current.aead, key.key_id, current.version, plaintext,
                                    associated_data_bytes(context))
        return Sealed(blob, key, current.material_id)

    def encrypt(self, ctx: RequestContext, key_ref: KeyRef | str, plaintext: bytes, context: Context = None, *,
                algorithm: str | None = None, check_only: bool = False) -> Sealed:
        algorithm = algorithm or SYMMETRIC_DEFAULT
        key = self._usable_key(ctx, key_ref, Action.ENCRYPT, context, algorithm)
        ctx.note.version(key.current_version)
        if check_only:
            raise WouldSucceed()
        return self._seal(key, plaintext, context, algorithm)

    def decrypt(self, ctx: RequestContext, ciphertext: bytes, context: Context = None,
                key_ref: KeyRef | str | None = None, *, algorithm: str | None = None, check_only: bool = False,
                ignore_ciphertext: bool = False, action: Action = Action.DECRYPT) -> Opened:
        """Open a ciphertext. A symmetric blob names its own key and version; an RSA ciphertext needs the KeyId
        and algorithm. Every malformed or forged ciphertext is one error.

        A check-only call checks everything a real call would (the ciphertext too, unless ``ignore_ciphertext``, in
        which case the KeyId is required) and then reports success without returning plaintext."""
        algorithm = algorithm or SYMMETRIC_DEFAULT
        if check_only and ignore_ciphertext:
            if key_ref is None:
                raise InvalidRequestError("A check without the ciphertext needs the key named.")
            self._usable_key(ctx, key_ref, action, context, algorithm)
            raise WouldSucceed()
        opened = self._open(ctx, ciphertext, context, key_ref, action, algorithm)
        if check_only:
            raise WouldSucceed()
        return opened

    def _open(self, ctx: RequestContext, ciphertext: bytes, context: Context, key_ref: KeyRef | str | None,
              action: Action, algorithm: str) -> Opened:
        expected = self._ring.resolve(ctx, key_ref, cross_account=True) if key_ref is not None else None
        if expected is not None and expected.key_spec != SYMMETRIC_DEFAULT:
            self._check(ctx, expected, key_ref, action, context, algorithm)
            return Opened(self._rsa(expected).decrypt(algorithm, ciphertext), expected, None, algorithm)
        header = ciphertext_blob.read_header(ciphertext)
        if expected is not None and expected.key_id != header.key_id:
            raise IncorrectKeyError(
                "The key ID in the request does not identify a KMS key that can perform this operation.")
        key = self._ring.get(header.key_id)
        if key is None or key.region != ctx.region:
            raise InvalidCiphertextError()
        ctx.note.key(key)
        self._check(ctx, key, key_ref, action, context, algorithm)
        ctx.note.version(header.version)
        version = self._ring.version(key, header.version)
        plaintext = ciphertext_blob.open_blob(version.aead, ciphertext, associated_data_bytes(context))
        return Opened(plaintext, key, version.material_id)

    def re_encrypt(self, ctx: RequestContext, ciphertext: bytes, destination_key_ref: KeyRef | str, *,
                   source_context: Context = None, destination_context: Context = None,
                   source_key_ref: KeyRef | str | None = None, source_algorithm: str | None = None,
                   destination_algorithm: str | None = None, check_only: bool = False,
                   ignore_ciphertext: bool = False) -> ReEncrypted:
        destination_algorithm = destination_algorithm or SYMMETRIC_DEFAULT
        destination = self._usable_key(ctx, destination_key_ref, Action.RE_ENCRYPT_TO, destination_context,
                                       destination_algorithm)
        source = self.decrypt(ctx, ciphertext, source_context, source_key_ref, algorithm=source_algorithm,
                              check_only=check_only, ignore_ciphertext=ignore_ciphertext, action=Action.RE_ENCRYPT_FROM)
        return ReEncrypted(source, self._seal(destination, source.plaintext, destination_context,
                                              destination_algorithm))

    def generate_data_key(self, ctx: RequestContext, key_ref: KeyRef | str, *, key_spec: str | None = None,
                          number_of_bytes: int | None = None, context: Context = None,
                          check_only: bool = False, with_plaintext: bool = True) -> DataKey:
        length = data_key_length(key_spec, number_of_bytes)
        action = Action.GENERATE_DATA_KEY if with_plaintext else Action.GENERATE_DATA_KEY_WITHOUT_PLAINTEXT
        key = self._usable_key(ctx, key_ref, action, context)
        if check_only:
            raise WouldSucceed()
        plaintext = random_bytes(length)
        return DataKey(plaintext, self._seal(key, plaintext, context))

    def generate_data_key_pair(self, ctx: RequestContext, key_ref: KeyRef | str, key_pair_spec: str, *,
                               context: Context = None, check_only: bool = False,
                               with_plaintext: bool = True) -> DataKeyPair:
        """A fresh key pair for use outside: the private key (PKCS#8 DER) sealed under a symmetric KMS key."""
        specs.check_data_key_pair_spec(key_pair_spec)
        action = Action.GENERATE_DATA_KEY_PAIR if with_plaintext else Action.GENERATE_DATA_KEY_PAIR_WITHOUT_PLAINTEXT
        key = self._usable_key(ctx, key_ref, action, context, extra={"kms:DataKeyPairSpec": key_pair_spec})
        keygen.check_supported(key_pair_spec)
        if check_only:
            raise WouldSucceed()
        private_key, public_key = keygen.new_key_pair(key_pair_spec)
        sealed = self._seal(key, private_key, context)
        return DataKeyPair(private_key if with_plaintext else None, public_key, sealed, key_pair_spec)

    def generate_random(self, ctx: RequestContext, number_of_bytes: int | None) -> bytes:
        self._authz.check_account(ctx, Action.GENERATE_RANDOM)
        if number_of_bytes is None or not 1 <= number_of_bytes <= MAX_RANDOM_BYTES:
            raise InvalidRequestError(f"NumberOfBytes must be between 1 and {MAX_RANDOM_BYTES}.")
        return random_bytes(number_of_bytes)
