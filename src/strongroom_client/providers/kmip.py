"""The ``kmip`` provider: a KMIP server keeps the master key, as MongoDB's ``kmip`` provider uses one.

* ``kms_providers`` entry: ``{"endpoint": "host[:port]"}`` (port 5696 by default). The client certificate the
  server requires comes from ``kms_tls_options`` (``tlsCertificateKeyFile``: certificate and key in one PEM).
* ``masterKey`` stored: ``{"provider"[, "endpoint"][, "delegated": true], "keyId"}``; ``endpoint`` overrides
  the provider's.
* Default flow: the server holds a 96-byte secret (Register a SecretData and Activate it, unless ``keyId`` names
  one); the secret is fetched with Get and wraps the data key here, exactly as the ``local`` provider wraps with
  its key (AEAD_AES_256_CBC_HMAC_SHA_512, 160 bytes of keyMaterial).
* Delegated flow (``delegated: true``): the server holds an AES-256 key (Create and Activate, unless ``keyId``
  names one) and wraps the data key itself: Encrypt with AES-CBC, PKCS#5 padding and a server-made IV;
  keyMaterial is IV (16 bytes) followed by the 112-byte ciphertext, unwrapped with Decrypt.

Each message goes over its own mutual-TLS connection, as libmongocrypt sends it. Network errors are retried
for the operations that change nothing when repeated (Activate, Get, Encrypt, Decrypt), never for Register
or Create, which would leave a second object on the server.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Mapping
from typing import Any

from strongroom_client.crypto import aead
from strongroom_client.errors import ConfigurationError, DecryptionError, KmsError
from strongroom_client.providers import kmip_messages as kmip
from strongroom_client.providers.base import DATA_KEY_BYTES, check_data_key, check_fields
from strongroom_client.providers.endpoint import Endpoint, parse_endpoint
from strongroom_client.providers.http import MAX_RESPONSE_BYTES, RetryPolicy

DEFAULT_PORT = 5696
SECRET_BYTES = 96
KmipExchange = Callable[[Endpoint, bytes], bytes]
"""Sends one KMIP request message to an endpoint and returns the whole response message."""


class TlsExchange:
    """One mutual-TLS connection per message: send it, read the 8-byte item header and the length it gives."""

    def __init__(self, context: ssl.SSLContext, timeout: float = 20.0) -> None:
        self._context = context
        self._timeout = timeout

    def __call__(self, endpoint: Endpoint, message: bytes) -> bytes:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=self._timeout) as raw, \
                self._context.wrap_socket(raw, server_hostname=endpoint.host) as connection:
            connection.sendall(message)
            header = _read_exactly(connection, 8)
            length = int.from_bytes(header[4:], "big")
            if length > MAX_RESPONSE_BYTES:
                raise KmsError(f"KMIP server {endpoint.host_and_port}: response larger than 16 MiB")
            return header + _read_exactly(connection, length)


class KmipProvider:
    """A ``kmip`` (or ``kmip:<name>``) provider."""

    __slots__ = ("_endpoint", "_exchange", "_name", "_retry")

    def __init__(self, name: str, credentials: Mapping[str, Any], *, exchange: KmipExchange,
                 retry: RetryPolicy | None = None) -> None:
        check_fields(f"kms_providers[{name!r}]", credentials, ("endpoint",), ())
        self._name = name
        self._endpoint = _endpoint(credentials["endpoint"])
        self._exchange = exchange
        self._retry = retry or RetryPolicy()

    def __repr__(self) -> str:
        return f"KmipProvider({self._name!r}, endpoint={self._endpoint.host_and_port!r})"

    @property
    def name(self) -> str:
        return self._name

    def master_key_document(self, master_key: Mapping[str, Any] | None) -> dict[str, Any]:
        given = dict(master_key or {})
        given.pop("provider", None)
        delegated = given.pop("delegated", False)
        if not isinstance(delegated, bool):
            raise ConfigurationError(f"master key for {self._name!r}: 'delegated' must be a boolean")
        check_fields(f"master key for {self._name!r}", given, (), ("keyId", "endpoint"))
        document: dict[str, Any] = {"provider": self._name}  # libmongocrypt's order of fields
        if "endpoint" in given:
            document["endpoint"] = _endpoint(given["endpoint"]).host_and_port
        if delegated:
            document["delegated"] = True
        if given.get("keyId"):
            document["keyId"] = given["keyId"]
        return document

    def provision(self, master_key: Mapping[str, Any]) -> dict[str, Any]:
        """The master key document with a ``keyId``: a new object made and activated on the server if it had none."""
        if master_key.get("keyId"):
            return dict(master_key)
        endpoint = self._endpoint_of(master_key)
        if master_key.get("delegated"):
            made = self._send(endpoint, "Create", kmip.create_aes_key(), idempotent=False)
        else:
            made = self._send(endpoint, "Register", kmip.register_secret(aead.generate_key()), idempotent=False)
        key_id = kmip.text_field(self._name, made, kmip.UNIQUE_IDENTIFIER)
        activated = self._send(endpoint, "Activate", kmip.activate(key_id))
        if kmip.text_field(self._name, activated, kmip.UNIQUE_IDENTIFIER) != key_id:
            raise KmsError(f"KMS provider {self._name!r}: Activate answered for another object")
        return {**master_key, "keyId": key_id}

    def wrap(self, data_key: bytes, master_key: Mapping[str, Any]) -> bytes:
        data_key = check_data_key(data_key, self._name)
        key_id, endpoint = self._key_id(master_key), self._endpoint_of(master_key)
        if not master_key.get("delegated"):
            return aead.encrypt(self._secret(endpoint, key_id), data_key, b"", deterministic=False)
        answer = self._send(endpoint, "Encrypt", kmip.encrypt(key_id, data_key))
        iv = kmip.bytes_field(self._name, answer, kmip.IV_COUNTER_NONCE)
        if len(iv) != kmip.IV_BYTES:
            raise KmsError(f"KMS provider {self._name!r}: Encrypt answered an IV of {len(iv)} bytes, not 16")
        return iv + kmip.bytes_field(self._name, answer, kmip.DATA)

    def unwrap(self, key_material: bytes, master_key: Mapping[str, Any]) -> bytes:
        key_id, endpoint = self._key_id(master_key), self._endpoint_of(master_key)
        if master_key.get("delegated"):
            if len(key_material) <= kmip.IV_BYTES:
                raise KmsError(f"KMS provider {self._name!r}: keyMaterial is too short for IV and ciphertext")
            answer = self._send(endpoint, "Decrypt",
                                kmip.decrypt(key_id, key_material[kmip.IV_BYTES:], key_material[:kmip.IV_BYTES]))
            data_key = kmip.bytes_field(self._name, answer, kmip.DATA)
        else:
            try:
                data_key = aead.decrypt(self._secret(endpoint, key_id), key_material, b"")
            except DecryptionError:
                raise KmsError(f"the {self._name!r} master key {key_id!r} does not unwrap this data key") from None
        if len(data_key) != DATA_KEY_BYTES:
            raise KmsError(f"KMS provider {self._name!r}: unwrapped {len(data_key)} bytes, not a data key")
        return data_key

    def _secret(self, endpoint: Endpoint, key_id: str) -> bytes:
        answer = self._send(endpoint, "Get", kmip.get(key_id))
        secret = kmip.bytes_field(self._name, answer, kmip.SECRET_DATA, kmip.KEY_BLOCK, kmip.KEY_VALUE,
                                  kmip.KEY_MATERIAL)
        if len(secret) != SECRET_BYTES:
            raise KmsError(f"KMS provider {self._name!r}: object {key_id!r} holds {len(secret)} bytes, not 96")
        return secret

    def _send(self, endpoint: Endpoint, operation: str, message: bytes, *, idempotent: bool = True) -> kmip.Item:
        where = f"KMS provider {self._name!r}: {operation} at {endpoint.host}:{endpoint.port}"
        answer = self._retry.call(lambda: self._exchange(endpoint, message), where,
                                  retries=None if idempotent else 0)
        return kmip.response_payload(self._name, operation, answer)

    def _key_id(self, master_key: Mapping[str, Any]) -> str:
        key_id = master_key.get("keyId")
        if not isinstance(key_id, str) or not key_id:
            raise KmsError(f"KMS provider {self._name!r}: the master key names no keyId")
        return key_id

    def _endpoint_of(self, master_key: Mapping[str, Any]) -> Endpoint:
        given = master_key.get("endpoint")
        return _endpoint(given) if given else self._endpoint


def _endpoint(raw: Any) -> Endpoint:
    return parse_endpoint(raw, default_port=DEFAULT_PORT, require_dot=False)


def _read_exactly(connection: ssl.SSLSocket, count: int) -> bytes:
    chunks, remaining = [], count
    while remaining:
        chunk = connection.recv(min(remaining, 1 << 16))
        if not chunk:
            raise ConnectionError("the KMIP server closed the connection before its answer ended")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
