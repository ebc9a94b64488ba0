"""google-cloud-kms (REST transport) with google-auth service-account credentials from a key file made by
``strongroom gcp service-accounts create``, against the server's TLS port (dev CA via REQUESTS_CA_BUNDLE).

Both ways google-auth authenticates: the self-signed JWT sent directly as the bearer (its default against a
non-Google endpoint), and ``always_use_jwt_access=False``, which first fetches a token from our ``/token``.
The CRC32C fields are checked on the client side, as Google's samples do. gRPC is not served.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
import requests
from google.api_core import exceptions as gexc
from google.auth import jwt as google_jwt
from google.cloud import kms
from google.cloud.kms_v1.services.key_management_service.transports import KeyManagementServiceRestTransport
from google.oauth2 import service_account
from kms_harness import ServerInfo, clean_env

PROJECT = "cloud-kms-conformance"
SCOPES = ["https://www.googleapis.com/auth/cloudkms"]


def crc32c(data: bytes) -> int:
    """CRC32C bit by bit, independent of the server's (what ``google_crc32c.value`` computes)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def create_service_account(server: ServerInfo, project: str, name: str, key_file: Path,
                           account: str | None = None) -> dict[str, Any]:
    """``strongroom gcp service-accounts create`` on the running server's data dir; the key file's contents."""
    cmd = [sys.executable, "-m", "strongroom", "gcp", "service-accounts", "create", "--account",
           account or server.account_id, "--project", project, "--name", name, "--key-file", str(key_file),
           "--token-uri", f"https://127.0.0.1:{server.tls_port}/token", "--data-dir", str(server.data_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(key_file.read_text()))


@pytest.fixture(scope="module")
def key_file(server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gcp") / "sa.json"
    info = create_service_account(server, PROJECT, "kms-client", path)
    assert info["token_uri"].endswith("/token") and info["client_email"].startswith("kms-client@")
    return path


@pytest.fixture(autouse=True)
def ca_bundle(server: ServerInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))


def _credentials(key_file: Path) -> service_account.Credentials:
    return service_account.Credentials.from_service_account_file(str(key_file), scopes=SCOPES)


@pytest.fixture
def client(server: ServerInfo, key_file: Path) -> Iterator[kms.KeyManagementServiceClient]:
    made = kms.KeyManagementServiceClient(credentials=_credentials(key_file), transport="rest",
                                          client_options={"api_endpoint": f"127.0.0.1:{server.tls_port}"})
    yield made


@pytest.fixture
def token_client(server: ServerInfo, key_file: Path) -> kms.KeyManagementServiceClient:
    credentials = _credentials(key_file)
    transport = KeyManagementServiceRestTransport(host=f"127.0.0.1:{server.tls_port}", credentials=credentials,
                                                  always_use_jwt_access=False)
    return kms.KeyManagementServiceClient(transport=transport)


def _ring(client: kms.KeyManagementServiceClient, ring_id: str) -> str:
    parent = client.common_location_path(PROJECT, "global")
    try:
        return client.create_key_ring(request={"parent": parent, "key_ring_id": ring_id, "key_ring": {}}).name
    except gexc.AlreadyExists:
        return client.key_ring_path(PROJECT, "global", ring_id)


def _round_trip(client: kms.KeyManagementServiceClient, key_name: str) -> None:
    plaintext, aad = b"a secret for google-cloud-kms", b"aad"
    sealed = client.encrypt(request={"name": key_name, "plaintext": plaintext, "additional_authenticated_data": aad,
                                     "plaintext_crc32c": crc32c(plaintext),
                                     "additional_authenticated_data_crc32c": crc32c(aad)})
    assert sealed.verified_plaintext_crc32c and sealed.verified_additional_authenticated_data_crc32c
    assert sealed.ciphertext_crc32c == crc32c(sealed.ciphertext)
    assert sealed.name == f"{key_name}/cryptoKeyVersions/1"
    opened = client.decrypt(request={"name": key_name, "ciphertext": sealed.ciphertext,
                                     "additional_authenticated_data": aad,
                                     "ciphertext_crc32c": crc32c(sealed.ciphertext)})
    assert opened.plaintext == plaintext
    assert opened.plaintext_crc32c == crc32c(opened.plaintext)
    assert opened.used_primary


def test_self_signed_jwt_round_trip(client: kms.KeyManagementServiceClient) -> None:
    ring = _ring(client, "sdk-ring")
    key = client.create_crypto_key(request={
        "parent": ring, "crypto_key_id": "sdk-key",
        "crypto_key": {"purpose": kms.CryptoKey.CryptoKeyPurpose.ENCRYPT_DECRYPT,
                       "version_template": {"algorithm": kms.CryptoKeyVersion.CryptoKeyVersionAlgorithm.
                                            GOOGLE_SYMMETRIC_ENCRYPTION}}})
    assert key.primary.state == kms.CryptoKeyVersion.CryptoKeyVersionState.ENABLED
    assert client.get_key_ring(request={"name": ring}).name == ring
    assert key.name in [k.name for k in client.list_crypto_keys(request={"parent": ring})]
    _round_trip(client, key.name)


def test_token_endpoint_round_trip(token_client: kms.KeyManagementServiceClient) -> None:
    ring = _ring(token_client, "token-ring")
    key = token_client.create_crypto_key(request={"parent": ring, "crypto_key_id": "token-key",
                                                  "crypto_key": {"purpose": "ENCRYPT_DECRYPT"}})
    _round_trip(token_client, key.name)
    token = token_client._transport._credentials.token  # noqa: SLF001
    assert pyjwt.get_unverified_header(token)["alg"] == "HS256"  # ours, from /token (not the RS256 assertion)


def test_versions_primary_and_states(client: kms.KeyManagementServiceClient) -> None:
    ring = _ring(client, "versions-ring")
    key = client.create_crypto_key(request={"parent": ring, "crypto_key_id": "rotating",
                                            "crypto_key": {"purpose": "ENCRYPT_DECRYPT"}})
    second = client.create_crypto_key_version(request={"parent": key.name, "crypto_key_version": {}})
    assert second.name.endswith("/cryptoKeyVersions/2")
    old = client.encrypt(request={"name": key.name, "plaintext": b"old"})
    updated = client.update_crypto_key_primary_version(request={"name": key.name, "crypto_key_version_id": "2"})
    assert updated.primary.name == second.name
    assert client.encrypt(request={"name": key.name, "plaintext": b"new"}).name == second.name
    first = f"{key.name}/cryptoKeyVersions/1"
    disabled = client.update_crypto_key_version(request={
        "crypto_key_version": {"name": first, "state": kms.CryptoKeyVersion.CryptoKeyVersionState.DISABLED},
        "update_mask": {"paths": ["state"]}})
    assert disabled.state == kms.CryptoKeyVersion.CryptoKeyVersionState.DISABLED
    with pytest.raises(gexc.BadRequest, match="is not enabled, current state is: DISABLED"):
        client.decrypt(request={"name": key.name, "ciphertext": old.ciphertext})
    scheduled = client.destroy_crypto_key_version(request={"name": first})
    assert scheduled.state == kms.CryptoKeyVersion.CryptoKeyVersionState.DESTROY_SCHEDULED
    restored = client.restore_crypto_key_version(request={"name": first})
    assert restored.state == kms.CryptoKeyVersion.CryptoKeyVersionState.DISABLED
    states = {v.name: v.state for v in client.list_crypto_key_versions(request={"parent": key.name})}
    assert states == {first: kms.CryptoKeyVersion.CryptoKeyVersionState.DISABLED,
                      second.name: kms.CryptoKeyVersion.CryptoKeyVersionState.ENABLED}


def test_errors_come_back_as_google_exceptions(client: kms.KeyManagementServiceClient) -> None:
    ring = _ring(client, "errors-ring")
    with pytest.raises(gexc.NotFound):
        client.get_crypto_key(request={"name": f"{ring}/cryptoKeys/missing"})
    with pytest.raises(gexc.Conflict, match="already exists"):
        client.create_key_ring(request={"parent": client.common_location_path(PROJECT, "global"),
                                        "key_ring_id": "errors-ring", "key_ring": {}})
    with pytest.raises(gexc.Forbidden, match="Permission denied"):
        client.get_key_ring(request={"name": client.key_ring_path("someone-elses", "global", "errors-ring")})
    with pytest.raises(gexc.BadRequest, match="plaintextCrc32c"):
        client.encrypt(request={"name": client.crypto_key_path(PROJECT, "global", "errors-ring", "x"),
                                "plaintext": b"x", "plaintext_crc32c": 1})


def test_generate_random_bytes(client: kms.KeyManagementServiceClient) -> None:
    answer = client.generate_random_bytes(request={"location": client.common_location_path(PROJECT, "global"),
                                                   "length_bytes": 32,
                                                   "protection_level": kms.ProtectionLevel.HSM})
    assert len(answer.data) == 32 and answer.data_crc32c == crc32c(answer.data)


def test_expired_self_signed_jwt_is_refused(server: ServerInfo, key_file: Path) -> None:
    """A JWT signed by the key file's key but expired an hour ago: 401 UNAUTHENTICATED in Google's shape."""
    credentials = _credentials(key_file)
    email = credentials.service_account_email
    now = int(time.time())
    stale = google_jwt.encode(credentials.signer, {"iss": email, "sub": email, "iat": now - 7200, "exp": now - 3600,
                                                   "scope": SCOPES[0]})
    answer = requests.get(f"https://127.0.0.1:{server.tls_port}/v1/projects/{PROJECT}/locations/global/keyRings",
                          headers={"Authorization": f"Bearer {stale.decode()}"}, verify=str(server.ca_file),
                          timeout=10)
    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_asymmetric_sign_public_key_and_mac(client: kms.KeyManagementServiceClient) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    ring = _ring(client, "asym-ring")
    algorithms = kms.CryptoKeyVersion.CryptoKeyVersionAlgorithm
    signer = client.create_crypto_key(request={"parent": ring, "crypto_key_id": "signer", "crypto_key": {
        "purpose": kms.CryptoKey.CryptoKeyPurpose.ASYMMETRIC_SIGN,
        "version_template": {"algorithm": algorithms.EC_SIGN_P256_SHA256}}})
    version = f"{signer.name}/cryptoKeyVersions/1"
    public = client.get_public_key(request={"name": version})
    assert public.pem_crc32c == crc32c(public.pem.encode()) and public.algorithm == algorithms.EC_SIGN_P256_SHA256
    digest = hashlib.sha256(b"signed by strongroom").digest()
    signed = client.asymmetric_sign(request={"name": version, "digest": {"sha256": digest},
                                             "digest_crc32c": crc32c(digest)})
    assert signed.verified_digest_crc32c and signed.signature_crc32c == crc32c(signed.signature)
    key = serialization.load_pem_public_key(public.pem.encode())
    key.verify(signed.signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))  # type: ignore[union-attr, call-arg]

    mac_key = client.create_crypto_key(request={"parent": ring, "crypto_key_id": "mac", "crypto_key": {
        "purpose": kms.CryptoKey.CryptoKeyPurpose.MAC, "version_template": {"algorithm": algorithms.HMAC_SHA256}}})
    mac_version = f"{mac_key.name}/cryptoKeyVersions/1"
    made = client.mac_sign(request={"name": mac_version, "data": b"payload", "data_crc32c": crc32c(b"payload")})
    assert made.verified_data_crc32c and made.mac_crc32c == crc32c(made.mac)
    assert client.mac_verify(request={"name": mac_version, "data": b"payload", "mac": made.mac}).success
    assert not client.mac_verify(request={"name": mac_version, "data": b"other", "mac": made.mac}).success


def test_import_job_and_imported_version(client: kms.KeyManagementServiceClient) -> None:
    import os

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

    ring = _ring(client, "import-ring")
    job = client.create_import_job(request={"parent": ring, "import_job_id": "job", "import_job": {
        "import_method": kms.ImportJob.ImportMethod.RSA_OAEP_4096_SHA256_AES_256,
        "protection_level": kms.ProtectionLevel.SOFTWARE}})
    assert job.state == kms.ImportJob.ImportJobState.ACTIVE
    assert client.get_import_job(request={"name": job.name}).public_key.pem == job.public_key.pem
    key = client.create_crypto_key(request={"parent": ring, "crypto_key_id": "imported",
                                            "skip_initial_version_creation": True, "crypto_key": {
                                                "purpose": "ENCRYPT_DECRYPT", "import_only": True}})
    public = serialization.load_pem_public_key(job.public_key.pem.encode())
    ephemeral = os.urandom(32)
    wrapped = public.encrypt(ephemeral, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))  # type: ignore[union-attr]
    wrapped += aes_key_wrap_with_padding(ephemeral, os.urandom(32))
    version = client.import_crypto_key_version(request={
        "parent": key.name, "import_job": job.name, "wrapped_key": wrapped,
        "algorithm": kms.CryptoKeyVersion.CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION})
    assert version.name == f"{key.name}/cryptoKeyVersions/1"
    assert version.state == kms.CryptoKeyVersion.CryptoKeyVersionState.ENABLED
    _round_trip(client, key.name)


def test_asymmetric_decrypt_raw_encryption_and_key_updates(client: kms.KeyManagementServiceClient) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from google.protobuf import duration_pb2, field_mask_pb2

    ring = _ring(client, "more-ring")
    algorithms = kms.CryptoKeyVersion.CryptoKeyVersionAlgorithm
    decrypter = client.create_crypto_key(request={"parent": ring, "crypto_key_id": "decrypter", "crypto_key": {
        "purpose": kms.CryptoKey.CryptoKeyPurpose.ASYMMETRIC_DECRYPT,
        "version_template": {"algorithm": algorithms.RSA_DECRYPT_OAEP_2048_SHA256}}})
    version = f"{decrypter.name}/cryptoKeyVersions/1"
    public = serialization.load_pem_public_key(client.get_public_key(request={"name": version}).pem.encode())
    ciphertext = public.encrypt(b"for the key holder", padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(),  # type: ignore[union-attr]
                                                                     None))
    opened = client.asymmetric_decrypt(request={"name": version, "ciphertext": ciphertext,
                                                "ciphertext_crc32c": crc32c(ciphertext)})
    assert opened.plaintext == b"for the key holder" and opened.verified_ciphertext_crc32c
    assert opened.plaintext_crc32c == crc32c(opened.plaintext)

    raw = client.create_crypto_key(request={"parent": ring, "crypto_key_id": "raw", "crypto_key": {
        "purpose": kms.CryptoKey.CryptoKeyPurpose.RAW_ENCRYPT_DECRYPT,
        "version_template": {"algorithm": algorithms.AES_256_GCM}}})
    raw_version = f"{raw.name}/cryptoKeyVersions/1"
    sealed = client.raw_encrypt(request={"name": raw_version, "plaintext": b"raw", "additional_authenticated_data":
                                         b"aad", "plaintext_crc32c": crc32c(b"raw")})
    assert sealed.verified_plaintext_crc32c and sealed.ciphertext_crc32c == crc32c(sealed.ciphertext)
    plain = client.raw_decrypt(request={"name": raw_version, "ciphertext": sealed.ciphertext,
                                        "initialization_vector": sealed.initialization_vector,
                                        "additional_authenticated_data": b"aad", "tag_length": sealed.tag_length})
    assert plain.plaintext == b"raw"

    symmetric = client.create_crypto_key(request={"parent": ring, "crypto_key_id": "scheduled",
                                                  "crypto_key": {"purpose": "ENCRYPT_DECRYPT"}})
    updated = client.update_crypto_key(request={
        "crypto_key": {"name": symmetric.name, "rotation_period": duration_pb2.Duration(seconds=7 * 86400),
                       "labels": {"team": "storage"}},
        "update_mask": field_mask_pb2.FieldMask(paths=["rotation_period", "labels"])})
    assert updated.rotation_period.total_seconds() == 7 * 86400 and updated.labels["team"] == "storage"
    assert updated.next_rotation_time.timestamp() > time.time()
