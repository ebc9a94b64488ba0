"""The seal state of one node, kept by its supervisor process (see ``workers.py``).

The supervisor alone talks to the root of trust: it unwraps the data-store KEK once per node (at start for
``file``, ``pkcs11`` and ``kms``; when the share threshold is reached for ``shamir``) and hands the KEK to
every worker over its seal channel. The root key itself is dropped as soon as the KEK is out; sealing wipes
the KEK here and in every worker. A failed unseal reads the store and writes nothing.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from strongroom.errors import AlreadyExistsError, StrongroomError
from strongroom.server.config import ConfigError, ServerConfig
from strongroom.server.wiring import open_sealed_core, open_store
from strongroom.service.core import Core
from strongroom.service.key_hierarchy import create_kek, open_kek, rewrap_kek
from strongroom.storage.base import Store
from strongroom.trust import envelope
from strongroom.trust.base import RootConfigError, RootOfTrustError
from strongroom.trust.factory import (
    FileSettings,
    FreshRoot,
    RootSettings,
    fresh_root,
    is_auto,
    kind_of,
    load_settings,
    open_auto_root,
    read_config_file,
)
from strongroom.trust.key_file import FileRootOfTrust, RootKeyFileError
from strongroom.trust.shamir import ShamirSettings, ShareCollector, check_split, new_share_set

log = logging.getLogger("strongroom.unseal")

_REFUSALS = (StrongroomError, RootConfigError, RootKeyFileError, ConfigError)
MAX_RETRY_SECONDS = 30.0


def _wipe(secret: bytearray | None) -> None:
    if secret is not None:
        secret[:] = bytes(len(secret))


class Unsealer:
    def __init__(self, config: ServerConfig, settings: RootSettings,
                 on_unsealed: Callable[[Core], None] | None = None) -> None:
        self.config = config
        self.settings = settings
        self.on_unsealed = on_unsealed
        self.generation = 0  # moves on every seal or unseal; the supervisor pushes each new state
        self.last_error: str | None = None
        self._kek: bytearray | None = None
        self._collector: ShareCollector | None = None
        self._retry_at: float | None = None
        self._failures = 0

    @property
    def kind(self) -> str:
        return kind_of(self.settings)

    @property
    def sealed(self) -> bool:
        return self._kek is None

    @property
    def kek(self) -> bytearray | None:
        return self._kek

    def check(self) -> None:
        """Refuse to start on a root that cannot work here (a key file others can read, say)."""
        if isinstance(self.settings, FileSettings):
            FileRootOfTrust(self.settings.key_file)

    # --- state changes -----------------------------------------------------------------------

    def _adopt(self, kek: bytearray) -> None:
        _wipe(self._kek)
        self._kek, self._collector = kek, None
        self.generation += 1
        self.last_error, self._retry_at, self._failures = None, None, 0
        log.info("unsealed with the %s root of trust", self.kind)
        if self.on_unsealed is not None:
            core = open_sealed_core(self.config)
            try:
                core.unseal_with_kek(kek)
                self.on_unsealed(core)
            except Exception:
                log.exception("the unseal hook failed")
            finally:
                core.close()

    def wipe(self) -> None:
        """Seal: forget the KEK (overwritten in place) and any unseal progress."""
        was_unsealed = self._kek is not None
        _wipe(self._kek)
        self._kek, self._collector, self._retry_at = None, None, None
        if was_unsealed:
            self.generation += 1

    @contextmanager
    def _store(self) -> Iterator[Store]:
        store = open_store(self.config)
        try:
            yield store
        finally:
            store.close()

    # --- automatic unseal (file, pkcs11, kms) ---------------------------------------------------

    def start(self) -> None:
        if is_auto(self.settings):
            self._try_auto_unseal()
        else:
            log.info("sealed: enter a quorum of shares with `strongroom operator unseal`")

    def _auto_unseal(self) -> None:
        with self._store() as store:
            record = store.get_wrapped_kek()
            if record is None:
                try:
                    kek = create_kek(store, open_auto_root(self.settings, None))
                except AlreadyExistsError:  # another node of the cluster created it first
                    record = store.get_wrapped_kek()
            if record is not None:
                kek = open_kek(store, open_auto_root(self.settings, envelope.unpack_for(record, self.kind).meta))
        self._adopt(kek)

    def _try_auto_unseal(self) -> None:
        try:
            self._auto_unseal()
        except Exception as exc:
            self.last_error = _message(exc) if isinstance(exc, _REFUSALS) else f"unexpected error: {exc!r}"
            log.error("unsealing with the %s root of trust failed; the server stays sealed: %s", self.kind,
                      self.last_error, exc_info=not isinstance(exc, _REFUSALS))
            if isinstance(exc, RootOfTrustError) and exc.transient:
                self._failures += 1
                self._retry_at = time.monotonic() + min(MAX_RETRY_SECONDS, 2.0 ** self._failures)

    def next_retry_in(self) -> float | None:
        return None if self._retry_at is None else max(0.0, self._retry_at - time.monotonic())

    def retry_if_due(self) -> None:
        if self._retry_at is not None and time.monotonic() >= self._retry_at and self.sealed:
            self._retry_at = None
            self._try_auto_unseal()

    # --- the operator's requests --------------------------------------------------------------

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        operations = {"status": self.status, "unseal": self.unseal, "seal": self.seal, "init": self.init,
                      "rotate-root": self.rotate_root, "migrate-root": self.migrate_root}
        operation = operations.get(str(request.get("op")))
        if operation is None:
            return {"ok": False, "error": f"unknown operation {request.get('op')!r}"}
        try:
            return {"ok": True, **operation(request)}
        except _REFUSALS as exc:
            return {"ok": False, "error": _message(exc), **self._progress()}
        except Exception:
            log.exception("operator request %r failed", request.get("op"))
            return {"ok": False, "error": "internal error; see the server log"}

    def _progress(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"sealed": self.sealed}
        if isinstance(self.settings, ShamirSettings) and self.sealed:
            collector = self._collector
            answer["progress"] = {"entered": collector.entered if collector else 0,
                                  "threshold": collector.threshold if collector else None}
        return answer

    def status(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._store() as store:
            record = store.get_wrapped_kek()
            keys = store.count_keys()
        answer: dict[str, Any] = {"root_of_trust": self.kind, "initialized": record is not None,
                                  "keys": keys, "error": self.last_error, **self._progress()}
        if record is not None:
            wrapped = envelope.unpack(record)
            answer["record"] = {"root": wrapped.root, **wrapped.meta}
            if "progress" in answer and answer["progress"]["threshold"] is None:
                answer["progress"]["threshold"] = wrapped.meta.get("threshold")
        return answer

    def seal(self, request: dict[str, Any]) -> dict[str, Any]:
        self.wipe()
        self.last_error = None
        log.info("sealed by the operator")
        return {"sealed": True}

    def unseal(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("reset"):
            self._collector = None
            return {"reset": True, **self._progress()}
        if not self.sealed:
            return {"already": True, "sealed": False}
        if is_auto(self.settings):
            self._auto_unseal()
            return {"sealed": False}
        share = str(request.get("share") or "").strip()
        with self._store() as store:
            record = store.get_wrapped_kek()
            if record is None:
                raise RootOfTrustError("not initialized: run `strongroom operator init` first")
            meta = envelope.unpack_for(record, self.kind).meta
            if self._collector is None or self._collector.set_id != meta.get("set"):
                self._collector = ShareCollector(meta)
            if not share:
                return self._progress()
            self._collector.add(share)
            if not self._collector.complete:
                return self._progress()
            root = self._collector.combine()
            kek = open_kek(store, root)
        self._adopt(kek)
        return {"sealed": False}

    def init(self, request: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(self.settings, ShamirSettings):
            raise RootConfigError(f"the {self.kind} root of trust initializes itself on first start; "
                                  "there is nothing to initialize")
        shares = int(request.get("shares") or self.settings.shares)
        threshold = int(request.get("threshold") or self.settings.threshold)
        check_split(shares, threshold)
        with self._store() as store:
            if store.get_wrapped_kek() is not None:
                raise RootConfigError("this data store is already initialized")
            made = new_share_set(shares, threshold)
            _wipe(create_kek(store, made.root))
        log.info("initialized: %d shares, threshold %d; sealed until unsealed", shares, threshold)
        return {"shares": made.shares, "threshold": threshold, "sealed": True}

    def _require_kek(self) -> bytearray:
        if self._kek is None:
            raise RootOfTrustError("the server is sealed; unseal it before changing its root of trust")
        return self._kek

    def rotate_root(self, request: dict[str, Any]) -> dict[str, Any]:
        kek = self._require_kek()
        with self._store() as store:
            record = store.get_wrapped_kek()
            current = envelope.unpack(record) if record is not None else None
            fresh = fresh_root(self.settings, rotation=True,
                               current=current.meta if current and current.root == self.kind else None,
                               shares=request.get("shares"), threshold=request.get("threshold"),
                               kms_key_id=request.get("kms_key_id"))
            self._rewrap(store, kek, fresh)
        log.info("root of trust rotated (%s): %s", self.kind, fresh.note)
        return {"root_of_trust": self.kind, "shares": fresh.shares, "note": fresh.note}

    def migrate_root(self, request: dict[str, Any]) -> dict[str, Any]:
        kek = self._require_kek()
        config_file = Path(request["config_file"]) if request.get("config_file") else None
        table = read_config_file(config_file) if config_file else {}
        key_file = Path(request["root_key_file"]) if request.get("root_key_file") else None
        target = load_settings(request.get("root_of_trust"), table, key_file=key_file,
                               base_dir=config_file.parent if config_file else Path(os.getcwd()))
        with self._store() as store:
            fresh = fresh_root(target, rotation=False, shares=request.get("shares"),
                               threshold=request.get("threshold"))
            self._rewrap(store, kek, fresh)
        previous, self.settings = self.kind, target
        log.info("root of trust migrated from %s to %s: %s", previous, self.kind, fresh.note)
        return {"root_of_trust": self.kind, "previous": previous, "shares": fresh.shares,
                "note": fresh.note + f"; from now on start this server with the {self.kind} root of trust"}

    @staticmethod
    def _rewrap(store: Store, kek: bytearray, fresh: FreshRoot) -> None:
        try:
            rewrap_kek(store, kek, fresh.root)
        except BaseException:
            fresh.abort()
            raise
        fresh.commit()


def _message(exc: BaseException) -> str:
    return getattr(exc, "message", "") or str(exc)

