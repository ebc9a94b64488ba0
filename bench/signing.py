"""Requests ready to replay (SigV4-signed KMS requests, signed exactly as boto3 signs them, or Vault requests
carrying a token: bench/transit.py) and the wrk Lua scripts that replay them.

A signed request carries its ``X-Amz-Date``; Strongroom accepts it for 5 minutes, so the harness signs
afresh for every cell (each cell lasts seconds).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"
SERVICE = "kms"
CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "TrentService."
# What boto3 adds besides the signed headers (unsigned, as boto3 sends them), so the request has a real size.
USER_AGENT = ("Boto3/1.44.5 md/Botocore#1.44.5 ua/2.1 os/linux lang/python#3.11.7 md/pyimpl#CPython "
              "cfg/retry-mode#legacy")
PLAINTEXT_32 = bytes(range(32))
REQUEST_SEPARATOR = "\n@@STRONGROOM-BENCH-REQUEST@@\n"
RESULT_PREFIX = "BENCH-RESULT"


class RequestError(RuntimeError):
    """A cell's requests could not be built (e.g. its bearer token was refused): the cell fails, the run goes on."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request as replayed: a KMS operation (POST /) or a Vault call (e.g. POST /v1/transit/...)."""

    operation: str  # "Encrypt", ... or "TransitEncrypt", ...: what the preflight checks the reply for
    host: str  # the Host value, "127.0.0.1:<port>"
    headers: tuple[tuple[str, str], ...]  # everything but Content-Length, in sending order
    body: bytes
    method: str = "POST"
    path: str = "/"

    def raw(self) -> bytes:
        """The request as it goes on the wire (HTTP/1.1, keep-alive)."""
        lines = [f"{self.method} {self.path} HTTP/1.1", *(f"{name}: {value}" for name, value in self.headers),
                 f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def operation_params(operation: str, *, key_id: str | None = None, ciphertext: bytes | None = None,
                     destination_key_id: str | None = None, sign_key_id: str | None = None,
                     mac_key_id: str | None = None) -> dict[str, Any]:
    """The JSON body of each benchmarked operation, as boto3 would send it."""
    if operation == "Encrypt":
        return {"KeyId": key_id, "Plaintext": b64(PLAINTEXT_32)}
    if operation == "Decrypt":
        assert ciphertext is not None
        return {"CiphertextBlob": b64(ciphertext)}
    if operation == "GenerateDataKey":
        return {"KeyId": key_id, "KeySpec": "AES_256"}
    if operation == "ReEncrypt":
        assert ciphertext is not None
        return {"CiphertextBlob": b64(ciphertext), "DestinationKeyId": destination_key_id}
    if operation == "Sign":
        return {"KeyId": sign_key_id, "Message": b64(PLAINTEXT_32), "MessageType": "RAW",
                "SigningAlgorithm": "ECDSA_SHA_256"}
    if operation == "GenerateMac":
        return {"KeyId": mac_key_id, "Message": b64(PLAINTEXT_32), "MacAlgorithm": "HMAC_SHA_256"}
    if operation == "CreateKey":
        return {"Description": "strongroom bench"}
    raise ValueError(f"no request body defined for {operation}")


def sign(operation: str, params: Mapping[str, Any], port: int, key: SigningKey,
         region: str = REGION) -> Request:
    """Sign with botocore's SigV4Auth, over exactly the headers boto3 signs for KMS."""
    host = f"127.0.0.1:{port}"
    body = json.dumps(params, separators=(",", ":")).encode()
    request = AWSRequest(method="POST", url=f"http://{host}/", data=body, headers={
        "Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + operation, "Host": host})
    SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), SERVICE, region).add_auth(request)
    signed = dict(request.headers.items())
    headers = (
        ("Host", host),
        ("X-Amz-Target", signed["X-Amz-Target"]),
        ("Content-Type", signed["Content-Type"]),
        ("User-Agent", USER_AGENT),
        ("X-Amz-Date", signed["X-Amz-Date"]),
        ("Authorization", signed["Authorization"]),
        ("amz-sdk-invocation-id", str(uuid.uuid4())),
        ("amz-sdk-request", "attempt=1"),
    )
    return Request(operation, host, headers, body)


# --- Lua ----------------------------------------------------------------------------------------


def lua_string(text: str) -> str:
    """A Lua double-quoted string literal for ``text`` (bytes 0-255 as latin-1)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= code < 127:
            out.append(ch)
        else:
            out.append(f"\\{code:03d}")
    out.append('"')
    return "".join(out)


_DONE = f"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "{RESULT_PREFIX} requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d "
    .. "p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f mean_us=%.1f\\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
"""


def static_script(request: Request) -> str:
    """One fixed request, replayed (wrk formats it once: no Lua runs per request)."""
    lines = [f"-- generated by bench/signing.py: one fixed {request.operation} request",
             f"wrk.method = {lua_string(request.method)}", f"wrk.path = {lua_string(request.path)}",
             "wrk.headers = {}"]
    lines += [f"wrk.headers[{lua_string(name)}] = {lua_string(value)}" for name, value in request.headers]
    lines.append(f"wrk.body = {lua_string(request.body.decode('latin-1'))}")
    return "\n".join(lines) + "\n" + _DONE


def write_request_file(requests: Iterable[Request], path: Path) -> int:
    """Raw requests, each followed by REQUEST_SEPARATOR (which no HTTP request or JSON body contains)."""
    count = 0
    with open(path, "wb") as out:
        for request in requests:
            out.write(request.raw())
            out.write(REQUEST_SEPARATOR.encode())
            count += 1
    return count


def cycling_script(request_file: Path) -> str:
    """Many pre-signed requests (e.g. one per key), sent in file order, cycling."""
    return f"""-- generated by bench/signing.py: pre-signed raw requests, cycled
local requests = {{}}
local index = 0

function init(args)
  local f = assert(io.open({lua_string(str(request_file))}, "rb"))
  local data = f:read("*a")
  f:close()
  local sep = {lua_string(REQUEST_SEPARATOR)}
  local pos = 1
  while true do
    local s, e = string.find(data, sep, pos, true)
    if not s then break end
    requests[#requests + 1] = string.sub(data, pos, s - 1)
    pos = e + 1
  end
  assert(#requests > 0, "no requests in file")
end

function request()
  index = index % #requests + 1
  return requests[index]
end
""" + _DONE
