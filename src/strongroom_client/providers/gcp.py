"""The ``gcp`` provider: Google Cloud KMS ``encrypt``/``decrypt``, with a bearer token from Google's OAuth 2.0
JWT-bearer grant signed with the service account's key, as libmongocrypt's ``gcp`` provider does.

* ``kms_providers`` entry: ``{"email", "privateKey"[, "endpoint"]}``: ``privateKey`` is the PKCS#8 DER key
  (bytes, or their base64, as in a key file's ``private_key`` without the PEM armour); ``endpoint`` is the token
  endpoint's host (default ``oauth2.googleapis.com``).
* ``masterKey`` stored: ``{"provider", "projectId", "location", "keyRing", "keyName"[, "keyVersion"][,
  "endpoint"]}``; ``endpoint`` is Cloud KMS's host (default ``cloudkms.googleapis.com``).
* Wrap: ``:encrypt`` on the key (or the given version); unwrap: ``:decrypt`` on the key, whose ciphertext names
  its version. keyMaterial is the ciphertext.

The assertion is ``{"alg":"RS256","typ":"JWT"}`` with ``iss`` the e-mail, ``aud`` ``https://<endpoint>/token``,
the scope ``https://www.<endpoint's domain>/auth/cloudkms`` (``googleapis.com`` for Google itself) and five
minutes of life, signed with RSASSA-PKCS1-v1_5/SHA-256, as libmongocrypt makes it. Statuses 408, 429 and
every 5xx and network errors are retried.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from strongroom_client.errors import ConfigurationError, KmsError
from strongroom_client.providers.base import DATA_KEY_BYTES, check_data_key, check_fields
from strongroom_client.providers.bearer import TokenCache, token_from_answer
from strongroom_client.providers.endpoint import parse_endpoint
from strongroom_client.providers.http import HttpRequest, RetryPolicy, Transport, cloud_error

RETRY_STATUSES = frozenset({408, 429, *range(500, 600)})
DEFAULT_TOKEN_HOST = "oauth2.googleapis.com"
DEFAULT_KMS_HOST = "cloudkms.googleapis.com"
ASSERTION_SECONDS = 300
_MASTER_KEY_FIELDS = ("projectId", "location", "keyRing", "keyName")


class GcpProvider:
    """A ``gcp`` (or ``gcp:<name>``) provider. The private key is held privately and never printed."""

    __slots__ = ("_email", "_key", "_name", "_retry", "_token_endpoint", "_tokens", "_transport")

    def __init__(self, name: str, credentials: Mapping[str, Any], *, transport: Transport,
                 retry: RetryPolicy | None = None) -> None:
        where = f"kms_providers[{name!r}]"
        given = dict(credentials)
        private_key = given.pop("privateKey", None)
        check_fields(where, given, ("email",), ("endpoint",))
        self._name = name
        self._email = given["email"]
        self._key = _private_key(where, private_key)
        self._token_endpoint = parse_endpoint(given.get("endpoint") or DEFAULT_TOKEN_HOST)
        self._transport = transport
        self._retry = retry or RetryPolicy()
        self._tokens = TokenCache()

    def __repr__(self) -> str:
        return f"GcpProvider({self._name!r}, email={self._email!r}, privateKey=<secret>)"

    def __reduce__(self) -> Any:
        raise TypeError("a provider holding credentials cannot be pickled")

    @property
    def name(self) -> str:
        return self._name

    def master_key_document(self, master_key: Mapping[str, Any] | None) -> dict[str, Any]:
        given = dict(master_key or {})
        given.pop("provider", None)
        check_fields(f"master key for {self._name!r}", given, _MASTER_KEY_FIELDS, ("keyVersion", "endpoint"))
        document = {"provider": self._name, **{field: given[field] for field in _MASTER_KEY_FIELDS}}
        if given.get("keyVersion"):
            document["keyVersion"] = given["keyVersion"]
        if given.get("endpoint"):
            document["endpoint"] = parse_endpoint(given["endpoint"]).host_and_port
        return document

    def provision(self, master_key: Mapping[str, Any]) -> dict[str, Any]:
        return dict(master_key)

    def wrap(self, data_key: bytes, master_key: Mapping[str, Any]) -> bytes:
        plaintext = base64.b64encode(check_data_key(data_key, self._name)).decode()
        name = _key_name(master_key) + (f"/cryptoKeyVersions/{master_key['keyVersion']}"
                                        if master_key.get("keyVersion") else "")
        ciphertext = self._call(f"/v1/{name}:encrypt", {"plaintext": plaintext}, master_key, "ciphertext")
        if not ciphertext:
            raise KmsError(f"KMS provider {self._name!r}: encrypt returned an empty ciphertext")
        return ciphertext

    def unwrap(self, key_material: bytes, master_key: Mapping[str, Any]) -> bytes:
        body = {"ciphertext": base64.b64encode(key_material).decode()}
        data_key = self._call(f"/v1/{_key_name(master_key)}:decrypt", body, master_key, "plaintext")
        if len(data_key) != DATA_KEY_BYTES:
            raise KmsError(f"KMS provider {self._name!r}: decrypt returned {len(data_key)} bytes, not a data key")
        return data_key

    def _call(self, path: str, payload: dict[str, str], master_key: Mapping[str, Any], field: str) -> bytes:
        kms = parse_endpoint(str(master_key.get("endpoint") or DEFAULT_KMS_HOST))
        body = json.dumps(payload).encode()

        def request() -> HttpRequest:
            headers = [("Accept", "application/json"), ("Authorization", f"Bearer {self._tokens.get(self._token)}"),
                       ("Content-Type", "application/json"), ("Host", kms.host), ("Content-Length", str(len(body))),
                       ("Connection", "close")]
            return HttpRequest(self._name, kms.host, kms.port, headers, body, "POST", path)
        response = self._retry.send(request, self._transport, RETRY_STATUSES)
        if response.status == 401:
            self._tokens.forget()
        if response.status != 200:
            raise cloud_error(self._name, path.rsplit(":", 1)[-1], response, "status")
        try:
            value = json.loads(response.body).get(field)
            if not isinstance(value, str):
                raise ValueError(field)
            return base64.b64decode(value, validate=True)
        except (ValueError, AttributeError, binascii.Error):
            raise KmsError(f"KMS provider {self._name!r}: the answer has no base64 {field!r}", status=200) from None

    def _token(self) -> tuple[str, float]:
        where = self._token_endpoint
        now = int(time.time())
        claims = {"iss": self._email, "aud": f"https://{where.host}/token",
                  "scope": f"https://www.{where.host.partition('.')[2]}/auth/cloudkms", "iat": now,
                  "exp": now + ASSERTION_SECONDS}
        signing_input = _b64url(b'{"alg":"RS256","typ":"JWT"}') + "." + _b64url(json.dumps(claims).encode())
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        body = ("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
                f"{signing_input}.{_b64url(signature)}").encode()
        headers = [("Accept", "application/json"), ("Content-Type", "application/x-www-form-urlencoded"),
                   ("Host", where.host), ("Content-Length", str(len(body))), ("Connection", "close")]
        response = self._retry.send(
            lambda: HttpRequest(self._name, where.host, where.port, headers, body, "POST", "/token"), self._transport,
            RETRY_STATUSES)
        return token_from_answer(self._name, response.status, response.body)


def _key_name(master_key: Mapping[str, Any]) -> str:
    return (f"projects/{master_key['projectId']}/locations/{master_key['location']}/keyRings/"
            f"{master_key['keyRing']}/cryptoKeys/{master_key['keyName']}")


def _private_key(where: str, value: Any) -> rsa.RSAPrivateKey:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("-----BEGIN"):
            raw = text.encode()
        else:
            try:
                raw = base64.b64decode(text, validate=True)
            except binascii.Error:
                raise ConfigurationError(f"{where}['privateKey'] is not base64 PKCS#8") from None
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
    else:
        raise ConfigurationError(f"{where}: 'privateKey' is required (PKCS#8 DER bytes, or their base64)")
    try:
        key = (serialization.load_pem_private_key(raw, None) if raw.startswith(b"-----BEGIN")
               else serialization.load_der_private_key(raw, None))
    except (ValueError, TypeError):
        raise ConfigurationError(f"{where}['privateKey'] is not a PKCS#8 private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(f"{where}['privateKey'] must be an RSA key")
    return key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
