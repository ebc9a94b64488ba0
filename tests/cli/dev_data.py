"""A data directory as ``strongroom server --dev`` leaves it (root key, dev account, DATA_DIR/dev-credentials), made
without starting a server, and ``strongroom …`` run in this process with its output captured."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from strongroom.cli.main import main
from strongroom.server.config import ServerConfig
from strongroom.server.dev import ensure_dev_account
from strongroom.server.wiring import open_core
from strongroom.service.core import Core
from strongroom.trust.key_file import create_root_key_file

DEV_ACCOUNT = "111122223333"


def make_dev_data_dir(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STRONGROOM_DEV_ACCOUNT_ID", DEV_ACCOUNT)
    data_dir.mkdir(mode=0o700, parents=True)
    create_root_key_file(data_dir / "root.key")
    core = open_data(data_dir)
    try:
        ensure_dev_account(core, data_dir)
    finally:
        core.close()
    return data_dir


def open_data(data_dir: Path) -> Core:
    return open_core(ServerConfig(data_dir=data_dir, root_key_file=data_dir / "root.key"))


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Strongroom:
    """``strongroom ARGS --data-dir DIR`` through ``cli.main.main``."""

    def __init__(self, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *args: str) -> Run:
        self.capsys.readouterr()
        code = main([*args, "--data-dir", str(self.data_dir)])
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def ok(self, *args: str) -> Run:
        run = self(*args)
        assert run.code == 0, run.err
        return run
