"""hvac, the Python Vault client, against a real Strongroom server: sys, tokens, ACL policies and every Transit
method hvac has; a Transit key is a key of the store (the AWS API sees it); every request is audited."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
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
    assert bad.json() == {"errors": ["cipher: message authentication failed"]}  # Vault's (Go's) text


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
    assert opened[0]["plaintext"] == b64(b"a") and opened[1]["error"] == "invalid ciphertext length"


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
    with pytest.raises(exceptions.InvalidRequest, match="message authentication failed"):
        t.decrypt_data("d", ciphertext=one, context=b64(b"other"), mount_point=mount)


def test_key_versions_and_their_window(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("k", mount_point=mount)
    old = t.encrypt_data("k", plaintext=b64(b"v1"), mount_point=mount)["data"]["ciphertext"]
    t.rotate_key("k", mount_point=mount)
    t.rotate_key("k", mount_point=mount)
    read = t.read_key("k", mount_point=mount)["data"]
    assert read["latest_version"] == 3 and sorted(read["keys"]) == ["1", "2", "3"]
    with pytest.raises(exceptions.InvalidRequest, match="higher than the latest"):
        t.encrypt_data("k", plaintext=b64(b"x"), key_version=4, mount_point=mount)
    t.update_key_configuration("k", min_decryption_version=2, mount_point=mount)
    with pytest.raises(exceptions.InvalidRequest, match="too old"):
        t.decrypt_data("k", ciphertext=old, mount_point=mount)
    assert sorted(t.read_key("k", mount_point=mount)["data"]["keys"]) == ["2", "3"]  # the read hides version 1
    with pytest.raises(exceptions.InvalidRequest, match="minimum encryption version is not set"):
        t.trim_key("k", min_version=2, mount_point=mount)
    t.update_key_configuration("k", min_encryption_version=3, mount_point=mount)
    t.trim_key("k", min_version=2, mount_point=mount)
    assert t.read_key("k", mount_point=mount)["data"]["min_available_version"] == 2
    with pytest.raises(exceptions.InvalidRequest, match="less then min available version"):
        t.update_key_configuration("k", min_decryption_version=1, mount_point=mount)
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


# --- backup and restore ----------------------------------------------------------------------------------------


def test_backup_and_restore(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("k", exportable=True, allow_plaintext_backup=True, mount_point=mount)
    old = t.encrypt_data("k", plaintext=b64(b"v1"), mount_point=mount)["data"]["ciphertext"]
    t.rotate_key("k", mount_point=mount)
    backup = t.backup_key("k", mount_point=mount)["data"]["backup"]
    assert set(json.loads(base64.b64decode(backup))) == {"policy", "archived_keys"}
    assert t.read_key("k", mount_point=mount)["data"]["backup_info"]["version"] == 2
    t.restore_key(backup, name="copy", mount_point=mount)
    copy = t.read_key("copy", mount_point=mount)["data"]
    assert (copy["latest_version"], sorted(copy["keys"]), copy["restore_info"]["version"]) == (2, ["1", "2"], 2)
    assert t.decrypt_data("copy", ciphertext=old, mount_point=mount)["data"]["plaintext"] == b64(b"v1")
    with pytest.raises(exceptions.InvalidRequest, match='key "k" already exists'):
        t.restore_key(backup, mount_point=mount)
    t.rotate_key("k", mount_point=mount)  # the restore below replaces the key with its backed-up self
    t.restore_key(backup, force=True, mount_point=mount)
    assert t.read_key("k", mount_point=mount)["data"]["latest_version"] == 2
    assert t.decrypt_data("k", ciphertext=old, mount_point=mount)["data"]["plaintext"] == b64(b"v1")


def test_backup_and_restore_into_another_mount(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("s", key_type="ecdsa-p384", exportable=True, allow_plaintext_backup=True, mount_point=mount)
    signature = t.sign_data("s", hash_input=b64(b"m"), mount_point=mount)["data"]["signature"]
    other = f"transit-{uuid.uuid4().hex[:8]}"
    vault.sys.enable_secrets_engine("transit", path=other)
    try:
        t.restore_key(t.backup_key("s", mount_point=mount)["data"]["backup"], mount_point=other)
        assert t.verify_signed_data("s", hash_input=b64(b"m"), signature=signature, mount_point=other)["data"]["valid"]
        assert t.read_key("s", mount_point=other)["data"]["keys"]["1"]["public_key"] == \
            t.read_key("s", mount_point=mount)["data"]["keys"]["1"]["public_key"]
    finally:
        vault.sys.disable_secrets_engine(other)


def test_backup_needs_an_exportable_key_that_allows_plaintext_backup(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("plain", mount_point=mount)
    t.create_key("exportable", exportable=True, mount_point=mount)
    for name, message in (("plain", "exporting is disallowed"), ("exportable", "plaintext backup is disallowed"),
                          ("nosuch", 'key "nosuch" not found')):
        with pytest.raises(exceptions.InvalidRequest, match=message):
            t.backup_key(name, mount_point=mount)
    t.update_key_configuration("exportable", allow_plaintext_backup=True, mount_point=mount)
    assert t.backup_key("exportable", mount_point=mount)["data"]["backup"]


def _backup_of(document: Any) -> str:
    return b64(json.dumps(document).encode())


@pytest.mark.parametrize("backup", [
    "!!", b64(b"not json"), _backup_of([]), _backup_of({}), _backup_of({"policy": {"name": "x", "type": 99}}),
    _backup_of({"policy": {"name": "x", "type": 0, "latest_version": 1, "keys": {"1": {"key": b64(b"short")}}}}),
    _backup_of({"policy": {"name": "x", "type": 0, "latest_version": 2, "keys": {"1": {"key": b64(bytes(32))}}}}),
    _backup_of({"policy": {"name": "x", "type": 1, "latest_version": 1, "keys": {"1": {"ec_d": 5, "ec_x": 1,
                                                                                       "ec_y": 2}}}}),
    _backup_of({"policy": {"name": "x", "type": 3, "latest_version": 1, "keys": {"1": {"rsa_key": {"N": 15, "E": 3,
                                                                                                   "D": 3}}}}}),
    _backup_of({"policy": {"name": "x", "type": "0", "keys": {}}}),
    _backup_of({"policy": {"name": "x", "type": 0, "derived": "yes", "latest_version": 1,
                           "keys": {"1": {"key": b64(bytes(32))}}}}),
    _backup_of({"policy": {"name": "x", "type": 8, "derived": True, "kdf": 0, "latest_version": 1,
                           "keys": {"1": {"key": b64(bytes(16))}}}}),
    _backup_of({"policy": {"name": "x", "type": 0, "derived": True, "kdf": 1, "convergent_encryption": True,
                           "latest_version": 1, "keys": {"1": {"key": b64(bytes(32)), "convergent_version": 2}}}}),
], ids=["not-base64", "not-json", "not-an-object", "no-policy", "unknown-type", "short-key", "missing-latest",
        "ec-point-off-curve", "bad-rsa", "type-not-a-number", "flag-not-a-boolean", "counter-kdf-of-aes128",
        "old-convergent-version"])
def test_restore_refuses_what_is_not_a_backup(server: ServerInfo, token: str, mount: str, backup: str) -> None:
    response = requests.post(f"{server.endpoint}/v1/{mount}/restore", json={"backup": backup},
                             headers={"X-Vault-Token": token}, timeout=10)
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert len(errors) == 1 and isinstance(errors[0], str) and errors[0]
    assert requests.get(f"{server.endpoint}/v1/{mount}/keys/x", headers={"X-Vault-Token": token},
                        timeout=10).status_code == 404


def test_restore_reads_odd_values_of_a_backup_safely(vault: hvac.Client, server: ServerInfo, token: str,
                                                      mount: str) -> None:
    """Values a backup should not have but that change nothing that matters (a creation time out of range, a
    backup_info that is not one) are read as absent; the restored key answers as any other."""
    t = vault.secrets.transit
    t.create_key("k", exportable=True, allow_plaintext_backup=True, mount_point=mount)
    document = json.loads(base64.b64decode(t.backup_key("k", mount_point=mount)["data"]["backup"]))
    document["policy"]["keys"]["1"].update(creation_time=10**40, time="not a time")
    document["policy"]["backup_info"] = {"time": 5, "version": True}
    t.restore_key(b64(json.dumps(document).encode()), name="odd", mount_point=mount)
    read = t.read_key("odd", mount_point=mount)["data"]
    assert read["latest_version"] == 1 and "backup_info" not in read and read["keys"]["1"] > 0
    document["policy"].update(type=10, keys={"1": {"key": {"not": "base64"}}})
    refused = requests.post(f"{server.endpoint}/v1/{mount}/restore/hmac", json={"backup": _backup_of(document)},
                            headers={"X-Vault-Token": token}, timeout=10)
    assert refused.status_code == 400 and refused.json()["errors"]


def test_backup_and_restore_need_their_paths(vault: hvac.Client, server: ServerInfo, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("k", exportable=True, allow_plaintext_backup=True, mount_point=mount)
    backup = t.backup_key("k", mount_point=mount)["data"]["backup"]
    vault.sys.create_or_update_policy("keys-only", f'path "{mount}/keys/*" {{ capabilities = ["read"] }}')
    limited = hvac.Client(url=server.endpoint, token=vault.auth.token.create(policies=["keys-only"],
                                                                            ttl="10m")["auth"]["client_token"])
    with pytest.raises(exceptions.Forbidden):
        limited.secrets.transit.backup_key("k", mount_point=mount)
    with pytest.raises(exceptions.Forbidden):
        limited.secrets.transit.restore_key(backup, name="other", mount_point=mount)
    vault.sys.delete_policy("keys-only")


def test_backups_are_audited_without_their_material(vault: hvac.Client, server: ServerInfo, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("audited-backup", exportable=True, allow_plaintext_backup=True, mount_point=mount)
    backup = t.backup_key("audited-backup", mount_point=mount)["data"]["backup"]
    t.restore_key(backup, name="audited-restore", mount_point=mount)
    material = json.loads(base64.b64decode(backup))["policy"]["keys"]["1"]["key"]
    events = [e for e in _audit(server) if e.get("additionalEventData", {}).get("protocol") == "vault"]
    backed = [e for e in events if e["eventName"] == "BackupKey"
              and e["requestParameters"].get("path") == f"{mount}/backup/audited-backup"]
    restored = [e for e in events if e["eventName"] == "RestoreKey"
                and e["requestParameters"].get("path") == f"{mount}/restore/audited-restore"]
    assert backed and restored
    assert backed[-1]["resources"][0]["ARN"].startswith("arn:aws:kms:")
    assert backed[-1]["additionalEventData"]["keyVersion"] == 1
    assert restored[-1]["resources"][0]["ARN"].startswith("arn:aws:kms:")
    assert all(material not in json.dumps(e) and backup[:40] not in json.dumps(e) for e in events)


# --- automatic rotation ----------------------------------------------------------------------------------------


def _aged_backup(t: Any, name: str, mount: str, age: float) -> str:
    """The key's backup with its latest version made ``age`` seconds earlier than it was."""
    document = json.loads(base64.b64decode(t.backup_key(name, mount_point=mount)["data"]["backup"]))
    policy = document["policy"]
    for entry in (policy["keys"][str(policy["latest_version"])], document["archived_keys"]["keys"][-1]):
        entry["creation_time"] -= int(age)
        entry["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(entry["creation_time"]))
    return b64(json.dumps(document).encode())


def test_auto_rotate_period_is_stored_and_validated(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("k", auto_rotate_period="2h", mount_point=mount)
    assert t.read_key("k", mount_point=mount)["data"]["auto_rotate_period"] == 7200
    t.update_key_configuration("k", auto_rotate_period="25h", mount_point=mount)
    assert t.read_key("k", mount_point=mount)["data"]["auto_rotate_period"] == 90000
    with pytest.raises(exceptions.InvalidRequest, match="at least an hour"):
        t.update_key_configuration("k", auto_rotate_period="10m", mount_point=mount)
    t.update_key_configuration("k", auto_rotate_period=0, mount_point=mount)
    assert t.read_key("k", mount_point=mount)["data"]["auto_rotate_period"] == 0
    assert t.read_key("k", mount_point=mount)["data"]["latest_version"] == 1


def test_a_key_whose_rotation_period_has_passed_rotates_before_its_next_use(vault: hvac.Client, mount: str) -> None:
    t = vault.secrets.transit
    t.create_key("k", exportable=True, allow_plaintext_backup=True, auto_rotate_period="1h", mount_point=mount)
    old = t.encrypt_data("k", plaintext=b64(b"before"), mount_point=mount)["data"]["ciphertext"]
    assert t.read_key("k", mount_point=mount)["data"]["latest_version"] == 1  # not due yet
    t.restore_key(_aged_backup(t, "k", mount, age=2 * 3600), name="due", mount_point=mount)
    sealed = t.encrypt_data("due", plaintext=b64(b"after"), mount_point=mount)["data"]
    assert (sealed["key_version"], sealed["ciphertext"].split(":")[1]) == (2, "v2")
    read = t.read_key("due", mount_point=mount)["data"]
    assert (read["latest_version"], sorted(read["keys"]), read["auto_rotate_period"]) == (2, ["1", "2"], 3600)
    assert t.decrypt_data("due", ciphertext=old, mount_point=mount)["data"]["plaintext"] == b64(b"before")
    assert t.read_key("due", mount_point=mount)["data"]["latest_version"] == 2  # the new version is not due


def test_an_imported_key_auto_rotates_only_if_it_allows_rotation(vault: hvac.Client, mount: str) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

    t = vault.secrets.transit
    pem = vault.adapter.get(f"/v1/{mount}/wrapping_key")["data"]["public_key"]
    public: Any = serialization.load_pem_public_key(pem.encode())

    def wrapped() -> str:
        ephemeral = os.urandom(32)
        sealed = public.encrypt(ephemeral, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                                                        label=None))
        return b64(sealed + aes_key_wrap_with_padding(ephemeral, os.urandom(32)))
    refused = vault.adapter.post(f"/v1/{mount}/keys/i/import", json={"ciphertext": wrapped(),
                                                                    "auto_rotate_period": "1h"},
                                 raise_exception=False)
    assert refused.status_code == 400
    assert refused.json() == {"errors": ["allow_rotation must be set to true if auto-rotation is enabled"]}
    vault.adapter.post(f"/v1/{mount}/keys/i/import", json={"ciphertext": wrapped()})
    with pytest.raises(exceptions.InvalidRequest, match="allow_rotation must be set"):
        t.update_key_configuration("i", auto_rotate_period="1h", mount_point=mount)
    vault.adapter.post(f"/v1/{mount}/keys/j/import", json={"ciphertext": wrapped(), "allow_rotation": True,
                                                          "auto_rotate_period": "1h"})
    assert t.read_key("j", mount_point=mount)["data"]["auto_rotate_period"] == 3600
