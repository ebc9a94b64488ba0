"""``strongroom audit export`` with the progress bar: against the whole trail when nothing is filtered out, the count
alone with a filter, and never on the terminal the events themselves go to."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from strongroom.cli.audit import trail_length
from strongroom.cli.main import main
from strongroom.server.config import ServerConfig
from strongroom.server.wiring import open_store
from tests.cli.dev_data import Strongroom, make_dev_data_dir
from tests.cli.terminal import FakeTerminal


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    data = make_dev_data_dir(tmp_path / "data", monkeypatch)
    strongroom = Strongroom(data, capsys)
    for _ in range(3):
        strongroom.ok("keys", "create")
    strongroom.ok("keys", "list")
    return data


def last_frame(terminal: io.StringIO) -> str:
    return terminal.getvalue().split("\r")[-1].replace("\x1b[K", "")


def test_the_trail_length_counts_every_event(data_dir: Path) -> None:
    store = open_store(ServerConfig(data_dir=data_dir))
    try:
        assert trail_length(store) == 5  # 3 CreateKey, ListAliases, ListKeys
    finally:
        store.close()


def test_export_counts_against_the_whole_trail(data_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    out = tmp_path / "trail.jsonl"
    assert main(["audit", "export", str(out), "--data-dir", str(data_dir)]) == 0
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(events) == 5
    assert last_frame(terminal).startswith("exporting  [")
    assert "5/5 events  100%" in last_frame(terminal) and terminal.getvalue().endswith("\n")

    filtered = FakeTerminal()
    monkeypatch.setattr("sys.stderr", filtered)
    assert main(["audit", "export", str(out), "--event", "CreateKey", "--data-dir", str(data_dir)]) == 0
    assert len(out.read_text().splitlines()) == 3
    assert last_frame(filtered).startswith("exporting  3 events  ")


def test_no_bar_on_the_terminal_the_events_go_to(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    screen = FakeTerminal()
    monkeypatch.setattr("sys.stderr", screen)
    monkeypatch.setattr("sys.stdout", screen)
    assert main(["audit", "export", "-", "--data-dir", str(data_dir)]) == 0
    assert "\r" not in screen.getvalue()
    assert len(screen.getvalue().splitlines()) == 5
