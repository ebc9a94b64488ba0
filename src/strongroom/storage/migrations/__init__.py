"""Numbered schema migrations, one SQL file per step, applied in order inside a transaction each."""

from __future__ import annotations

import re
from importlib import resources

_NUMBERED = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations_for(dialect: str) -> list[tuple[int, str]]:
    """(number, SQL) of every migration of a dialect, in order."""
    folder = resources.files(__package__) / dialect
    found = []
    for entry in folder.iterdir():
        match = _NUMBERED.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"{dialect} migrations are not numbered 1..n: {numbers}")
    return found
