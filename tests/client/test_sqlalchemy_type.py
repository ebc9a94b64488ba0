"""EncryptedType: a SQLAlchemy column that encrypts on write and decrypts on read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bson.binary import Binary
from mongocrypt_oracle import Oracle
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from strongroom_client import ClientEncryption, ConfigurationError, DecryptionError
from strongroom_client.sqlalchemy_types import EncryptedType

CLIENT: dict[str, ClientEncryption] = {}


class Base(DeclarativeBase):
    pass


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    ssn: Mapped[str] = mapped_column(EncryptedType(lambda: CLIENT["ce"], key_alt_name="pii", deterministic=True))
    notes: Mapped[Any] = mapped_column(EncryptedType(lambda: CLIENT["ce"], key_alt_name="pii"), nullable=True)


@pytest.fixture
def session(client: ClientEncryption) -> Iterator[Session]:
    client.create_data_key("local", key_alt_names=["pii"])
    CLIENT["ce"] = client
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    CLIENT.clear()
    engine.dispose()


def test_values_round_trip_and_are_encrypted_at_rest(session: Session, oracle: Oracle) -> None:
    session.add_all(
        [
            Patient(id=1, ssn="078-05-1120", notes={"allergies": ["penicillin"]}),
            Patient(id=2, ssn="219-09-9999", notes=None),
        ]
    )
    session.commit()
    session.expire_all()
    first = session.get(Patient, 1)
    assert first.ssn == "078-05-1120" and first.notes == {"allergies": ["penicillin"]}
    assert session.get(Patient, 2).notes is None

    raw_ssn, raw_notes = session.execute(text("SELECT ssn, notes FROM patients WHERE id = 1")).one()
    assert b"078-05-1120" not in raw_ssn and b"penicillin" not in raw_notes
    assert raw_ssn[0] == 1 and raw_notes[0] == 2  # deterministic / random FLE1 payloads
    assert oracle.decrypt(Binary(raw_ssn, 6)) == "078-05-1120", "what the column stores, libmongocrypt reads"
    assert session.execute(text("SELECT notes FROM patients WHERE id = 2")).scalar() is None


def test_deterministic_columns_support_equality_lookups(session: Session) -> None:
    session.add_all([Patient(id=i, ssn=f"000-00-000{i}", notes="same") for i in range(3)])
    session.commit()
    found = session.scalars(select(Patient).where(Patient.ssn == "000-00-0002")).all()
    assert [p.id for p in found] == [2]
    distinct_notes = session.execute(text("SELECT COUNT(DISTINCT notes) FROM patients")).scalar()
    assert distinct_notes == 3, "random encryption hides equal values"


def test_tampered_cells_fail_to_load(session: Session) -> None:
    session.add(Patient(id=1, ssn="078-05-1120"))
    session.commit()
    raw = bytearray(session.execute(text("SELECT ssn FROM patients WHERE id = 1")).scalar())
    raw[-1] ^= 0x01
    session.execute(text("UPDATE patients SET ssn = :v WHERE id = 1"), {"v": bytes(raw)})
    session.expire_all()
    with pytest.raises(DecryptionError):
        session.get(Patient, 1)


def test_exactly_one_key_selector() -> None:
    with pytest.raises(ConfigurationError):
        EncryptedType(lambda: CLIENT["ce"])
