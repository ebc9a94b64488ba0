"""Azure Key Vault and Google Cloud KMS requests for the cloud cells: the token steps (Azure's client-credentials
grant, Google's JWT-bearer grant), the set-up calls and the replayed data calls (Azure ``unwrapkey`` with an
RSA-2048 key, Google ``:decrypt`` with an ENCRYPT_DECRYPT key), each as a ``Request`` to replay.

Bearer tokens last an hour, so each cell's requests are built with a token fetched just before it. The Google
assertion is signed once per cell and replayed: the server accepts it until it expires (an hour at most).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt

from bench.signing import PLAINTEXT_32, Request, b64

USER_AGENT = "python-requests/2.32.3"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

AZURE_KEY = "bench-rsa"
AZURE_API_VERSION = "7.4"
AZURE_ALG = "RSA-OAEP-256"
AZURE_SCOPE = "https://vault.azure.net/.default"
WRAPPED_BYTES = 96  # a data key of libmongocrypt's size

GCP_PROJECT = "bench"
GCP_LOCATION = "global"
GCP_KEY_RING = "bench"
GCP_KEY = "bench"
GCP_ACCOUNT_NAME = "bench-client"
GCP_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GCP_AUDIENCE = "https://oauth2.googleapis.com/token"  # google-auth's fixed assertion audience
GCP_SCOPE = "https://www.googleapis.com/auth/cloudkms"
ASSERTION_SECONDS = 3600

# Data operations and the AWS operation each is paired with; token operations.
DATA_OPERATIONS = {"AzureUnwrapKey": "Decrypt", "GcpDecrypt": "Decrypt"}
TOKEN_OPERATIONS = ("AzureToken", "GcpToken")
CLOUD_OPERATIONS = (*DATA_OPERATIONS, *TOKEN_OPERATIONS)
EXPECTED_REPLY_PATH = {"AzureUnwrapKey": "value", "GcpDecrypt": "plaintext", "AzureToken": "access_token",
                       "GcpToken": "access_token"}
LABELS = {"AzureUnwrapKey": "Azure unwrapkey", "GcpDecrypt": "Google decrypt",
          "AzureToken": "Azure token (client credentials)", "GcpToken": "Google token (JWT bearer)"}


@dataclass(frozen=True, slots=True)
class AzureApp:
    tenant_id: str
    client_id: str
    client_secret: str


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    client_email: str
    private_key: str  # PEM
    private_key_id: str


def parse_app(text: str) -> AzureApp:
    """``strongroom azure apps create``'s output (``name = value`` lines)."""
    values = dict(tuple(part.strip() for part in line.split("=", 1)) for line in text.splitlines() if "=" in line)
    try:
        return AzureApp(values["tenant_id"], values["client_id"], values["client_secret"])
    except KeyError as exc:
        raise ValueError(f"no {exc.args[0]} in the output of `azure apps create`: {text!r}") from None


def service_account(key_file: Mapping[str, Any]) -> ServiceAccount:
    """The members of a JSON key file the assertion needs."""
    return ServiceAccount(str(key_file["client_email"]), str(key_file["private_key"]),
                          str(key_file["private_key_id"]))


def b64url(data: bytes) -> str:
    """Key Vault's base64url, unpadded (as the Azure SDK sends it)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _request(operation: str, method: str, path: str, body: bytes, content_type: str, port: int,
             token: str = "") -> Request:
    host = f"127.0.0.1:{port}"
    headers = [("Host", host), ("User-Agent", USER_AGENT), ("Accept", JSON), ("Content-Type", content_type)]
    if token:
        headers.append(("Authorization", f"Bearer {token}"))
    return Request(operation, host, tuple(headers), body, method=method, path=path)


def json_request(operation: str, method: str, path: str, params: Mapping[str, Any] | None, port: int,
                 token: str) -> Request:
    body = json.dumps(params, separators=(",", ":")).encode() if params is not None else b""
    return _request(operation, method, path, body, JSON, port, token)


# --- Azure ----------------------------------------------------------------------------------------


def azure_token_request(app: AzureApp, port: int) -> Request:
    """``POST /{tenant}/oauth2/v2.0/token``: the client-credentials grant, as MSAL sends it."""
    form = urlencode({"client_id": app.client_id, "client_secret": app.client_secret, "scope": AZURE_SCOPE,
                      "grant_type": "client_credentials"}).encode()
    return _request("AzureToken", "POST", f"/{app.tenant_id}/oauth2/v2.0/token", form, FORM, port)


def _azure_path(*parts: str) -> str:
    return "/keys/" + "/".join(parts) + f"?api-version={AZURE_API_VERSION}"


def azure_create_key_request(token: str, port: int) -> Request:
    return json_request("AzureCreateKey", "POST", _azure_path(AZURE_KEY, "create"),
                        {"kty": "RSA", "key_size": 2048}, port, token)


def azure_wrap_request(token: str, port: int, version: str, value: bytes) -> Request:
    return json_request("AzureWrapKey", "POST", _azure_path(AZURE_KEY, version, "wrapkey"),
                        {"alg": AZURE_ALG, "value": b64url(value)}, port, token)


def azure_unwrap_request(token: str, port: int, version: str, wrapped: str) -> Request:
    """``POST /keys/{name}/{version}/unwrapkey``: ``wrapped`` is the base64url value ``wrapkey`` answered."""
    assert wrapped, "unwrapkey needs a value from an earlier wrapkey"
    return json_request("AzureUnwrapKey", "POST", _azure_path(AZURE_KEY, version, "unwrapkey"),
                        {"alg": AZURE_ALG, "value": wrapped}, port, token)


def key_version(kid: str) -> str:
    """The version of a Key Vault key identifier (``https://…/keys/{name}/{version}``)."""
    version = kid.rstrip("/").rsplit("/", 1)[-1]
    if not version or version == AZURE_KEY:
        raise ValueError(f"no version in the key identifier {kid!r}")
    return version


# --- Google ---------------------------------------------------------------------------------------


def gcp_assertion(account: ServiceAccount, now: int | None = None) -> str:
    """The RS256 JWT google-auth signs for the token endpoint (``kid``, its fixed audience, an hour's life)."""
    issued = int(time.time()) if now is None else now
    claims = {"iss": account.client_email, "sub": account.client_email, "aud": GCP_AUDIENCE, "scope": GCP_SCOPE,
              "iat": issued, "exp": issued + ASSERTION_SECONDS}
    return jwt.encode(claims, account.private_key, algorithm="RS256", headers={"kid": account.private_key_id})


def gcp_token_request(assertion: str, port: int) -> Request:
    """``POST /token``: the JWT-bearer grant."""
    form = urlencode({"grant_type": GCP_GRANT, "assertion": assertion}).encode()
    return _request("GcpToken", "POST", "/token", form, FORM, port)


def gcp_location_path() -> str:
    return f"/v1/projects/{GCP_PROJECT}/locations/{GCP_LOCATION}"


def gcp_key_path() -> str:
    return f"{gcp_location_path()}/keyRings/{GCP_KEY_RING}/cryptoKeys/{GCP_KEY}"


def gcp_setup_requests(token: str, port: int) -> list[Request]:
    """Create the key ring and its ENCRYPT_DECRYPT crypto key."""
    ring = f"{gcp_location_path()}/keyRings"
    return [json_request("GcpCreateKeyRing", "POST", f"{ring}?keyRingId={GCP_KEY_RING}", {}, port, token),
            json_request("GcpCreateCryptoKey", "POST", f"{ring}/{GCP_KEY_RING}/cryptoKeys?cryptoKeyId={GCP_KEY}",
                         {"purpose": "ENCRYPT_DECRYPT"}, port, token)]


def gcp_encrypt_request(token: str, port: int) -> Request:
    return json_request("GcpEncrypt", "POST", f"{gcp_key_path()}:encrypt", {"plaintext": b64(PLAINTEXT_32)}, port,
                        token)


def gcp_decrypt_request(token: str, port: int, ciphertext: str) -> Request:
    """``POST …/cryptoKeys/{key}:decrypt`` of a ciphertext an earlier ``:encrypt`` answered (base64)."""
    assert ciphertext, "decrypt needs a ciphertext from an earlier encrypt"
    return json_request("GcpDecrypt", "POST", f"{gcp_key_path()}:decrypt", {"ciphertext": ciphertext}, port, token)
