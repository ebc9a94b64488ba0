"""HMAC keys through boto3: GenerateMac equals RFC 2104 HMAC computed outside (for imported material), VerifyMac
answers KMSInvalidMacException for any other MAC, and HMAC keys refuse every other use."""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

import pytest
from kms_harness import expect_error

from tests.byok import import_into

SPECS = [("HMAC_224", "HMAC_SHA_224", hashlib.sha224), ("HMAC_256", "HMAC_SHA_256", hashlib.sha256),
         ("HMAC_384", "HMAC_SHA_384", hashlib.sha384), ("HMAC_512", "HMAC_SHA_512", hashlib.sha512)]


@pytest.mark.parametrize(("spec", "algorithm", "digest"), SPECS)
def test_generate_and_verify_mac(kms: Any, spec: str, algorithm: str, digest: Any) -> None:
    key = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    assert key["MacAlgorithms"] == [algorithm] and "EncryptionAlgorithms" not in key
    resp = kms.generate_mac(KeyId=key["Arn"], Message=b"payload", MacAlgorithm=algorithm)
    assert resp["MacAlgorithm"] == algorithm and len(resp["Mac"]) == digest().digest_size
    assert kms.verify_mac(KeyId=key["Arn"], Message=b"payload", Mac=resp["Mac"],
                          MacAlgorithm=algorithm)["MacValid"] is True
    flipped = resp["Mac"][:-1] + bytes([resp["Mac"][-1] ^ 1])
    expect_error("KMSInvalidMacException", kms.verify_mac, KeyId=key["Arn"], Message=b"payload", Mac=flipped,
                 MacAlgorithm=algorithm)
    expect_error("KMSInvalidMacException", kms.verify_mac, KeyId=key["Arn"], Message=b"payloaD", Mac=resp["Mac"],
                 MacAlgorithm=algorithm)


def test_imported_hmac_material_computes_the_standard_hmac(kms: Any) -> None:
    material = os.urandom(64)
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    import_into(kms, key, material)
    mac = kms.generate_mac(KeyId=key, Message=b"jwt.payload", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(material, b"jwt.payload", hashlib.sha256).digest()


def test_hmac_keys_refuse_other_uses(kms: Any) -> None:
    key = kms.create_key(KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["Arn"]
    expect_error("InvalidKeyUsageException", kms.generate_mac, KeyId=key, Message=b"m", MacAlgorithm="HMAC_SHA_256")
    expect_error("InvalidKeyUsageException", kms.encrypt, KeyId=key, Plaintext=b"m")
    expect_error("InvalidKeyUsageException", kms.sign, KeyId=key, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    expect_error("UnsupportedOperationException", kms.get_public_key, KeyId=key)
    expect_error("UnsupportedOperationException", kms.enable_key_rotation, KeyId=key)
    symmetric = kms.create_key()["KeyMetadata"]["Arn"]
    expect_error("InvalidKeyUsageException", kms.generate_mac, KeyId=symmetric, Message=b"m",
                 MacAlgorithm="HMAC_SHA_256")
    expect_error("ValidationException", kms.create_key, KeySpec="HMAC_256", KeyUsage="ENCRYPT_DECRYPT")
    expect_error("DryRunOperationException", kms.generate_mac, KeyId=key, Message=b"m", MacAlgorithm="HMAC_SHA_384",
                 DryRun=True)
