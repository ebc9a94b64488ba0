"""The ``aws`` provider: AWS KMS ``TrentService.Encrypt`` / ``Decrypt`` over HTTPS, signed with SigV4.

Works against AWS KMS itself and against any KMS that speaks its JSON 1.1 API (Strongroom).

* ``kms_providers`` entry: ``{"accessKeyId", "secretAccessKey"[, "sessionToken"]}``.
* ``masterKey`` stored: ``{"provider", "region", "key"[, "endpoint"]}``; ``key`` is the CMK (id, ARN or
  alias), ``endpoint`` defaults to ``kms.<region>.amazonaws.com`` and is stored as ``host[:port]``.
* Wrap: ``Encrypt {"KeyId": key, "Plaintext": b64(data key)}``, keeping ``CiphertextBlob`` as keyMaterial.
  Unwrap: ``Decrypt {"CiphertextBlob": …}`` with no KeyId, as libmongocrypt sends it; the plaintext must
  be exactly 96 bytes.

Signing is botocore's ``SigV4Auth`` (service ``kms``, the master key's region). Statuses 408, 429, 500, 502,
503 and 509 and network errors are retried, as libmongocrypt retries them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from strongroom_client.errors import ConfigurationError, KmsError
from strongroom_client.providers.base import DATA_KEY_BYTES, check_data_key, check_fields
from strongroom_client.providers.endpoint import Endpoint, parse_endpoint
from strongroom_client.providers.http import HttpRequest, RetryPolicy, Transport

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 509})
CONTENT_TYPE = "application/x-amz-json-1.1"


class AwsProvider:
    """An ``aws`` (or ``aws:<name>``) provider. Credentials are held privately and never printed."""

    __slots__ = ("_credentials", "_name", "_retry", "_transport")

    def __init__(
        self, name: str, credentials: Mapping[str, Any], *, transport: Transport, retry: RetryPolicy | None = None
    ) -> None:
        where = f"kms_providers[{name!r}]"
        if not credentials:
            raise ConfigurationError(
                f"{where}: on-demand AWS credentials are not supported; give accessKeyId and secretAccessKey"
            )
        check_fields(where, credentials, ("accessKeyId", "secretAccessKey"), ("sessionToken",))
        self._name = name
        self._credentials = Credentials(
            credentials["accessKeyId"], credentials["secretAccessKey"], credentials.get("sessionToken")
        )
        self._transport = transport
        self._retry = retry or RetryPolicy()

    def __repr__(self) -> str:
        return f"AwsProvider({self._name!r}, accessKeyId={self._credentials.access_key!r}, secret=<secret>)"

    def __reduce__(self) -> Any:
        raise TypeError("a provider holding credentials cannot be pickled")

    @property
    def name(self) -> str:
        return self._name

    def master_key_document(self, master_key: Mapping[str, Any] | None) -> dict[str, Any]:
        given = dict(master_key or {})
        given.pop("provider", None)
        check_fields(f"master key for {self._name!r}", given, ("region", "key"), ("endpoint",))
        document = {"provider": self._name, "region": given["region"], "key": given["key"]}
        if "endpoint" in given:
            document["endpoint"] = parse_endpoint(given["endpoint"]).host_and_port
        return document

    def provision(self, master_key: Mapping[str, Any]) -> dict[str, Any]:
        return dict(master_key)

    def wrap(self, data_key: bytes, master_key: Mapping[str, Any]) -> bytes:
        plaintext = base64.b64encode(check_data_key(data_key, self._name)).decode()
        answer = self._call("Encrypt", {"KeyId": master_key["key"], "Plaintext": plaintext}, master_key)
        blob = _b64_field(answer, "CiphertextBlob", self._name)
        if not blob:
            raise KmsError(f"KMS provider {self._name!r}: Encrypt returned an empty CiphertextBlob")
        return blob

    def unwrap(self, key_material: bytes, master_key: Mapping[str, Any]) -> bytes:
        answer = self._call("Decrypt", {"CiphertextBlob": base64.b64encode(key_material).decode()}, master_key)
        data_key = _b64_field(answer, "Plaintext", self._name)
        if len(data_key) != DATA_KEY_BYTES:
            raise KmsError(f"KMS provider {self._name!r}: Decrypt returned {len(data_key)} bytes, not a data key")
        return data_key

    def _call(self, operation: str, payload: dict[str, Any], master_key: Mapping[str, Any]) -> dict[str, Any]:
        region = str(master_key["region"])
        endpoint = parse_endpoint(str(master_key.get("endpoint") or f"kms.{region}.amazonaws.com"))
        body = json.dumps(payload).encode()
        response = self._retry.send(
            lambda: self._signed(operation, body, region, endpoint), self._transport, RETRY_STATUSES
        )
        if response.status != 200:
            raise _error(self._name, operation, response.status, response.body)
        try:
            answer = json.loads(response.body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise KmsError(f"KMS provider {self._name!r}: {operation} answered with no JSON object", status=200)
        return answer

    def _signed(self, operation: str, body: bytes, region: str, endpoint: Endpoint) -> HttpRequest:
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Host": endpoint.host_header,
            "X-Amz-Target": f"TrentService.{operation}",
        }
        request = AWSRequest(method="POST", url=f"https://{endpoint.host_header}/", data=body, headers=headers)
        SigV4Auth(self._credentials, "kms", region).add_auth(request)
        signed = [(name, str(value)) for name, value in request.headers.items()]
        signed += [("Content-Length", str(len(body))), ("Connection", "close")]
        return HttpRequest(self._name, endpoint.host, endpoint.port, signed, body)


def _b64_field(answer: Mapping[str, Any], field: str, provider: str) -> bytes:
    value = answer.get(field)
    try:
        if not isinstance(value, str):
            raise ValueError(field)
        return base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise KmsError(f"KMS provider {provider!r}: response has no valid base64 {field!r}", status=200) from None


def _error(provider: str, operation: str, status: int, body: bytes) -> KmsError:
    error_type = message = None
    try:
        doc = json.loads(body)
        if isinstance(doc, dict):
            error_type = str(doc.get("__type", "")).rsplit("#", 1)[-1] or None
            message = doc.get("message") or doc.get("Message")
    except ValueError:
        message = body[:200].decode("utf-8", "replace")
    detail = ": ".join(str(part) for part in (error_type, message) if part)
    return KmsError(
        f"KMS provider {provider!r}: {operation} failed with HTTP {status}" + (f" ({detail})" if detail else ""),
        status=status,
        error_type=error_type,
    )
