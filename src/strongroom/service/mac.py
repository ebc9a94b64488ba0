"""GenerateMac and VerifyMac with HMAC KMS keys (HMAC_224/256/384/512)."""

from __future__ import annotations

from strongroom.crypto.mac import HmacKey
from strongroom.domain import key_specs as specs
from strongroom.domain.actions import Action
from strongroom.domain.context import RequestContext
from strongroom.domain.keys import Key, KeyUsage
from strongroom.domain.references import KeyRef
from strongroom.errors import InvalidMacError, WouldSucceed
from strongroom.service.authorization import Authorizer
from strongroom.service.key_use import key_for_use
from strongroom.service.keyring import KeyRing

INVALID_MAC = "The HMAC verification failed."


class MacService:
    def __init__(self, ring: KeyRing, authz: Authorizer) -> None:
        self._ring = ring
        self._authz = authz

    def _hmac_key(self, ctx: RequestContext, key_ref: KeyRef | str, action: Action,
                  algorithm: str) -> tuple[Key, HmacKey]:
        key = key_for_use(self._ring, self._authz, ctx, key_ref, action, KeyUsage.GENERATE_VERIFY_MAC,
                          extra={"kms:MacAlgorithm": algorithm})
        specs.check_algorithm(key.key_spec, specs.algorithms(key.key_spec, key.key_usage).mac, algorithm)
        usable = self._ring.version(key, key.current_version).key
        assert isinstance(usable, HmacKey)
        return key, usable

    def generate_mac(self, ctx: RequestContext, key_ref: KeyRef | str, message: bytes, algorithm: str, *,
                     check_only: bool = False) -> tuple[Key, bytes]:
        key, hmac_key = self._hmac_key(ctx, key_ref, Action.GENERATE_MAC, algorithm)
        if check_only:
            raise WouldSucceed()
        return key, hmac_key.mac(message)

    def verify_mac(self, ctx: RequestContext, key_ref: KeyRef | str, message: bytes, mac: bytes, algorithm: str, *,
                   check_only: bool = False) -> Key:
        """The key, if ``mac`` is valid (compared in constant time); otherwise InvalidMacError."""
        key, hmac_key = self._hmac_key(ctx, key_ref, Action.VERIFY_MAC, algorithm)
        if not hmac_key.verify(message, mac):
            raise InvalidMacError(INVALID_MAC)
        if check_only:
            raise WouldSucceed()
        return key
