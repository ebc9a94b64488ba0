"""Caller-chosen block cipher modes over raw key material, against published vectors (NIST SP 800-38A, the GCM
specification's test cases, RFC 3394, RFC 4231), and their refusals."""

from __future__ import annotations

import pytest

from strongroom.crypto.block_ciphers import SymmetricMaterial
from strongroom.errors import InvalidCiphertextError, InvalidRequestError

KEY_128 = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
BLOCK = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")


@pytest.mark.parametrize("mode, iv, expected", [
    ("CBC", bytes.fromhex("000102030405060708090a0b0c0d0e0f"), "7649abac8119b246cee98e9b12e9197d"),  # F.2.1
    ("ECB", None, "3ad77bb40d7a3660a89ecaf32466ef97"),  # F.1.1
    ("CTR", bytes.fromhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), "874d6191b620e3261bef6864990db6ce"),  # F.5.1
])
def test_sp800_38a_vectors(mode: str, iv: bytes | None, expected: str) -> None:
    key = SymmetricMaterial(KEY_128)
    done = key.encrypt(mode, BLOCK, iv=iv, padding="NONE")
    assert done.data.hex() == expected and done.iv is None  # the caller's IV is not handed back
    assert key.decrypt(mode, done.data, iv=iv, padding="NONE") == BLOCK


def test_gcm_test_case_2_and_a_forged_tag() -> None:
    key = SymmetricMaterial(bytes(16))
    done = key.encrypt("GCM", bytes(16), iv=bytes(12))
    assert (done.data.hex(), done.tag.hex()) == ("0388dace60b6a392f328c2b971b2fe78",  # type: ignore[union-attr]
                                                 "ab6e47d42cec13bdf53a67b21257bddf")
    assert key.decrypt("GCM", done.data, iv=bytes(12), tag=done.tag) == bytes(16)
    with pytest.raises(InvalidCiphertextError):
        key.decrypt("GCM", done.data, iv=bytes(12), tag=bytes(16))
    with pytest.raises(InvalidCiphertextError):
        key.decrypt("GCM", done.data, iv=bytes(12), tag=done.tag, aad=b"not bound")


def test_made_ivs_are_fresh_and_returned() -> None:
    key = SymmetricMaterial(bytes(32))
    first, second = key.encrypt("CBC", b"same"), key.encrypt("CBC", b"same")
    assert len(first.iv) == 16 and first.iv != second.iv and first.data != second.data  # type: ignore[arg-type]
    assert key.decrypt("CBC", first.data, iv=first.iv) == b"same"
    assert len(key.encrypt("GCM", b"x").iv) == 12  # type: ignore[arg-type]
    truncated = key.encrypt("GCM", b"x", tag_length=8)
    assert len(truncated.tag) == 8 and key.decrypt("GCM", truncated.data, iv=truncated.iv, tag=truncated.tag) == b"x"


def test_rfc3394_key_wrap() -> None:
    kek = SymmetricMaterial(bytes.fromhex("000102030405060708090A0B0C0D0E0F"))
    wrapped = kek.encrypt("KEY_WRAP", bytes.fromhex("00112233445566778899AABBCCDDEEFF")).data
    assert wrapped.hex().upper() == "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"
    assert kek.decrypt("KEY_WRAP", wrapped) == bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    with pytest.raises(InvalidCiphertextError):
        kek.decrypt("KEY_WRAP", bytes(24))
    padded = kek.encrypt("KEY_WRAP_PAD", b"odd length")
    assert kek.decrypt("KEY_WRAP_PAD", padded.data) == b"odd length"


def test_rfc4231_hmac_and_constant_time_verify() -> None:
    key = SymmetricMaterial(b"\x0b" * 20)
    mac = key.mac("SHA_256", b"Hi There")
    assert mac.hex() == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    assert key.mac_verify("SHA_256", b"Hi There", mac)
    assert not key.mac_verify("SHA_256", b"Hi There", mac[:-1] + bytes([mac[-1] ^ 1]))
    assert not key.mac_verify("SHA_256", b"Hi There", mac[:16])


def test_refusals() -> None:
    key = SymmetricMaterial(bytes(32))
    with pytest.raises(InvalidRequestError):
        key.encrypt("CBC", b"x", iv=bytes(8))  # an IV of the wrong size
    with pytest.raises(InvalidRequestError):
        key.encrypt("CBC", b"not a block", padding="NONE")
    with pytest.raises(InvalidRequestError):
        key.decrypt("CBC", bytes(16))  # no IV
    with pytest.raises(InvalidRequestError):
        key.encrypt("OFB", b"x")
    with pytest.raises(InvalidRequestError):
        SymmetricMaterial(bytes(20)).encrypt("CBC", b"x")  # not an AES key
    with pytest.raises(InvalidCiphertextError):
        key.decrypt("CBC", bytes(15), iv=bytes(16))
    assert "00" not in repr(key) and "secret" in repr(key)
    with pytest.raises(TypeError):
        __import__("pickle").dumps(key)
