"""What a dev server writes is for its owner alone: the data directory and the TLS directory are 0700, and every
file in them is owner-only except the two certificates clients are given (ca.pem, server.pem) and the metrics
scratch files; the database and its WAL files are 0600 from the start."""

from __future__ import annotations

import stat
from pathlib import Path

from kms_harness import ServerProcess

PUBLIC = {"tls/ca.pem", "tls/server.pem"}


def test_the_data_directory_is_owner_only(tmp_path: Path) -> None:
    process = ServerProcess(tmp_path / "data", kmip=True, extra_args=["--workers", "1"])
    info = process.start()
    try:
        info.client().create_key()  # the database and its WAL are written
        data = tmp_path / "data"
        modes = {str(path.relative_to(data)): stat.S_IMODE(path.lstat().st_mode) for path in data.rglob("*")}
    finally:
        process.stop()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700 and modes["tls"] == 0o700
    expected = {"root.key", "strongroom.db", "dev-credentials", "dev-vault-token", "tls/ca-key.pem",
                "tls/server-key.pem", "tls/kmip-client-key.pem", "control.sock"}
    assert expected <= set(modes), sorted(modes)
    open_to_others = {name: oct(mode) for name, mode in modes.items()
                      if mode & 0o077 and name not in PUBLIC and not name.startswith("metrics")}
    assert open_to_others == {}
    assert all(modes[name] & 0o022 == 0 for name in PUBLIC)
