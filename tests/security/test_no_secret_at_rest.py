"""No secret a client handed the server, or the server handed a client, can be found where it keeps or shows
things: the database files, the server's log (with the access log on), the audit trail export, the metrics and a
backup. Marked plaintexts, key material, access-key secrets, Vault tokens, KMIP secret data and Azure client
secrets go through every dialect, then every place is scanned for them (raw, base64, base64url and hex)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest
from kms_harness import ServerInfo, ServerProcess, clean_env

with_warnings = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def _forms(secret: bytes) -> list[bytes]:
    forms = [secret, base64.b64encode(secret), base64.urlsafe_b64encode(secret).rstrip(b"="), secret.hex().encode()]
    return [form for form in forms if len(form) >= 12]


def _strongroom(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "strongroom", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=120, env=clean_env())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("secrets") / "data", kmip=True,
                            extra_args=["--workers", "1", "--access-log"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


@with_warnings
def test_secrets_used_everywhere_are_found_nowhere(server: ServerInfo, tmp_path: Path) -> None:
    info = server
    data_dir = info.ca_file.parents[1]
    secrets: list[bytes] = []

    kms = info.client()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = b"MARKER-plaintext-" + os.urandom(12).hex().encode()
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")["Plaintext"]
    random_bytes = kms.generate_random(NumberOfBytes=32)["Plaintext"]
    hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    mac = kms.generate_mac(KeyId=hmac_key, Message=plaintext, MacAlgorithm="HMAC_SHA_256")["Mac"]
    made = _strongroom(data_dir, "credentials", "create", "--account", info.account_id)
    assert made.returncode == 0, made.stderr
    new_secret = next(token for token in made.stdout.split() if len(token) == 40 and not token.startswith("AKIA"))
    secrets += [plaintext, data_key, random_bytes, mac, info.secret_access_key.encode(), new_secret.encode()]

    token = (data_dir / "dev-vault-token").read_text().strip()
    vault = hvac.Client(url=info.endpoint, token=token)
    vault.sys.enable_secrets_engine("transit", path="transit")
    vault.secrets.transit.create_key("orders")
    transit_plain = b"MARKER-transit-" + os.urandom(12).hex().encode()
    sealed = vault.secrets.transit.encrypt_data("orders", base64.b64encode(transit_plain).decode())
    assert base64.b64decode(vault.secrets.transit.decrypt_data(
        "orders", sealed["data"]["ciphertext"])["data"]["plaintext"]) == transit_plain
    secrets += [token.encode(), transit_plain]

    from kmip.core import enums
    from kmip.pie import objects
    from kmip.pie.client import ProxyKmipClient

    (tmp_path / "pykmip.conf").write_text("")
    kmip_secret = b"MARKER-kmip-" + os.urandom(12).hex().encode()
    with ProxyKmipClient(hostname="127.0.0.1", port=info.kmip_port, cert=str(info.kmip_cert), key=str(info.kmip_key),
                         ca=str(info.ca_file), config_file=str(tmp_path / "pykmip.conf"),
                         kmip_version=enums.KMIPVersion.KMIP_1_2) as client:
        uid = client.register(objects.SecretData(kmip_secret, enums.SecretDataType.PASSWORD))
        client.activate(uid)
        assert client.get(uid).value == kmip_secret
    secrets.append(kmip_secret)

    app = _strongroom(data_dir, "azure", "apps", "create", "--account", info.account_id)
    assert app.returncode == 0, app.stderr
    secrets.append(app.stdout.split("client_secret =")[1].split()[0].encode())

    metrics = urllib.request.urlopen(f"{info.endpoint}/metrics", timeout=10).read()
    audit = tmp_path / "audit.jsonl"
    assert _strongroom(data_dir, "audit", "export", str(audit)).returncode == 0
    backup = tmp_path / "backup.json"
    assert _strongroom(data_dir, "backup", str(backup)).returncode == 0, "backup failed"
    log_records = "\n".join(line for line in info.log_text().splitlines() if line.startswith("{"))
    assert '"logger":"strongroom.access"' in log_records  # the access log was on
    places = {"metrics": metrics, "audit export": audit.read_bytes(), "backup": backup.read_bytes(),
              "server log": log_records.encode()}  # the dev banner shows the dev credentials on purpose
    for path in data_dir.rglob("*"):
        if path.is_file() and "strongroom.db" in path.name:
            places[str(path.relative_to(data_dir))] = path.read_bytes()
    assert any("strongroom.db" in name for name in places)
    assert audit.read_bytes().count(b"\n") > 10
    found = [(where, secret[:16]) for secret in secrets for form in _forms(secret)
             for where, content in places.items() if form in content]
    assert found == [], f"secrets found: {found}"
