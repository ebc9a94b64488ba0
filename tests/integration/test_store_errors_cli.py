"""What an operator sees when the store cannot be opened: one clear line and exit status 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kms_harness import ServerProcess, clean_env, free_port


def strongroom(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "strongroom", *args], capture_output=True, text=True, timeout=60,
                          env=clean_env(), stdin=subprocess.DEVNULL)


def server(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return strongroom("server", "--dev", "--data-dir", str(data_dir), "--port", str(free_port()), "--tls-port", "0",
                      "--kmip-port", "0", "--workers", "1", *extra)


def test_a_corrupted_sqlite_file_stops_the_server_with_a_clear_message(tmp_path: Path) -> None:
    node = ServerProcess(tmp_path / "data", extra_args=["--workers", "1"])
    node.start().client().create_key()
    node.stop()
    for leftover in ("strongroom.db-wal", "strongroom.db-shm"):
        (tmp_path / "data" / leftover).unlink(missing_ok=True)
    with open(tmp_path / "data" / "strongroom.db", "r+b") as f:
        f.write(b"\0garbage\0" * 20)
    for done in (server(tmp_path / "data"), strongroom("credentials", "list", "--data-dir", str(tmp_path / "data"))):
        assert done.returncode == 2, done.stderr
        assert "cannot open the database" in done.stderr and "corrupted" in done.stderr
        assert "Traceback" not in done.stderr


def test_an_unreachable_postgresql_stops_the_server_with_a_clear_message(tmp_path: Path) -> None:
    url = f"postgresql://strongroom:secret-password@127.0.0.1:{free_port()}/strongroom"
    done = server(tmp_path / "data", "--database", url)
    assert done.returncode == 2
    assert "cannot connect to PostgreSQL at 127.0.0.1:" in done.stderr
    assert "secret-password" not in done.stderr and "Traceback" not in done.stderr


def test_a_database_url_of_another_kind_is_refused(tmp_path: Path) -> None:
    done = server(tmp_path / "data", "--database", "mysql://localhost/strongroom")
    assert done.returncode == 2 and "--database must be a postgresql:// URL" in done.stderr
