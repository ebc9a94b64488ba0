"""Symmetric cryptography through boto3: Encrypt, Decrypt, ReEncrypt, data keys, random, and their limits."""

from __future__ import annotations

import os
from typing import Any

import pytest
from kms_harness import expect_error, key_id_of

VALIDATION = "ValidationException"
INVALID_CT = "InvalidCiphertextException"


@pytest.fixture
def key(new_key: Any) -> str:
    return new_key(Description="crypto")


@pytest.fixture
def other_key(new_key: Any) -> str:
    return new_key(Description="crypto other")


def test_encrypt_decrypt_round_trip(kms: Any, key: str) -> None:
    enc = kms.encrypt(KeyId=key, Plaintext=b"attack at dawn")
    assert enc["KeyId"] == key
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert b"attack at dawn" not in enc["CiphertextBlob"]

    dec = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])  # no KeyId: the blob names its key
    assert dec["Plaintext"] == b"attack at dawn"
    assert dec["KeyId"] == key  # the full key ARN, as the AWS Encryption SDK requires
    assert dec["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"


def test_encrypt_by_key_id_and_alias_reports_the_arn(kms: Any, key: str) -> None:
    alias = f"alias/conf-crypto-{os.urandom(6).hex()}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id_of(key))
    for ref in (key_id_of(key), alias):
        enc = kms.encrypt(KeyId=ref, Plaintext=b"p")
        assert enc["KeyId"] == key, ref
        assert kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], KeyId=ref)["Plaintext"] == b"p"


def test_ciphertexts_are_randomised(kms: Any, key: str) -> None:
    blobs = {kms.encrypt(KeyId=key, Plaintext=b"same")["CiphertextBlob"] for _ in range(3)}
    assert len(blobs) == 3


def test_decrypt_with_the_wrong_key_id_is_incorrect_key(kms: Any, key: str, other_key: str) -> None:
    blob = kms.encrypt(KeyId=key, Plaintext=b"mine")["CiphertextBlob"]
    expect_error("IncorrectKeyException", kms.decrypt, CiphertextBlob=blob, KeyId=other_key)
    expect_error("IncorrectKeyException", kms.decrypt, CiphertextBlob=blob, KeyId=key_id_of(other_key))


def test_encryption_context_is_bound_without_concatenation_ambiguity(kms: Any, key: str) -> None:
    blob = kms.encrypt(KeyId=key, Plaintext=b"ctx", EncryptionContext={"ab": "c"})["CiphertextBlob"]
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=blob, EncryptionContext={"a": "bc"})
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=blob, EncryptionContext={"abc": ""})
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"ab": "c"})["Plaintext"] == b"ctx"


def test_encryption_context_must_match_exactly_in_any_order(kms: Any, key: str) -> None:
    ctx = {"tenant": "acme", "purpose": "test", "Z": "last"}
    blob = kms.encrypt(KeyId=key, Plaintext=b"ordered", EncryptionContext=ctx)["CiphertextBlob"]
    reordered = dict(reversed(list(ctx.items())))
    assert list(reordered) != list(ctx)
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"] == b"ordered"
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=blob)  # missing
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=blob, EncryptionContext={**ctx, "extra": "1"})
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=blob, EncryptionContext={**ctx, "tenant": "ACME"})
    without_z = {k: v for k, v in ctx.items() if k != "Z"}
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=blob, EncryptionContext=without_z)


def test_context_given_on_decrypt_but_not_on_encrypt_fails(kms: Any, key: str) -> None:
    blob = kms.encrypt(KeyId=key, Plaintext=b"no ctx")["CiphertextBlob"]
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=blob, EncryptionContext={"a": "b"})


def test_plaintext_size_limits(kms_novalidate: Any, key: str) -> None:
    big = os.urandom(4096)
    blob = kms_novalidate.encrypt(KeyId=key, Plaintext=big)["CiphertextBlob"]
    assert len(blob) <= 6144
    assert kms_novalidate.decrypt(CiphertextBlob=blob)["Plaintext"] == big
    expect_error(VALIDATION, kms_novalidate.encrypt, KeyId=key, Plaintext=os.urandom(4097))
    expect_error(VALIDATION, kms_novalidate.encrypt, KeyId=key, Plaintext=b"")


def test_one_byte_plaintext(kms: Any, key: str) -> None:
    blob = kms.encrypt(KeyId=key, Plaintext=b"\x00")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"\x00"


def test_reencrypt_to_another_key_with_contexts(kms: Any, key: str, other_key: str) -> None:
    src_ctx, dst_ctx = {"stage": "source"}, {"stage": "destination"}
    blob = kms.encrypt(KeyId=key, Plaintext=b"moving", EncryptionContext=src_ctx)["CiphertextBlob"]
    resp = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext=src_ctx,
        DestinationKeyId=other_key,
        DestinationEncryptionContext=dst_ctx,
    )
    assert resp["SourceKeyId"] == key
    assert resp["KeyId"] == other_key
    new_blob = resp["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=new_blob, EncryptionContext=dst_ctx)
    assert dec["Plaintext"] == b"moving"
    assert dec["KeyId"] == other_key
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=new_blob, EncryptionContext=src_ctx)
    # the original is untouched
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=src_ctx)["Plaintext"] == b"moving"


def test_reencrypt_without_contexts(kms: Any, key: str, other_key: str) -> None:
    blob = kms.encrypt(KeyId=key, Plaintext=b"plain move")["CiphertextBlob"]
    resp = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id_of(other_key))
    assert resp["KeyId"] == other_key
    assert kms.decrypt(CiphertextBlob=resp["CiphertextBlob"])["Plaintext"] == b"plain move"


def test_reencrypt_checks_source_context_and_source_key(kms: Any, key: str, other_key: str) -> None:
    blob = kms.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"k": "v"})["CiphertextBlob"]
    expect_error(
        INVALID_CT,
        kms.re_encrypt,
        CiphertextBlob=blob,
        SourceEncryptionContext={"k": "other"},
        DestinationKeyId=other_key,
    )
    expect_error(
        "IncorrectKeyException",
        kms.re_encrypt,
        CiphertextBlob=blob,
        SourceEncryptionContext={"k": "v"},
        SourceKeyId=other_key,
        DestinationKeyId=other_key,
    )


@pytest.mark.parametrize(("spec", "size"), [("AES_256", 32), ("AES_128", 16)])
def test_generate_data_key_key_spec(kms: Any, key: str, spec: str, size: int) -> None:
    resp = kms.generate_data_key(KeyId=key, KeySpec=spec, EncryptionContext={"dk": spec})
    assert resp["KeyId"] == key
    assert len(resp["Plaintext"]) == size
    dec = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext={"dk": spec})
    assert dec["Plaintext"] == resp["Plaintext"]
    assert dec["KeyId"] == key
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=resp["CiphertextBlob"])


@pytest.mark.parametrize("n", [1, 64, 1024])
def test_generate_data_key_number_of_bytes(kms: Any, key: str, n: int) -> None:
    resp = kms.generate_data_key(KeyId=key, NumberOfBytes=n)
    assert len(resp["Plaintext"]) == n
    assert kms.decrypt(CiphertextBlob=resp["CiphertextBlob"])["Plaintext"] == resp["Plaintext"]


@pytest.mark.parametrize("n", [0, 1025])
def test_generate_data_key_number_of_bytes_out_of_range(kms_novalidate: Any, key: str, n: int) -> None:
    expect_error(VALIDATION, kms_novalidate.generate_data_key, KeyId=key, NumberOfBytes=n)


def test_generate_data_key_needs_exactly_one_of_spec_and_size(kms: Any, key: str) -> None:
    expect_error(VALIDATION, kms.generate_data_key, KeyId=key, KeySpec="AES_256", NumberOfBytes=32)
    expect_error(VALIDATION, kms.generate_data_key, KeyId=key)


def test_generate_data_keys_differ(kms: Any, key: str) -> None:
    a = kms.generate_data_key(KeyId=key, KeySpec="AES_256")["Plaintext"]
    b = kms.generate_data_key(KeyId=key, KeySpec="AES_256")["Plaintext"]
    assert a != b


def test_generate_data_key_without_plaintext(kms: Any, key: str) -> None:
    resp = kms.generate_data_key_without_plaintext(KeyId=key, KeySpec="AES_256")
    assert "Plaintext" not in resp
    assert resp["KeyId"] == key
    dec = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"])
    assert len(dec["Plaintext"]) == 32
    assert dec["KeyId"] == key


@pytest.mark.parametrize("n", [1, 32, 1024])
def test_generate_random(kms: Any, n: int) -> None:
    assert len(kms.generate_random(NumberOfBytes=n)["Plaintext"]) == n


def test_generate_random_is_random(kms: Any) -> None:
    assert kms.generate_random(NumberOfBytes=32)["Plaintext"] != kms.generate_random(NumberOfBytes=32)["Plaintext"]


@pytest.mark.parametrize("n", [0, 1025])
def test_generate_random_out_of_range(kms_novalidate: Any, n: int) -> None:
    expect_error(VALIDATION, kms_novalidate.generate_random, NumberOfBytes=n)


def _flip(blob: bytes, index: int) -> bytes:
    b = bytearray(blob)
    b[index] ^= 0x01
    return bytes(b)


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_tampered_ciphertext_is_invalid(kms: Any, key: str, where: str) -> None:
    blob = kms.encrypt(KeyId=key, Plaintext=b"integrity")["CiphertextBlob"]
    index = {"first": 0, "middle": len(blob) // 2, "last": len(blob) - 1}[where]
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=_flip(blob, index))


def test_truncated_and_garbage_ciphertexts_are_invalid(kms: Any, key: str) -> None:
    blob = kms.encrypt(KeyId=key, Plaintext=b"integrity")["CiphertextBlob"]
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=blob[: len(blob) // 2])
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=blob[:-1])
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=os.urandom(200))
    expect_error(INVALID_CT, kms.decrypt, CiphertextBlob=b"x")


def test_4096_byte_plaintext_ciphertext_fits_the_6144_byte_cap(kms: Any, key: str) -> None:
    blob = kms.encrypt(KeyId=key, Plaintext=b"\xab" * 4096, EncryptionContext={"a": "b" * 100})["CiphertextBlob"]
    assert len(blob) <= 6144
    assert len(blob) > 4096
