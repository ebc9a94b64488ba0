"""kill -9 under load, on each backend: after a restart every acknowledged key and alias exists and every
acknowledged ciphertext (Encrypt, GenerateDataKey) decrypts. A few cycles, each bounded in count and time."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from tests.integration.faults import Acknowledged, kill_node, run_load, subreaper, wait_for

CYCLES = 3


@pytest.fixture(autouse=True)
def _reap_orphans() -> Iterator[None]:
    subreaper(True)
    yield
    subreaper(False)


def verify(client, acked: Acknowledged) -> None:  # type: ignore[no-untyped-def]
    missing = []
    for key_id in sorted(acked.keys):
        try:
            client.describe_key(KeyId=key_id)
        except ClientError as exc:
            missing.append(f"key {key_id}: {exc}")
    for name, key_id in sorted(acked.aliases.items()):
        try:
            target = client.describe_key(KeyId=name)["KeyMetadata"]["KeyId"]
            if target != key_id:
                missing.append(f"{name} points at {target}, not {key_id}")
        except ClientError as exc:
            missing.append(f"{name}: {exc}")
    for blob, plaintext, context in acked.ciphertexts:
        try:
            if client.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] != plaintext:
                missing.append("a ciphertext decrypted to something else")
        except ClientError as exc:
            missing.append(f"a ciphertext does not decrypt: {exc}")
    assert not missing, f"{len(missing)} acknowledged things lost after kill -9:\n" + "\n".join(missing[:20])


def test_kill_9_under_load_loses_nothing_acknowledged(node_factory, backend_database: str | None) -> None:
    node = node_factory("crashy", backend_database, 2)
    acked = Acknowledged()
    rng = random.Random(6)
    info = node.start()
    for cycle in range(CYCLES):
        stop = threading.Event()
        before = acked.total()
        threads = run_load(info, acked, f"c{cycle}", stop=stop)
        deadline = time.monotonic() + 10  # let some work be acknowledged, then crash at a random moment
        while acked.total() < before + 12 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.4))
        kill_node(node)
        stop.set()
        wait_for(threads)
        assert acked.total() > before, "the load acknowledged nothing before the crash"
        info = node.start()
        verify(info.client(), acked)
    assert len(acked.keys) >= CYCLES
