"""ASYMMETRIC_SIGN, ASYMMETRIC_DECRYPT, MAC and RAW_ENCRYPT_DECRYPT keys, getPublicKey and generateRandomBytes,
checked against pyca/cryptography on the caller's side."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from strongroom.protocols.gcp.crc32c import crc32c
from tests.protocols.gcp.gcp_helpers import PROJECT, b64, unb64


def _key(client, ring, key_id, purpose, algorithm):
    made = client.ok("POST", f"{ring}/cryptoKeys", {"purpose": purpose, "versionTemplate": {"algorithm": algorithm}},
                     cryptoKeyId=key_id)
    assert "primary" not in made and made["versionTemplate"]["algorithm"] == algorithm
    return f"{made['name']}/cryptoKeyVersions/1"


def _public(client, version):
    answer = client.ok("GET", f"{version}/publicKey")
    assert int(answer["pemCrc32c"]) == crc32c(answer["pem"].encode())
    return serialization.load_pem_public_key(answer["pem"].encode())


@pytest.mark.parametrize("algorithm, pad", [("RSA_SIGN_PSS_2048_SHA256", "pss"),
                                            ("RSA_SIGN_PKCS1_2048_SHA256", "pkcs1")])
def test_rsa_sign_a_digest(client, ring, algorithm, pad):
    version = _key(client, ring, "rsa-sign", "ASYMMETRIC_SIGN", algorithm)
    digest = hashlib.sha256(b"message").digest()
    answer = client.ok("POST", f"{version}:asymmetricSign", {"digest": {"sha256": b64(digest)},
                                                              "digestCrc32c": str(crc32c(digest))})
    assert answer["verifiedDigestCrc32c"] is True and answer["name"] == version
    signature = unb64(answer["signature"])
    assert int(answer["signatureCrc32c"]) == crc32c(signature)
    chosen = (padding.PSS(padding.MGF1(hashes.SHA256()), 32) if pad == "pss" else padding.PKCS1v15())
    _public(client, version).verify(signature, digest, chosen, utils.Prehashed(hashes.SHA256()))  # type: ignore[union-attr, call-arg]
    client.error(400, "INVALID_ARGUMENT", "POST", f"{version}:asymmetricSign", {"digest": {"sha384": b64(digest)}})
    client.error(400, "INVALID_ARGUMENT", "POST", f"{version}:asymmetricSign", {"digest": {"sha256": b64(b"short")}})


def test_ec_sign_digest_and_data(client, ring):
    version = _key(client, ring, "ec-sign", "ASYMMETRIC_SIGN", "EC_SIGN_P256_SHA256")
    public = _public(client, version)
    digest = hashlib.sha256(b"hello").digest()
    signature = unb64(client.ok("POST", f"{version}:asymmetricSign", {"digest": {"sha256": b64(digest)}})["signature"])
    public.verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))  # type: ignore[union-attr, call-arg]
    signed = client.ok("POST", f"{version}:asymmetricSign",
                       {"data": b64(b"hello"), "dataCrc32c": str(crc32c(b"hello"))})
    assert signed["verifiedDataCrc32c"] is True
    public.verify(unb64(signed["signature"]), b"hello", ec.ECDSA(hashes.SHA256()))  # type: ignore[union-attr, call-arg]


def test_ed25519_signs_data(client, ring):
    version = _key(client, ring, "ed", "ASYMMETRIC_SIGN", "EC_SIGN_ED25519")
    signature = unb64(client.ok("POST", f"{version}:asymmetricSign", {"data": b64(b"msg")})["signature"])
    _public(client, version).verify(signature, b"msg")  # type: ignore[union-attr, call-arg]
    client.error(400, "INVALID_ARGUMENT", "POST", f"{version}:asymmetricSign",
                 {"digest": {"sha256": b64(bytes(32))}})


def test_asymmetric_decrypt(client, ring):
    version = _key(client, ring, "rsa-dec", "ASYMMETRIC_DECRYPT", "RSA_DECRYPT_OAEP_2048_SHA256")
    public = _public(client, version)
    ciphertext = public.encrypt(b"wrapped", padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))  # type: ignore[union-attr]
    answer = client.ok("POST", f"{version}:asymmetricDecrypt", {"ciphertext": b64(ciphertext),
                                                                 "ciphertextCrc32c": str(crc32c(ciphertext))})
    assert unb64(answer["plaintext"]) == b"wrapped" and answer["verifiedCiphertextCrc32c"] is True
    client.error(400, "INVALID_ARGUMENT", "POST", f"{version}:asymmetricDecrypt", {"ciphertext": b64(bytes(256))})
    client.error(400, "FAILED_PRECONDITION", "POST", f"{version}:asymmetricSign", {"data": b64(b"x")})
    client.error(400, "FAILED_PRECONDITION", "POST", f"{ring}/cryptoKeys/rsa-dec:encrypt", {"plaintext": b64(b"x")})


def test_mac_sign_and_verify(client, ring):
    version = _key(client, ring, "mac", "MAC", "HMAC_SHA256")
    answer = client.ok("POST", f"{version}:macSign", {"data": b64(b"payload")})
    mac = unb64(answer["mac"])
    assert len(mac) == 32 and int(answer["macCrc32c"]) == crc32c(mac)
    verified = client.ok("POST", f"{version}:macVerify", {"data": b64(b"payload"), "mac": answer["mac"]})
    assert verified["success"] is True
    assert client.ok("POST", f"{version}:macVerify", {"data": b64(b"other"), "mac": answer["mac"]})["success"] is False
    client.error(400, "INVALID_ARGUMENT", "GET", f"{version}/publicKey")
    client.error(404, "NOT_FOUND", "POST", f"{ring}/cryptoKeys/mac:macSign", {"data": b64(b"x")})  # versions only


def test_raw_encrypt_decrypt(client, ring):
    version = _key(client, ring, "raw", "RAW_ENCRYPT_DECRYPT", "AES_256_GCM")
    sealed = client.ok("POST", f"{version}:rawEncrypt", {"plaintext": b64(b"raw data"),
                                                          "additionalAuthenticatedData": b64(b"aad")})
    assert sealed["tagLength"] == 16 and len(unb64(sealed["initializationVector"])) == 12
    opened = client.ok("POST", f"{version}:rawDecrypt", {"ciphertext": sealed["ciphertext"],
                                                          "initializationVector": sealed["initializationVector"],
                                                          "additionalAuthenticatedData": b64(b"aad"),
                                                          "tagLength": 16})
    assert unb64(opened["plaintext"]) == b"raw data"
    client.error(400, "INVALID_ARGUMENT", "POST", f"{version}:rawEncrypt", {"plaintext": b64(b"x"),
                                                                             "initializationVector": b64(bytes(12))})
    client.error(400, "INVALID_ARGUMENT", "POST", f"{version}:rawDecrypt", {"ciphertext": sealed["ciphertext"],
                                                                             "initializationVector": b64(bytes(12))})
    wrong_iv = {"ciphertext": sealed["ciphertext"], "initializationVector": b64(bytes(12)),
                "additionalAuthenticatedData": b64(b"aad")}
    client.error(400, "INVALID_ARGUMENT", "POST", f"{version}:rawDecrypt", wrong_iv)


def test_algorithm_must_fit_the_purpose(client, ring):
    client.error(400, "INVALID_ARGUMENT", "POST", f"{ring}/cryptoKeys", {"purpose": "ASYMMETRIC_SIGN"},
                 cryptoKeyId="no-alg")
    client.error(400, "INVALID_ARGUMENT", "POST", f"{ring}/cryptoKeys",
                 {"purpose": "MAC", "versionTemplate": {"algorithm": "EC_SIGN_P256_SHA256"}}, cryptoKeyId="bad")
    client.error(400, "INVALID_ARGUMENT", "POST", f"{ring}/cryptoKeys",
                 {"purpose": "ASYMMETRIC_DECRYPT", "versionTemplate": {"algorithm": "RSA_DECRYPT_OAEP_2048_SHA1"}},
                 cryptoKeyId="sha1")
    client.error(400, "INVALID_ARGUMENT", "POST", f"{ring}/cryptoKeys", {"purpose": "NOPE"}, cryptoKeyId="x")


def test_generate_random_bytes(client):
    answer = client.ok("POST", f"projects/{PROJECT}/locations/global:generateRandomBytes",
                       {"lengthBytes": 64, "protectionLevel": "HSM"})
    data = unb64(answer["data"])
    assert len(data) == 64 and int(answer["dataCrc32c"]) == crc32c(data)
    client.error(400, "INVALID_ARGUMENT", "POST", f"projects/{PROJECT}/locations/global:generateRandomBytes",
                 {"lengthBytes": 4})
