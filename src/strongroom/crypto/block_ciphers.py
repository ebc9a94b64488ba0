"""Raw symmetric-key operations as key-management protocols expose them (KMIP's Encrypt, Decrypt, MAC): a block
cipher mode chosen by the caller over the key's own material, not the self-describing blob of ``ciphertext_blob``.

* AES in CBC (PKCS#7 padding or none), ECB (the same), CTR, GCM (with associated data and a tag of 4 to 16
  bytes, returned apart from the ciphertext), RFC 3394 key wrap and RFC 5649 key wrap with padding.
* HMAC with SHA-1/224/256/384/512 over the material; verification is constant time.

An IV, counter or nonce is made here, at random, whenever the caller gives none (16 bytes for CBC and CTR, 12 for
GCM) and returned with the ciphertext; a caller's own IV is used as given, because the protocols allow it. Every
failure to decrypt or unwrap is the one opaque InvalidCiphertextError; a parameter that does not fit the mode is an
InvalidRequestError.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives import padding as symmetric_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_unwrap_with_padding,
    aes_key_wrap,
    aes_key_wrap_with_padding,
)

from strongroom.crypto.opaque import Opaque
from strongroom.errors import InvalidCiphertextError, InvalidRequestError

CBC, ECB, CTR, GCM = "CBC", "ECB", "CTR", "GCM"
KEY_WRAP, KEY_WRAP_PAD = "KEY_WRAP", "KEY_WRAP_PAD"
MODES = (CBC, ECB, CTR, GCM, KEY_WRAP, KEY_WRAP_PAD)
PKCS7, NO_PADDING = "PKCS7", "NONE"
AES_KEY_BYTES = (16, 24, 32)
BLOCK_BYTES = 16
GCM_NONCE_BYTES = 12
MIN_GCM_TAG_BYTES, MAX_GCM_TAG_BYTES = 4, 16
MAC_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA_1": hashes.SHA1, "SHA_224": hashes.SHA224, "SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}
_IV_BYTES = {CBC: BLOCK_BYTES, CTR: BLOCK_BYTES, GCM: GCM_NONCE_BYTES}


@dataclass(frozen=True, slots=True)
class Ciphered:
    """What an encryption made: the data, the IV/nonce when this module chose it (else None), the GCM tag."""

    data: bytes
    iv: bytes | None = None
    tag: bytes | None = None


class SymmetricMaterial(Opaque):
    """One symmetric key's raw material, ready for caller-chosen modes. Never printable or picklable."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        self._key = bytes(key)

    @property
    def bits(self) -> int:
        return len(self._key) * 8

    def _aes(self) -> algorithms.AES:
        if len(self._key) not in AES_KEY_BYTES:
            raise InvalidRequestError(f"a {self.bits}-bit key is not an AES key")
        return algorithms.AES(self._key)

    def encrypt(self, mode: str, data: bytes, *, iv: bytes | None = None, padding: str = PKCS7, aad: bytes = b"",
                tag_length: int = 16) -> Ciphered:
        if mode in (KEY_WRAP, KEY_WRAP_PAD):
            self._aes()
            wrap = aes_key_wrap if mode == KEY_WRAP else aes_key_wrap_with_padding
            try:
                return Ciphered(wrap(self._key, data))
            except ValueError as exc:
                raise InvalidRequestError(f"cannot wrap this data: {exc}") from None
        made = iv is None and mode in _IV_BYTES
        if made:
            iv = os.urandom(_IV_BYTES[mode])
        if mode == GCM:
            tag_length = _gcm_tag_length(tag_length)
            encryptor = Cipher(self._aes(), modes.GCM(_nonce(iv))).encryptor()
            encryptor.authenticate_additional_data(aad)
            data = encryptor.update(data) + encryptor.finalize()
            return Ciphered(data, iv if made else None, encryptor.tag[:tag_length])
        cipher = Cipher(self._aes(), _mode(mode, iv))
        if mode in (CBC, ECB):
            data = _pad(data, padding)
        encryptor = cipher.encryptor()
        return Ciphered(encryptor.update(data) + encryptor.finalize(), iv if made else None)

    def decrypt(self, mode: str, data: bytes, *, iv: bytes | None = None, padding: str = PKCS7, aad: bytes = b"",
                tag: bytes | None = None) -> bytes:
        if mode in (KEY_WRAP, KEY_WRAP_PAD):
            self._aes()
            unwrap = aes_key_unwrap if mode == KEY_WRAP else aes_key_unwrap_with_padding
            try:
                return unwrap(self._key, data)
            except (InvalidUnwrap, ValueError):
                raise InvalidCiphertextError() from None
        if mode in _IV_BYTES and iv is None:
            raise InvalidRequestError(f"{mode} decryption needs the IV, counter or nonce")
        if mode == GCM:
            if tag is None:
                raise InvalidRequestError("GCM decryption needs the authentication tag")
            _gcm_tag_length(len(tag))
            decryptor = Cipher(self._aes(), modes.GCM(_nonce(iv), tag, min_tag_length=len(tag))).decryptor()
            decryptor.authenticate_additional_data(aad)
            try:
                return decryptor.update(data) + decryptor.finalize()
            except InvalidTag:
                raise InvalidCiphertextError() from None
        if mode in (CBC, ECB) and len(data) % BLOCK_BYTES:
            raise InvalidCiphertextError()
        decryptor = Cipher(self._aes(), _mode(mode, iv)).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        return _unpad(plain, padding) if mode in (CBC, ECB) else plain

    def mac(self, hash_name: str, data: bytes) -> bytes:
        h = hmac.HMAC(self._key, _mac_hash(hash_name))
        h.update(data)
        return h.finalize()

    def mac_verify(self, hash_name: str, data: bytes, mac: bytes) -> bool:
        """Constant time (pyca's ``HMAC.verify``)."""
        h = hmac.HMAC(self._key, _mac_hash(hash_name))
        h.update(data)
        try:
            h.verify(mac)
        except InvalidSignature:
            return False
        return True

    def material(self) -> bytes:
        """The raw key, for the audited export path only."""
        return self._key


def _mac_hash(hash_name: str) -> hashes.HashAlgorithm:
    cls = MAC_HASHES.get(hash_name)
    if cls is None:
        raise InvalidRequestError(f"HMAC with {hash_name} is not supported; use one of {', '.join(MAC_HASHES)}")
    return cls()


def _mode(mode: str, iv: bytes | None) -> modes.Mode:
    if mode == ECB:
        if iv:
            raise InvalidRequestError("ECB takes no IV")
        return modes.ECB()
    if mode not in (CBC, CTR):
        raise InvalidRequestError(f"block cipher mode {mode} is not supported; use one of {', '.join(MODES)}")
    if iv is None or len(iv) != BLOCK_BYTES:
        raise InvalidRequestError(f"{mode} needs a {BLOCK_BYTES}-byte IV or counter")
    return modes.CBC(iv) if mode == CBC else modes.CTR(iv)


def _nonce(iv: bytes | None) -> bytes:
    if iv is None or not 8 <= len(iv) <= 128:
        raise InvalidRequestError("a GCM nonce must be 8 to 128 bytes (12 is recommended)")
    return iv


def _gcm_tag_length(length: int) -> int:
    if not MIN_GCM_TAG_BYTES <= length <= MAX_GCM_TAG_BYTES:
        raise InvalidRequestError(f"a GCM tag is {MIN_GCM_TAG_BYTES} to {MAX_GCM_TAG_BYTES} bytes, not {length}")
    return length


def _pad(data: bytes, padding: str) -> bytes:
    if padding == PKCS7:
        padder = symmetric_padding.PKCS7(BLOCK_BYTES * 8).padder()
        return padder.update(data) + padder.finalize()
    if padding != NO_PADDING:
        raise InvalidRequestError(f"padding {padding} is not supported for block modes; use PKCS5 or none")
    if len(data) % BLOCK_BYTES:
        raise InvalidRequestError(f"without padding the data must be a multiple of {BLOCK_BYTES} bytes")
    return data


def _unpad(data: bytes, padding: str) -> bytes:
    if padding == NO_PADDING:
        return data
    if padding != PKCS7:
        raise InvalidRequestError(f"padding {padding} is not supported for block modes; use PKCS5 or none")
    unpadder = symmetric_padding.PKCS7(BLOCK_BYTES * 8).unpadder()
    try:
        return unpadder.update(data) + unpadder.finalize()
    except ValueError:
        raise InvalidCiphertextError() from None


def random_key(length: int) -> bytes:
    """Fresh random key material of ``length`` bytes."""
    return os.urandom(length)
