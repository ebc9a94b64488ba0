"""importJobs and cryptoKeyVersions:import: material wrapped as Google's RSA_OAEP_4096_SHA*_AES_256 methods wrap
it (RSA-OAEP of an ephemeral AES-256 key, then AES Key Wrap with Padding), checked by using it."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from tests.protocols.gcp.gcp_helpers import b64, unb64


def _wrap(pem: str, material: bytes, hash_algorithm: hashes.HashAlgorithm) -> bytes:
    public = serialization.load_pem_public_key(pem.encode())
    ephemeral = os.urandom(32)
    sealed = public.encrypt(ephemeral, padding.OAEP(padding.MGF1(hash_algorithm), hash_algorithm, None))  # type: ignore[union-attr]
    return sealed + aes_key_wrap_with_padding(ephemeral, material)


def _job(client, ring, job_id="job", method=4):
    client.numeric = True
    job = client.ok("POST", f"{ring}/importJobs", {"importMethod": method, "protectionLevel": 1}, importJobId=job_id)
    client.numeric = False
    assert job["state"] == 2 and job["importMethod"] == method and "BEGIN PUBLIC KEY" in job["publicKey"]["pem"]
    return job


def _import_only_key(client, ring, key_id, purpose, algorithm):
    made = client.ok("POST", f"{ring}/cryptoKeys", {"purpose": purpose, "importOnly": True,
                                                    "versionTemplate": {"algorithm": algorithm}},
                     cryptoKeyId=key_id, skipInitialVersionCreation=True)
    assert made["importOnly"] is True
    client.error(400, "FAILED_PRECONDITION", "POST", f"{made['name']}/cryptoKeyVersions", {})
    return made["name"]


def test_import_raw_aes_material_and_use_it(client, ring):
    job = _job(client, ring)
    assert client.ok("GET", job["name"])["name"] == job["name"]
    assert [j["name"] for j in client.ok("GET", f"{ring}/importJobs")["importJobs"]] == [job["name"]]
    key = _import_only_key(client, ring, "raw-imported", "RAW_ENCRYPT_DECRYPT", "AES_256_GCM")
    material = os.urandom(32)
    version = client.ok("POST", f"{key}/cryptoKeyVersions:import", {
        "algorithm": "AES_256_GCM", "importJob": job["name"],
        "wrappedKey": b64(_wrap(job["publicKey"]["pem"], material, hashes.SHA256()))})
    assert version["name"] == f"{key}/cryptoKeyVersions/1" and version["state"] == "ENABLED"
    sealed = client.ok("POST", f"{version['name']}:rawEncrypt", {"plaintext": b64(b"mine"),
                                                                  "additionalAuthenticatedData": b64(b"a")})
    ours = AESGCM(material).decrypt(unb64(sealed["initializationVector"]), unb64(sealed["ciphertext"]), b"a")
    assert ours == b"mine"


def test_import_symmetric_material_with_the_sha1_method(client, ring):
    job = _job(client, ring, "sha1-job", method=2)
    key = _import_only_key(client, ring, "imported", "ENCRYPT_DECRYPT", "GOOGLE_SYMMETRIC_ENCRYPTION")
    client.ok("POST", f"{key}/cryptoKeyVersions:import", {
        "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "importJob": job["name"],
        "rsaAesWrappedKey": b64(_wrap(job["publicKey"]["pem"], os.urandom(32), hashes.SHA1()))})
    assert client.ok("GET", key)["primary"]["name"].endswith("/1")
    sealed = client.ok("POST", f"{key}:encrypt", {"plaintext": b64(b"x")})
    assert unb64(client.ok("POST", f"{key}:decrypt", {"ciphertext": sealed["ciphertext"]})["plaintext"]) == b"x"


def test_import_refusals(client, ring, clock, account):
    job = _job(client, ring)
    key = _import_only_key(client, ring, "k", "ENCRYPT_DECRYPT", "GOOGLE_SYMMETRIC_ENCRYPTION")
    wrapped = b64(_wrap(job["publicKey"]["pem"], os.urandom(32), hashes.SHA256()))
    client.error(400, "INVALID_ARGUMENT", "POST", f"{key}/cryptoKeyVersions:import",
                 {"algorithm": "AES_256_GCM", "importJob": job["name"], "wrappedKey": wrapped})
    client.error(400, "INVALID_ARGUMENT", "POST", f"{key}/cryptoKeyVersions:import",
                 {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "importJob": job["name"], "wrappedKey": b64(b"x" * 600)})
    client.error(404, "NOT_FOUND", "POST", f"{key}/cryptoKeyVersions:import",
                 {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "importJob": f"{ring}/importJobs/none",
                  "wrappedKey": wrapped})
    client.error(409, "ALREADY_EXISTS", "POST", f"{ring}/importJobs", {"importMethod": 4, "protectionLevel": 1},
                 importJobId="job")
    client.error(400, "INVALID_ARGUMENT", "POST", f"{ring}/importJobs", {"importMethod": 5, "protectionLevel": 1},
                 importJobId="direct")
    clock.advance(3 * 86400 + 1)
    client.token = account.self_signed(clock.now())
    assert client.ok("GET", job["name"])["state"] == "EXPIRED"
    client.error(400, "FAILED_PRECONDITION", "POST", f"{key}/cryptoKeyVersions:import",
                 {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "importJob": job["name"], "wrappedKey": wrapped})
