"""Using a managed object's material: giving it out (plain or wrapped), encrypting and decrypting in caller-chosen
modes, MACs, signatures, and random bytes.

``export`` hands public keys and certificates to whoever may describe them, and anything secret to a caller allowed
``kms:ExportKey`` (audited as every request is), only if the object is extractable, and only wrapped if it is
sensitive. Cryptography needs the object in a state that allows it (``object_lifecycle.py``: protecting new data
only while active, reading old data also after deactivation or compromise) and, for keys made through other
protocols, their key Enabled. Material is unwrapped once per process and kept in objects that cannot be printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from strongroom.crypto.aead import random_bytes
from strongroom.crypto.asymmetric import AsymmetricKey
from strongroom.crypto.block_ciphers import KEY_WRAP, KEY_WRAP_PAD, Ciphered, SymmetricMaterial
from strongroom.crypto.key_objects import PublicKeyMaterial, private_key_encoded, public_key_encoded, public_key_of
from strongroom.domain.actions import Action
from strongroom.domain.context import RequestContext
from strongroom.domain.key_specs import FAMILY
from strongroom.domain.references import KeyRef
from strongroom.errors import InvalidRequestError, KeyUsageError, NotFoundError, UnsupportedError
from strongroom.service import object_lifecycle as lifecycle
from strongroom.service.authorization import Authorizer
from strongroom.service.key_hierarchy import KeyHierarchy, material_label
from strongroom.service.keyring import KeyRing
from strongroom.service.managed_objects import ManagedObjects
from strongroom.service.named_keys import WRAPPING_KEY_NAME
from strongroom.service.object_lifecycle import Lifecycle
from strongroom.service.object_model import NOT_SECRET, SYMMETRIC_SPECS, ManagedObject, ObjectKind, kind_of

MAX_RANDOM_BYTES = 1 << 16


@dataclass(frozen=True, slots=True)
class Wrapping:
    """How material leaves wrapped: under the AES key ``object_id``, by ``mode`` (``KEY_WRAP``: RFC 3394,
    ``KEY_WRAP_PAD``: RFC 5649), after ``frame`` (the protocol's encoding of the material, if any)."""

    object_id: str
    mode: str = "KEY_WRAP"
    frame: Callable[[bytes], bytes] | None = None


@dataclass(frozen=True, slots=True)
class Exported:
    """An object's material as it leaves (plaintext, unless wrapped: never logged, never kept)."""

    managed: ManagedObject
    material: bytes = field(repr=False)


class ObjectUse:
    def __init__(self, objects: ManagedObjects, ring: KeyRing, secrets: KeyHierarchy, authz: Authorizer) -> None:
        self._objects = objects
        self._ring = ring
        self._secrets = secrets
        self._authz = authz
        self._materials: dict[tuple[str, int], SymmetricMaterial] = {}
        ring.register(self._materials)

    def _material(self, managed: ManagedObject) -> bytes:
        key = managed.key
        stored = self._ring.usable_record(key, key.current_version)
        return self._secrets.unwrap(stored.wrapped_material, material_label(key.key_id, key.current_version))

    def export(self, ctx: RequestContext, object_id: str,
               encoding: str | Callable[[ManagedObject], str | None] | None = None, *,
               wrapped_by: Wrapping | None = None) -> Exported:
        """The object's material: public keys and certificates to whoever may describe them, anything secret to a
        caller allowed ``kms:ExportKey``, and only if the object is extractable (and, unless ``wrapped_by``, not
        sensitive). ``encoding`` (or what it chooses, given the object): of a private key ``PKCS8`` (as at rest) or
        ``PKCS1``, of a public key ``SPKI`` (as at rest) or ``PKCS1``. ``wrapped_by``: the material leaves wrapped
        under another active AES key of the caller's (who may encrypt with it), by an RFC 3394 / 5649 key wrap."""
        key = self._ring.resolve(ctx, KeyRef(key_id=object_id, text=object_id)) if object_id else None
        if key is None or key.name == WRAPPING_KEY_NAME:
            raise NotFoundError(f"Key '{object_id}' does not exist")
        kind = kind_of(key)
        self._authz.check_key(ctx, Action.GET_PUBLIC_KEY if kind is ObjectKind.PUBLIC_KEY else Action.DESCRIBE_KEY
                              if kind is ObjectKind.CERTIFICATE else Action.EXPORT_KEY, key)
        managed = self._objects.current(key)
        if managed.state.destroyed:
            raise NotFoundError(f"the object is {managed.state.value}: its material is gone")
        if not managed.extractable:
            raise KeyUsageError("the object is not extractable")
        if managed.sensitive and kind not in NOT_SECRET and wrapped_by is None:
            raise KeyUsageError("the object is sensitive: its material leaves only wrapped")
        ctx.note.version(key.current_version)
        material = self._material(managed)
        if callable(encoding):
            encoding = encoding(managed)
        if encoding is not None and kind is ObjectKind.PRIVATE_KEY:
            material = private_key_encoded(material, encoding)
        elif encoding is not None and kind is ObjectKind.PUBLIC_KEY:
            material = public_key_encoded(material, encoding)
        elif encoding is not None:
            raise UnsupportedError(f"a {kind.value} has one encoding")
        if wrapped_by is not None:
            wrapping = self._usable(ctx, wrapped_by.object_id, Action.ENCRYPT, protect=True)
            self._check_cipher(wrapping)
            if wrapped_by.mode not in (KEY_WRAP, KEY_WRAP_PAD):
                raise UnsupportedError("keys are wrapped by an AES key wrap (RFC 3394 or RFC 5649)")
            framed = wrapped_by.frame(material) if wrapped_by.frame is not None else material
            material = self._symmetric(wrapping).encrypt(wrapped_by.mode, framed).data
        return Exported(managed, material)

    def _usable(self, ctx: RequestContext, object_id: str, action: Action, *, protect: bool) -> ManagedObject:
        managed = self._objects.current(self._objects.resolve(ctx, object_id, action))
        if protect:
            lifecycle.check_protect(managed.state)
        else:
            lifecycle.check_process(managed.state)
        if not managed.managed or managed.state is Lifecycle.ACTIVE:
            managed.key.check_usable_for_crypto()
        ctx.note.version(managed.key.current_version)
        return managed

    def _symmetric(self, managed: ManagedObject) -> SymmetricMaterial:
        if managed.kind is not ObjectKind.SYMMETRIC_KEY:
            raise KeyUsageError(f"the object is a {managed.kind.value}, not a symmetric key")
        cache_key = (managed.object_id, managed.key.current_version)
        found = self._materials.get(cache_key)
        if found is None:
            found = self._materials[cache_key] = SymmetricMaterial(self._material(managed))
        return found

    def encrypt(self, ctx: RequestContext, object_id: str, mode: str, data: bytes, *, iv: bytes | None = None,
                padding: str = "PKCS7", aad: bytes = b"", tag_length: int = 16) -> Ciphered:
        managed = self._usable(ctx, object_id, Action.ENCRYPT, protect=True)
        self._check_cipher(managed)
        return self._symmetric(managed).encrypt(mode, data, iv=iv, padding=padding, aad=aad, tag_length=tag_length)

    def decrypt(self, ctx: RequestContext, object_id: str, mode: str, data: bytes, *, iv: bytes | None = None,
                padding: str = "PKCS7", aad: bytes = b"", tag: bytes | None = None) -> bytes:
        managed = self._usable(ctx, object_id, Action.DECRYPT, protect=False)
        self._check_cipher(managed)
        return self._symmetric(managed).decrypt(mode, data, iv=iv, padding=padding, aad=aad, tag=tag)

    @staticmethod
    def _check_cipher(managed: ManagedObject) -> None:
        if managed.algorithm not in SYMMETRIC_SPECS:
            raise KeyUsageError(f"a {managed.algorithm} key does not encrypt")

    def mac(self, ctx: RequestContext, object_id: str, hash_name: str, data: bytes) -> bytes:
        managed = self._usable(ctx, object_id, Action.GENERATE_MAC, protect=True)
        return self._symmetric(managed).mac(hash_name, data)

    def mac_verify(self, ctx: RequestContext, object_id: str, hash_name: str, data: bytes, mac: bytes) -> bool:
        managed = self._usable(ctx, object_id, Action.VERIFY_MAC, protect=False)
        return self._symmetric(managed).mac_verify(hash_name, data, mac)

    def sign(self, ctx: RequestContext, object_id: str, algorithm: str, message: bytes) -> bytes:
        """``algorithm`` as the AWS API names it (``RSASSA_PSS_SHA_256``, ``ECDSA_SHA_256``, ...)."""
        managed = self._usable(ctx, object_id, Action.SIGN, protect=True)
        if managed.kind is not ObjectKind.PRIVATE_KEY:
            raise KeyUsageError(f"the object is a {managed.kind.value}, not a private key")
        if managed.key.key_spec not in FAMILY:
            raise KeyUsageError(f"a {managed.algorithm} key is kept here, not used to sign")
        usable = self._ring.version(managed.key, managed.key.current_version).key
        if not isinstance(usable, AsymmetricKey):
            raise KeyUsageError("the object does not sign")
        return usable.sign(algorithm, message, "RAW")

    def verify(self, ctx: RequestContext, object_id: str, algorithm: str, message: bytes, signature: bytes) -> bool:
        managed = self._usable(ctx, object_id, Action.VERIFY, protect=False)
        if managed.kind is ObjectKind.PRIVATE_KEY:
            public = public_key_of(self._material(managed))
        elif managed.kind is ObjectKind.PUBLIC_KEY:
            public = self._material(managed)
        else:
            raise KeyUsageError(f"the object is a {managed.kind.value}, not a public or private key")
        return PublicKeyMaterial(public).verify(algorithm, message, signature)

    def random(self, ctx: RequestContext, length: int) -> bytes:
        self._authz.check_account(ctx, Action.GENERATE_RANDOM)
        if not 1 <= length <= MAX_RANDOM_BYTES:
            raise InvalidRequestError(f"between 1 and {MAX_RANDOM_BYTES} random bytes can be asked for")
        return random_bytes(length)
