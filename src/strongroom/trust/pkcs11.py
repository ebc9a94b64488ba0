"""The ``pkcs11`` root of trust: a non-extractable AES-256 key inside an HSM wraps the KEK (AES-GCM in the HSM).

The key never leaves the token; the server sends it the 32-byte KEK to encrypt or decrypt. Keys are found by
label and ``CKA_ID``: a rotation adds a key with the same label and a new id, and the KEK record names the id
it was wrapped under. Each use opens a session, logs in, works and finalizes the library again, so the
supervisor process holds no PKCS#11 state when it forks workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strongroom.crypto.aead import NONCE_BYTES, random_bytes
from strongroom.trust import envelope
from strongroom.trust.base import RootConfigError, RootOfTrustError
from strongroom.trust.local_key import KEK_LABEL

NAME = "pkcs11"
PIN_VARIABLE = "STRONGROOM_PKCS11_PIN"


@dataclass(frozen=True)
class Pkcs11Settings:
    library: Path
    pin: str
    token_label: str | None = None
    slot: int | None = None
    key_label: str = "strongroom-root"

    def __repr__(self) -> str:
        return f"Pkcs11Settings(library={str(self.library)!r}, token={self.token_label or self.slot!r}, " \
               f"key_label={self.key_label!r})"

    @classmethod
    def from_table(cls, table: dict[str, Any], base_dir: Path) -> Pkcs11Settings:
        library = table.get("library")
        if not library:
            raise RootConfigError("root_of_trust.library (the PKCS#11 module, e.g. libsofthsm2.so) is required")
        pin = os.environ.get(PIN_VARIABLE) or table.get("pin")
        if not pin and table.get("pin_file"):
            pin = (base_dir / table["pin_file"]).read_text().strip()
        if not pin:
            raise RootConfigError(f"the token's user PIN is required: root_of_trust.pin, .pin_file or {PIN_VARIABLE}")
        if not table.get("token_label") and table.get("slot") is None:
            raise RootConfigError("root_of_trust.token_label or root_of_trust.slot is required")
        path = base_dir / str(library)
        if not path.is_file():
            raise RootConfigError(f"PKCS#11 module {path} does not exist")
        return cls(path, str(pin), table.get("token_label"), table.get("slot"),
                   str(table.get("key_label", "strongroom-root")))

    @property
    def token_name(self) -> str:
        return f"token {self.token_label!r}" if self.token_label else f"the token in slot {self.slot}"


@contextmanager
def _session(settings: Pkcs11Settings, *, rw: bool = False) -> Iterator[Any]:
    import pkcs11
    from pkcs11 import exceptions as px

    try:
        lib = pkcs11.lib(str(settings.library))
    except px.PKCS11Error as exc:
        raise RootOfTrustError(f"cannot load the PKCS#11 module {settings.library}: {exc}") from None
    try:
        try:
            if settings.token_label:
                token = lib.get_token(token_label=settings.token_label)
            else:
                token = next(s.get_token() for s in lib.get_slots(token_present=True) if s.slot_id == settings.slot)
        except (px.NoSuchToken, px.MultipleTokensReturned, StopIteration):
            raise RootOfTrustError(f"PKCS#11: {settings.token_name} was not found in {settings.library}") from None
        try:
            session = token.open(user_pin=settings.pin, rw=rw)
        except (px.PinIncorrect, px.PinInvalid, px.PinLenRange):
            raise RootOfTrustError(f"PKCS#11: the PIN for {settings.token_name} is wrong") from None
        except px.PinLocked:
            raise RootOfTrustError(f"PKCS#11: the user PIN of {settings.token_name} is locked") from None
        with session:
            yield session
    except px.PKCS11Error as exc:
        raise RootOfTrustError(f"PKCS#11 error on {settings.token_name}: {type(exc).__name__} {exc}") from None
    finally:
        if lib.initialized:
            lib.finalize()


def _keys(session: Any, label: str, key_id: bytes | None = None) -> list[Any]:
    from pkcs11 import Attribute, ObjectClass

    query: dict[Any, Any] = {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: label}
    if key_id is not None:
        query[Attribute.ID] = key_id
    return list(session.get_objects(query))


def generate_key(settings: Pkcs11Settings) -> bytes:
    """A new non-extractable AES-256 key on the token, labelled ``key_label``; returns its new CKA_ID."""
    from pkcs11 import Attribute, KeyType

    key_id = random_bytes(8)
    with _session(settings, rw=True) as session:
        session.generate_key(KeyType.AES, 256, label=settings.key_label, id=key_id, store=True, template={
            Attribute.EXTRACTABLE: False, Attribute.SENSITIVE: True, Attribute.PRIVATE: True,
            Attribute.ENCRYPT: True, Attribute.DECRYPT: True, Attribute.WRAP: False, Attribute.UNWRAP: False})
    return key_id


def only_key_id(settings: Pkcs11Settings) -> bytes | None:
    """The CKA_ID of the one key labelled ``key_label``, None if there is none; an error if several."""
    with _session(settings) as session:
        keys = _keys(session, settings.key_label)
        if len(keys) > 1:
            raise RootOfTrustError(f"PKCS#11: {settings.token_name} holds {len(keys)} keys labelled "
                                   f"{settings.key_label!r}; the data store does not say which to use")
        return keys[0].id if keys else None


class Pkcs11RootOfTrust:
    name = NAME

    def __init__(self, settings: Pkcs11Settings, key_id: bytes) -> None:
        self.settings = settings
        self.key_id = key_id

    def __repr__(self) -> str:
        return f"Pkcs11RootOfTrust({self.settings.key_label!r}, id={self.key_id.hex()})"

    @contextmanager
    def _key(self) -> Iterator[Any]:
        with _session(self.settings) as session:
            keys = _keys(session, self.settings.key_label, self.key_id)
            if not keys:
                raise RootOfTrustError(
                    f"PKCS#11: {self.settings.token_name} has no key labelled {self.settings.key_label!r} with id "
                    f"{self.key_id.hex()}, the key that wraps this data store's key-encryption key")
            yield keys[0]

    def wrap_kek(self, kek: bytes) -> bytes:
        from pkcs11 import Mechanism
        from pkcs11.mechanisms import GCMParams

        nonce = random_bytes(NONCE_BYTES)
        with self._key() as key:
            sealed = key.encrypt(bytes(kek), mechanism=Mechanism.AES_GCM,
                                 mechanism_param=GCMParams(nonce, KEK_LABEL.encode(), 128))
        return envelope.pack(NAME, nonce + sealed, key_label=self.settings.key_label, key_id=self.key_id.hex())

    def unwrap_kek(self, wrapped: bytes) -> bytes:
        from pkcs11 import Mechanism
        from pkcs11 import exceptions as px
        from pkcs11.mechanisms import GCMParams

        body = envelope.unpack_for(wrapped, NAME).body
        with self._key() as key:
            try:
                return bytes(key.decrypt(body[NONCE_BYTES:], mechanism=Mechanism.AES_GCM,
                                         mechanism_param=GCMParams(body[:NONCE_BYTES], KEK_LABEL.encode(), 128)))
            except px.PKCS11Error:
                raise RootOfTrustError("PKCS#11: the HSM key does not unwrap this data store's "
                                       "key-encryption key") from None


def root_for_record(settings: Pkcs11Settings, meta: dict[str, Any]) -> Pkcs11RootOfTrust:
    """The root that unwraps a record: the key the record names (its label must be the configured one)."""
    if meta.get("key_label") != settings.key_label:
        raise RootOfTrustError(f"PKCS#11: this data store's key-encryption key is wrapped by the HSM key labelled "
                               f"{meta.get('key_label')!r}, but key_label is {settings.key_label!r}")
    return Pkcs11RootOfTrust(settings, bytes.fromhex(str(meta["key_id"])))
