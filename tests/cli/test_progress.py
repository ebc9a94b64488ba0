"""The progress bar: what it draws on a terminal (a fake one, with a fake clock), how often, and that it draws nothing
anywhere else."""

from __future__ import annotations

import io

import pytest

from strongroom.cli.progress import BAR_WIDTH, duration, progress
from tests.cli.terminal import FakeClock, FakeTerminal


def frames(stream: io.StringIO) -> list[str]:
    """Each redraw, as the terminal shows it: the text between carriage returns, without the clear-to-end code."""
    return [frame.replace("\x1b[K", "") for frame in stream.getvalue().split("\r") if frame]


def test_a_bar_with_a_total_shows_count_rate_and_time_left() -> None:
    terminal, clock = FakeTerminal(), FakeClock()
    with progress("restoring", total=1000, stream=terminal, clock=clock, columns=120) as bar:
        clock.now += 2.0
        bar.advance(250)
    drawn = frames(terminal)
    assert drawn[0] == f"restoring  [{'-' * BAR_WIDTH}]  0/1,000 rows  0%"
    assert drawn[1] == f"restoring  [{'#' * (BAR_WIDTH // 4)}{'-' * (BAR_WIDTH * 3 // 4)}]  250/1,000 rows  25%  " \
                       "125 rows/s  ETA 0:06"
    assert drawn[2] == f"restoring  [{'#' * (BAR_WIDTH // 4)}{'-' * (BAR_WIDTH * 3 // 4)}]  250/1,000 rows  25%  " \
                       "125 rows/s  in 0:02\n"


def test_redraws_at_most_ten_times_a_second() -> None:
    terminal, clock = FakeTerminal(), FakeClock()
    with progress("exporting", total=10_000, unit="events", stream=terminal, clock=clock, columns=120) as bar:
        for _ in range(32):  # 32 advances in one second: a redraw every 4th (0.125 s), 8 in all, not 32
            clock.now += 1 / 32
            bar.advance(32)
    drawn = frames(terminal)
    assert len(drawn) == 1 + 8 + 1  # the start, one per 0.125 s, the end
    assert drawn[1].startswith("exporting  [") and "128/10,000 events" in drawn[1]
    assert drawn[-1].startswith("exporting  [") and "1,024/10,000 events  10%  1,024 events/s  in 0:01" in drawn[-1]


def test_an_unknown_total_shows_the_count_and_rate_and_may_become_known() -> None:
    terminal, clock = FakeTerminal(), FakeClock()
    with progress("backing up", stream=terminal, clock=clock, columns=120) as bar:
        clock.now += 4.0
        bar.advance(2)
        assert frames(terminal)[-1] == "backing up  2 rows  0.5 rows/s"
        bar.total = 8
        assert frames(terminal)[-1].startswith(f"backing up  [{'#' * (BAR_WIDTH // 4)}")
        assert frames(terminal)[-1].endswith("2/8 rows  25%  0.5 rows/s  ETA 0:12")
        clock.now += 12.0
        bar.advance(6)
    assert frames(terminal)[-1].endswith("8/8 rows  100%  0.5 rows/s  in 0:16\n")


def test_more_work_than_announced_grows_the_total() -> None:
    terminal, clock = FakeTerminal(), FakeClock()
    with progress("exporting", total=10, stream=terminal, clock=clock, columns=120) as bar:
        clock.now += 1.0
        bar.advance(12)
    assert "12/12 rows  100%" in frames(terminal)[-1]


def test_a_narrow_terminal_loses_the_bar_then_the_end_of_the_line() -> None:
    terminal, clock = FakeTerminal(), FakeClock()
    with progress("restoring", total=100, stream=terminal, clock=clock, columns=40) as bar:
        clock.now += 1.0
        bar.advance(50)
    drawn = frames(terminal)
    assert drawn[1] == "restoring  50/100 rows  50%  50 rows/s"  # 39 columns: the cursor keeps the 40th
    assert all(len(frame.rstrip("\n")) <= 39 for frame in drawn)


def test_nothing_is_drawn_when_standard_error_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr("sys.stderr", pipe)
    with progress("restoring", total=3) as bar:
        bar.advance(3)
    assert bar.count == 3
    assert pipe.getvalue() == ""
    terminal = FakeTerminal()
    with progress("restoring", total=3, stream=terminal, enabled=False) as bar:
        bar.advance(3)
    assert terminal.getvalue() == ""


def test_the_line_is_ended_when_the_work_fails() -> None:
    terminal, clock = FakeTerminal(), FakeClock()
    with pytest.raises(RuntimeError), progress("restoring", total=4, stream=terminal, clock=clock,
                                                   columns=120) as bar:
        bar.advance(1)
        raise RuntimeError("the disk is full")
    assert terminal.getvalue().endswith("\n")
    assert "1/4 rows" in frames(terminal)[-1]


def test_durations() -> None:
    assert [duration(s) for s in (0, 7.4, 59.6, 754, 3723)] == ["0:00", "0:07", "1:00", "12:34", "1:02:03"]
