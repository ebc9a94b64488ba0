"""``strongroom seed apply | export | check``, offline on a data directory, as the other offline commands work."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from strongroom.cli.main import main
from tests.seed.sample import SEED

OLD_HEX = bytes(range(32)).hex()


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys.yaml"
    path.write_text(SEED)
    return path


def run(*args: str) -> int:
    return main(list(args))


def test_apply_refuses_material_offline_unless_allowed_then_is_idempotent(data_dir: Path, seed_file: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run("seed", "apply", str(seed_file), "--data-dir", str(data_dir)) == 1
    assert f"{seed_file}:15: key material in a seed file is for development only" in capsys.readouterr().err
    assert run("seed", "apply", str(seed_file), "--data-dir", str(data_dir), "--allow-seeded-material") == 0
    out = capsys.readouterr().out
    assert out.strip().endswith(f"seed {seed_file}: 13 changes") and OLD_HEX not in out
    assert run("seed", "apply", str(seed_file), "--data-dir", str(data_dir), "--allow-seeded-material") == 0
    assert capsys.readouterr().out == f"seed {seed_file}: 0 changes\n"


def test_export_writes_material_only_when_asked_and_allowed(data_dir: Path, seed_file: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    run("seed", "apply", str(seed_file), "--data-dir", str(data_dir), "--allow-seeded-material")
    capsys.readouterr()
    assert run("seed", "export", "--data-dir", str(data_dir)) == 0
    plain = capsys.readouterr().out
    assert plain.startswith("# A Strongroom seed file") and OLD_HEX not in plain
    assert run("seed", "export", "--data-dir", str(data_dir), "--include-material") == 2
    assert "--allow-seeded-material" in capsys.readouterr().err
    out = tmp_path / "full.yaml"
    assert run("seed", "export", "--data-dir", str(data_dir), "--include-material", "--allow-seeded-material",
               "--out", str(out)) == 0
    assert OLD_HEX in out.read_text() and stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert run("seed", "apply", str(out), "--data-dir", str(data_dir), "--allow-seeded-material") == 0
    assert capsys.readouterr().out.endswith(": 0 changes\n")


def test_check_reads_a_file_without_a_store(seed_file: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert run("seed", "check", str(seed_file)) == 0
    assert "strongroom seed file; 1 accounts, 4 keys, 1 transit keys, 2 KMIP objects" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("keys:\n  - id: x\n")
    assert run("seed", "check", str(bad)) == 1
    assert f"{bad}:2: key: key id 'x' is not a lower-case UUID" in capsys.readouterr().err
    assert run("seed", "check", str(tmp_path / "missing.yaml")) == 1
    assert "cannot read the seed file" in capsys.readouterr().err
