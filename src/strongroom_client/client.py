"""``ClientEncryption``: explicit field-level encryption with data keys in a key vault.

The model and names follow MongoDB's (``pymongo.encryption.ClientEncryption``), the bytes follow
libmongocrypt's: a value encrypted here decrypts in any MongoDB driver holding the same key vault and KMS
access, and the other way round.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson.binary import Binary, UuidRepresentation
from bson.codec_options import CodecOptions

from strongroom_client import ciphertext, keydoc, values
from strongroom_client.cache import DekCache
from strongroom_client.ciphertext import Algorithm
from strongroom_client.crypto import aead
from strongroom_client.errors import ConfigurationError, KeyNotFoundError
from strongroom_client.keyvault.base import Document, KeyVault
from strongroom_client.keyvault.sqlite import SqliteKeyVault
from strongroom_client.providers import KmipExchange, KmsProvider, RetryPolicy, Transport, build_providers
from strongroom_client.query import compile_filter

DEFAULT_CODEC_OPTIONS = CodecOptions(uuid_representation=UuidRepresentation.STANDARD)


@dataclass(frozen=True)
class RewrapResult:
    """What ``rewrap_many_data_key`` changed: the ``_id`` of every rewrapped data key."""

    rewrapped: list[Binary]

    @property
    def count(self) -> int:
        return len(self.rewrapped)


class ClientEncryption:
    """Create and manage data keys, and encrypt and decrypt values with them.

    ``kms_providers`` and ``kms_tls_options`` have MongoDB's shapes (``{"local": {"key": …}, "aws:prod":
    {"accessKeyId": …, "secretAccessKey": …}}``, ``{"aws:prod": {"tlsCAFile": …}}``). ``key_vault`` is a
    :class:`KeyVault` or the path of a SQLite file. ``codec_options`` decide how values are turned into BSON
    and back (UUIDs as standard subtype 4 by default). ``dek_cache`` keeps unwrapped data keys (60 s by
    default). ``kms_transport`` replaces the HTTPS connection to the KMS and ``kmip_exchange`` the TLS
    connection to a KMIP server (tests, proxies).
    """

    def __init__(
        self,
        kms_providers: Mapping[str, Mapping[str, Any]],
        key_vault: KeyVault | str | os.PathLike[str],
        *,
        kms_tls_options: Mapping[str, Mapping[str, Any]] | None = None,
        codec_options: CodecOptions | None = None,
        dek_cache: DekCache | None = None,
        clock: Callable[[], datetime] = keydoc.utc_now,
        kms_transport: Transport | None = None,
        kms_retry: RetryPolicy | None = None,
        kmip_exchange: KmipExchange | None = None,
    ) -> None:
        self._providers: dict[str, KmsProvider] = build_providers(
            kms_providers, kms_tls_options, transport=kms_transport, retry=kms_retry, kmip_exchange=kmip_exchange
        )
        self._owns_vault = isinstance(key_vault, str | os.PathLike)
        self._vault: KeyVault = SqliteKeyVault(key_vault) if isinstance(key_vault, str | os.PathLike) else key_vault
        self._codec = codec_options or DEFAULT_CODEC_OPTIONS
        self._cache = dek_cache if dek_cache is not None else DekCache()
        self._clock = clock

    def __enter__(self) -> ClientEncryption:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def key_vault(self) -> KeyVault:
        return self._vault

    def close(self) -> None:
        """Forget cached data keys; close the key vault if this object opened it."""
        self._cache.clear()
        if self._owns_vault:
            self._vault.close()

    # ------------------------------------------------------------------------------------------ data keys

    def create_data_key(
        self,
        kms_provider: str,
        master_key: Mapping[str, Any] | None = None,
        key_alt_names: Iterable[str] | None = None,
        key_material: bytes | None = None,
    ) -> Binary:
        """Make a data key, wrap it with ``kms_provider``'s master key, store it; returns its ``_id``."""
        provider = self._provider(kms_provider)
        master_key_document = provider.master_key_document(master_key)
        names = keydoc.as_alt_names(key_alt_names)
        if key_material is None:
            data_key = aead.generate_key()
        elif isinstance(key_material, bytes) and len(key_material) == aead.KEY_BYTES:
            data_key = bytes(key_material)
        else:
            raise ConfigurationError(f"key_material must be {aead.KEY_BYTES} bytes")
        master_key_document = provider.provision(master_key_document)
        wrapped = provider.wrap(data_key, master_key_document)
        document = keydoc.new_key_document(keydoc.new_key_id(), wrapped, master_key_document, names, self._clock())
        self._vault.insert(document)
        return document["_id"]

    def get_key(self, id: uuid.UUID | Binary) -> Document | None:
        return self._vault.get(keydoc.as_key_id(id))

    def get_keys(self) -> list[Document]:
        return list(self._vault.documents())

    def get_key_by_alt_name(self, key_alt_name: str) -> Document | None:
        return self._vault.get_by_alt_name(key_alt_name)

    def add_key_alt_name(self, id: uuid.UUID | Binary, key_alt_name: str) -> Document | None:
        """Add a name (a no-op if the key has it); returns the document as it was, ``None`` if no such key."""
        keydoc.as_alt_names([key_alt_name])

        def add(document: Document) -> Document:
            names = keydoc.alt_names_of(document)
            if key_alt_name not in names:
                document["keyAltNames"] = [*names, key_alt_name]
            return document

        return self._vault.update(keydoc.as_key_id(id), add)

    def remove_key_alt_name(self, id: uuid.UUID | Binary, key_alt_name: str) -> Document | None:
        """Remove a name (the field goes with the last one); returns the document as it was."""

        def remove(document: Document) -> Document:
            names = [n for n in keydoc.alt_names_of(document) if n != key_alt_name]
            if names:
                document["keyAltNames"] = names
            else:
                document.pop("keyAltNames", None)
            return document

        return self._vault.update(keydoc.as_key_id(id), remove)

    def delete_key(self, id: uuid.UUID | Binary) -> bool:
        key_id = keydoc.as_key_id(id)
        self._cache.forget(key_id)
        return self._vault.delete(key_id)

    def rewrap_many_data_key(
        self, filter: Mapping[str, Any] | None, provider: str | None = None, master_key: Mapping[str, Any] | None = None
    ) -> RewrapResult:
        """Re-encrypt the matching data keys under a new master key (or their current one if ``provider`` is
        ``None``). Every key is unwrapped and rewrapped before any document is written."""
        if master_key is not None and provider is None:
            raise ConfigurationError("master_key needs a provider")
        matches = compile_filter(filter)
        target = None if provider is None else self._provider(provider)
        target_master_key = None if target is None else target.provision(target.master_key_document(master_key))
        changes: list[tuple[Binary, bytes, dict[str, Any]]] = []
        for document in self._vault.documents():
            if not matches(document):
                continue
            data_key = self._data_key(document)
            wrapper = target or self._provider(keydoc.provider_of(document))
            new_master_key = target_master_key or dict(document["masterKey"])
            changes.append((document["_id"], wrapper.wrap(data_key, new_master_key), new_master_key))
        now = keydoc.bson_time(self._clock())
        done: list[Binary] = []
        for key_id, material, new_master_key in changes:

            def rewrap(document: Document, material: bytes = material, mk: dict[str, Any] = new_master_key) -> Document:
                document.update(keyMaterial=bytes(material), masterKey=mk, updateDate=now)
                return document

            if self._vault.update(key_id, rewrap) is not None:
                done.append(key_id)
        return RewrapResult(done)

    # ---------------------------------------------------------------------------------- values

    def encrypt(
        self,
        value: Any,
        algorithm: Algorithm | str,
        key_id: uuid.UUID | Binary | None = None,
        key_alt_name: str | None = None,
    ) -> Binary:
        """``value`` encrypted with the data key named by ``key_id`` or ``key_alt_name``: a Binary subtype 6."""
        chosen = Algorithm.parse(algorithm)
        deterministic = chosen is Algorithm.DETERMINISTIC
        bson_type, raw = values.encode_value(value, self._codec)
        values.check_encryptable(bson_type, raw, deterministic=deterministic)
        document = self._find_key(key_id, key_alt_name)
        header = ciphertext.header(chosen, keydoc.key_id_of(document), bson_type)
        body = aead.encrypt(self._data_key(document), raw, header, deterministic=deterministic)
        return Binary(header + body, ciphertext.ENCRYPTED_SUBTYPE)

    def decrypt(self, value: Binary) -> Any:
        """The value inside an encrypted Binary subtype 6 made by FLE1 explicit encryption.

        :class:`DecryptionError` for anything malformed, tampered with or not made with the key it names;
        :class:`KeyNotFoundError` if that key is not in the key vault.
        """
        payload = ciphertext.parse(value)
        document = self._vault.get(payload.key_id)
        if document is None:
            raise KeyNotFoundError(f"data key {uuid.UUID(bytes=payload.key_id)} is not in the key vault")
        raw = aead.decrypt(self._data_key(document), payload.ciphertext, payload.associated_data)
        return values.decode_value(payload.bson_type, raw, self._codec)

    # ---------------------------------------------------------------------------------- internals

    def _provider(self, name: str) -> KmsProvider:
        provider = self._providers.get(name)
        if provider is None:
            raise ConfigurationError(f"KMS provider {name!r} is not configured in kms_providers")
        return provider

    def _find_key(self, key_id: uuid.UUID | Binary | None, key_alt_name: str | None) -> Document:
        if (key_id is None) == (key_alt_name is None):
            raise ConfigurationError("give exactly one of key_id and key_alt_name")
        if key_id is not None:
            binary_id = keydoc.as_key_id(key_id)
            document = self._vault.get(binary_id)
            if document is None:
                raise KeyNotFoundError(f"no data key with _id {uuid.UUID(bytes=bytes(binary_id))}")
            return document
        document = self._vault.get_by_alt_name(str(key_alt_name))
        if document is None:
            raise KeyNotFoundError(f"no data key with key alt name {key_alt_name!r}")
        return document

    def _data_key(self, document: Document) -> bytes:
        keydoc.validate(document)
        provider_name = keydoc.provider_of(document)
        provider = self._providers.get(provider_name)
        if provider is None:
            raise ConfigurationError(
                f"data key {uuid.UUID(bytes=keydoc.key_id_of(document))} is wrapped by KMS provider "
                f"{provider_name!r}, which is not in kms_providers"
            )
        material = keydoc.key_material_of(document)
        return self._cache.get(
            keydoc.key_id_of(document), material, lambda: provider.unwrap(material, document["masterKey"])
        )
