"""AEAD_AES_256_CBC_HMAC_SHA_512 on its own: lengths, determinism, and that every byte is authenticated.

Byte compatibility with libmongocrypt is proven in the interop tests; this pins the construction's edges.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest

from strongroom_client.crypto import aead
from strongroom_client.errors import DecryptionError

KEY = bytes(range(96))
AD = b"\x01" + b"\x22" * 16 + b"\x02"


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100])
def test_lengths_follow_pkcs7_padding(size: int) -> None:
    plaintext = os.urandom(size)
    c = aead.encrypt(KEY, plaintext, AD, deterministic=False)
    assert len(c) == aead.ciphertext_length(size) == 16 + (size // 16 + 1) * 16 + 32
    assert aead.decrypt(KEY, c, AD) == plaintext


def test_deterministic_iv_is_the_hmac_of_the_iv_key() -> None:
    plaintext = b"\x0c\x00\x00\x00hello world\x00"
    c = aead.encrypt(KEY, plaintext, AD, deterministic=True)
    al = (len(AD) * 8).to_bytes(8, "big")
    assert c[:16] == hmac.new(KEY[64:], AD + al + plaintext, hashlib.sha512).digest()[:16]
    assert c[-32:] == hmac.new(KEY[:32], AD + c[:-32] + al, hashlib.sha512).digest()[:32]
    assert aead.encrypt(KEY, plaintext, AD, deterministic=True) == c
    assert aead.encrypt(KEY, plaintext, AD, deterministic=False)[:16] != c[:16]


def test_empty_associated_data_still_appends_its_length() -> None:
    c = aead.encrypt(KEY, b"k" * 96, b"", deterministic=False)
    assert len(c) == 160
    assert c[-32:] == hmac.new(KEY[:32], c[:-32] + bytes(8), hashlib.sha512).digest()[:32]


def test_every_byte_is_authenticated() -> None:
    c = aead.encrypt(KEY, b"attack at dawn", AD, deterministic=True)
    for i in range(len(c)):
        tampered = bytearray(c)
        tampered[i] ^= 0x80
        with pytest.raises(DecryptionError, match="^decryption failed$"):
            aead.decrypt(KEY, bytes(tampered), AD)
    for i in range(len(AD)):
        other = bytearray(AD)
        other[i] ^= 0x01
        with pytest.raises(DecryptionError):
            aead.decrypt(KEY, c, bytes(other))


@pytest.mark.parametrize("size", [0, 63, 65, 80 - 1])
def test_bad_lengths_are_the_same_error(size: int) -> None:
    with pytest.raises(DecryptionError, match="^decryption failed$"):
        aead.decrypt(KEY, os.urandom(size), AD)


def test_a_wrong_key_is_the_same_error() -> None:
    c = aead.encrypt(KEY, b"x", AD, deterministic=False)
    with pytest.raises(DecryptionError, match="^decryption failed$"):
        aead.decrypt(os.urandom(96), c, AD)


def test_keys_must_be_96_bytes() -> None:
    with pytest.raises(ValueError):
        aead.encrypt(b"k" * 64, b"x", b"", deterministic=False)
    assert len(aead.generate_key()) == 96 and aead.generate_key() != aead.generate_key()
