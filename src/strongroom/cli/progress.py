"""A one-line progress bar for long command-line work, drawn on standard error when it is a terminal.

    with progress("restoring", total=len(rows)) as bar:
        for row in rows:
            ...
            bar.advance()

On a terminal the line shows the count against the total, the rate and the time left, redrawn at most ten times
a second: a redraw per row would cost more than the work in a fast loop, and flicker. Anywhere else (a pipe, a
file, a CI log) nothing is drawn, so scripts see only what the command itself prints. The total may be unknown
(``None``), or become known later (``bar.total = n``); the line then shows the count and rate only.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

REDRAW_SECONDS = 0.1
BAR_WIDTH = 20
_CLEAR_TO_END = "\x1b[K"


def duration(seconds: float) -> str:
    """``0:07``, ``12:34``, ``1:02:03``."""
    whole = max(0, int(seconds + 0.5))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _rate(per_second: float) -> str:
    return f"{per_second:,.0f}" if per_second >= 10 else f"{per_second:.1f}"


class ProgressBar:
    """Counts work done; draws itself only when ``visible``."""

    def __init__(self, label: str, total: int | None, *, unit: str, stream: TextIO, clock: Callable[[], float],
                 visible: bool, columns: int) -> None:
        self.label = label
        self.unit = unit
        self.count = 0
        self._total = total
        self._stream = stream
        self._clock = clock
        self._visible = visible
        self._columns = columns
        self._started = clock()
        self._drawn_at: float | None = None
        if visible:
            self._draw(self._started)

    @property
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, value: int | None) -> None:
        self._total = value
        if self._visible:
            self._draw(self._clock())

    def advance(self, count: int = 1) -> None:
        self.count += count
        if not self._visible:
            return
        now = self._clock()
        if self._drawn_at is None or now - self._drawn_at >= REDRAW_SECONDS:
            self._draw(now)

    def finish(self) -> None:
        """The last state, with the time taken, and the end of the line."""
        if self._visible:
            self._draw(self._clock(), final=True)
            self._stream.write("\n")
            self._stream.flush()

    def line(self, now: float, *, final: bool = False) -> str:
        """The bar as drawn at ``now``; on a narrow terminal without its bar of #, and cut to fit."""
        elapsed = now - self._started
        per_second = self.count / elapsed if elapsed > 0 and self.count else None
        total = self._total if self._total is None else max(self._total, self.count)
        head, tail = [self.label], []
        bar = ""
        if total is not None:
            done = self.count / total if total else 1.0
            filled = int(done * BAR_WIDTH)
            bar = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}]"
            tail += [f"{self.count:,}/{total:,} {self.unit}", f"{int(done * 100)}%"]
        else:
            tail.append(f"{self.count:,} {self.unit}")
        if per_second is not None:
            tail.append(f"{_rate(per_second)} {self.unit}/s")
        if final:
            tail.append(f"in {duration(elapsed)}")
        elif total is not None and per_second:
            tail.append(f"ETA {duration((total - self.count) / per_second)}")
        fits = self._columns - 1
        text = "  ".join([*head, bar, *tail] if bar else [*head, *tail])
        if len(text) > fits and bar:
            text = "  ".join([*head, *tail])
        return text[:max(fits, 1)].rstrip()

    def _draw(self, now: float, *, final: bool = False) -> None:
        self._stream.write("\r" + self.line(now, final=final) + _CLEAR_TO_END)
        self._stream.flush()
        self._drawn_at = now


@contextmanager
def progress(label: str, total: int | None = None, *, unit: str = "rows", stream: TextIO | None = None,
             clock: Callable[[], float] = time.monotonic, enabled: bool | None = None,
             columns: int | None = None) -> Iterator[ProgressBar]:
    """A bar for the work inside the ``with``; ``enabled`` None: drawn when ``stream`` (standard error) is a
    terminal. The line is ended however the work ends, so an error message that follows starts on its own line.
    ``columns``: the terminal's width (default: asked of the terminal); the line is cut to fit, as a wrapped
    line could not be redrawn in place."""
    stream = stream if stream is not None else sys.stderr
    visible = _is_terminal(stream) if enabled is None else enabled
    width = columns or (_terminal_columns(stream) if visible else 80)
    bar = ProgressBar(label, total, unit=unit, stream=stream, clock=clock, visible=visible, columns=width)
    try:
        yield bar
    finally:
        bar.finish()


def _terminal_columns(stream: TextIO) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns or shutil.get_terminal_size(fallback=(80, 24)).columns  # 0: a terminal that does not say


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
