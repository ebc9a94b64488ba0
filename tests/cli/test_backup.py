"""``strongroom backup`` and ``restore`` with the progress bar: on a terminal it counts every row restored; in a pipe
the commands print what they always printed, and nothing on standard error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from strongroom.cli.main import main
from tests.cli.dev_data import Strongroom, make_dev_data_dir, open_data
from tests.cli.terminal import FakeTerminal

FINAL = re.compile(r"([\d,]+)/([\d,]+) rows  100%")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    data = make_dev_data_dir(tmp_path / "data", monkeypatch)
    strongroom = Strongroom(data, capsys)
    for n in range(3):
        strongroom.ok("keys", "create", "--alias", f"k{n}")
    return data


def final_count(drawn: str) -> int:
    found = FINAL.findall(drawn.split("\r")[-1])
    assert found, drawn
    done, total = (int(n.replace(",", "")) for n in found[0])
    assert done == total
    return done


def test_on_a_terminal_backup_and_restore_count_the_rows(data_dir: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    file, target = tmp_path / "store.bak", tmp_path / "restored"
    root_key = str(data_dir / "root.key")
    backup_terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", backup_terminal)
    assert main(["backup", str(file), "--data-dir", str(data_dir)]) == 0
    restore_terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", restore_terminal)
    assert main(["restore", str(file), "--data-dir", str(target), "--root-key-file", root_key]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("restored 3 keys, 3 aliases")

    backed_up, restored = final_count(backup_terminal.getvalue()), final_count(restore_terminal.getvalue())
    assert backed_up == restored > 6  # keys, versions, aliases, accounts, audit batches …
    assert restore_terminal.getvalue().startswith("\rrestoring  0 rows")  # drawn while the file is read
    assert restore_terminal.getvalue().endswith("\n")
    core = open_data(data_dir)
    try:
        assert core.key_counts() == {"Enabled": 3}
    finally:
        core.close()


def test_in_a_pipe_nothing_is_drawn(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "store.bak"
    assert main(["backup", str(file), "--data-dir", str(data_dir)]) == 0
    assert main(["restore", str(file), "--data-dir", str(tmp_path / "restored"), "--root-key-file",
                 str(data_dir / "root.key")]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert [line.split()[0] for line in captured.out.splitlines()] == ["backed", "restored"]


def test_a_failed_restore_ends_the_bar_before_its_one_line_error(data_dir: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "store.bak"
    assert main(["backup", str(file), "--data-dir", str(data_dir)]) == 0
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["restore", str(file), "--data-dir", str(data_dir)]) == 1  # not empty
    bar, error = terminal.getvalue().rsplit("\n", 2)[:2]
    assert "restoring" in bar
    assert error.startswith("strongroom: the target store is not empty")
