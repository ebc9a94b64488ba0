"""Real ``strongroom server`` processes on SQLite and on PostgreSQL: several nodes, crashes, outages, backups.

Fixtures:

* ``node_factory``: ``node_factory(name, database=None, workers=1)`` → a not-yet-started ``ServerProcess``
  whose data dir is ``tmp/name``; nodes of one test share one root key file (as the nodes of one cluster
  must). Every node is stopped at teardown, by PID.
* ``backend_database``: parametrized over ``sqlite`` (None: a file in each node's data dir) and ``postgres``
  (a fresh database URL).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_CONFORMANCE = str(Path(__file__).resolve().parents[1] / "conformance")
if _CONFORMANCE not in sys.path:
    sys.path.insert(0, _CONFORMANCE)

from kms_harness import ServerProcess, no_ambient_aws_config  # noqa: E402, F401

from tests.storage.pg_cluster import PgCluster, find_bin_dir, start_private_cluster  # noqa: E402


@pytest.fixture
def node_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    made: list[ServerProcess] = []
    root_key = tmp_path / "cluster-root.key"

    def make(name: str, database: str | None = None, workers: int = 1, *extra: str) -> ServerProcess:
        args = ["--workers", str(workers), "--root-key-file", str(root_key), "--scheduler-interval", "3600", *extra]
        if database:
            args += ["--database", database]
        node = ServerProcess(tmp_path / name, extra_args=args)
        made.append(node)
        return node

    yield make
    for node in made:
        node.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def backend_database(request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("postgres_dsn") if request.param == "postgres" else None


@pytest.fixture
def private_postgres() -> Iterator[PgCluster]:
    """A PostgreSQL cluster of this test's own, which it may stop and start (a database outage)."""
    if find_bin_dir() is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {reason}", pytrace=False)
        pytest.skip(reason)
    cluster = start_private_cluster()
    yield cluster
    cluster.destroy()
