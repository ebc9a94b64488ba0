"""A SQLAlchemy column type that encrypts on write and decrypts on read.

    from strongroom_client.sqlalchemy_types import EncryptedType

    class Patient(Base):
        __tablename__ = "patients"
        id: Mapped[int] = mapped_column(primary_key=True)
        ssn: Mapped[str] = mapped_column(EncryptedType(lambda: ce, key_alt_name="pii", deterministic=True))
        notes: Mapped[dict] = mapped_column(EncryptedType(lambda: ce, key_alt_name="pii"))

    session.scalars(select(Patient).where(Patient.ssn == "078-05-1120"))   # works: deterministic

The column holds the BSON Binary subtype 6 payload as bytes (``LargeBinary``), exactly what MongoDB would
store, so any holder of the key vault and KMS access can read it. ``deterministic=True`` allows equality
lookups (and reveals equal values); the default, random, does not. ``None`` is stored as SQL ``NULL``.
The client may be given directly or as a zero-argument callable, so models can be declared first.
Requires SQLAlchemy 2.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from bson.binary import Binary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import LargeBinary, TypeDecorator

from strongroom_client.ciphertext import ENCRYPTED_SUBTYPE, Algorithm
from strongroom_client.client import ClientEncryption
from strongroom_client.errors import ConfigurationError


class EncryptedType(TypeDecorator[Any]):
    impl = LargeBinary
    cache_ok = True

    def __init__(
        self,
        client: ClientEncryption | Callable[[], ClientEncryption],
        *,
        key_alt_name: str | None = None,
        key_id: uuid.UUID | Binary | None = None,
        deterministic: bool = False,
    ) -> None:
        if (key_alt_name is None) == (key_id is None):
            raise ConfigurationError("give exactly one of key_id and key_alt_name")
        super().__init__()
        self.client = client
        self.key_alt_name = key_alt_name
        self.key_id = key_id
        self.deterministic = deterministic

    def _client(self) -> ClientEncryption:
        return self.client if isinstance(self.client, ClientEncryption) else self.client()

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        algorithm = Algorithm.DETERMINISTIC if self.deterministic else Algorithm.RANDOM
        return bytes(self._client().encrypt(value, algorithm, key_id=self.key_id, key_alt_name=self.key_alt_name))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self._client().decrypt(Binary(bytes(value), ENCRYPTED_SUBTYPE))
