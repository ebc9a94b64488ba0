"""AEAD_AES_256_CBC_HMAC_SHA_512, the cipher of MongoDB client-side field-level encryption ("FLE1").

With a 96-byte key ``K = Km (32) || Ke (32) || Kiv (32)``, plaintext ``P`` and associated data ``A``:

    S  = AES-256-CBC(Ke, IV, PKCS#7(P))
    AL = bit length of A, uint64 big-endian (present even when A is empty)
    T  = HMAC-SHA-512(Km, A || IV || S || AL)[:32]
    C  = IV || S || T

The IV is 16 random bytes, or for the deterministic variant ``HMAC-SHA-512(Kiv, A || AL || P)[:16]``. Callers
never pass an IV: it is made here. Decryption checks the tag in constant time before touching the cipher and
answers every failure with the same :class:`DecryptionError`.
"""

from __future__ import annotations

import hmac
import os
import struct

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from strongroom_client.errors import DecryptionError

KEY_BYTES = 96
IV_BYTES = 16
TAG_BYTES = 32
BLOCK_BYTES = 16
MIN_CIPHERTEXT_BYTES = IV_BYTES + BLOCK_BYTES + TAG_BYTES


def ciphertext_length(plaintext_length: int) -> int:
    """Length of ``C`` for a plaintext of ``plaintext_length`` bytes (padding always adds 1 to 16 bytes)."""
    return IV_BYTES + (plaintext_length // BLOCK_BYTES + 1) * BLOCK_BYTES + TAG_BYTES


def encrypt(key: bytes, plaintext: bytes, associated_data: bytes, *, deterministic: bool) -> bytes:
    """``IV || S || T``; the IV is derived from the key and input if ``deterministic``, else random."""
    mac_key, enc_key, iv_key = _split(key)
    al = _bit_length(associated_data)
    if deterministic:
        iv = _hmac_sha512(iv_key, associated_data + al + plaintext)[:IV_BYTES]
    else:
        iv = os.urandom(IV_BYTES)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).encryptor()
    body = encryptor.update(padded) + encryptor.finalize()
    tag = _hmac_sha512(mac_key, associated_data + iv + body + al)[:TAG_BYTES]
    return iv + body + tag


def decrypt(key: bytes, ciphertext: bytes, associated_data: bytes) -> bytes:
    """The plaintext of ``IV || S || T``, or :class:`DecryptionError` whatever went wrong."""
    mac_key, enc_key, _ = _split(key)
    if len(ciphertext) < MIN_CIPHERTEXT_BYTES or (len(ciphertext) - IV_BYTES - TAG_BYTES) % BLOCK_BYTES:
        raise DecryptionError("decryption failed")
    iv, body, tag = ciphertext[:IV_BYTES], ciphertext[IV_BYTES:-TAG_BYTES], ciphertext[-TAG_BYTES:]
    expected = _hmac_sha512(mac_key, associated_data + iv + body + _bit_length(associated_data))[:TAG_BYTES]
    if not hmac.compare_digest(expected, tag):
        raise DecryptionError("decryption failed")
    decryptor = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(body) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptionError("decryption failed") from None


def _split(key: bytes) -> tuple[bytes, bytes, bytes]:
    if len(key) != KEY_BYTES:
        raise ValueError(f"AEAD_AES_256_CBC_HMAC_SHA_512 needs a {KEY_BYTES}-byte key")
    return key[:32], key[32:64], key[64:]


def _bit_length(associated_data: bytes) -> bytes:
    return struct.pack(">Q", len(associated_data) * 8)


def _hmac_sha512(key: bytes, data: bytes) -> bytes:
    mac = crypto_hmac.HMAC(key, hashes.SHA512())
    mac.update(data)
    return mac.finalize()


def generate_key() -> bytes:
    """A fresh 96-byte key (a data encryption key) from the operating system's CSPRNG."""
    return os.urandom(KEY_BYTES)
