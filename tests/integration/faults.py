"""Fault helpers: kill -9 a whole node (supervisor and workers), and a bounded load that records what the
server acknowledged, so that a test can check every acknowledged thing after a restart."""

from __future__ import annotations

import ctypes
import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kms_harness import ServerInfo, ServerProcess

_PR_SET_CHILD_SUBREAPER = 36


def subreaper(on: bool) -> None:
    """While on, orphaned workers of a killed node are re-parented to this process, which reaps them."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_node(node: ServerProcess) -> None:
    """SIGKILL the node's supervisor and every worker at once, by PID, and reap them all."""
    proc = node.proc
    assert proc is not None, "the node is not running"
    workers = descendants(proc.pid)
    for pid in [proc.pid, *workers]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(10)
    for pid in workers:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:  # not ours (no subreaper): init reaps it
            pass
    node.proc = None


@dataclass
class Acknowledged:
    """Everything the server answered 200 for, per kind."""

    keys: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    ciphertexts: list[tuple[bytes, bytes, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def total(self) -> int:
        return len(self.keys) + len(self.aliases) + len(self.ciphertexts)


def run_load(info: ServerInfo, acked: Acknowledged, label: str, *, threads: int = 3, max_rounds: int = 60,
             stop: threading.Event) -> list[threading.Thread]:
    """Start ``threads`` clients looping CreateKey, CreateAlias, Encrypt, GenerateDataKey until ``stop`` is
    set, the server stops answering, or ``max_rounds`` rounds are done. Only successes are recorded."""

    def client_loop(index: int) -> None:
        client = info.client(config=_quick_config())
        rng = random.Random(f"{label}-{index}")
        for round_ in range(max_rounds):
            if stop.is_set():
                return
            try:
                key_id = client.create_key(Description=f"{label}-{index}-{round_}")["KeyMetadata"]["KeyId"]
                with acked.lock:
                    acked.keys.add(key_id)
                name = f"alias/{label}-{index}-{round_}"
                client.create_alias(AliasName=name, TargetKeyId=key_id)
                with acked.lock:
                    acked.aliases[name] = key_id
                plaintext = rng.randbytes(rng.randint(1, 512))
                context = {"round": str(round_), "client": label}
                blob = client.encrypt(KeyId=name, Plaintext=plaintext, EncryptionContext=context)["CiphertextBlob"]
                with acked.lock:
                    acked.ciphertexts.append((blob, plaintext, context))
                data_key = client.generate_data_key(KeyId=key_id, KeySpec="AES_256")
                with acked.lock:
                    acked.ciphertexts.append((data_key["CiphertextBlob"], data_key["Plaintext"], {}))
            except Exception:  # the node died under us: whatever was not acknowledged does not count
                return

    started = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(threads)]
    for t in started:
        t.start()
    return started


def _quick_config() -> Any:
    import botocore.config

    return botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10)


def wait_for(threads: list[threading.Thread], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "load threads did not stop"
