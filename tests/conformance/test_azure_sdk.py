"""``azure-keyvault-keys`` and ``azure-identity`` against a real server process over TLS with the dev CA:
``ClientSecretCredential`` (MSAL: OpenID configuration, then the token endpoint) with an app made by
``strongroom azure apps create``, and ``KeyClient`` / ``CryptographyClient`` for key management and crypto."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.keyvault.keys import (
    KeyClient,
    KeyRotationLifetimeAction,
    KeyRotationPolicy,
    KeyRotationPolicyAction,
    KeyType,
)
from azure.keyvault.keys.crypto import (
    CryptographyClient,
    EncryptionAlgorithm,
    KeyWrapAlgorithm,
    SignatureAlgorithm,
)
from kms_harness import ServerInfo, ServerProcess
from test_azure_mongocrypt import create_app, rest, token_for


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("azure-sdk") / "data", extra_args=["--workers", "1"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


@pytest.fixture(scope="module")
def app(server: ServerInfo) -> dict[str, str]:
    return create_app(server)


@pytest.fixture(scope="module")
def credential(server: ServerInfo, app: dict[str, str]) -> ClientSecretCredential:
    return ClientSecretCredential(app["tenant_id"], app["client_id"], app["client_secret"],
                                  authority=server.tls_hostport, disable_instance_discovery=True,
                                  connection_verify=str(server.ca_file))


@pytest.fixture(scope="module")
def keys(server: ServerInfo, credential: ClientSecretCredential) -> KeyClient:
    return KeyClient(server.tls_endpoint, credential, verify_challenge_resource=False,
                     connection_verify=str(server.ca_file))


def crypto(server: ServerInfo, credential: Any, key_id: str) -> CryptographyClient:
    return CryptographyClient(key_id, credential, verify_challenge_resource=False,
                              connection_verify=str(server.ca_file))


def test_create_every_key_type_and_get_it(keys: KeyClient, server: ServerInfo) -> None:
    made = {
        "rsa": keys.create_rsa_key("sdk-rsa", size=3072, tags={"team": "a"}),
        "rsa-hsm": keys.create_rsa_key("sdk-rsa-hsm", hardware_protected=True),
        "ec": keys.create_ec_key("sdk-ec", curve="P-384"),
        "ec-hsm": keys.create_ec_key("sdk-ec-hsm", hardware_protected=True),
        "oct": keys.create_key("sdk-oct", KeyType.oct, size=256),
        "oct-hsm": keys.create_oct_key("sdk-oct-hsm", size=128, hardware_protected=True),
    }
    assert made["rsa"].key_type == KeyType.rsa and len(made["rsa"].key.n) == 384
    assert made["rsa"].properties.tags == {"team": "a"}
    assert made["rsa-hsm"].key_type == KeyType.rsa_hsm
    assert made["ec"].key.crv == "P-384" and len(made["ec"].key.x) == 48
    assert made["ec-hsm"].key_type == KeyType.ec_hsm
    assert made["oct"].key_type == KeyType.oct and made["oct-hsm"].key_type == KeyType.oct_hsm
    for key in made.values():
        assert key.id.startswith(f"https://{server.tls_hostport}/keys/{key.name}/")
        assert len(key.properties.version) == 32
        latest = keys.get_key(key.name)
        assert latest.id == key.id
        assert keys.get_key(key.name, key.properties.version).key.kid == key.id


def test_versions_list_and_paging(keys: KeyClient) -> None:
    first = keys.create_ec_key("sdk-paged")
    versions = [first.properties.version] + [keys.rotate_key("sdk-paged").properties.version for _ in range(29)]
    listed = [v.version for v in keys.list_properties_of_key_versions("sdk-paged")]
    assert sorted(listed) == sorted(versions) and len(set(listed)) == 30  # more than a page of 25
    for i in range(27):
        keys.create_ec_key(f"sdk-many-{i}")
    names = {k.name for k in keys.list_properties_of_keys()}
    assert {f"sdk-many-{i}" for i in range(27)} <= names


def test_update_properties(keys: KeyClient, server: ServerInfo, credential: Any) -> None:
    key = keys.create_rsa_key("sdk-update")
    updated = keys.update_key_properties("sdk-update", key.properties.version, tags={"env": "prod"},
                                         key_operations=["sign", "verify"], expires_on=None)
    assert updated.properties.tags == {"env": "prod"} and updated.key_operations == ["sign", "verify"]
    client = crypto(server, credential, key.id)
    with pytest.raises(HttpResponseError) as caught:
        client.decrypt(EncryptionAlgorithm.rsa_oaep, b"\0" * 384)
    assert caught.value.status_code == 403
    disabled = keys.update_key_properties("sdk-update", enabled=False)
    assert disabled.properties.enabled is False
    with pytest.raises(HttpResponseError) as caught:
        client.sign(SignatureAlgorithm.rs256, hashlib.sha256(b"x").digest())
    assert caught.value.status_code == 403 and caught.value.error.code == "Forbidden"
    assert keys.update_key_properties("sdk-update", enabled=True).properties.enabled is True
    assert client.sign(SignatureAlgorithm.rs256, hashlib.sha256(b"x").digest()).signature


def test_soft_delete_recover_and_purge(keys: KeyClient) -> None:
    keys.create_rsa_key("sdk-deleted")
    deleted = keys.begin_delete_key("sdk-deleted").result()
    assert deleted.name == "sdk-deleted" and deleted.recovery_id.endswith("/deletedkeys/sdk-deleted")
    assert deleted.scheduled_purge_date is not None
    with pytest.raises(ResourceNotFoundError):
        keys.get_key("sdk-deleted")
    assert keys.get_deleted_key("sdk-deleted").name == "sdk-deleted"
    assert "sdk-deleted" in {k.name for k in keys.list_deleted_keys()}
    recovered = keys.begin_recover_deleted_key("sdk-deleted").result()
    assert recovered.name == "sdk-deleted" and keys.get_key("sdk-deleted").properties.enabled
    keys.begin_delete_key("sdk-deleted").result()
    keys.purge_deleted_key("sdk-deleted")
    with pytest.raises(ResourceNotFoundError):
        keys.get_deleted_key("sdk-deleted")
    assert keys.create_rsa_key("sdk-deleted").properties.version  # the name is free again


def test_backup_and_restore(keys: KeyClient) -> None:
    made = keys.create_ec_key("sdk-backup", tags={"t": "1"})
    keys.rotate_key("sdk-backup")
    blob = keys.backup_key("sdk-backup")
    keys.begin_delete_key("sdk-backup").result()
    keys.purge_deleted_key("sdk-backup")
    restored = keys.restore_key_backup(blob)
    assert restored.name == "sdk-backup" and restored.key.x and restored.key.crv == "P-256"
    assert made.properties.version in {v.version for v in keys.list_properties_of_key_versions("sdk-backup")}


def test_import_a_json_web_key(keys: KeyClient, server: ServerInfo, credential: Any) -> None:
    from azure.keyvault.keys import JsonWebKey
    from cryptography.hazmat.primitives.asymmetric import rsa

    def raw(value: int) -> bytes:
        return value.to_bytes((value.bit_length() + 7) // 8, "big")

    numbers = rsa.generate_private_key(65537, 2048).private_numbers()
    jwk = JsonWebKey(kty="RSA", key_ops=["sign", "verify"], n=raw(numbers.public_numbers.n), e=raw(65537),
                     d=raw(numbers.d), p=raw(numbers.p), q=raw(numbers.q), dp=raw(numbers.dmp1),
                     dq=raw(numbers.dmq1), qi=raw(numbers.iqmp))
    imported = keys.import_key("sdk-imported", jwk, hardware_protected=False)
    assert imported.key.n == raw(numbers.public_numbers.n) and imported.key_operations == ["sign", "verify"]
    client = crypto(server, credential, imported.id)
    digest = hashlib.sha256(b"m").digest()
    signed = client.sign(SignatureAlgorithm.ps256, digest)
    numbers.public_numbers.public_key().verify(  # checked with the imported key's own public half
        signed.signature, digest, _pss(), _prehashed())


def test_import_a_byok_transfer_blob(keys: KeyClient, server: ServerInfo, credential: Any) -> None:
    """The HSM-protected BYOK flow: a key exchange key made here, the target wrapped for its public key with
    CKM_RSA_AES_KEY_WRAP outside, the blob imported through the SDK (JsonWebKey.t, sent as key_hsm)."""
    import json

    from azure.keyvault.keys import JsonWebKey
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

    kek = keys.create_rsa_key("sdk-kek", size=4096, hardware_protected=True, key_operations=["import"])
    public = rsa.RSAPublicNumbers(int.from_bytes(kek.key.e, "big"), int.from_bytes(kek.key.n, "big")).public_key()
    target = rsa.generate_private_key(65537, 3072)
    ephemeral = os.urandom(32)
    ciphertext = public.encrypt(ephemeral, padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None)) + \
        aes_key_wrap_with_padding(ephemeral, target.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    blob = json.dumps({"schema_version": "1.0.0", "header": {"kid": kek.id, "alg": "dir",
                                                             "enc": "CKM_RSA_AES_KEY_WRAP"},
                       "ciphertext": _b64(ciphertext), "generator": "conformance test"}).encode()
    imported = keys.import_key("sdk-byok", JsonWebKey(kty="RSA-HSM", key_ops=["decrypt"], t=blob),
                               hardware_protected=True)
    assert imported.key_type == KeyType.rsa_hsm
    assert int.from_bytes(imported.key.n, "big") == target.public_key().public_numbers().n
    sealed = target.public_key().encrypt(b"byok", padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    assert crypto(server, credential, imported.id).decrypt(EncryptionAlgorithm.rsa_oaep_256, sealed).plaintext == \
        b"byok"


def _pss() -> Any:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


def _prehashed() -> Any:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import utils
    return utils.Prehashed(hashes.SHA256())


def test_rotation_policy_and_random_bytes(keys: KeyClient) -> None:
    keys.create_rsa_key("sdk-rotated")
    policy = keys.update_key_rotation_policy("sdk-rotated", KeyRotationPolicy(lifetime_actions=[
        KeyRotationLifetimeAction(KeyRotationPolicyAction.rotate, time_after_create="P90D")], expires_in="P2Y"))
    assert policy.lifetime_actions[0].time_after_create == "P90D" and policy.expires_in == "P2Y"
    assert keys.get_key_rotation_policy("sdk-rotated").lifetime_actions[0].action == KeyRotationPolicyAction.rotate
    first, second = keys.get_random_bytes(32), keys.get_random_bytes(32)
    assert len(first) == 32 and first != second


@pytest.mark.parametrize("algorithm", [EncryptionAlgorithm.rsa_oaep, EncryptionAlgorithm.rsa_oaep_256,
                                       EncryptionAlgorithm.rsa1_5])
def test_rsa_encrypt_decrypt(keys: KeyClient, server: ServerInfo, credential: Any, algorithm: Any) -> None:
    key = keys.create_rsa_key(f"sdk-rsa-crypto-{algorithm.value.lower().replace('_', '-')}")
    client = crypto(server, credential, key.id)
    encrypted = client.encrypt(algorithm, b"a secret")  # done locally with the public key
    assert client.decrypt(algorithm, encrypted.ciphertext).plaintext == b"a secret"
    wrapped = client.wrap_key(KeyWrapAlgorithm(algorithm.value), os.urandom(32))
    assert len(client.unwrap_key(KeyWrapAlgorithm(algorithm.value), wrapped.encrypted_key).key) == 32


@pytest.mark.parametrize("size,encryption,wrapping", [
    (128, EncryptionAlgorithm.a128_gcm, KeyWrapAlgorithm.aes_128),
    (256, EncryptionAlgorithm.a256_gcm, KeyWrapAlgorithm.aes_256)])
def test_oct_gcm_and_key_wrap(keys: KeyClient, server: ServerInfo, credential: Any, size: int, encryption: Any,
                              wrapping: Any) -> None:
    key = keys.create_oct_key(f"sdk-oct-crypto-{size}", size=size, hardware_protected=True)
    client = crypto(server, credential, key.id)
    encrypted = client.encrypt(encryption, b"a secret", additional_authenticated_data=b"context")
    assert encrypted.iv and encrypted.tag
    opened = client.decrypt(encryption, encrypted.ciphertext, iv=encrypted.iv,
                            authentication_tag=encrypted.tag, additional_authenticated_data=b"context")
    assert opened.plaintext == b"a secret"
    with pytest.raises(HttpResponseError) as caught:
        client.decrypt(encryption, encrypted.ciphertext, iv=encrypted.iv,
                       authentication_tag=encrypted.tag, additional_authenticated_data=b"other")
    assert caught.value.status_code == 400
    wrapped = client.wrap_key(wrapping, os.urandom(32))
    assert len(wrapped.encrypted_key) == 40
    assert len(client.unwrap_key(wrapping, wrapped.encrypted_key).key) == 32


@pytest.mark.parametrize("algorithm,kind,curve", [
    *[(getattr(SignatureAlgorithm, f"{p}{n}"), "rsa", None) for p in ("rs", "ps") for n in (256, 384, 512)],
    (SignatureAlgorithm.es256, "ec", "P-256"), (SignatureAlgorithm.es384, "ec", "P-384"),
    (SignatureAlgorithm.es512, "ec", "P-521")])
def test_sign_verify(keys: KeyClient, server: ServerInfo, credential: Any, algorithm: Any, kind: str,
                     curve: str | None) -> None:
    name = f"sdk-sign-{algorithm.value}".lower()
    key = keys.create_rsa_key(name) if kind == "rsa" else keys.create_ec_key(name, curve=curve)
    client = crypto(server, credential, key.id)
    digest = hashlib.new({"256": "sha256", "384": "sha384", "512": "sha512"}[algorithm.value[-3:]], b"msg").digest()
    signed = client.sign(algorithm, digest)
    assert client.verify(algorithm, digest, signed.signature).is_valid  # verified locally with the public key
    status, body = rest(server, "POST", f"/keys/{name}/{key.properties.version}/verify?api-version=7.4",
                        {"alg": algorithm.value, "digest": _b64(digest), "value": _b64(signed.signature)},
                        _token(server))
    assert status == 200 and body == {"value": True}
    tampered = bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
    status, body = rest(server, "POST", f"/keys/{name}/{key.properties.version}/verify?api-version=7.4",
                        {"alg": algorithm.value, "digest": _b64(digest), "value": _b64(tampered)}, _token(server))
    assert status == 200 and body == {"value": False}


def test_server_side_wrapkey_and_an_older_version(keys: KeyClient, server: ServerInfo, credential: Any) -> None:
    first = keys.create_rsa_key("sdk-wrap-versions")
    keys.rotate_key("sdk-wrap-versions")
    status, body = rest(server, "POST", f"/keys/sdk-wrap-versions/{first.properties.version}/wrapkey"
                                        "?api-version=2025-07-01", {"alg": "RSA-OAEP-256", "value": _b64(b"k" * 32)},
                        _token(server))
    assert status == 200 and body["kid"] == first.id
    client = crypto(server, credential, first.id)
    assert client.unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, _unb64(body["value"])).key == b"k" * 32


_TOKENS: dict[str, str] = {}


def _token(server: ServerInfo) -> str:
    if server.tls_endpoint not in _TOKENS:
        _TOKENS[server.tls_endpoint] = token_for(server, create_app(server))
    return _TOKENS[server.tls_endpoint]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
