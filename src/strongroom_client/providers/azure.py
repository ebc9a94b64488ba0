"""The ``azure`` provider: Azure Key Vault ``wrapkey``/``unwrapkey`` (RSA-OAEP-256), with a bearer token from the
Microsoft identity platform's client-credentials grant, as libmongocrypt's ``azure`` provider does.

* ``kms_providers`` entry: ``{"tenantId", "clientId", "clientSecret"[, "identityPlatformEndpoint"]}`` (the
  endpoint defaults to ``login.microsoftonline.com``).
* ``masterKey`` stored: ``{"provider", "keyVaultEndpoint", "keyName"[, "keyVersion"]}``; without a version the
  key's current version wraps (libmongocrypt's ``/keys/{name}//wrapkey``).
* keyMaterial is the raw result of ``wrapkey``; unwrapping it must give back exactly 96 bytes.

The token request's scope is ``https://<domain of the vault>/.default`` and its form values are sent unencoded,
byte for byte as libmongocrypt sends them. Statuses 408, 429, 500, 502, 503 and 504 and network errors are retried.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from strongroom_client.errors import KmsError
from strongroom_client.providers.base import DATA_KEY_BYTES, check_data_key, check_fields
from strongroom_client.providers.bearer import TokenCache, token_from_answer
from strongroom_client.providers.endpoint import parse_endpoint
from strongroom_client.providers.http import HttpRequest, RetryPolicy, Transport, cloud_error

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
DEFAULT_IDENTITY_PLATFORM = "login.microsoftonline.com"
API_VERSION = "7.1"
ALGORITHM = "RSA-OAEP-256"


class AzureProvider:
    """An ``azure`` (or ``azure:<name>``) provider. The client secret is held privately and never printed."""

    __slots__ = ("_client_id", "_identity_platform", "_name", "_retry", "_secret", "_tenant", "_tokens",
                 "_transport")

    def __init__(self, name: str, credentials: Mapping[str, Any], *, transport: Transport,
                 retry: RetryPolicy | None = None) -> None:
        check_fields(f"kms_providers[{name!r}]", credentials, ("tenantId", "clientId", "clientSecret"),
                     ("identityPlatformEndpoint",))
        self._name = name
        self._tenant, self._client_id = credentials["tenantId"], credentials["clientId"]
        self._secret = credentials["clientSecret"]
        self._identity_platform = parse_endpoint(credentials.get("identityPlatformEndpoint")
                                                 or DEFAULT_IDENTITY_PLATFORM)
        self._transport = transport
        self._retry = retry or RetryPolicy()
        self._tokens: dict[str, TokenCache] = {}  # by scope: a token is for the vaults of one domain

    def __repr__(self) -> str:
        return (f"AzureProvider({self._name!r}, tenantId={self._tenant!r}, clientId={self._client_id!r}, "
                "secret=<secret>)")

    def __reduce__(self) -> Any:
        raise TypeError("a provider holding credentials cannot be pickled")

    @property
    def name(self) -> str:
        return self._name

    def master_key_document(self, master_key: Mapping[str, Any] | None) -> dict[str, Any]:
        given = dict(master_key or {})
        given.pop("provider", None)
        check_fields(f"master key for {self._name!r}", given, ("keyVaultEndpoint", "keyName"), ("keyVersion",))
        vault = parse_endpoint(given["keyVaultEndpoint"]).host_and_port
        document = {"provider": self._name, "keyVaultEndpoint": vault, "keyName": given["keyName"]}
        if given.get("keyVersion"):
            document["keyVersion"] = given["keyVersion"]
        return document

    def provision(self, master_key: Mapping[str, Any]) -> dict[str, Any]:
        return dict(master_key)

    def wrap(self, data_key: bytes, master_key: Mapping[str, Any]) -> bytes:
        wrapped = self._key_operation("wrapkey", check_data_key(data_key, self._name), master_key)
        if not wrapped:
            raise KmsError(f"KMS provider {self._name!r}: wrapkey returned no value")
        return wrapped

    def unwrap(self, key_material: bytes, master_key: Mapping[str, Any]) -> bytes:
        data_key = self._key_operation("unwrapkey", key_material, master_key)
        if len(data_key) != DATA_KEY_BYTES:
            raise KmsError(f"KMS provider {self._name!r}: unwrapkey returned {len(data_key)} bytes, not a data key")
        return data_key

    def _key_operation(self, operation: str, value: bytes, master_key: Mapping[str, Any]) -> bytes:
        vault = parse_endpoint(str(master_key["keyVaultEndpoint"]))
        version = master_key.get("keyVersion") or ""
        path = f"/keys/{master_key['keyName']}/{version}/{operation}?api-version={API_VERSION}"
        body = json.dumps({"alg": ALGORITHM, "value": _b64url(value)}).encode()
        scope = f"https://{vault.host.partition('.')[2]}/.default"
        tokens = self._tokens.setdefault(scope, TokenCache())

        def request() -> HttpRequest:
            token = tokens.get(lambda: self._token(scope))
            headers = [("Accept", "application/json"), ("Authorization", f"Bearer {token}"),
                       ("Content-Type", "application/json"), ("Host", vault.host),
                       ("Content-Length", str(len(body))), ("Connection", "close")]
            return HttpRequest(self._name, vault.host, vault.port, headers, body, "POST", path)
        response = self._retry.send(request, self._transport, RETRY_STATUSES)
        if response.status == 401:
            tokens.forget()  # revoked or expired early: the next call asks for a new one
        if response.status != 200:
            raise cloud_error(self._name, operation, response, "code")
        return _b64url_field(self._name, operation, response.body)

    def _token(self, scope: str) -> tuple[str, float]:
        body = (f"client_id={self._client_id}&scope={_form_quote(scope)}&client_secret={self._secret}"
                "&grant_type=client_credentials").encode()
        where = self._identity_platform
        headers = [("Accept", "application/json"), ("Content-Type", "application/x-www-form-urlencoded"),
                   ("Host", where.host), ("Content-Length", str(len(body))), ("Connection", "close")]
        path = f"/{self._tenant}/oauth2/v2.0/token"
        response = self._retry.send(
            lambda: HttpRequest(self._name, where.host, where.port, headers, body, "POST", path), self._transport,
            RETRY_STATUSES)
        return token_from_answer(self._name, response.status, response.body)


def _form_quote(value: str) -> str:
    return value.replace("%", "%25").replace(":", "%3A").replace("/", "%2F")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_field(provider: str, operation: str, body: bytes) -> bytes:
    try:
        value = json.loads(body).get("value")
        if not isinstance(value, str):
            raise ValueError("value")
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, AttributeError, binascii.Error):
        raise KmsError(f"KMS provider {provider!r}: the {operation} answer has no base64url 'value'", status=200) \
            from None
