"""The ``file`` root of trust: a 256-bit root key in a file only its owner may read (dev and simple setups)."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

from strongroom.crypto.aead import new_key
from strongroom.trust.local_key import LocalKeyRoot


class RootKeyFileError(Exception):
    """The root key file is missing, unsafe or unreadable; the message says which and how to fix it."""


def create_root_key_file(path: Path) -> None:
    """Create a new root key file with mode 0600; never overwrite an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, base64.b64encode(new_key()) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def pending_key_file(path: Path) -> Path:
    """Where a rotation writes the next root key until the data store is rewrapped under it."""
    return path.with_name(path.name + ".new")


class FileRootOfTrust(LocalKeyRoot):
    def __init__(self, path: Path) -> None:
        self._path = path
        hint = ""
        if pending_key_file(path).exists():
            hint = f" (a root rotation was interrupted: try the key in {pending_key_file(path)})"
        super().__init__("file", self._load(path), wrong_key_hint=hint)

    def __repr__(self) -> str:
        return f"FileRootOfTrust({str(self._path)!r})"

    @staticmethod
    def _load(path: Path) -> bytes:
        try:
            info = path.stat()
        except FileNotFoundError:
            raise RootKeyFileError(f"root key file {path} does not exist") from None
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise RootKeyFileError(
                f"root key file {path} is readable by others (mode {stat.S_IMODE(info.st_mode):o}); "
                "run: chmod 600 " + str(path))
        try:
            key = base64.b64decode(path.read_bytes().strip(), validate=True)
        except ValueError:
            key = b""
        if len(key) != 32:
            raise RootKeyFileError(f"root key file {path} does not hold a base64-encoded 32-byte key")
        return key
