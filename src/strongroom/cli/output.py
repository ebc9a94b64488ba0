"""How commands show what they found: aligned tables and field lists for people, one JSON document for machines
(``--output json``)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import IO, Any

import orjson

TABLE = "table"
JSON = "json"
TABLE_CHUNK_ROWS = 1000
EMPTY_CELL = "-"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", "-o", choices=(TABLE, JSON), default=TABLE,
                        help="table (default, for people) or json (one document, stable field names)")


def timestamp(epoch: float | None) -> str | None:
    """ISO 8601 in UTC, to the second: ``2026-01-02T03:04:05Z``."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cell(value: object) -> str:
    """One table cell: control characters (a newline in a description) would break the row."""
    if value is None or value == "":
        return EMPTY_CELL
    return _CONTROL.sub(" ", str(value))


def _chunks(rows: Iterable[Sequence[str]], size: int) -> Iterator[list[Sequence[str]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def write_table(headers: Sequence[str], rows: Iterable[Sequence[str]], out: IO[str] | None = None, *,
                chunk_rows: int = TABLE_CHUNK_ROWS) -> int:
    """Columns aligned, two spaces apart; returns the number of rows. Rows are taken a chunk at a time, so a
    listing of a million keys is never held whole: each chunk is aligned to the widest cells seen so far (a wider
    cell in a later chunk widens its column from that chunk on)."""
    out = out or sys.stdout
    widths = [len(header) for header in headers]
    written = 0

    def emit(row: Sequence[str]) -> None:
        padded = [text.ljust(width) for text, width in zip(row[:-1], widths, strict=False)]
        out.write("  ".join([*padded, row[-1]]).rstrip() + "\n")

    for chunk in _chunks(rows, chunk_rows):
        for row in chunk:
            widths = [max(width, len(text)) for width, text in zip(widths, row, strict=True)]
        if not written:
            emit(headers)
        for row in chunk:
            emit(row)
        written += len(chunk)
    if not written:
        emit(headers)
    out.flush()
    return written


def write_fields(fields: Sequence[tuple[str, str]], out: IO[str] | None = None) -> None:
    """``Label:  value`` lines, the values aligned."""
    out = out or sys.stdout
    width = max((len(label) for label, _ in fields), default=0) + 1
    for label, value in fields:
        out.write(f"{label + ':':<{width}}  {cell(value)}\n")
    out.flush()


def write_json(document: Mapping[str, Any], out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    out.flush()


def write_json_list(name: str, items: Iterable[Mapping[str, Any]], out: IO[str] | None = None) -> int:
    """``{"NAME": [item, …]}``, one item per line, written as the items come (a long listing is never held
    whole); returns the number of items."""
    out = out or sys.stdout
    out.write(f'{{"{name}": [')
    count = 0
    for item in items:
        out.write(("," if count else "") + "\n  " + orjson.dumps(item).decode())
        count += 1
    out.write("\n]}\n" if count else "]}\n")
    out.flush()
    return count
