"""Moving a key vault to and from MongoDB: canonical Extended JSON, one document per line.

That is the format ``mongoexport --jsonFormat=canonical`` writes and ``mongoimport`` reads, so

    mongoimport --db encryption --collection __keyVault --file keys.json

makes the keys usable by every MongoDB driver, and a ``mongoexport`` of a key vault collection imports
here. :func:`import_key_vault` also reads a JSON array. Every document is checked with libmongocrypt's rules
before any is written; one already present and identical is skipped, one that differs is refused.

Key material is exported wrapped, exactly as stored: an export is as sensitive as the key vault itself.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from bson import json_util
from bson.binary import UuidRepresentation
from bson.json_util import CANONICAL_JSON_OPTIONS, JSONMode, JSONOptions

from strongroom_client import keydoc
from strongroom_client.errors import DuplicateKeyError, KeyVaultError
from strongroom_client.keyvault.base import Document, KeyVault, decode, encode

_READ_OPTIONS = JSONOptions(
    json_mode=JSONMode.CANONICAL, tz_aware=True, tzinfo=dt.UTC, uuid_representation=UuidRepresentation.UNSPECIFIED
)


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    unchanged: int


def export_key_vault(vault: KeyVault) -> str:
    """Every key document as canonical Extended JSON, one per line."""
    return "".join(json_util.dumps(doc, json_options=CANONICAL_JSON_OPTIONS) + "\n" for doc in vault.documents())


def import_key_vault(vault: KeyVault, text: str) -> ImportResult:
    documents = parse_documents(text)
    for document in documents:
        keydoc.validate(document)
    inserted = unchanged = 0
    for document in documents:
        existing = vault.get(keydoc.key_id_of(document))
        if existing is None:
            vault.insert(document)
            inserted += 1
        elif encode(existing) == encode(document):
            unchanged += 1
        else:
            label = bytes(document["_id"]).hex()
            raise DuplicateKeyError(f"the key vault already holds a different data key with _id {label}")
    return ImportResult(inserted, unchanged)


def parse_documents(text: str) -> list[Document]:
    """Documents from Extended JSON lines or a JSON array, normalised through BSON."""
    stripped = text.strip()
    try:
        if stripped.startswith("["):
            loaded: list[Any] = json_util.loads(stripped, json_options=_READ_OPTIONS)
        else:
            lines = [line for line in stripped.splitlines() if line.strip()]
            loaded = [json_util.loads(line, json_options=_READ_OPTIONS) for line in lines]
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise KeyVaultError(f"not MongoDB Extended JSON: {exc}") from None
    if not all(isinstance(doc, dict) for doc in loaded):
        raise KeyVaultError("every exported key must be a JSON object")
    return [decode(encode(doc)) for doc in loaded]
