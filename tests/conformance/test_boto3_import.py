"""Bring your own key through boto3 against a real server: key material wrapped outside exactly as the AWS docs
describe (each wrapping algorithm, each wrapping key size), imported, used, deleted, re-imported and rotated;
imported RSA and ECC private keys; the import errors AWS defines. (Expiry over time is tested in process with a
manual clock: tests/service/test_key_import.py and tests/protocols/aws/test_import_expiry.py.)"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from kms_harness import expect_error

from tests.byok import WRAPPING_ALGORITHMS, aws_wrap, import_into


def external(kms: Any, **kw: Any) -> str:
    meta = kms.create_key(Origin="EXTERNAL", **kw)["KeyMetadata"]
    assert meta["KeyState"] == "PendingImport" and meta["Enabled"] is False and meta["Origin"] == "EXTERNAL"
    assert "CurrentKeyMaterialId" not in meta
    return meta["Arn"]


def pkcs8(private: Any) -> bytes:
    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


@pytest.mark.parametrize("algorithm", WRAPPING_ALGORITHMS)
def test_import_symmetric_material_with_each_wrapping_algorithm(kms: Any, algorithm: str) -> None:
    key = external(kms)
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId=key, Plaintext=b"x")
    material = os.urandom(32)
    params = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_2048")
    assert params["KeyId"] == key
    assert 23.9 * 3600 < params["ParametersValidTo"].timestamp() - time.time() <= 24 * 3600 + 5
    resp = kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"],
                                   EncryptedKeyMaterial=aws_wrap(params["PublicKey"], algorithm, material),
                                   ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    meta = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled" and meta["CurrentKeyMaterialId"] == resp["KeyMaterialId"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE" and "ValidTo" not in meta
    blob = kms.encrypt(KeyId=key, Plaintext=b"bring your own key")["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=blob)
    assert dec["Plaintext"] == b"bring your own key" and dec["KeyMaterialId"] == resp["KeyMaterialId"]


@pytest.mark.parametrize("wrapping_key_spec", ["RSA_3072", "RSA_4096"])
def test_larger_wrapping_keys(kms: Any, wrapping_key_spec: str) -> None:
    key = external(kms)
    params = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256",
                                           WrappingKeySpec=wrapping_key_spec)
    assert serialization.load_der_public_key(params["PublicKey"]).key_size == int(wrapping_key_spec[4:])
    wrapped = aws_wrap(params["PublicKey"], "RSA_AES_KEY_WRAP_SHA_256", os.urandom(32))
    kms.import_key_material(KeyId=key, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped,
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"


def test_expiry_is_reported_and_delete_reimport_restores(kms: Any) -> None:
    key = external(kms, Description="byok")
    material = os.urandom(32)
    valid_to = int(time.time()) + 30 * 86400
    first = import_into(kms, key, material, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    meta = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and int(meta["ValidTo"].timestamp()) == valid_to
    blob = kms.encrypt(KeyId=key, Plaintext=b"kill switch")["CiphertextBlob"]
    deleted = kms.delete_imported_key_material(KeyId=key)
    assert deleted["KeyMaterialId"] == first["KeyMaterialId"]
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingImport"
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob)
    expect_error("KMSInvalidStateException", kms.enable_key, KeyId=key)
    expect_error("IncorrectKeyMaterialException", import_into, kms, key, os.urandom(32))
    again = import_into(kms, key, material, ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=first["KeyMaterialId"])
    assert again["KeyMaterialId"] == first["KeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kill switch"
    expect_error("ValidationException", import_into, kms, key, material, ExpirationModel="KEY_MATERIAL_EXPIRES")
    expect_error("ValidationException", import_into, kms, key, material, ExpirationModel="KEY_MATERIAL_EXPIRES",
                 ValidTo=int(time.time()) + 400 * 86400)


def test_rotate_imported_material_on_demand(kms: Any) -> None:
    key = external(kms)
    first = import_into(kms, key, os.urandom(32))["KeyMaterialId"]
    old = kms.encrypt(KeyId=key, Plaintext=b"old")["CiphertextBlob"]
    expect_error("KMSInvalidStateException", kms.rotate_key_on_demand, KeyId=key)
    second = import_into(kms, key, os.urandom(32), ImportType="NEW_KEY_MATERIAL",
                         KeyMaterialDescription="next year")["KeyMaterialId"]
    listed = kms.list_key_rotations(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"], r["ImportState"]) for r in listed] == [
        (first, "CURRENT", "IMPORTED"), (second, "PENDING_ROTATION", "IMPORTED")]
    assert listed[1]["KeyMaterialDescription"] == "next year"
    kms.rotate_key_on_demand(KeyId=key)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"] == second
    assert kms.encrypt(KeyId=key, Plaintext=b"new")["CiphertextBlob"] != old
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"old"
    rotations = kms.list_key_rotations(KeyId=key)["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"]) for r in rotations] == [(second, "ON_DEMAND")]
    expect_error("UnsupportedOperationException", kms.enable_key_rotation, KeyId=key)


def test_imported_rsa_private_key_signs_and_decrypts_as_the_outside_copy(kms: Any) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key = external(kms, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    import_into(kms, key, pkcs8(private), "RSA_AES_KEY_WRAP_SHA_1")
    public_der = kms.get_public_key(KeyId=key)["PublicKey"]
    assert public_der == private.public_key().public_bytes(serialization.Encoding.DER,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    oaep = padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)
    blob = kms.encrypt(KeyId=key, Plaintext=b"to the outside", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert private.decrypt(blob["CiphertextBlob"], oaep) == b"to the outside"


def test_imported_ecc_key_signs_for_the_outside_public_key(kms: Any) -> None:
    private = ec.generate_private_key(ec.SECP384R1())
    key = external(kms, KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")
    import_into(kms, key, pkcs8(private), "RSA_AES_KEY_WRAP_SHA_256")
    signature = kms.sign(KeyId=key, Message=b"m", SigningAlgorithm="ECDSA_SHA_384")["Signature"]
    private.public_key().verify(signature, b"m", ec.ECDSA(hashes.SHA384()))
    other = pkcs8(ec.generate_private_key(ec.SECP384R1()))
    expect_error("IncorrectKeyMaterialException", import_into, kms, key, other, "RSA_AES_KEY_WRAP_SHA_256")
    wrong_curve = pkcs8(ec.generate_private_key(ec.SECP256R1()))
    fresh = external(kms, KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")
    expect_error("IncorrectKeyMaterialException", import_into, kms, fresh, wrong_curve, "RSA_AES_KEY_WRAP_SHA_256")


def test_import_token_errors(kms: Any) -> None:
    key, other = external(kms), external(kms)
    params = kms.get_parameters_for_import(KeyId=key, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                           WrappingKeySpec="RSA_2048")
    wrapped = aws_wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
    model = {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
    expect_error("InvalidImportTokenException", kms.import_key_material, KeyId=other,
                 ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped, **model)
    forged = params["ImportToken"][:40] + bytes([params["ImportToken"][40] ^ 1]) + params["ImportToken"][41:]
    expect_error("InvalidImportTokenException", kms.import_key_material, KeyId=key, ImportToken=forged,
                 EncryptedKeyMaterial=wrapped, **model)
    expect_error("InvalidCiphertextException", kms.import_key_material, KeyId=key,
                 ImportToken=params["ImportToken"], EncryptedKeyMaterial=os.urandom(256), **model)
    expect_error("UnsupportedOperationException", kms.get_parameters_for_import, KeyId=key,
                 WrappingAlgorithm="RSAES_PKCS1_V1_5", WrappingKeySpec="RSA_2048")
    generated = kms.create_key()["KeyMetadata"]["Arn"]
    expect_error("UnsupportedOperationException", kms.get_parameters_for_import, KeyId=generated,
                 WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    expect_error("UnsupportedOperationException", kms.delete_imported_key_material, KeyId=generated)
