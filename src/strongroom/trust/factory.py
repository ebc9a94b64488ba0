"""The configured root of trust: settings read from the server's options and TOML file, and the roots built
from them.

    [root_of_trust]
    kind = "file" | "shamir" | "pkcs11" | "kms"
    ...                      # the kind's own settings (see docs/root-of-trust.md)

``file``, ``pkcs11`` and ``kms`` unseal on their own at start (``open_auto_root``); ``shamir`` waits for the
operators' shares. ``fresh_root`` makes the next root for a rotation or a migration.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strongroom.trust import pkcs11 as p11
from strongroom.trust.base import RootConfigError, RootOfTrust
from strongroom.trust.key_file import FileRootOfTrust, create_root_key_file, pending_key_file
from strongroom.trust.kms import KmsRootOfTrust, KmsSettings
from strongroom.trust.kms import root_for_record as kms_root_for_record
from strongroom.trust.pkcs11 import Pkcs11RootOfTrust, Pkcs11Settings
from strongroom.trust.shamir import ShamirSettings, check_split, new_share_set

KINDS = ("file", "shamir", "pkcs11", "kms")


@dataclass(frozen=True)
class FileSettings:
    key_file: Path


RootSettings = FileSettings | ShamirSettings | Pkcs11Settings | KmsSettings
_KIND_OF = {FileSettings: "file", ShamirSettings: "shamir", Pkcs11Settings: "pkcs11", KmsSettings: "kms"}


def kind_of(settings: RootSettings) -> str:
    return _KIND_OF[type(settings)]


def is_auto(settings: RootSettings) -> bool:
    return not isinstance(settings, ShamirSettings)


def read_config_file(path: Path) -> dict[str, Any]:
    """The ``[root_of_trust]`` table of a TOML file (empty if it has none)."""
    try:
        with open(path, "rb") as f:
            document = tomllib.load(f)
    except OSError as exc:
        raise RootConfigError(f"cannot read the configuration file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RootConfigError(f"the configuration file {path} is not valid TOML: {exc}") from None
    table = document.get("root_of_trust", {})
    if not isinstance(table, dict):
        raise RootConfigError(f"{path}: root_of_trust must be a table")
    return table


def load_settings(kind: str | None, table: dict[str, Any], *, key_file: Path | None = None,
                  base_dir: Path = Path(".")) -> RootSettings:
    """Settings of the root named by ``kind`` (else the table's ``kind``, else ``file``)."""
    kind = kind or table.get("kind") or "file"
    if kind not in KINDS:
        raise RootConfigError(f"unknown root of trust {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "file":
        path = key_file or (base_dir / table["key_file"] if table.get("key_file") else None)
        if path is None:
            raise RootConfigError("the file root of trust needs a root key (--root-key-file, "
                                  "STRONGROOM_ROOT_KEY_FILE or root_of_trust.key_file)")
        return FileSettings(path)
    if kind == "shamir":
        shares, threshold = int(table.get("shares", 5)), int(table.get("threshold", 3))
        check_split(shares, threshold)
        return ShamirSettings(shares, threshold)
    if kind == "pkcs11":
        return Pkcs11Settings.from_table(table, base_dir)
    return KmsSettings.from_table(table, base_dir)


def open_auto_root(settings: RootSettings, meta: dict[str, Any] | None) -> RootOfTrust:
    """The root that unwraps a record with header ``meta``, or wraps a data store's first KEK (``meta`` None).

    A first start on an HSM token without the configured key creates it.
    """
    if isinstance(settings, FileSettings):
        return FileRootOfTrust(settings.key_file)
    if isinstance(settings, Pkcs11Settings):
        if meta is not None:
            return p11.root_for_record(settings, meta)
        key_id = p11.only_key_id(settings) or p11.generate_key(settings)
        return Pkcs11RootOfTrust(settings, key_id)
    if isinstance(settings, KmsSettings):
        return kms_root_for_record(settings, meta) if meta is not None else KmsRootOfTrust(settings)
    raise RootConfigError("the shamir root of trust is unsealed with shares, not automatically")


def _nothing() -> None:
    return None


@dataclass
class FreshRoot:
    """The next root: wrap the KEK with ``root``, store it, then ``commit()`` (or ``abort()`` if storing failed)."""

    root: RootOfTrust
    note: str = ""
    shares: list[str] = field(default_factory=list)
    commit: Callable[[], None] = _nothing
    abort: Callable[[], None] = _nothing


def fresh_root(settings: RootSettings, *, rotation: bool, current: dict[str, Any] | None = None,
               shares: int | None = None, threshold: int | None = None, kms_key_id: str | None = None) -> FreshRoot:
    """A new root key of ``settings``' kind: for a rotation of the current root (whose record header is
    ``current``) or a migration to ``settings``."""
    current = current or {}
    if isinstance(settings, FileSettings):
        return _fresh_key_file(settings.key_file, rotation)
    if isinstance(settings, ShamirSettings):
        made = new_share_set(shares or int(current.get("shares", settings.shares)),
                             threshold or int(current.get("threshold", settings.threshold)))
        return FreshRoot(made.root, "new shares; the previous shares no longer unseal this data store",
                         made.shares)
    if isinstance(settings, Pkcs11Settings):
        key_id = p11.generate_key(settings)
        note = f"new HSM key {settings.key_label!r} id {key_id.hex()}"
        if current.get("key_id"):
            note += f"; the previous key (id {current['key_id']}) stays on the token until you destroy it"
        return FreshRoot(Pkcs11RootOfTrust(settings, key_id), note)
    key = kms_key_id or (str(current["key_id"]) if rotation and current.get("key_id") else settings.key_id)
    root = KmsRootOfTrust(settings, key)
    if rotation and not kms_key_id:
        root.rotate_key_material()
        return FreshRoot(root, f"KMS key {key} rotated to a new key version; the KEK is re-encrypted under it")
    return FreshRoot(root, f"the KEK is encrypted under KMS key {key}"
                     + ("; set root_of_trust.key_id to it" if key != settings.key_id else ""))


def _fresh_key_file(path: Path, rotation: bool) -> FreshRoot:
    if not rotation:
        if path.exists():
            raise RootConfigError(f"{path} exists; migrate to a new key file path")
        create_root_key_file(path)
        return FreshRoot(FileRootOfTrust(path), f"new root key in {path}", abort=lambda: os.unlink(path))
    pending = pending_key_file(path)
    if pending.exists():
        raise RootConfigError(f"{pending} exists (an interrupted rotation?); if the server unseals with {path}, "
                              "remove it and rotate again")
    create_root_key_file(pending)
    return FreshRoot(FileRootOfTrust(pending), f"new root key in {path}; the previous key no longer unwraps "
                                               "this data store",
                     commit=lambda: os.replace(pending, path), abort=lambda: os.unlink(pending))
