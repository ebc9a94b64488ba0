"""hvac, the Python Vault client, against a real Strongroom server: sys, tokens, ACL policies and every Transit
method hvac has; a Transit key is a key of the store (the AWS API sees it); every request is audited."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import hvac
import pytest
import requests
from hvac import exceptions
from kms_harness import ServerInfo


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def token(server: ServerInfo) -> str:
    return (server.data_dir / "dev-vault-token").read_text().strip()


@pytest.fixture(scope="module")
def vault(server: ServerInfo, token: str) -> hvac.Client:
    return hvac.Client(url=server.endpoint, token=token)


@pytest.fixture
def mount(vault: hvac.Client) -> Iterator[str]:
    path = f"transit-{uuid.uuid4().hex[:8]}"
    vault.sys.enable_secrets_engine("transit", path=path)
    yield path
    vault.sys.disable_secrets_engine(path)


def test_health_and_seal_status_need_no_token(server: ServerInfo) -> None:
    health = hvac.Client(url=server.endpoint).sys.read_health_status(method="GET")
    assert health["initialized"] is True and health["sealed"] is False
    assert hvac.Client(url=server.endpoint).sys.read_seal_status()["sealed"] is False


def test_mounts_enable_list_disable(vault: hvac.Client) -> None:
    vault.sys.enable_secrets_engine("transit", path="tr-list", description="orders")
    entry = vault.sys.list_mounted_secrets_engines()["data"]["tr-list/"]
    assert (entry["type"], entry["description"]) == ("transit", "orders")
    with pytest.raises(exceptions.InvalidRequest, match="already in use"):
        vault.sys.enable_secrets_engine("transit", path="tr-list")
    with pytest.raises(exceptions.InvalidRequest, match="plugin"):
        vault.sys.enable_secrets_engine("nosuch", path="tr-other")
    vault.sys.disable_secrets_engine("tr-list")
    assert "tr-list/" not in vault.sys.list_mounted_secrets_engines()["data"]


def test_disabling_a_mount_deletes_its_keys(vault: hvac.Client) -> None:
    vault.sys.enable_secrets_engine("transit", path="tr-gone")
    vault.secrets.transit.create_key("k", mount_point="tr-gone")
    vault.sys.disable_secrets_engine("tr-gone")
    vault.sys.enable_secrets_engine("transit", path="tr-gone")
    with pytest.raises(exceptions.InvalidPath):
        vault.secrets.transit.read_key("k", mount_point="tr-gone")
    vault.sys.disable_secrets_engine("tr-gone")


@pytest.mark.parametrize("key_type", ["aes128-gcm96", "aes256-gcm96", "chacha20-poly1305", "rsa-2048"])
def test_encrypt_decrypt_rewrap_every_encryption_type(vault: hvac.Client, mount: str, key_type: str) -> None:
    t = vault.secrets.transit
    vault.adapter.post(f"/v1/{mount}/keys/k", json={"type": key_type})  # hvac's own list lacks aes128-gcm96
    sealed = t.encrypt_data("k", plaintext=b64(b"hello"), mount_point=mount)["data"]
    assert sealed["ciphertext"].startswith("vault:v1:") and sealed["key_version"] == 1
    assert t.decrypt_data("k", ciphertext=sealed["ciphertext"], mount_point=mount)["data"]["plaintext"] == b64(b"hello")
    t.rotate_key("k", mount_point=mount)
    rewrapped = t.rewrap_data("k", ciphertext=sealed["ciphertext"], mount_point=mount)["data"]
    assert rewrapped["ciphertext"].startswith("vault:v2:")
    assert t.decrypt_data("k", ciphertext=rewrapped["ciphertext"], mount_point=mount)["data"]["plaintext"] == \
        b64(b"hello")


def test_associated_data_binds(vault: hvac.Client, server: ServerInfo, token: str, mount: str) -> None:
    vault.secrets.transit.create_key("k", mount_point=mount)
    url = f"{server.endpoint}/v1/{mount}"
    headers = {"X-Vault-Token": token}
    sealed = requests.post(f"{url}/encrypt/k", json={"plaintext": b64(b"p"), "associated_data": b64(b"a")},
                           headers=headers, timeout=10).json()["data"]["ciphertext"]
    ok = requests.post(f"{url}/decrypt/k", json={"ciphertext": sealed, "associated_data": b64(b"a")},
                       headers=headers, timeout=10)
    assert ok.json()["data"]["plaintext"] == b64(b"p")
    bad = requests.post(f"{url}/decrypt/k", json={"ciphertext": sealed, "associated_data": b64(b"b")},
                        headers=headers, timeout=10)
    assert bad.status_code == 400 and bad.headers["Content-Type"] == "application/json"
    assert bad.json() == {"errors": ["invalid ciphertext: unable to decrypt"]}


def test_batches_keep_order_and_report_item_errors(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("k", mount_point=mount)
    batch = [{"plaintext": b64(b"a"), "reference": "one"}, {"plaintext": "not base64!"},
             {"plaintext": b64(b"c")}]
    answer = vault.adapter.post(f"/v1/{mount}/encrypt/k", json={"batch_input": batch}, raise_exception=False)
    assert answer.status_code == 400  # an item failed: Vault's status, with every item's result
    results = answer.json()["data"]["batch_results"]
    assert [r["reference"] for r in results] == ["one", "", ""]
    assert "error" in results[1] and "ciphertext" in results[2]
    opened = vault.adapter.post(f"/v1/{mount}/decrypt/k", json={"batch_input": [
        {"ciphertext": results[0]["ciphertext"]}, {"ciphertext": "vault:v1:AAAA"}]},
        raise_exception=False).json()["data"]["batch_results"]
    assert opened[0]["plaintext"] == b64(b"a") and opened[1]["error"] == "invalid ciphertext: unable to decrypt"


def test_derived_and_convergent_encryption(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("d", derived=True, convergent_encryption=True, mount_point=mount)
    read = t.read_key("d", mount_point=mount)["data"]
    assert (read["derived"], read["kdf"], read["convergent_encryption"]) == (True, "hkdf_sha256", True)
    one = t.encrypt_data("d", plaintext=b64(b"x"), context=b64(b"ctx"), mount_point=mount)["data"]["ciphertext"]
    two = t.encrypt_data("d", plaintext=b64(b"x"), context=b64(b"ctx"), mount_point=mount)["data"]["ciphertext"]
    other = t.encrypt_data("d", plaintext=b64(b"x"), context=b64(b"other"), mount_point=mount)["data"]["ciphertext"]
    assert one == two != other
    with pytest.raises(exceptions.InvalidRequest, match="context"):
        t.encrypt_data("d", plaintext=b64(b"x"), mount_point=mount)
    with pytest.raises(exceptions.InvalidRequest, match="unable to decrypt"):
        t.decrypt_data("d", ciphertext=one, context=b64(b"other"), mount_point=mount)


def test_key_versions_and_their_window(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("k", mount_point=mount)
    old = t.encrypt_data("k", plaintext=b64(b"v1"), mount_point=mount)["data"]["ciphertext"]
    t.rotate_key("k", mount_point=mount)
    t.rotate_key("k", mount_point=mount)
    read = t.read_key("k", mount_point=mount)["data"]
    assert read["latest_version"] == 3 and sorted(read["keys"]) == ["1", "2", "3"]
    with pytest.raises(exceptions.InvalidRequest, match="greater than the latest"):
        t.encrypt_data("k", plaintext=b64(b"x"), key_version=4, mount_point=mount)
    t.update_key_configuration("k", min_decryption_version=2, mount_point=mount)
    with pytest.raises(exceptions.InvalidRequest, match="too old"):
        t.decrypt_data("k", ciphertext=old, mount_point=mount)
    t.trim_key("k", min_version=2, mount_point=mount)
    assert sorted(t.read_key("k", mount_point=mount)["data"]["keys"]) == ["2", "3"]
    refused = vault.adapter.post(f"/v1/{mount}/keys/k/config", json={"min_decryption_version": 3,
                                                                     "min_encryption_version": 2},
                                 raise_exception=False)
    assert refused.status_code == 400 and "min encryption version must be greater" in refused.json()["errors"][0]


def test_deletion_needs_deletion_allowed(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("k", mount_point=mount)
    with pytest.raises(exceptions.InvalidRequest, match="deletion is not allowed"):
        t.delete_key("k", mount_point=mount)
    t.update_key_configuration("k", deletion_allowed=True, mount_point=mount)
    t.delete_key("k", mount_point=mount)
    with pytest.raises(exceptions.InvalidPath):
        t.read_key("k", mount_point=mount)


def test_export_only_exportable_keys_and_never_back(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("k", mount_point=mount)
    with pytest.raises(exceptions.InvalidRequest, match="not exportable"):
        t.export_key("k", key_type="encryption-key", mount_point=mount)
    t.update_key_configuration("k", exportable=True, mount_point=mount)
    exported = t.export_key("k", key_type="encryption-key", mount_point=mount)["data"]["keys"]
    assert len(base64.b64decode(exported["1"])) == 32
    with pytest.raises(exceptions.InvalidRequest, match="cannot be disabled"):
        t.update_key_configuration("k", exportable=False, mount_point=mount)


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048"])
def test_sign_and_verify(vault: hvac.Client, mount: str, key_type: str) -> None:
    t = vault.secrets.transit
    t.create_key("s", key_type=key_type, mount_point=mount)
    signature = t.sign_data("s", hash_input=b64(b"msg"), mount_point=mount)["data"]["signature"]
    assert signature.startswith("vault:v1:")
    assert t.verify_signed_data("s", hash_input=b64(b"msg"), signature=signature, mount_point=mount)["data"]["valid"]
    assert not t.verify_signed_data("s", hash_input=b64(b"other"), signature=signature,
                                    mount_point=mount)["data"]["valid"]
    public = t.read_key("s", mount_point=mount)["data"]["keys"]["1"]["public_key"]
    assert public


def test_hmac_hash_random_datakey(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("k", mount_point=mount)
    mac = t.generate_hmac("k", hash_input=b64(b"m"), algorithm="sha2-512", mount_point=mount)["data"]["hmac"]
    assert len(base64.b64decode(mac.split(":", 2)[2])) == 64
    assert t.verify_signed_data("k", hash_input=b64(b"m"), hmac=mac, hash_algorithm="sha2-512",
                                mount_point=mount)["data"]["valid"]
    import hashlib
    assert t.hash_data(b64(b"m"), algorithm="sha2-256", mount_point=mount)["data"]["sum"] == \
        hashlib.sha256(b"m").hexdigest()
    assert len(base64.b64decode(t.generate_random_bytes(n_bytes=48, mount_point=mount)["data"]["random_bytes"])) == 48
    data_key = t.generate_data_key("k", key_type="plaintext", bits=512, mount_point=mount)["data"]
    opened = t.decrypt_data("k", ciphertext=data_key["ciphertext"], mount_point=mount)["data"]["plaintext"]
    assert opened == data_key["plaintext"] and len(base64.b64decode(opened)) == 64
    assert "plaintext" not in t.generate_data_key("k", key_type="wrapped", mount_point=mount)["data"]


def test_encrypt_creates_a_missing_key(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.encrypt_data("upserted", plaintext=b64(b"x"), mount_point=mount)
    assert t.read_key("upserted", mount_point=mount)["data"]["type"] == "aes256-gcm96"


def test_tokens_policies_and_capabilities(vault: hvac.Client, server: ServerInfo, mount: str) -> None:
    vault.secrets.transit.create_key("k", mount_point=mount)
    vault.sys.create_or_update_policy("enc-only", f'path "{mount}/encrypt/*" {{ capabilities = ["update"] }}\n'
                                                  f'path "{mount}/keys/*" {{ capabilities = ["deny"] }}')
    made = vault.auth.token.create(policies=["enc-only"], ttl="1h")["auth"]
    assert made["policies"] == ["default", "enc-only"] and made["lease_duration"] == 3600
    limited = hvac.Client(url=server.endpoint, token=made["client_token"])
    assert limited.secrets.transit.encrypt_data("k", plaintext=b64(b"x"), mount_point=mount)["data"]["key_version"] == 1
    for forbidden in (lambda: limited.secrets.transit.read_key("k", mount_point=mount),
                      lambda: limited.secrets.transit.decrypt_data("k", ciphertext="vault:v1:AAAA", mount_point=mount),
                      lambda: limited.sys.list_mounted_secrets_engines(),
                      lambda: limited.auth.token.create(policies=["root"])):
        with pytest.raises(exceptions.Forbidden):
            forbidden()
    looked = limited.auth.token.lookup_self()["data"]
    assert looked["policies"] == ["default", "enc-only"] and 0 < looked["ttl"] <= 3600
    assert limited.auth.token.renew_self(increment="2h")["auth"]["lease_duration"] > 3600
    limited.auth.token.revoke_self()
    with pytest.raises(exceptions.Forbidden):
        limited.auth.token.lookup_self()


def test_revoking_a_token_revokes_its_children(vault: hvac.Client, server: ServerInfo) -> None:
    parent = vault.auth.token.create(policies=["default"], ttl="1h")["auth"]["client_token"]
    vault.sys.create_or_update_policy("tokens", 'path "auth/token/create" { capabilities = ["update"] }')
    vault.auth.token.revoke(parent)
    parent = vault.auth.token.create(policies=["default", "tokens"], ttl="1h")["auth"]["client_token"]
    child = hvac.Client(url=server.endpoint, token=parent).auth.token.create(policies=["default"])["auth"]
    vault.auth.token.revoke(parent)
    with pytest.raises(exceptions.Forbidden):
        hvac.Client(url=server.endpoint, token=child["client_token"]).auth.token.lookup_self()


def test_policies_are_validated_and_listed(vault: hvac.Client) -> None:
    with pytest.raises(exceptions.InvalidRequest):
        vault.sys.create_or_update_policy("broken", 'path "x" { capabilities = ["fly"] }')
    vault.sys.create_or_update_policy("listed", 'path "x/*" { capabilities = ["read"] }')
    assert {"default", "root", "listed"} <= set(vault.sys.list_policies()["data"]["policies"])
    vault.sys.delete_policy("listed")
    assert "listed" not in vault.sys.list_policies()["data"]["policies"]
    with pytest.raises(exceptions.InvalidRequest, match="cannot delete"):
        vault.sys.delete_policy("default")


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("GET", "no-such-mount/keys/k", None, 404),
    ("POST", "{mount}/encrypt/k", b"{not json", 400),
    ("POST", "{mount}/encrypt/k", b"[1, 2]", 400),
    ("POST", "{mount}/keys/k", b'{"type": "nope"}', 400),
    ("POST", "{mount}/keys/k", b'{"derived": "maybe"}', 400),
    ("POST", "{mount}/decrypt/k", b'{"ciphertext": "vault:vX:AAAA"}', 400),
    ("POST", "{mount}/decrypt/k", b'{"ciphertext": 7}', 400),
    ("POST", "{mount}/encrypt/k", b'{"batch_input": "x"}', 400),
    ("POST", "{mount}/random/999999999", None, 400),
    ("POST", "{mount}/hash/md5", b'{"input": "eA=="}', 400),
    ("GET", "{mount}/export/bogus/k", None, 400),
    ("PATCH", "{mount}/nothing", b"{}", 404),
])
def test_bad_input_answers_vaults_error_shape(server: ServerInfo, token: str, mount: str, method: str, path: str,
                                              body: bytes | None, status: int) -> None:
    requests.post(f"{server.endpoint}/v1/{mount}/keys/k", headers={"X-Vault-Token": token}, timeout=10)
    response = requests.request(method, f"{server.endpoint}/v1/{path.format(mount=mount)}", data=body,
                                headers={"X-Vault-Token": token}, timeout=10)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert isinstance(errors, list) and all(isinstance(e, str) for e in errors)


def test_missing_and_wrong_tokens_are_refused(server: ServerInfo) -> None:
    for headers in ({}, {"X-Vault-Token": "hvs.nope-not-a-token"}, {"Authorization": "Bearer nope-not-a-token"}):
        response = requests.get(f"{server.endpoint}/v1/sys/mounts", headers=headers, timeout=10)
        assert response.status_code == 403 and response.json() == {"errors": ["permission denied"]}


def test_a_transit_key_is_a_key_of_the_store(vault: hvac.Client, server: ServerInfo, mount: str) -> None:
    """An aes256-gcm96 Transit key is a SYMMETRIC_DEFAULT key of the dev account: the AWS API lists it and
    encrypts with it by its id."""
    kms = server.client()
    before = {k["KeyId"] for k in kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]}
    vault.secrets.transit.create_key("shared", mount_point=mount)
    after = {k["KeyId"] for k in kms.get_paginator("list_keys").paginate().build_full_result()["Keys"]}
    (new_id,) = after - before
    assert kms.describe_key(KeyId=new_id)["KeyMetadata"]["KeySpec"] == "SYMMETRIC_DEFAULT"
    blob = kms.encrypt(KeyId=new_id, Plaintext=b"both")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"both"


def _audit(server: ServerInfo) -> list[dict[str, Any]]:
    command = [sys.executable, "-m", "strongroom", "audit", "export", "-", "--data-dir", str(server.data_dir)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_every_vault_request_is_audited_with_the_key_and_version_used(vault: hvac.Client, server: ServerInfo,
                                                                      mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("audited", mount_point=mount)
    t.rotate_key("audited", mount_point=mount)
    marker = b64(b"secret plaintext never logged")
    t.encrypt_data("audited", plaintext=marker, mount_point=mount)
    with pytest.raises(exceptions.Forbidden):
        hvac.Client(url=server.endpoint, token="hvs.wrong-token-value").secrets.transit.read_key("audited",
                                                                                                 mount_point=mount)
    events = [e for e in _audit(server) if e.get("additionalEventData", {}).get("protocol") == "vault"]
    encrypts = [e for e in events if e["eventName"] == "Encrypt" and
                e["requestParameters"].get("path") == f"{mount}/encrypt/audited"]
    assert encrypts, "the encrypt request was not audited"
    last = encrypts[-1]
    assert last["additionalEventData"]["keyVersion"] == 2
    assert last["resources"][0]["ARN"].startswith("arn:aws:kms:")
    assert last["userIdentity"]["accountId"] == server.account_id
    refused = [e for e in events if e.get("errorCode") == "403"]
    assert refused and refused[-1]["errorMessage"] == "permission denied"
    assert all(marker not in json.dumps(e) for e in events)


def test_operators_issue_list_and_revoke_tokens_from_the_cli(server: ServerInfo) -> None:
    def strongroom(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "strongroom", "tokens", *args, "--data-dir",
                               str(server.data_dir)], capture_output=True, text=True, timeout=60, check=True).stdout
    issued = dict(line.split(" = ", 1) for line in strongroom("create", "--account", server.account_id,
                                                              "--ttl", "600").splitlines())
    client = hvac.Client(url=server.endpoint, token=issued["token"])
    assert client.auth.token.lookup_self()["data"]["accessor"] == issued["accessor"]
    assert issued["accessor"] in strongroom("list", "--account", server.account_id)
    assert issued["token"] not in strongroom("list")
    strongroom("revoke", issued["accessor"])
    with pytest.raises(exceptions.Forbidden):
        client.auth.token.lookup_self()
