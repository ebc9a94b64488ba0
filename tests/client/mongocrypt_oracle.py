"""libmongocrypt as the oracle: pymongocrypt's ExplicitEncrypter driven by our own callback.

The callback's key vault is one of the library's own ``KeyVault`` stores, so a key libmongocrypt creates
lands where ``ClientEncryption`` reads, and the other way round. KMS requests go to an in-process fake
(``respond``: request bytes to response bytes) or over TLS to a real server (``ca_file``; with
``client_cert``, a ``(certificate, key)`` pair of files, over mutual TLS as KMIP needs).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import bson
from bson.binary import Binary, UuidRepresentation
from bson.codec_options import CodecOptions
from pymongocrypt.explicit_encrypter import ExplicitEncrypter
from pymongocrypt.options import MongoCryptOptions
from pymongocrypt.state_machine import MongoCryptCallback

from strongroom_client.keyvault.base import KeyVault, decode, encode

VALUES = CodecOptions(uuid_representation=UuidRepresentation.STANDARD)


class VaultCallback(MongoCryptCallback):
    def __init__(
        self,
        vault: KeyVault,
        respond: Callable[[bytes], bytes] | None = None,
        ca_file: str | None = None,
        client_cert: tuple[str, str] | None = None,
    ) -> None:
        self.vault = vault
        self.respond = respond
        self.ssl_ctx = ssl.create_default_context(cafile=ca_file) if ca_file else None
        if self.ssl_ctx is not None and client_cert is not None:
            self.ssl_ctx.load_cert_chain(*client_cert)
        self.endpoints: list[str] = []

    def kms_request(self, kms_context: Any) -> None:
        self.endpoints.append(kms_context.endpoint)
        message = bytes(kms_context.message)
        if self.respond is not None:
            answer = self.respond(message)
            while kms_context.bytes_needed > 0:
                chunk, answer = answer[: kms_context.bytes_needed], answer[kms_context.bytes_needed :]
                kms_context.feed(chunk)
            return
        assert self.ssl_ctx is not None, "no KMS configured for this oracle"
        host, _, port = kms_context.endpoint.rpartition(":")
        with socket.create_connection((host, int(port)), timeout=20) as raw:
            with self.ssl_ctx.wrap_socket(raw, server_hostname=host) as conn:
                conn.sendall(message)
                while kms_context.bytes_needed > 0:
                    data = conn.recv(kms_context.bytes_needed)
                    if not data:
                        raise OSError("KMS closed the connection early")
                    kms_context.feed(data)

    def fetch_keys(self, filter: bytes) -> Iterator[bytes]:
        query = bson.decode(filter)
        ids: set[bytes] = set()
        names: set[str] = set()
        for clause in query.get("$or", []):
            ids |= {bytes(x) for x in clause.get("_id", {}).get("$in", [])}
            names |= set(clause.get("keyAltNames", {}).get("$in", []))
        for doc in list(self.vault.documents()):
            if not query or bytes(doc["_id"]) in ids or names & set(doc.get("keyAltNames", [])):
                yield encode(doc)

    def insert_data_key(self, data_key: bytes) -> Binary:
        doc = decode(data_key)
        self.vault.insert(doc)
        return doc["_id"]

    def collection_info(self, database: str, filter: bytes) -> Any:
        raise NotImplementedError

    def mark_command(self, database: str, cmd: bytes) -> Any:
        raise NotImplementedError

    def bson_encode(self, doc: Any) -> bytes:
        return bson.encode(doc)

    def close(self) -> None:
        pass


class Oracle:
    """libmongocrypt with a Pythonic face: values in, values out."""

    def __init__(self, kms_providers: dict[str, Any], vault: KeyVault, **callback_kw: Any) -> None:
        self.callback = VaultCallback(vault, **callback_kw)
        self.vault = vault
        self._enc = ExplicitEncrypter(self.callback, MongoCryptOptions(kms_providers))

    def __enter__(self) -> Oracle:
        return self

    def __exit__(self, *exc: object) -> None:
        self._enc.close()

    def create_data_key(self, provider: str, **kw: Any) -> Binary:
        return self._enc.create_data_key(provider, **kw)

    def encrypt(self, value: Any, algorithm: str, **kw: Any) -> Binary:
        if "key_id" in kw:
            kw["key_id"] = bytes(kw["key_id"])
        return bson.decode(self._enc.encrypt(bson.encode({"v": value}, codec_options=VALUES), algorithm, **kw))["v"]

    def decrypt(self, value: Binary) -> Any:
        return bson.decode(self._enc.decrypt(bson.encode({"v": value})), codec_options=VALUES)["v"]

    def rewrap(self, filter: dict[str, Any], provider: str | None = None, master_key: Any = None) -> int:
        """libmongocrypt's rewrap, applied to the vault as a driver would ($set + $currentDate)."""
        result = bson.decode(self._enc.rewrap_many_data_key(filter, provider=provider, master_key=master_key))
        for item in result["v"]:

            def apply(doc: dict[str, Any], item: dict[str, Any] = item) -> dict[str, Any]:
                doc.update(keyMaterial=item["keyMaterial"], masterKey=item["masterKey"])
                return doc

            self.vault.update(bytes(item["_id"]), apply)
        return len(result["v"])
