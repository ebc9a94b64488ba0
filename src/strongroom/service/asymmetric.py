"""Asymmetric operations: Sign, Verify, GetPublicKey, DeriveSharedSecret (ECDH), Encapsulate and Decapsulate
(ML-KEM). Each resolves the key (any account, by ARN), authorizes with AWS's condition facts, then checks the
key's usage, state and algorithm, in that order."""

from __future__ import annotations

from dataclasses import dataclass, field

from strongroom.crypto.asymmetric import AsymmetricKey, EcKey, MlKemKey
from strongroom.domain import key_specs as specs
from strongroom.domain.actions import Action
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import Key, KeyUsage
from strongroom.domain.references import KeyRef, requested_alias
from strongroom.errors import InvalidSignatureError, UnsupportedError, WouldSucceed
from strongroom.service.authorization import Authorizer
from strongroom.service.key_use import key_for_use
from strongroom.service.keyring import KeyRing

INVALID_SIGNATURE = "The signature verification failed."


@dataclass(frozen=True, slots=True)
class PublicKey:
    key: Key
    der: bytes  # X.509 SubjectPublicKeyInfo
    algorithms: specs.Algorithms


@dataclass(frozen=True, slots=True)
class Secret:
    key: Key
    shared_secret: bytes = field(repr=False)
    ciphertext: bytes | None = None  # Encapsulate: the encapsulated secret


class AsymmetricService:
    def __init__(self, ring: KeyRing, authz: Authorizer) -> None:
        self._ring = ring
        self._authz = authz

    def _private(self, key: Key) -> AsymmetricKey:
        usable = self._ring.version(key, key.current_version).key
        assert isinstance(usable, AsymmetricKey)
        return usable

    def _signing_key(self, ctx: RequestContext, key_ref: KeyRef | str, action: Action, message: bytes, algorithm: str,
                     message_type: str) -> Key:
        key = key_for_use(self._ring, self._authz, ctx, key_ref, action, KeyUsage.SIGN_VERIFY, extra={
            "kms:SigningAlgorithm": algorithm, "kms:MessageType": message_type})
        specs.check_algorithm(key.key_spec, specs.algorithms(key.key_spec, key.key_usage).signing, algorithm)
        specs.check_message(algorithm, message_type, message)
        return key

    def sign(self, ctx: RequestContext, key_ref: KeyRef | str, message: bytes, algorithm: str,
             message_type: str | None = None, *, check_only: bool = False) -> tuple[Key, bytes]:
        message_type = message_type or specs.RAW
        key = self._signing_key(ctx, key_ref, Action.SIGN, message, algorithm, message_type)
        private = self._private(key)
        if check_only:
            raise WouldSucceed()
        return key, private.sign(algorithm, message, message_type)

    def verify(self, ctx: RequestContext, key_ref: KeyRef | str, message: bytes, signature: bytes, algorithm: str,
               message_type: str | None = None, *, check_only: bool = False) -> Key:
        """The key, if ``signature`` is valid; otherwise InvalidSignatureError (AWS never answers false)."""
        message_type = message_type or specs.RAW
        key = self._signing_key(ctx, key_ref, Action.VERIFY, message, algorithm, message_type)
        if not self._private(key).verify(algorithm, message, message_type, signature):
            raise InvalidSignatureError(INVALID_SIGNATURE)
        if check_only:
            raise WouldSucceed()
        return key

    def get_public_key(self, ctx: RequestContext, key_ref: KeyRef | str) -> PublicKey:
        key = self._ring.resolve(ctx, key_ref, cross_account=True)
        self._authz.check_key(ctx, Action.GET_PUBLIC_KEY, key, alias=requested_alias(key_ref))
        if not specs.is_asymmetric(key.key_spec):
            raise UnsupportedError(f"{key.arn} is a symmetric key ({key.key_spec}); GetPublicKey works only on "
                                   "asymmetric keys.")
        key.check_usable_for_crypto()
        return PublicKey(key, self._private(key).public_key_der(), specs.algorithms(key.key_spec, key.key_usage))

    def derive_shared_secret(self, ctx: RequestContext, key_ref: KeyRef | str, algorithm: str, peer_public_key: bytes,
                             *, check_only: bool = False) -> Secret:
        key = key_for_use(self._ring, self._authz, ctx, key_ref, Action.DERIVE_SHARED_SECRET, KeyUsage.KEY_AGREEMENT,
                          extra={"kms:KeyAgreementAlgorithm": algorithm})
        specs.check_algorithm(key.key_spec, specs.algorithms(key.key_spec, key.key_usage).key_agreement, algorithm)
        private = self._private(key)
        assert isinstance(private, EcKey)
        secret = private.derive_shared_secret(peer_public_key)
        if check_only:
            raise WouldSucceed()
        return Secret(key, secret)

    def _kem(self, ctx: RequestContext, key_ref: KeyRef | str, action: Action, algorithm: str) -> tuple[Key, MlKemKey]:
        key = key_for_use(self._ring, self._authz, ctx, key_ref, action, KeyUsage.ENCAPSULATE_DECAPSULATE)
        specs.check_algorithm(key.key_spec, specs.algorithms(key.key_spec, key.key_usage).encapsulation, algorithm)
        private = self._private(key)
        assert isinstance(private, MlKemKey)
        return key, private

    def encapsulate(self, ctx: RequestContext, key_ref: KeyRef | str, algorithm: str, *,
                    check_only: bool = False) -> Secret:
        key, private = self._kem(ctx, key_ref, Action.ENCAPSULATE, algorithm)
        if check_only:
            raise WouldSucceed()
        secret, ciphertext = private.encapsulate()
        return Secret(key, secret, ciphertext)

    def decapsulate(self, ctx: RequestContext, key_ref: KeyRef | str, ciphertext: bytes, algorithm: str, *,
                    check_only: bool = False) -> Secret:
        key, private = self._kem(ctx, key_ref, Action.DECAPSULATE, algorithm)
        secret = private.decapsulate(ciphertext)
        if check_only:
            raise WouldSucceed()
        return Secret(key, secret)
