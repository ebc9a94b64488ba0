"""Helpers of the root-of-trust tests: the operator CLI and socket, health probes, and scans of the data at rest."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from strongroom.crypto.wrapping import KeyEncryptionKey
from strongroom.server.seal_control import call
from strongroom.service.key_hierarchy import material_label
from tests.conformance.kms_harness import ServerInfo, clean_env
from tests.storage.audit_rows import audit_text


def operator(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``strongroom operator ARGS --data-dir DATA_DIR``, as an operator types it."""
    return subprocess.run([sys.executable, "-m", "strongroom", "operator", *args, "--data-dir", str(data_dir)],
                          input=stdin, capture_output=True, text=True, timeout=60, env=clean_env())


def audit_records(data_dir: Path, *filters: str) -> list[dict[str, Any]]:
    """``strongroom audit list --json`` (the trail needs no key to be read), parsed."""
    done = subprocess.run([sys.executable, "-m", "strongroom", "audit", "list", "--json", *filters, "--data-dir",
                           str(data_dir)], capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def control(data_dir: Path, op: str, **fields: Any) -> dict[str, Any]:
    """One request straight to the node's operator socket (what the CLI sends)."""
    return call(data_dir / "control.sock", {"op": op, **fields}, timeout=60)


def unseal(data_dir: Path, shares: list[str]) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for share in shares:
        answer = control(data_dir, "unseal", share=share)
        assert answer["ok"], answer
    return answer


def probe(info: ServerInfo, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{info.endpoint}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def assert_sealed_everywhere(clients: list[Any]) -> None:
    """Every client (each its own connection, spread over the workers) gets a retryable 5xx saying sealed."""
    for client in clients:
        try:
            client.list_keys()
        except ClientError as exc:
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 503, exc.response
            assert "sealed" in exc.response["Error"]["Message"], exc.response
        else:
            raise AssertionError("a sealed server answered ListKeys")


def logical_dump(data_dir: Path) -> str:
    """The database's content, to prove an operation wrote nothing. Leaves out ``change_generation``, the
    cache-invalidation counter that SqliteStore bumps whenever a process opens the file, and the audit trail,
    which records every request, refused ones too."""
    with sqlite3.connect(f"file:{data_dir / 'strongroom.db'}?mode=ro", uri=True) as db:
        return "\n".join(line for line in db.iterdump()
                         if '"change_generation"' not in line and '"audit_batch' not in line)


def wait_for(predicate: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def secrets_at_rest(data_dir: Path, kek: bytes) -> dict[str, bytes]:
    """Every key version's material, unwrapped with the KEK (the test holds it) to search for in the clear."""
    found = {"KEK": kek}
    with sqlite3.connect(f"file:{data_dir / 'strongroom.db'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT key_id, version, wrapped_material FROM key_versions").fetchall()
    assert rows, "no key material stored: the scan would prove nothing"
    for key_id, version, wrapped in rows:
        found[f"material {key_id}/{version}"] = KeyEncryptionKey(kek).unwrap(wrapped, material_label(key_id, version))
    return found


def assert_nothing_in_the_clear(data_dir: Path, needles: dict[str, bytes]) -> None:
    """No needle appears in the database files, raw, base64 or hex."""
    haystack = b"".join(p.read_bytes() for p in data_dir.glob("strongroom.db*"))
    haystack += audit_text(data_dir / "strongroom.db")
    assert len(haystack) > 4096
    for name, needle in needles.items():
        assert len(needle) >= 8, name
        for form in (needle, base64.b64encode(needle), needle.hex().encode(), needle.hex().upper().encode()):
            assert form not in haystack, f"{name} is stored in the clear"
