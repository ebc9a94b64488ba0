"""The ``file`` root of trust: a 256-bit root key in a file only its owner may read (dev and simple setups)."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

from strongroom.crypto.aead import new_key
from strongroom.crypto.wrapping import KeyEncryptionKey
from strongroom.errors import InvalidCiphertextError, SealedError

_KEK_LABEL = "strongroom/kek"


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


class FileRootOfTrust:
    name = "file"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._root = KeyEncryptionKey(self._load(path))

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

    def wrap_kek(self, kek: bytes) -> bytes:
        return self._root.wrap(kek, _KEK_LABEL)

    def unwrap_kek(self, wrapped: bytes) -> bytes:
        try:
            return self._root.unwrap(wrapped, _KEK_LABEL)
        except InvalidCiphertextError:
            raise SealedError("the root key does not unwrap this data store's key-encryption key") from None
