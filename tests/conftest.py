"""Fixtures shared by the in-process tests: a real core over a real SQLite file, with a manual clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.domain.clock import ManualClock
from strongroom.domain.context import Caller, RequestContext
from strongroom.service.core import Core
from strongroom.storage.sqlite import SqliteStore
from strongroom.trust.key_file import FileRootOfTrust, create_root_key_file

ACCOUNT = "111122223333"
REGION = "us-east-1"


def make_ctx(account: str = ACCOUNT, region: str = REGION) -> RequestContext:
    return RequestContext(Caller(account, "AKIATESTTESTTESTTEST", f"arn:aws:iam::{account}:root"), region)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    create_root_key_file(tmp_path / "root.key")
    return tmp_path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


def open_core(data_dir: Path, clock: ManualClock | None = None) -> Core:
    return Core(SqliteStore(data_dir / "strongroom.db"), FileRootOfTrust(data_dir / "root.key"), clock)


@pytest.fixture
def core(data_dir: Path, clock: ManualClock):
    c = open_core(data_dir, clock)
    yield c
    c.close()


@pytest.fixture
def ctx() -> RequestContext:
    return make_ctx()


# --- PostgreSQL (tests/storage, tests/integration) ----------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL for this session: ``STRONGROOM_TEST_POSTGRES_DSN``, else a private throwaway cluster of the
    machine's PostgreSQL (see tests/storage/pg_cluster.py). Missing PostgreSQL skips, except under CI=true."""
    from tests.storage import pg_cluster

    reason = pg_cluster.unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {reason}", pytrace=False)
        pytest.skip(reason)
    server = pg_cluster.open_server()
    yield server
    server.close()


@pytest.fixture
def postgres_dsn(postgres_server) -> Iterator[str]:
    """A fresh, empty database for one test, as a ``postgresql://`` URL; dropped afterwards."""
    dsn = postgres_server.create_database()
    yield dsn
    postgres_server.drop_database(dsn)
