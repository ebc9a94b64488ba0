"""``strongroom azure apps`` and ``strongroom gcp service-accounts``: identities made, listed, deleted; the key file
is what google-auth reads, and the core accepts what it signs."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from pathlib import Path

import jwt
from google.oauth2 import service_account

from strongroom.domain.workload_identities import AZURE_APP, GCP_SERVICE_ACCOUNT
from strongroom.trust.key_file import create_root_key_file
from tests.conftest import open_core


def strongroom(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "strongroom", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def fields(output: str) -> dict[str, str]:
    return {k.strip(): v.strip() for k, v in (line.split("=", 1) for line in output.splitlines() if "=" in line)}


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    create_root_key_file(data / "root.key")
    return data


def test_an_azure_app_is_made_listed_and_deleted(tmp_path: Path) -> None:
    data = _data(tmp_path)
    made = strongroom(data, "azure", "apps", "create", "--account", "111122223333", "--description", "orders")
    assert made.returncode == 0, made.stderr
    app = fields(made.stdout)
    listed = strongroom(data, "azure", "apps", "list")
    assert app["client_id"] in listed.stdout and "orders" in listed.stdout and app["client_secret"] not in listed.stdout
    core = open_core(data)
    try:
        found = core.workload_identities.authenticate_secret(AZURE_APP, app["client_id"], app["client_secret"],
                                                             app["tenant_id"])
        assert found.account_id == "111122223333"
    finally:
        core.close()
    assert strongroom(data, "azure", "apps", "delete", app["client_id"]).returncode == 0
    assert app["client_id"] not in strongroom(data, "azure", "apps", "list").stdout
    gone = strongroom(data, "azure", "apps", "delete", app["client_id"])
    assert gone.returncode == 1 and "no workload identity" in gone.stderr


def test_a_service_account_key_file_signs_what_the_core_accepts(tmp_path: Path) -> None:
    data, key_file = _data(tmp_path), tmp_path / "sa.json"
    made = strongroom(data, "gcp", "service-accounts", "create", "--account", "111122223333", "--project", "proj",
                      "--name", "kms-client", "--key-file", str(key_file), "--token-uri", "https://127.0.0.1:9/token")
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    info = json.loads(key_file.read_text())
    assert info["client_email"] == "kms-client@proj.iam.gserviceaccount.com" and info["token_uri"].endswith(":9/token")
    credentials = service_account.Credentials.from_service_account_info(info)  # google-auth reads it
    now = int(time.time())
    claims = {"iss": credentials.service_account_email, "aud": "https://oauth2.googleapis.com/token",
              "iat": now, "exp": now + 600}
    assertion = jwt.encode(claims, info["private_key"], algorithm="RS256", headers={"kid": info["private_key_id"]})
    core = open_core(data)
    try:
        found = core.workload_identities.authenticate_assertion(GCP_SERVICE_ACCOUNT, assertion, None)
        assert found.identity_id == info["client_email"] and found.public_key and info["private_key"] not in str(
            [found.public_key, found.description])
    finally:
        core.close()
    refused = strongroom(data, "gcp", "service-accounts", "create", "--account", "111122223333", "--project", "proj",
                         "--name", "Bad_Name", "--key-file", str(tmp_path / "x.json"))
    assert refused.returncode == 2 and not (tmp_path / "x.json").exists()
