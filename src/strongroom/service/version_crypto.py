"""Raw operations on one version of a named key (``crypto/raw_operations.py``: RSA-OAEP/PKCS#1 v1.5, AES key
wrap, AES-GCM, signatures over a digest, transfer-blob unwrapping, public numbers), for the cloud dialects.

Every call goes through ``NamedKeyService.use`` first, so the action is authorized, the key's window and the
version's state are enforced and the key and version are noted for the audit event exactly as for Transit. The
loaded key objects are cached per process, in a cache registered with the core's: dropped when they are (another
process changed the store, the core sealed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strongroom.crypto import raw_operations as raw
from strongroom.crypto import versioned_keys as vk
from strongroom.crypto.raw_operations import (  # noqa: F401 - the algorithm names adapters pass
    AES_GCM,
    AES_KEY_WRAP,
    CIPHERS,
    RSA_OAEP_SHA_1,
    RSA_OAEP_SHA_256,
    RSA_PKCS1_V1_5,
    SIGNING,
    PublicNumbers,
)
from strongroom.domain.actions import Action
from strongroom.domain.context import RequestContext
from strongroom.errors import InvalidRequestError
from strongroom.service.caches import BoundedCache, Clearable
from strongroom.service.named_keys import NamedKeyService, Use

_MAX_CACHED = 10_000


@dataclass(frozen=True, slots=True)
class Sealed:
    """An encryption's output and the version that made it; ``nonce`` and ``tag`` only for AES-GCM."""

    ciphertext: bytes
    version: int
    nonce: bytes | None = None
    tag: bytes | None = None


class VersionCrypto:
    def __init__(self, named_keys: NamedKeyService, register: Callable[[Clearable], None] | None = None) -> None:
        self._named = named_keys
        self._loaded: BoundedCache[tuple[str, int], tuple[vk.VersionedKey, Any]] = BoundedCache(_MAX_CACHED)
        if register is not None:
            register(self._loaded)

    def _use(self, ctx: RequestContext, name_space: str, name: str, action: Action, version: int | None,
             opening: bool) -> tuple[Use, Any]:
        """The use (authorized, noted) and the version's key object, rebuilt when the named-key cache has a new
        material object."""
        use = self._named.use(ctx, name_space, name, action, version, opening=opening)
        cache_key = (use.key.key_id, use.version)
        found = self._loaded.get(cache_key)
        if found is not None and found[0] is use.material:
            return use, found[1]
        loaded = raw.load(use.key.key_spec, use.material.backup_entry())
        self._loaded.put(cache_key, (use.material, loaded))
        return use, loaded

    def public_numbers(self, ctx: RequestContext, name_space: str, name: str, version: int) -> PublicNumbers:
        """The version's public numbers, for a caller already allowed to describe the key (not authorized again;
        a disabled version still has them)."""
        named = self._named.peek(ctx, name_space, name)
        if named is None or version not in named.versions:
            raise InvalidRequestError("no such key version")
        return raw.public_numbers(named.key.key_spec, self._named.public_key(ctx, name_space, name, version))

    def encrypt(self, ctx: RequestContext, name_space: str, name: str, version: int | None, algorithm: str,
                plaintext: bytes, associated_data: bytes = b"") -> Sealed:
        use, key = self._use(ctx, name_space, name, Action.ENCRYPT, version, False)
        sealed = raw.encrypt(key, algorithm, plaintext, associated_data)
        return Sealed(sealed.ciphertext, use.version, sealed.nonce, sealed.tag)

    def decrypt(self, ctx: RequestContext, name_space: str, name: str, version: int | None, algorithm: str,
                ciphertext: bytes, *, nonce: bytes | None = None, tag: bytes | None = None,
                associated_data: bytes = b"") -> bytes:
        _, key = self._use(ctx, name_space, name, Action.DECRYPT, version, True)
        return raw.decrypt(key, algorithm, ciphertext, nonce=nonce, tag=tag, associated_data=associated_data)

    def unwrap_transfer(self, ctx: RequestContext, name_space: str, name: str, version: int | None,
                        blob: bytes) -> bytes:
        """Key material a caller wrapped for this RSA version with CKM_RSA_AES_KEY_WRAP (the transfer blobs of
        HSM-to-KMS imports). Authorized as ``kms:ImportKeyMaterial`` on the wrapping key; the material stays in
        the core (to be checked and handed to ``create`` or ``rotate``)."""
        _, key = self._use(ctx, name_space, name, Action.IMPORT_KEY_MATERIAL, version, True)
        return raw.unwrap_transfer(key, blob)

    def sign(self, ctx: RequestContext, name_space: str, name: str, version: int | None, scheme: str, hash_name: str,
             digest: bytes) -> tuple[int, bytes]:
        """The version used and the signature of ``digest`` (ECDSA: r||s, each the curve's size)."""
        use, key = self._use(ctx, name_space, name, Action.SIGN, version, False)
        return use.version, raw.sign(key, scheme, hash_name, digest)

    def verify(self, ctx: RequestContext, name_space: str, name: str, version: int | None, scheme: str,
               hash_name: str, digest: bytes, signature: bytes) -> bool:
        _, key = self._use(ctx, name_space, name, Action.VERIFY, version, True)
        return raw.verify(key, scheme, hash_name, digest, signature)
