"""The audit trail's stored rows as someone holding the SQLite file sees them (see storage/audit_batches.py)."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path


def _text(events: bytes) -> bytes:
    return zlib.decompress(events) if events[:1] == b"\x78" else events


def audit_text(db_path: Path) -> bytes:
    """Every stored batch's lines, uncompressed: what a scan of the file for secrets must also search."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        return b"\n".join(_text(events) for (events,) in db.execute("SELECT events FROM audit_batches"))


def tamper(db_path: Path, seq: int, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the stored batch holding event ``seq``, as an attacker with the file could."""
    with sqlite3.connect(db_path) as db:
        first_seq, events = db.execute("SELECT first_seq, events FROM audit_batches WHERE first_seq <= ? AND "
                                       "last_seq >= ?", (seq, seq)).fetchone()
        text = _text(events).decode()
        assert old in text, f"{old!r} is not in the batch of event {seq}"
        db.execute("UPDATE audit_batches SET events = ? WHERE first_seq = ?",
                   (zlib.compress(text.replace(old, new).encode()), first_seq))
