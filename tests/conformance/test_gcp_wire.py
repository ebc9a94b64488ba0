"""The Google dialect's refusals over the wire, against a real server: malformed JSON, unknown routes, bad,
forged and expired tokens, a token of another account, unknown and disabled versions — each in Google's error
shape with its status, and each in the audit trail (read back with ``strongroom audit export``), which holds no
plaintext, ciphertext or token."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from kms_harness import ServerInfo, clean_env

PROJECT = "wire-conformance"
SECRET = b"wire plaintext that must never be logged"


def _service_account(server: ServerInfo, path: Path, project: str, name: str, account: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "strongroom", "gcp", "service-accounts", "create", "--account", account,
           "--project", project, "--name", name, "--key-file", str(path), "--token-uri",
           f"https://127.0.0.1:{server.tls_port}/token", "--data-dir", str(server.data_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(path.read_text()))


def _assertion(info: dict[str, Any], **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": info["client_email"], "sub": info["client_email"], "iat": now, "exp": now + 600,
            "scope": "https://www.googleapis.com/auth/cloudkms", **claims}
    return jwt.encode(body, info["private_key"], algorithm="RS256", headers={"kid": info["private_key_id"]})


class Api:
    def __init__(self, server: ServerInfo, token: str) -> None:
        self.base = f"https://127.0.0.1:{server.tls_port}"
        self.verify = str(server.ca_file)
        self.token = token

    def send(self, method: str, path: str, body: Any = None, raw: bytes | None = None,
             token: str | None = None) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        bearer = self.token if token is None else token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        return requests.request(method, f"{self.base}{path}", data=data, headers=headers, verify=self.verify,
                                timeout=20)


def _error(response: requests.Response, code: int, status: str) -> str:
    assert response.status_code == code, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (code, status), error
    return str(error["message"])


@pytest.fixture(scope="module")
def accounts(server: ServerInfo, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = tmp_path_factory.mktemp("gcp-wire")
    ours = _service_account(server, folder / "ours.json", PROJECT, "wire-client", server.account_id)
    theirs = _service_account(server, folder / "theirs.json", "their-project", "other-client", "444455556666")
    return ours, theirs


def test_refusals_in_googles_shape_and_in_the_audit_trail(server: ServerInfo, accounts: Any) -> None:
    ours, theirs = accounts
    api = Api(server, _assertion(ours))
    ring = f"/v1/projects/{PROJECT}/locations/global/keyRings"
    assert api.send("POST", f"{ring}?keyRingId=wire", {}).status_code == 200
    key = f"{ring}/wire/cryptoKeys/k"
    assert api.send("POST", f"{ring}/wire/cryptoKeys?cryptoKeyId=k", {"purpose": "ENCRYPT_DECRYPT"}).status_code == 200
    sealed = api.send("POST", f"{key}:encrypt", {"plaintext": base64.b64encode(SECRET).decode()}).json()

    _error(api.send("POST", f"{key}:encrypt", raw=b'{"plaintext": '), 400, "INVALID_ARGUMENT")
    _error(api.send("GET", f"{key}:nothing"), 404, "NOT_FOUND")
    _error(api.send("GET", ring, token="not-a-token"), 401, "UNAUTHENTICATED")
    forged = _assertion({**ours, "private_key": theirs["private_key"]})
    _error(api.send("GET", ring, token=forged), 401, "UNAUTHENTICATED")
    expired = _assertion(ours, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    _error(api.send("GET", ring, token=expired), 401, "UNAUTHENTICATED")
    _error(api.send("GET", f"{ring}/wire", token=_assertion(theirs)), 403, "PERMISSION_DENIED")
    _error(api.send("GET", f"{key}/cryptoKeyVersions/9"), 404, "NOT_FOUND")
    assert api.send("PATCH", f"{key}/cryptoKeyVersions/1?updateMask=state", {"state": "DISABLED"}).status_code == 200
    message = _error(api.send("POST", f"{key}:decrypt", {"ciphertext": sealed["ciphertext"]}), 400,
                     "FAILED_PRECONDITION")
    assert "DISABLED" in message
    token = requests.post(f"{api.base}/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                                     "assertion": forged}, verify=api.verify, timeout=20)
    assert token.status_code == 400 and token.json()["error"] == "invalid_grant"

    done = subprocess.run([sys.executable, "-m", "strongroom", "audit", "export", "-", "--data-dir",
                           str(server.data_dir)], capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 0, done.stderr
    assert base64.b64encode(SECRET).decode() not in done.stdout and sealed["ciphertext"] not in done.stdout
    assert forged not in done.stdout
    events = [json.loads(line) for line in done.stdout.splitlines()]
    ours_events = [e for e in events if e.get("eventSource") == "cloudkms.strongroom"]
    scoped = [e for e in ours_events if e["eventName"] == "GenerateAccessToken"
              or PROJECT in (e.get("requestParameters") or {}).get("name", "")]
    codes = [(e["eventName"], e.get("errorCode")) for e in scoped]
    for expected in [("Encrypt", None), ("Encrypt", "INVALID_ARGUMENT"), ("ListKeyRings", "UNAUTHENTICATED"),
                     ("GetKeyRing", "PERMISSION_DENIED"), ("GetCryptoKeyVersion", "NOT_FOUND"),
                     ("Decrypt", "FAILED_PRECONDITION"), ("GenerateAccessToken", "invalid_grant")]:
        assert expected in codes, (expected, codes[-20:])
    assert len([c for c in codes if c == ("ListKeyRings", "UNAUTHENTICATED")]) >= 3
    denied = next(e for e in ours_events if e.get("errorCode") == "PERMISSION_DENIED"
                  and e["requestParameters"]["name"] == f"{ring[4:]}/wire")
    assert denied["userIdentity"]["accountId"] == "444455556666"
