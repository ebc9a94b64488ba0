"""What a developer sees first: the dev banner's ``export`` lines work as pasted (AWS CLI, bao, a KMIP handshake),
``--in-memory`` serves with nothing left behind, and STRONGROOM_* variables configure the server."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kms_harness import clean_env, free_port

BIN = Path(sys.executable).parent


class DevServer:
    """``strongroom server --dev …`` configured through the environment; its stdout (the banner) kept."""

    def __init__(self, cwd: Path, *args: str, **env: str) -> None:
        self.cwd, self.out = cwd, cwd / "server.out"
        self.port = free_port()
        self.env = clean_env(PATH=f"{BIN}:{os.environ.get('PATH', '')}", STRONGROOM_PORT=str(self.port),
                             STRONGROOM_TLS_PORT="0", STRONGROOM_WORKERS="1", **env)
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "strongroom", "server", "--dev", *args], cwd=cwd,
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def banner(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while "Paste into a shell" not in self.out.read_text() or not self._healthy():
            assert self.proc.poll() is None, self.out.read_text()
            assert time.monotonic() < deadline, self.out.read_text()
            time.sleep(0.1)
        return self.out.read_text()

    def _healthy(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                return conn.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        return self.proc.returncode


@pytest.fixture
def in_memory(tmp_path: Path) -> Iterator[DevServer]:
    server = DevServer(tmp_path, "--in-memory", STRONGROOM_KMIP_PORT=str(free_port()))
    try:
        yield server
    finally:
        server.stop()


def _exports(banner: str) -> str:
    return "\n".join(line.strip() for line in banner.splitlines() if line.strip().startswith("export "))


def test_the_banner_exports_work_as_pasted_and_in_memory_leaves_nothing(in_memory: DevServer,
                                                                         tmp_path: Path) -> None:
    banner = in_memory.banner()
    exports = _exports(banner)
    data_dir = Path(re.search(r"credentials: (\S+)/dev-credentials", banner).group(1))  # type: ignore[union-attr]
    assert data_dir.exists() and not (tmp_path / ".strongroom").exists()
    script = exports + "\naws kms create-key --description pasted --output json\n"
    made = subprocess.run(["bash", "-c", script], env=clean_env(PATH=in_memory.env["PATH"], HOME=str(tmp_path)),
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["KeyMetadata"]["Description"] == "pasted"
    if shutil.which("bao", path=str(BIN)):
        listed = subprocess.run(["bash", "-c", exports + "\nbao secrets list -format=json"], capture_output=True,
                                env=clean_env(PATH=in_memory.env["PATH"], HOME=str(tmp_path)), text=True, timeout=60)
        assert listed.returncode == 0, listed.stderr
    kmip = dict(re.findall(r"(KMIP_[A-Z]+)=(\S+)", exports))
    context = ssl.create_default_context(cafile=kmip["KMIP_CA"])
    context.load_cert_chain(kmip["KMIP_CERT"], kmip["KMIP_KEY"])
    host, port = kmip["KMIP_ADDR"].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw, context.wrap_socket(raw, server_hostname=host):
        pass
    assert in_memory.stop() == 0
    assert not data_dir.exists(), "--in-memory left its data directory behind"


def test_in_memory_refuses_a_data_dir(tmp_path: Path) -> None:
    refused = subprocess.run([sys.executable, "-m", "strongroom", "server", "--dev", "--in-memory", "--data-dir",
                              str(tmp_path / "d")], env=clean_env(), capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--in-memory" in refused.stderr
    assert not (tmp_path / "d").exists()


def test_a_bad_variable_stops_the_start_naming_it(tmp_path: Path) -> None:
    refused = subprocess.run([sys.executable, "-m", "strongroom", "server", "--dev"], cwd=tmp_path,
                             env=clean_env(STRONGROOM_PORT="eighty"), capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "STRONGROOM_PORT='eighty'" in refused.stderr
    assert not (tmp_path / ".strongroom").exists()
