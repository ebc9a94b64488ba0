"""CRC32C (Castagnoli), the checksum Cloud KMS requests and responses carry as int64 strings.

The ``google-crc32c`` package (C) is used when installed; otherwise a table-driven implementation.
"""

from __future__ import annotations

from collections.abc import Callable

_POLYNOMIAL = 0x82F63B78  # reflected


def _table() -> tuple[int, ...]:
    rows = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLYNOMIAL if crc & 1 else crc >> 1
        rows.append(crc)
    return tuple(rows)


_TABLE = _table()


def _pure(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _implementation() -> Callable[[bytes], int]:
    try:
        import google_crc32c  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return _pure
    return lambda data: int(google_crc32c.value(bytes(data)))


crc32c: Callable[[bytes], int] = _implementation()
