"""An in-process stand-in for AWS KMS Encrypt/Decrypt that checks SigV4 the way a real KMS does.

Both our ``aws`` provider (through ``kms_transport``) and libmongocrypt (through the oracle's
``kms_request``) can be pointed at it. Its ciphertext blobs name their CMK, so Decrypt needs no KeyId.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom_client.providers.http import HttpRequest, HttpResponse

ACCESS_KEY_ID = "AKIAFAKEFAKEFAKEFAKE"
SECRET_ACCESS_KEY = "fake/secret/access/key/0123456789abcdef00"
REGION = "us-east-1"
CMK = "arn:aws:kms:us-east-1:111122223333:key/0b7f5a44-3c8e-4f5e-9f3c-000000000001"
OTHER_CMK = "arn:aws:kms:us-east-1:111122223333:key/0b7f5a44-3c8e-4f5e-9f3c-000000000002"


@dataclass
class Seen:
    target: str
    host: str
    body: dict[str, str]


@dataclass
class FakeAwsKms:
    cmks: set[str] = field(default_factory=lambda: {CMK, OTHER_CMK})
    disabled: set[str] = field(default_factory=set)
    seen: list[Seen] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    _aead: AESGCM = field(default_factory=lambda: AESGCM(AESGCM.generate_key(256)), repr=False)

    # ------------------------------------------------------------------ the two front doors

    def transport(self, request: HttpRequest) -> HttpResponse:
        """Our provider's ``kms_transport``."""
        status, body = self.handle(request.method, request.path, request.headers, request.body)
        return HttpResponse(status, body)

    def respond_raw(self, message: bytes) -> bytes:
        """libmongocrypt's HTTP request bytes in, HTTP/1.1 response bytes out."""
        head, _, body = message.partition(b"\r\n\r\n")
        request_line, *lines = head.decode().split("\r\n")
        method, path, _ = request_line.split(" ")
        headers = [(n.strip(), v.strip()) for n, _, v in (line.partition(":") for line in lines)]
        status, answer = self.handle(method, path, headers, body)
        return b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (status, len(answer), answer)

    # ------------------------------------------------------------------ the service

    def handle(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, bytes]:
        if self.fail_next:
            return self.fail_next.pop(0), b'{"__type": "KMSInternalException", "message": "try again"}'
        found = {name.lower(): value for name, value in headers}
        if not self._signature_ok(method, path, found, body):
            return _error(400, "InvalidSignatureException", "signature mismatch")
        payload = json.loads(body)
        target = found.get("x-amz-target", "")
        self.seen.append(Seen(target, found["host"], payload))
        if target == "TrentService.Encrypt":
            key = payload["KeyId"]
            if key not in self.cmks:
                return _error(400, "NotFoundException", f"{key} not found")
            nonce = os.urandom(12)
            blob = (
                key.encode()
                + b"\n"
                + nonce
                + self._aead.encrypt(nonce, base64.b64decode(payload["Plaintext"]), key.encode())
            )
            return 200, json.dumps({"CiphertextBlob": base64.b64encode(blob).decode(), "KeyId": key}).encode()
        if target == "TrentService.Decrypt":
            blob = base64.b64decode(payload["CiphertextBlob"])
            key_bytes, _, rest = blob.partition(b"\n")
            key = key_bytes.decode(errors="replace")
            if key in self.disabled:
                return _error(400, "DisabledException", f"{key} is disabled")
            try:
                plaintext = self._aead.decrypt(rest[:12], rest[12:], key_bytes)
            except Exception:
                return _error(400, "InvalidCiphertextException", "")
            return 200, json.dumps({"Plaintext": base64.b64encode(plaintext).decode(), "KeyId": key}).encode()
        return _error(400, "UnknownOperationException", target)

    def _signature_ok(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bool:
        auth = headers.get("authorization", "")
        try:
            scope = auth.split("Credential=")[1].split(",")[0]
            signed_names = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
            signature = auth.split("Signature=")[1].strip()
        except IndexError:
            return False
        access_key, _date, region, service, _ = scope.split("/")
        if access_key != ACCESS_KEY_ID or service != "kms" or "host" not in signed_names:
            return False
        request = AWSRequest(
            method=method,
            url=f"https://{headers['host']}{path}",
            data=body,
            headers={name: headers[name] for name in signed_names},
        )
        request.context["timestamp"] = headers["x-amz-date"]
        signer = SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "kms", region)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        return expected == signature


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"__type": code, "message": message}).encode()
