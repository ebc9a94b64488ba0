"""Asymmetric keys through boto3 against a real server, checked with pyca/cryptography (and openssl) outside:
signatures verify with only GetPublicKey's output, RSA ciphertexts made outside decrypt inside, ECDH agrees on
both sides, ML-KEM encapsulated outside decapsulates inside, data key pairs match. Includes moto's known
faults as regressions: Verify with MessageType DIGEST must not hash again, and RSA Encrypt must be real RSA."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, utils
from kms_harness import expect_error

from tests.byok import import_into

PSS = {"SHA_256": hashes.SHA256, "SHA_384": hashes.SHA384, "SHA_512": hashes.SHA512}
MESSAGE = b"Strongroom signs this." * 20


def create(kms: Any, spec: str, usage: str) -> str:
    return kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]


def public_key(kms: Any, key: str) -> Any:
    return serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])


@pytest.fixture(scope="module")
def rsa_signing(server: Any) -> str:
    return create(server.client(), "RSA_2048", "SIGN_VERIFY")


@pytest.fixture(scope="module")
def rsa_encryption(server: Any) -> str:
    return create(server.client(), "RSA_2048", "ENCRYPT_DECRYPT")


@pytest.mark.parametrize("algorithm", [f"RSASSA_{p}_SHA_{n}" for p in ("PSS", "PKCS1_V1_5") for n in (256, 384, 512)])
def test_rsa_signatures_verify_outside(kms: Any, rsa_signing: str, algorithm: str) -> None:
    h = PSS[algorithm[-7:]]()
    pad = padding.PSS(padding.MGF1(h), padding.PSS.DIGEST_LENGTH) if "PSS" in algorithm else padding.PKCS1v15()
    resp = kms.sign(KeyId=rsa_signing, Message=MESSAGE, SigningAlgorithm=algorithm)
    assert resp["KeyId"] == rsa_signing and resp["SigningAlgorithm"] == algorithm
    public_key(kms, rsa_signing).verify(resp["Signature"], MESSAGE, pad, h)


@pytest.mark.parametrize(("spec", "algorithm", "curve", "digest"), [
    ("ECC_NIST_P256", "ECDSA_SHA_256", ec.SECP256R1, hashlib.sha256),
    ("ECC_NIST_P384", "ECDSA_SHA_384", ec.SECP384R1, hashlib.sha384),
    ("ECC_NIST_P521", "ECDSA_SHA_512", ec.SECP521R1, hashlib.sha512),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256", ec.SECP256K1, hashlib.sha256),
])
def test_ecdsa_raw_and_digest_verify_outside(kms: Any, spec: str, algorithm: str, curve: Any, digest: Any) -> None:
    key = create(kms, spec, "SIGN_VERIFY")
    meta = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert meta["SigningAlgorithms"] == [algorithm] and "EncryptionAlgorithms" not in meta
    pub = public_key(kms, key)
    assert isinstance(pub.curve, curve)
    h = PSS[algorithm[-7:]]()
    for message, message_type in ((MESSAGE, "RAW"), (digest(MESSAGE).digest(), "DIGEST")):
        signature = kms.sign(KeyId=key, Message=message, MessageType=message_type,
                             SigningAlgorithm=algorithm)["Signature"]
        pub.verify(signature, MESSAGE, ec.ECDSA(h))  # DIGEST and RAW sign the same message


def test_verify_digest_does_not_hash_again_moto_regression(kms: Any) -> None:
    """moto re-hashes a DIGEST in Verify (its PR #10202): a signature over the message must verify against its
    digest, and must not verify against the digest of the digest."""
    key = create(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    signature = kms.sign(KeyId=key, Message=MESSAGE, SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    digest = hashlib.sha256(MESSAGE).digest()
    assert kms.verify(KeyId=key, Message=digest, MessageType="DIGEST", Signature=signature,
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
    expect_error("KMSInvalidSignatureException", kms.verify, KeyId=key, Message=hashlib.sha256(digest).digest(),
                 MessageType="DIGEST", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")
    expect_error("ValidationException", kms.sign, KeyId=key, Message=digest[:31], MessageType="DIGEST",
                 SigningAlgorithm="ECDSA_SHA_256")


def test_bad_signatures_and_wrong_algorithms(kms: Any, rsa_signing: str) -> None:
    signature = kms.sign(KeyId=rsa_signing, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    expect_error("KMSInvalidSignatureException", kms.verify, KeyId=rsa_signing, Message=b"n", Signature=signature,
                 SigningAlgorithm="RSASSA_PSS_SHA_256")
    expect_error("KMSInvalidSignatureException", kms.verify, KeyId=rsa_signing, Message=b"m", Signature=signature,
                 SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")
    expect_error("InvalidKeyUsageException", kms.sign, KeyId=rsa_signing, Message=b"m",
                 SigningAlgorithm="ECDSA_SHA_256")
    expect_error("InvalidKeyUsageException", kms.encrypt, KeyId=rsa_signing, Plaintext=b"m",
                 EncryptionAlgorithm="RSAES_OAEP_SHA_256")


def test_ed25519_and_ml_dsa_verify_outside(kms: Any) -> None:
    key = create(kms, "ECC_NIST_EDWARDS25519", "SIGN_VERIFY")
    signature = kms.sign(KeyId=key, Message=MESSAGE, SigningAlgorithm="ED25519_SHA_512")["Signature"]
    pub = public_key(kms, key)
    assert isinstance(pub, ed25519.Ed25519PublicKey)
    pub.verify(signature, MESSAGE)
    expect_error("ValidationException", kms.sign, KeyId=key, Message=hashlib.sha512(MESSAGE).digest(),
                 MessageType="DIGEST", SigningAlgorithm="ED25519_SHA_512")
    err = expect_error("UnsupportedOperationException", kms.sign, KeyId=key, Message=hashlib.sha512(b"m").digest(),
                       MessageType="DIGEST", SigningAlgorithm="ED25519_PH_SHA_512")
    assert "Ed25519ph" in str(err)
    for spec in ("ML_DSA_44", "ML_DSA_65", "ML_DSA_87"):
        key = create(kms, spec, "SIGN_VERIFY")
        pub = public_key(kms, key)
        signature = kms.sign(KeyId=key, Message=MESSAGE, SigningAlgorithm="ML_DSA_SHAKE_256")["Signature"]
        pub.verify(signature, MESSAGE)
        tr = hashlib.shake_256(pub.public_bytes_raw()).digest(64)
        mu = hashlib.shake_256(tr + b"\x00\x00" + MESSAGE).digest(64)  # FIPS 204 external mu, empty context
        assert kms.verify(KeyId=key, Message=mu, MessageType="EXTERNAL_MU", Signature=signature,
                          SigningAlgorithm="ML_DSA_SHAKE_256")["SignatureValid"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command line")
def test_openssl_verifies_server_signatures(kms: Any, rsa_signing: str, tmp_path: Path) -> None:
    for key, algorithm, options in ((rsa_signing, "RSASSA_PKCS1_V1_5_SHA_256", []),
                                    (rsa_signing, "RSASSA_PSS_SHA_256",
                                     ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]),
                                    (create(kms, "ECC_NIST_P256", "SIGN_VERIFY"), "ECDSA_SHA_256", [])):
        (tmp_path / "pub.der").write_bytes(kms.get_public_key(KeyId=key)["PublicKey"])
        (tmp_path / "msg").write_bytes(MESSAGE)
        (tmp_path / "sig").write_bytes(kms.sign(KeyId=key, Message=MESSAGE, SigningAlgorithm=algorithm)["Signature"])
        done = subprocess.run(["openssl", "dgst", "-sha256", "-keyform", "DER", "-verify", str(tmp_path / "pub.der"),
                               *options, "-signature", str(tmp_path / "sig"), str(tmp_path / "msg")],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0 and "Verified OK" in done.stdout, (algorithm, done.stdout, done.stderr)


def test_signatures_made_outside_verify_inside(kms: Any) -> None:
    """An ECC key pair made outside and imported: what the outside signs, the server verifies."""
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    import_into(kms, key, der, "RSA_AES_KEY_WRAP_SHA_256")
    outside = private.sign(MESSAGE, ec.ECDSA(hashes.SHA256()))
    assert kms.verify(KeyId=key, Message=MESSAGE, Signature=outside, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
    digest = hashlib.sha256(MESSAGE).digest()
    prehashed = private.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    assert kms.verify(KeyId=key, Message=digest, MessageType="DIGEST", Signature=prehashed,
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]


def test_rsa_encrypt_is_real_rsa_moto_regression(kms: Any, rsa_encryption: str) -> None:
    """moto encrypts with AES under an RSA key; here the ciphertext is RSAES-OAEP of the modulus size, and what
    the public key encrypts outside decrypts inside."""
    meta = kms.describe_key(KeyId=rsa_encryption)["KeyMetadata"]
    assert meta["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    enc = kms.encrypt(KeyId=rsa_encryption, Plaintext=b"p" * 190, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert len(enc["CiphertextBlob"]) == 256 and enc["EncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    dec = kms.decrypt(KeyId=rsa_encryption, CiphertextBlob=enc["CiphertextBlob"],
                      EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert dec["Plaintext"] == b"p" * 190 and "KeyMaterialId" not in dec
    pub = public_key(kms, rsa_encryption)
    for algorithm, h in (("RSAES_OAEP_SHA_1", hashes.SHA1), ("RSAES_OAEP_SHA_256", hashes.SHA256)):
        outside = pub.encrypt(b"from outside", padding.OAEP(padding.MGF1(h()), h(), None))
        assert kms.decrypt(KeyId=rsa_encryption, CiphertextBlob=outside,
                           EncryptionAlgorithm=algorithm)["Plaintext"] == b"from outside"
    expect_error("InvalidCiphertextException", kms.decrypt, KeyId=rsa_encryption, CiphertextBlob=outside,
                 EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    expect_error("ValidationException", kms.encrypt, KeyId=rsa_encryption, Plaintext=b"p" * 191,
                 EncryptionAlgorithm="RSAES_OAEP_SHA_256")


def test_asymmetric_encryption_refuses_context_and_the_default_algorithm(kms: Any, rsa_encryption: str) -> None:
    err = expect_error("InvalidKeyUsageException", kms.encrypt, KeyId=rsa_encryption, Plaintext=b"p")
    assert "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048" in str(err)
    expect_error("ValidationException", kms.encrypt, KeyId=rsa_encryption, Plaintext=b"p",
                 EncryptionAlgorithm="RSAES_OAEP_SHA_256", EncryptionContext={"k": "v"})
    expect_error("InvalidKeyUsageException", kms.generate_data_key, KeyId=rsa_encryption, KeySpec="AES_256")
    symmetric = kms.create_key()["KeyMetadata"]["Arn"]
    expect_error("InvalidKeyUsageException", kms.encrypt, KeyId=symmetric, Plaintext=b"p",
                 EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    expect_error("UnsupportedOperationException", kms.get_public_key, KeyId=symmetric)
    moved = kms.re_encrypt(CiphertextBlob=kms.encrypt(KeyId=symmetric, Plaintext=b"move")["CiphertextBlob"],
                           DestinationKeyId=rsa_encryption, DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert moved["DestinationEncryptionAlgorithm"] == "RSAES_OAEP_SHA_1" and "DestinationKeyMaterialId" not in moved
    assert kms.decrypt(KeyId=rsa_encryption, CiphertextBlob=moved["CiphertextBlob"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"move"


def test_ecdh_agrees_on_both_sides(kms: Any) -> None:
    alice = create(kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    bob = ec.generate_private_key(ec.SECP256R1())
    bob_der = bob.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    resp = kms.derive_shared_secret(KeyId=alice, KeyAgreementAlgorithm="ECDH", PublicKey=bob_der)
    assert resp["KeyAgreementAlgorithm"] == "ECDH" and resp["KeyOrigin"] == "AWS_KMS"
    assert resp["SharedSecret"] == bob.exchange(ec.ECDH(), public_key(kms, alice))
    carol = create(kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    carol_der = kms.get_public_key(KeyId=carol)["PublicKey"]
    alice_der = kms.get_public_key(KeyId=alice)["PublicKey"]
    assert kms.get_public_key(KeyId=carol)["KeyAgreementAlgorithms"] == ["ECDH"]
    assert (kms.derive_shared_secret(KeyId=alice, KeyAgreementAlgorithm="ECDH", PublicKey=carol_der)["SharedSecret"]
            == kms.derive_shared_secret(KeyId=carol, KeyAgreementAlgorithm="ECDH", PublicKey=alice_der)["SharedSecret"])
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    expect_error("ValidationException", kms.derive_shared_secret, KeyId=alice, KeyAgreementAlgorithm="ECDH",
                 PublicKey=p384)


@pytest.mark.parametrize(("spec", "size"), [("ML_KEM_768", 1088), ("ML_KEM_1024", 1568)])
def test_ml_kem_encapsulated_outside_decapsulates_inside(kms: Any, spec: str, size: int) -> None:
    key = create(kms, spec, "ENCAPSULATE_DECAPSULATE")
    described = kms.get_public_key(KeyId=key)
    assert described["EncapsulationAlgorithms"] == ["ML_KEM"] and described["KeySpec"] == spec
    secret, ciphertext = serialization.load_der_public_key(described["PublicKey"]).encapsulate()
    assert kms.decapsulate(KeyId=key, SharedSecretCiphertextBlob=ciphertext,
                           EncapsulationAlgorithm="ML_KEM")["SharedSecret"] == secret
    made = kms.encapsulate(KeyId=key, EncapsulationAlgorithm="ML_KEM")
    assert len(made["SharedSecretCiphertextBlob"]) == size and len(made["SharedSecret"]) == 32
    assert kms.decapsulate(KeyId=key, SharedSecretCiphertextBlob=made["SharedSecretCiphertextBlob"],
                           EncapsulationAlgorithm="ML_KEM")["SharedSecret"] == made["SharedSecret"]
    expect_error("InvalidCiphertextException", kms.decapsulate, KeyId=key, SharedSecretCiphertextBlob=b"x" * 100,
                 EncapsulationAlgorithm="ML_KEM")


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
                                  "ECC_NIST_EDWARDS25519", "ML_KEM_768", "ML_KEM_1024"])
def test_data_key_pairs_match_and_decrypt(kms: Any, spec: str) -> None:
    key = kms.create_key()["KeyMetadata"]["Arn"]
    pair = kms.generate_data_key_pair(KeyId=key, KeyPairSpec=spec, EncryptionContext={"pair": spec})
    assert pair["KeyPairSpec"] == spec and pair["KeyId"] == key and pair["KeyMaterialId"]
    private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], None)
    assert private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) == pair["PublicKey"]
    assert kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"],
                       EncryptionContext={"pair": spec})["Plaintext"] == pair["PrivateKeyPlaintext"]
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=key, KeyPairSpec=spec)
    assert "PrivateKeyPlaintext" not in bare
    serialization.load_der_private_key(kms.decrypt(CiphertextBlob=bare["PrivateKeyCiphertextBlob"])["Plaintext"],
                                       None)


def test_unsupported_specs_say_why(kms: Any) -> None:
    key = kms.create_key()["KeyMetadata"]["Arn"]
    for spec in ("SM2", "ML_KEM_512"):
        err = expect_error("UnsupportedOperationException", kms.generate_data_key_pair, KeyId=key, KeyPairSpec=spec)
        assert spec in str(err)
    err = expect_error("UnsupportedOperationException", kms.create_key, KeySpec="SM2", KeyUsage="SIGN_VERIFY")
    assert "China Regions" in str(err)
    expect_error("ValidationException", kms.create_key, KeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT")
    expect_error("ValidationException", kms.create_key, KeySpec="ECC_SECG_P256K1", KeyUsage="KEY_AGREEMENT")
