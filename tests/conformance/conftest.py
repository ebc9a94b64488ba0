"""Black-box conformance harness: run the real ``strongroom server --dev`` as a subprocess and talk to it.

Fixtures:

* ``server`` (session): one dev server shared by every conformance test, on two free loopback ports.
* ``server_factory`` (function): start extra servers in their own data dirs; each can be stopped and
  started again on the same dir (restart and persistence tests). All are stopped at teardown.
* ``kms`` / ``kms_novalidate``: boto3 KMS clients on the shared server (the second one with botocore's
  client-side parameter validation off, so out-of-range values reach the server).
* ``new_key``: a factory creating a fresh symmetric key and returning its ARN.

Every server is stopped by its PID: SIGTERM, up to 10 s, then SIGKILL.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The test modules import the helpers as ``kms_harness``; make that work under any --import-mode.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from kms_harness import ServerInfo, ServerProcess, no_ambient_aws_config  # noqa: E402, F401


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    proc = ServerProcess(tmp_path_factory.mktemp("strongroom") / "data")
    info = proc.start()
    try:
        yield info
    finally:
        proc.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """``server_factory(name="s1", **kw)`` returns a not-yet-started :class:`ServerProcess`."""
    made: list[ServerProcess] = []

    def make(name: str = "second", **kw: Any) -> ServerProcess:
        sp = ServerProcess(tmp_path / name, **kw)
        made.append(sp)
        return sp

    yield make
    for sp in made:
        sp.stop()


@pytest.fixture
def kms(server: ServerInfo) -> Any:
    return server.client()


@pytest.fixture
def kms_novalidate(server: ServerInfo) -> Any:
    """No client-side validation: range and length errors must come from the server."""
    return server.client(validate=False)


@pytest.fixture
def new_key(kms: Any) -> Callable[..., str]:
    """Create a fresh symmetric key; returns its ARN."""

    def make(**kw: Any) -> str:
        return kms.create_key(**kw)["KeyMetadata"]["Arn"]

    return make
