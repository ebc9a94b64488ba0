"""The cloud cells' identities and keys on the benchmarked Strongroom server, and their requests, built afresh
for each cell (a token fetched first, then the replayed request carrying it).

Identities are made with Strongroom's own CLI on the running server's data directory (``strongroom azure apps
create``, ``strongroom gcp service-accounts create``); keys and the values to open with the dialects' REST APIs.
Everything goes to the server's plain HTTP port: neither adapter asks for TLS.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import cloud
from bench.signing import PLAINTEXT_32, Request, RequestError
from bench.systems import DEV_ACCOUNT_ID, REPO, System, send, strongroom_env

CLI_TIMEOUT_S = 60


class CloudSetupError(RequestError):
    """A set-up call, or a token request before a cell, was refused."""


def _cli(*args: str) -> str:
    argv = [sys.executable, "-m", "strongroom", *args]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=strongroom_env(),
                          timeout=CLI_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise CloudSetupError(f"`strongroom {' '.join(args[:3])}` failed ({done.returncode}): {done.stderr[-500:]}")
    return done.stdout


def create_identities(data_dir: Path, port: int, work: Path) -> tuple[cloud.AzureApp, cloud.ServiceAccount]:
    """An Azure app registration and a Google service account of the dev account."""
    app = cloud.parse_app(_cli("azure", "apps", "create", "--account", DEV_ACCOUNT_ID, "--data-dir", str(data_dir)))
    key_file = work / "gcp-key.json"
    _cli("gcp", "service-accounts", "create", "--account", DEV_ACCOUNT_ID, "--project", cloud.GCP_PROJECT,
         "--name", cloud.GCP_ACCOUNT_NAME, "--key-file", str(key_file), "--token-uri",
         f"http://127.0.0.1:{port}/token", "--data-dir", str(data_dir))
    return app, cloud.service_account(json.loads(key_file.read_text()))


def _call(request: Request, port: int, member: str) -> Any:
    """Send a set-up request; the answer's ``member`` (a dotted path), or CloudSetupError."""
    status, reply, _ = send(request, port)
    value: Any = reply
    for part in member.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if status != 200 or value is None:
        raise CloudSetupError(f"{request.operation}: HTTP {status} {reply}")
    return value


@dataclass
class CloudClient:
    """What the cloud cells need: the identities, the Azure key's version and wrapped value, a Google ciphertext."""

    port: int
    azure: cloud.AzureApp
    account: cloud.ServiceAccount
    azure_version: str = ""
    azure_wrapped: str = ""
    gcp_ciphertext: str = ""

    def azure_token(self) -> str:
        return str(_call(cloud.azure_token_request(self.azure, self.port), self.port, "access_token"))

    def gcp_token(self, assertion: str | None = None) -> str:
        request = cloud.gcp_token_request(assertion or cloud.gcp_assertion(self.account), self.port)
        return str(_call(request, self.port, "access_token"))

    def request(self, operation: str) -> Request:
        """The replayed request of a cloud cell, with a token fetched now (a fresh assertion for Google's)."""
        if operation == "AzureToken":
            return cloud.azure_token_request(self.azure, self.port)
        if operation == "GcpToken":
            return cloud.gcp_token_request(cloud.gcp_assertion(self.account), self.port)
        if operation == "AzureUnwrapKey":
            return cloud.azure_unwrap_request(self.azure_token(), self.port, self.azure_version, self.azure_wrapped)
        if operation == "GcpDecrypt":
            return cloud.gcp_decrypt_request(self.gcp_token(), self.port, self.gcp_ciphertext)
        raise ValueError(f"not a cloud operation: {operation}")

    def prepare(self) -> None:
        """The Azure RSA-2048 key and one wrapped value; the Google key ring, key and one ciphertext; each checked
        by opening it once."""
        token = self.azure_token()
        kid = _call(cloud.azure_create_key_request(token, self.port), self.port, "key.kid")
        self.azure_version = cloud.key_version(str(kid))
        secret = bytes(range(cloud.WRAPPED_BYTES))
        self.azure_wrapped = str(_call(cloud.azure_wrap_request(token, self.port, self.azure_version, secret),
                                       self.port, "value"))
        opened = _call(self.request("AzureUnwrapKey"), self.port, "value")
        if opened != cloud.b64url(secret):
            raise CloudSetupError("Azure unwrapkey did not give back the wrapped value")
        token = self.gcp_token()
        for setup in cloud.gcp_setup_requests(token, self.port):
            _call(setup, self.port, "name")
        self.gcp_ciphertext = str(_call(cloud.gcp_encrypt_request(token, self.port), self.port, "ciphertext"))
        plaintext = _call(self.request("GcpDecrypt"), self.port, "plaintext")
        if base64.b64decode(plaintext) != PLAINTEXT_32:
            raise CloudSetupError("Google decrypt did not give back the plaintext")


def prepare(system: System, data_dir: Path, work: Path) -> CloudClient:
    """Identities and keys on ``system`` (the benchmarked Strongroom, its data in ``data_dir``)."""
    work.mkdir(parents=True, exist_ok=True)
    app, account = create_identities(data_dir, system.port, work)
    client = CloudClient(system.port, app, account)
    client.prepare()
    return client
