"""Every key type through the core, in process: creation per spec, the operations each usage allows, AWS's
errors for the wrong usage, algorithm, state or encryption context, and authorization facts."""

import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from strongroom.domain.keys import KeyState
from strongroom.errors import (
    AccessDeniedError,
    DisabledError,
    InvalidCiphertextError,
    InvalidMacError,
    InvalidRequestError,
    InvalidSignatureError,
    KeyStateError,
    KeyUsageError,
    UnsupportedError,
    WouldSucceed,
)
from strongroom.protocols.aws.key_ids import key_ref
from tests.conftest import open_core

SIGNING = [("RSA_2048", "RSASSA_PSS_SHA_384"), ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512"),
           ("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"), ("ECC_NIST_P521", "ECDSA_SHA_512"),
           ("ECC_SECG_P256K1", "ECDSA_SHA_256"), ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"),
           ("ML_DSA_44", "ML_DSA_SHAKE_256"), ("ML_DSA_65", "ML_DSA_SHAKE_256"), ("ML_DSA_87", "ML_DSA_SHAKE_256")]


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING)
def test_sign_and_verify_every_signing_spec(core, ctx, spec, algorithm):
    key = core.keys.create_key(ctx, key_spec=spec, key_usage="SIGN_VERIFY")
    assert key.current_version == 1 and core.keys.current_material(key) is not None
    _, signature = core.asymmetric.sign(ctx, key_ref(key.arn), b"message", algorithm)
    assert core.asymmetric.verify(ctx, key.key_id, b"message", signature, algorithm).key_id == key.key_id
    with pytest.raises(InvalidSignatureError):
        core.asymmetric.verify(ctx, key.key_id, b"massage", signature, algorithm)
    with pytest.raises(KeyUsageError, match=f"is incompatible with key spec {spec}"):
        core.asymmetric.sign(ctx, key.key_id, b"m", "RSASSA_PSS_SHA_256" if spec != "RSA_2048" else "ECDSA_SHA_256")
    found = core.asymmetric.get_public_key(ctx, key.key_id)
    assert algorithm in found.algorithms.signing
    serialization.load_der_public_key(found.der)


def test_digest_signatures_are_signatures_over_the_message(core, ctx):
    key = core.keys.create_key(ctx, key_spec="ECC_NIST_P384", key_usage="SIGN_VERIFY")
    digest = hashlib.sha384(b"big document").digest()
    _, signature = core.asymmetric.sign(ctx, key.key_id, digest, "ECDSA_SHA_384", "DIGEST")
    core.asymmetric.verify(ctx, key.key_id, b"big document", signature, "ECDSA_SHA_384", "RAW")
    public = serialization.load_der_public_key(core.asymmetric.get_public_key(ctx, key.key_id).der)
    public.verify(signature, b"big document", ec.ECDSA(hashes.SHA384()))
    with pytest.raises(InvalidRequestError, match="Digest is invalid length"):
        core.asymmetric.sign(ctx, key.key_id, digest[:32], "ECDSA_SHA_384", "DIGEST")


def test_rsa_encryption_takes_an_algorithm_and_no_context(core, ctx):
    key = core.keys.create_key(ctx, key_spec="RSA_2048", key_usage="ENCRYPT_DECRYPT")
    with pytest.raises(KeyUsageError, match="^Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.$"):
        core.crypto.encrypt(ctx, key.key_id, b"x")
    with pytest.raises(InvalidRequestError, match="EncryptionContext is not supported"):
        core.crypto.encrypt(ctx, key.key_id, b"x", {"a": "b"}, algorithm="RSAES_OAEP_SHA_256")
    with pytest.raises(InvalidRequestError, match="at most 190 bytes"):
        core.crypto.encrypt(ctx, key.key_id, b"x" * 191, algorithm="RSAES_OAEP_SHA_256")
    sealed = core.crypto.encrypt(ctx, key.key_id, b"x" * 214, algorithm="RSAES_OAEP_SHA_1")
    assert len(sealed.ciphertext) == 256 and sealed.material_id is None
    opened = core.crypto.decrypt(ctx, sealed.ciphertext, key_ref=key_ref(key.arn), algorithm="RSAES_OAEP_SHA_1")
    assert opened.plaintext == b"x" * 214 and opened.algorithm == "RSAES_OAEP_SHA_1"
    with pytest.raises(InvalidCiphertextError):
        core.crypto.decrypt(ctx, sealed.ciphertext, key_ref=key_ref(key.arn), algorithm="RSAES_OAEP_SHA_256")
    with pytest.raises(InvalidCiphertextError):  # without a KeyId, an RSA ciphertext names no key
        core.crypto.decrypt(ctx, sealed.ciphertext, algorithm="RSAES_OAEP_SHA_1")
    public = serialization.load_der_public_key(core.asymmetric.get_public_key(ctx, key.key_id).der)
    outside = public.encrypt(b"made outside", padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    assert core.crypto.decrypt(ctx, outside, key_ref=key.key_id, algorithm="RSAES_OAEP_SHA_256").plaintext == \
        b"made outside"
    symmetric = core.keys.create_key(ctx)
    moved = core.crypto.re_encrypt(ctx, outside, symmetric.key_id, source_key_ref=key.key_id,
                                   source_algorithm="RSAES_OAEP_SHA_256")
    assert core.crypto.decrypt(ctx, moved.destination.ciphertext).plaintext == b"made outside"
    with pytest.raises(KeyUsageError):
        core.crypto.generate_data_key(ctx, key.key_id, key_spec="AES_256")
    with pytest.raises(KeyUsageError, match="incompatible with key spec SYMMETRIC_DEFAULT"):
        core.crypto.encrypt(ctx, symmetric.key_id, b"x", algorithm="RSAES_OAEP_SHA_256")


def test_wrong_usage_is_invalid_key_usage(core, ctx):
    signing = core.keys.create_key(ctx, key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY")
    symmetric = core.keys.create_key(ctx)
    with pytest.raises(KeyUsageError):
        core.crypto.encrypt(ctx, signing.key_id, b"x")
    with pytest.raises(KeyUsageError):
        core.asymmetric.sign(ctx, symmetric.key_id, b"x", "ECDSA_SHA_256")
    with pytest.raises(KeyUsageError):
        core.mac.generate_mac(ctx, signing.key_id, b"x", "HMAC_SHA_256")
    with pytest.raises(KeyUsageError):
        core.asymmetric.derive_shared_secret(ctx, signing.key_id, "ECDH", b"k")
    with pytest.raises(UnsupportedError, match="GetPublicKey works only on asymmetric keys"):
        core.asymmetric.get_public_key(ctx, symmetric.key_id)


def test_hmac_keys(core, ctx):
    key = core.keys.create_key(ctx, key_spec="HMAC_512", key_usage="GENERATE_VERIFY_MAC")
    _, mac = core.mac.generate_mac(ctx, key.key_id, b"token", "HMAC_SHA_512")
    assert len(mac) == 64
    core.mac.verify_mac(ctx, key.key_id, b"token", mac, "HMAC_SHA_512")
    with pytest.raises(InvalidMacError):
        core.mac.verify_mac(ctx, key.key_id, b"token", mac[:-1] + bytes([mac[-1] ^ 1]), "HMAC_SHA_512")
    with pytest.raises(KeyUsageError, match="Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_512"):
        core.mac.generate_mac(ctx, key.key_id, b"token", "HMAC_SHA_256")
    with pytest.raises(WouldSucceed):
        core.mac.generate_mac(ctx, key.key_id, b"token", "HMAC_SHA_512", check_only=True)
    core.keys.disable_key(ctx, key.key_id)
    with pytest.raises(DisabledError):
        core.mac.verify_mac(ctx, key.key_id, b"token", mac, "HMAC_SHA_512")


def test_key_agreement_and_encapsulation(core, ctx):
    key = core.keys.create_key(ctx, key_spec="ECC_NIST_P521", key_usage="KEY_AGREEMENT")
    peer = ec.generate_private_key(ec.SECP521R1())
    peer_der = peer.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    secret = core.asymmetric.derive_shared_secret(ctx, key.key_id, "ECDH", peer_der).shared_secret
    mine = serialization.load_der_public_key(core.asymmetric.get_public_key(ctx, key.key_id).der)
    assert secret == peer.exchange(ec.ECDH(), mine)
    kem = core.keys.create_key(ctx, key_spec="ML_KEM_1024", key_usage="ENCAPSULATE_DECAPSULATE")
    made = core.asymmetric.encapsulate(ctx, kem.key_id, "ML_KEM")
    assert len(made.ciphertext) == 1568
    assert core.asymmetric.decapsulate(ctx, kem.key_id, made.ciphertext, "ML_KEM").shared_secret == \
        made.shared_secret
    with pytest.raises(InvalidCiphertextError):
        core.asymmetric.decapsulate(ctx, kem.key_id, made.ciphertext[:1088], "ML_KEM")


def test_data_key_pairs(core, ctx):
    key = core.keys.create_key(ctx)
    pair = core.crypto.generate_data_key_pair(ctx, key.key_id, "ECC_SECG_P256K1", context={"purpose": "wallet"})
    private = serialization.load_der_private_key(pair.private_key, None)
    assert private.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) == pair.public_key
    assert core.crypto.decrypt(ctx, pair.sealed.ciphertext, {"purpose": "wallet"}).plaintext == pair.private_key
    bare = core.crypto.generate_data_key_pair(ctx, key.key_id, "ML_KEM_768", with_plaintext=False)
    assert bare.private_key is None and len(core.crypto.decrypt(ctx, bare.sealed.ciphertext).plaintext) == 86
    for unsupported in ("SM2", "ML_KEM_512"):
        with pytest.raises(UnsupportedError):
            core.crypto.generate_data_key_pair(ctx, key.key_id, unsupported)
    signing = core.keys.create_key(ctx, key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY")
    with pytest.raises(KeyUsageError):
        core.crypto.generate_data_key_pair(ctx, signing.key_id, "ECC_NIST_P256")


def test_states_apply_to_every_operation(core, ctx):
    key = core.keys.create_key(ctx, key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY")
    core.keys.disable_key(ctx, key.key_id)
    for call in (lambda: core.asymmetric.sign(ctx, key.key_id, b"m", "ECDSA_SHA_256"),
                 lambda: core.asymmetric.get_public_key(ctx, key.key_id)):
        with pytest.raises(DisabledError):
            call()
    core.keys.schedule_key_deletion(ctx, key.key_id, 7)
    assert core.keys.describe_key(ctx, key.key_id).state is KeyState.PENDING_DELETION
    with pytest.raises(KeyStateError):
        core.asymmetric.sign(ctx, key.key_id, b"m", "ECDSA_SHA_256")


def test_policy_conditions_see_the_algorithm_facts(core, ctx):
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ctx.caller.account_id}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Sign", "Resource": "*",
         "Condition": {"StringEquals": {"kms:SigningAlgorithm": "RSASSA_PKCS1_V1_5_SHA_256"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Sign", "Resource": "*",
         "Condition": {"StringEquals": {"kms:MessageType": "DIGEST"}}},
    ]})
    key = core.keys.create_key(ctx, key_spec="RSA_2048", key_usage="SIGN_VERIFY", policy=policy)
    core.asymmetric.sign(ctx, key.key_id, b"m", "RSASSA_PSS_SHA_256")
    with pytest.raises(AccessDeniedError, match="kms:Sign"):
        core.asymmetric.sign(ctx, key.key_id, b"m", "RSASSA_PKCS1_V1_5_SHA_256")
    with pytest.raises(AccessDeniedError):
        core.asymmetric.sign(ctx, key.key_id, hashlib.sha256(b"m").digest(), "RSASSA_PSS_SHA_256", "DIGEST")


def test_material_survives_a_restart(data_dir, ctx):
    first = open_core(data_dir)
    key = first.keys.create_key(ctx, key_spec="ECC_NIST_EDWARDS25519", key_usage="SIGN_VERIFY")
    _, signature = first.asymmetric.sign(ctx, key.key_id, b"m", "ED25519_SHA_512")
    first.close()
    second = open_core(data_dir)
    second.asymmetric.verify(ctx, key.key_id, b"m", signature, "ED25519_SHA_512")
    second.close()
