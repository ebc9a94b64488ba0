"""Stand-ins for a terminal and a clock, for what the CLI draws on a terminal (progress bars)."""

from __future__ import annotations

import io


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
