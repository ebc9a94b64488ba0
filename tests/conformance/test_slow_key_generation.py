"""Generating RSA keys does not stall the worker: other requests on it are answered meanwhile."""

from __future__ import annotations

import threading

from kms_harness import ServerProcess


def test_encrypts_are_answered_while_rsa_4096_keys_are_generated(tmp_path) -> None:
    process = ServerProcess(tmp_path / "data", extra_args=["--workers", "1"])  # one event loop for everything
    info = process.start()
    try:
        kms = info.client()
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        created: list[str] = []

        def create_rsa_4096() -> None:
            client = info.client()
            created.append(client.create_key(KeySpec="RSA_4096", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"])

        makers = [threading.Thread(target=create_rsa_4096) for _ in range(2)]
        for maker in makers:
            maker.start()
        for _ in range(5):  # each a few milliseconds; the two keys take hundreds between them
            kms.encrypt(KeyId=key_id, Plaintext=b"x")
        still_generating = sum(maker.is_alive() for maker in makers)
        for maker in makers:
            maker.join(60)
        assert still_generating > 0, "the Encrypt calls waited for RSA key generation"
        assert len(created) == 2
        assert kms.get_public_key(KeyId=created[0])["KeySpec"] == "RSA_4096"
    finally:
        process.stop()
