"""HMAC against the standard library; BYOK unwrapping against material wrapped as AWS documents it; the import
token format; imported material checks."""

import hashlib
import hmac as stdlib_hmac
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from strongroom.crypto import keygen
from strongroom.crypto.import_token import TokenHeader, split_token
from strongroom.crypto.import_wrapping import new_wrapping_key, unwrap_key_material
from strongroom.crypto.mac import HmacKey
from strongroom.crypto.materials import canonical_material, material_fingerprint
from strongroom.errors import IncorrectKeyMaterialError, InvalidCiphertextError, InvalidImportTokenError
from tests.byok import aws_wrap


@pytest.mark.parametrize(("spec", "digest"), [("HMAC_224", hashlib.sha224), ("HMAC_256", hashlib.sha256),
                                              ("HMAC_384", hashlib.sha384), ("HMAC_512", hashlib.sha512)])
def test_hmac_is_rfc_2104(spec, digest):
    key = keygen.new_material(spec)
    assert len(key) == int(spec[5:]) // 8
    mac = HmacKey(spec, key)
    tag = mac.mac(b"message")
    assert tag == stdlib_hmac.new(key, b"message", digest).digest()
    assert mac.verify(b"message", tag)
    assert not mac.verify(b"message!", tag)
    assert not mac.verify(b"message", tag[:-1])
    assert not mac.verify(b"message", bytes(len(tag)))


@pytest.fixture(scope="module")
def wrapping_key() -> tuple[bytes, bytes]:
    return new_wrapping_key("RSA_2048")


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
                                       "RSA_AES_KEY_WRAP_SHA_256"])
def test_unwrap_every_algorithm(wrapping_key, algorithm):
    private_der, public_der = wrapping_key
    material = os.urandom(32)
    assert unwrap_key_material(private_der, algorithm, aws_wrap(public_der, algorithm, material)) == material
    wrong = "RSAES_OAEP_SHA_256" if algorithm.endswith("SHA_1") else "RSAES_OAEP_SHA_1"
    with pytest.raises(InvalidCiphertextError):
        unwrap_key_material(private_der, wrong, aws_wrap(public_der, algorithm, material))


def test_rsa_aes_key_wrap_carries_a_private_key_too_big_for_oaep(wrapping_key):
    private_der, public_der = wrapping_key
    material = keygen.new_material("ECC_NIST_P521")
    with pytest.raises(ValueError):
        aws_wrap(public_der, "RSAES_OAEP_SHA_256", material)  # as AWS says: P-521 does not fit RSA_2048 OAEP
    wrapped = aws_wrap(public_der, "RSA_AES_KEY_WRAP_SHA_256", material)
    assert unwrap_key_material(private_der, "RSA_AES_KEY_WRAP_SHA_256", wrapped) == material
    tampered = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    with pytest.raises(InvalidCiphertextError):
        unwrap_key_material(private_der, "RSA_AES_KEY_WRAP_SHA_256", tampered)


def test_import_token_header_round_trip_and_malformed_tokens():
    header = TokenHeader("6f1b2c3d-0000-4000-8000-000000000001", 1_800_086_400, "RSA_AES_KEY_WRAP_SHA_256",
                         "RSA_4096")
    encoded = header.encode()
    assert len(encoded) == 27
    found, raw, rest = split_token(encoded + b"wrapped")
    assert found == header and raw == encoded and rest == b"wrapped"
    for bad in (b"", encoded, b"\x02" + encoded[1:] + b"x", encoded[:25] + b"\x09\x00x"):
        with pytest.raises(InvalidImportTokenError):
            split_token(bad)


def test_imported_material_is_checked_and_canonical():
    with pytest.raises(IncorrectKeyMaterialError, match="256 bits"):
        canonical_material("SYMMETRIC_DEFAULT", os.urandom(16))
    assert canonical_material("HMAC_256", b"k" * 64) == b"k" * 64
    with pytest.raises(IncorrectKeyMaterialError, match="32 to 64 bytes"):
        canonical_material("HMAC_256", b"k" * 31)
    with pytest.raises(IncorrectKeyMaterialError, match="ECC_NIST_P256"):
        canonical_material("ECC_NIST_P256", keygen.new_material("ECC_SECG_P256K1"))
    private = ec.generate_private_key(ec.SECP256R1())
    traditional = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                        serialization.NoEncryption())
    assert canonical_material("ECC_NIST_P256", traditional) == keygen.pkcs8(private)  # one key, one encoding


def test_material_ids_are_per_key_and_per_material():
    material = os.urandom(32)
    first = material_fingerprint("k1", material)
    assert first == material_fingerprint("k1", material) and len(first) == 64
    assert first != material_fingerprint("k2", material) != material_fingerprint("k1", os.urandom(32))
    assert material.hex() not in first
