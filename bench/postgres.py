"""The PostgreSQL that Strongroom's PostgreSQL cells run on: a private cluster (``initdb``) in the run's work
directory, on a free loopback port, with PostgreSQL's own durability defaults (fsync and synchronous commit on:
a CreateKey waits for the disk). Started and stopped by PID; skipped when PostgreSQL is not installed."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.processes import ManagedProcess, free_port, start_process, wait_until


def find_bin_dir() -> Path | None:
    """Where ``initdb`` and ``postgres`` are (Debian keeps them off PATH), newest version first."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: [int(x) for x in Path(p).parent.parent.name.split(".") if x.isdigit()])
    return Path(versions[-1]).parent if versions else None


@dataclass
class Postgres:
    process: ManagedProcess
    port: int
    root: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """A fast shutdown (SIGINT: PostgreSQL's own SIGTERM waits for every client to leave), then the files."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGINT)
        self.process.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(root: Path, log_dir: Path) -> Postgres | None:
    """A fresh cluster under ``root``, or None when PostgreSQL is not installed. PostgreSQL refuses to run as
    root, so under root the cluster belongs to the ``postgres`` account that Debian's package creates."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        return None
    root.mkdir(parents=True, exist_ok=True)
    user = "postgres" if os.geteuid() == 0 else None
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data = root / "data"
    subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--locale=C"], check=True, capture_output=True, timeout=120, cwd=root, user=user)
    port = free_port()
    argv = [str(bin_dir / "postgres"), "-D", str(data), "-c", "listen_addresses=127.0.0.1", "-c", f"port={port}",
            "-c", f"unix_socket_directories={root}"]
    process = start_process("postgres", argv, log_path=log_dir / "postgres.log", cwd=root, user=user)
    server = Postgres(process, port, root)
    try:
        wait_until(lambda: _answers(server.url), process)
    except BaseException:
        server.stop()
        raise
    return server


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True
