"""The node's seal state in the supervisor, in-process: what each request does to it, and what it never writes."""

from __future__ import annotations

from pathlib import Path

from strongroom.server.config import ServerConfig
from strongroom.server.unsealer import Unsealer
from strongroom.service.core import Core
from strongroom.storage.sqlite import SqliteStore
from strongroom.trust.factory import FileSettings, load_settings
from strongroom.trust.key_file import create_root_key_file
from strongroom.trust.shamir import ShamirSettings


def test_file_root_unseals_at_start_and_seal_wipes_the_kek(tmp_path: Path) -> None:
    create_root_key_file(tmp_path / "root.key")
    seen: list[bool] = []
    unsealer = Unsealer(ServerConfig(tmp_path), FileSettings(tmp_path / "root.key"),
                        on_unsealed=lambda core: seen.append(core.sealed))
    unsealer.start()
    kek = unsealer.kek
    assert kek is not None and any(kek) and seen == [False] and unsealer.generation == 1
    assert unsealer.handle({"op": "seal"}) == {"ok": True, "sealed": True}
    assert unsealer.kek is None and not any(kek), "the KEK must be overwritten, not just dropped"
    assert unsealer.handle({"op": "unseal"})["sealed"] is False and unsealer.generation == 3
    assert unsealer.handle({"op": "init"})["ok"] is False
    assert unsealer.handle({"op": "nonsense"})["ok"] is False


def test_shamir_progress_and_status(tmp_path: Path) -> None:
    unsealer = Unsealer(ServerConfig(tmp_path), ShamirSettings(3, 2))
    unsealer.start()
    assert unsealer.sealed and unsealer.handle({"op": "status"})["initialized"] is False
    refused = unsealer.handle({"op": "unseal", "share": "anything"})
    assert not refused["ok"] and "not initialized" in refused["error"]
    shares = unsealer.handle({"op": "init"})["shares"]
    assert len(shares) == 3 and unsealer.sealed
    step = unsealer.handle({"op": "unseal", "share": shares[2]})
    assert step["progress"] == {"entered": 1, "threshold": 2}
    assert unsealer.handle({"op": "status"})["progress"] == {"entered": 1, "threshold": 2}
    assert unsealer.handle({"op": "unseal", "reset": True})["progress"]["entered"] == 0
    unsealer.handle({"op": "unseal", "share": shares[0]})
    assert unsealer.handle({"op": "unseal", "share": shares[1]})["sealed"] is False
    assert unsealer.handle({"op": "unseal", "share": shares[1]})["already"] is True
    assert unsealer.kek is not None
    core = Core(SqliteStore(tmp_path / "strongroom.db"))
    core.unseal_with_kek(unsealer.kek)  # what a worker does with the KEK it is sent
    assert core._secrets.unwrap(core._secrets.wrap(b"secret", "label"), "label") == b"secret"
    core.close()


def test_an_unreachable_kms_keeps_the_node_sealed_and_schedules_a_retry(tmp_path: Path) -> None:
    settings = load_settings("kms", {"region": "us-east-1", "key_id": "alias/x", "endpoint_url": "http://127.0.0.1:9",
                                     "access_key_id": "AKIAEXAMPLE", "secret_access_key": "x" * 40, "timeout": 1})
    unsealer = Unsealer(ServerConfig(tmp_path), settings)
    unsealer.start()
    assert unsealer.sealed and "cannot reach the KMS at http://127.0.0.1:9" in (unsealer.last_error or "")
    retry = unsealer.next_retry_in()
    assert retry is not None and 0 < retry <= 2.0
    unsealer.handle({"op": "seal"})  # an operator's seal stops the retries
    assert unsealer.next_retry_in() is None
    status = unsealer.handle({"op": "status"})
    assert status["initialized"] is False  # nothing was written
