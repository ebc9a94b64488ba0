"""Vault HTTP API requests for the Transit cells (OpenBao and Strongroom's Vault API): the mount and key set-up,
encrypt and decrypt, each carrying the root token in ``X-Vault-Token``.

Unlike SigV4 requests they do not expire, so one request is built per cell and replayed as is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bench.signing import PLAINTEXT_32, Request, b64

MOUNT = "transit"
KEY_NAME = "bench"
KEY_TYPE = "aes256-gcm96"
CONTENT_TYPE = "application/json"
# What hvac (the Python Vault client) sends besides the token, so the request has a real size.
USER_AGENT = "python-requests/2.32.3"

# Cell operation -> Transit endpoint. The report pairs each with the AWS operation of the same meaning.
TRANSIT_OPERATIONS = {"TransitEncrypt": "encrypt", "TransitDecrypt": "decrypt"}
AWS_EQUIVALENT = {"TransitEncrypt": "Encrypt", "TransitDecrypt": "Decrypt"}
# What each reply must hold (a dotted path into the JSON reply) for the preflight to pass.
EXPECTED_REPLY_PATH = {"TransitEncrypt": "data.ciphertext", "TransitDecrypt": "data.plaintext"}


def vault_request(operation: str, path: str, params: Mapping[str, Any], port: int, token: str) -> Request:
    """``POST /v1/<path>`` with a JSON body, as a Vault client sends it."""
    host = f"127.0.0.1:{port}"
    headers = (
        ("Host", host),
        ("User-Agent", USER_AGENT),
        ("X-Vault-Request", "true"),
        ("X-Vault-Token", token),
        ("Content-Type", CONTENT_TYPE),
    )
    body = json.dumps(params, separators=(",", ":")).encode()
    return Request(operation, host, headers, body, method="POST", path=f"/v1/{path}")


def setup_requests(port: int, token: str) -> list[Request]:
    """Enable the Transit engine at ``transit/`` and create the ``bench`` key (aes256-gcm96)."""
    return [vault_request("EnableTransit", f"sys/mounts/{MOUNT}", {"type": "transit"}, port, token),
            vault_request("CreateTransitKey", f"{MOUNT}/keys/{KEY_NAME}", {"type": KEY_TYPE}, port, token)]


def transit_request(operation: str, port: int, token: str, ciphertext: str = "") -> Request:
    """Encrypt 32 bytes, or decrypt ``ciphertext`` ("vault:v1:..."), with the bench key."""
    endpoint = TRANSIT_OPERATIONS[operation]
    if endpoint == "encrypt":
        params = {"plaintext": b64(PLAINTEXT_32)}
    else:
        assert ciphertext.startswith("vault:v"), "decrypt needs a ciphertext from an earlier encrypt"
        params = {"ciphertext": ciphertext}
    return vault_request(operation, f"{MOUNT}/{endpoint}/{KEY_NAME}", params, port, token)


def reply_member(reply: Mapping[str, Any] | None, dotted: str) -> Any:
    """The value at ``dotted`` ("data.ciphertext") in a JSON reply, or None."""
    value: Any = reply
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
