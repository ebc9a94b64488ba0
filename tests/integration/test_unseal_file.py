"""The file root through a real server and boto3: seal and unseal online, rotate the key file, restart, migrate
to shamir; a database copied without its key file is refused at start and reveals nothing."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from strongroom.service.key_hierarchy import open_kek
from strongroom.storage.sqlite import SqliteStore
from strongroom.trust.base import RootOfTrustError
from strongroom.trust.key_file import FileRootOfTrust
from tests.conformance.kms_harness import ServerProcess, clean_env, free_port
from tests.integration.unseal_support import (
    assert_nothing_in_the_clear,
    assert_sealed_everywhere,
    control,
    logical_dump,
    operator,
    secrets_at_rest,
    unseal,
)


def test_file_root_seal_unseal_rotate_restart_and_migrate_to_shamir(tmp_path: Path) -> None:
    node = ServerProcess(tmp_path / "data")
    try:
        info = node.start()
        data = info.data_dir
        kms = info.client()
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=key_id, Plaintext=b"under a key file")["CiphertextBlob"]
        status = control(data, "status")
        assert (status["root_of_trust"], status["sealed"], status["record"]["root"]) == ("file", False, "file")

        assert operator(data, "seal").returncode == 0
        assert_sealed_everywhere([info.client()])
        assert operator(data, "unseal").returncode == 0  # an automatic root: unseal re-reads the key file
        assert info.client().decrypt(CiphertextBlob=blob)["Plaintext"] == b"under a key file"

        old_key = (data / "root.key").read_bytes()
        shutil.copy(data / "root.key", tmp_path / "old.key")
        rotated = operator(data, "rotate-root")
        assert rotated.returncode == 0 and "new root key" in rotated.stdout, rotated.stderr
        assert (data / "root.key").read_bytes() != old_key and not (data / "root.key.new").exists()
        record = SqliteStore(data / "strongroom.db").get_wrapped_kek()
        assert record is not None
        with pytest.raises(RootOfTrustError, match="does not unwrap"):
            FileRootOfTrust(tmp_path / "old.key").unwrap_kek(record)
        info = node.restart()
        assert info.client().decrypt(CiphertextBlob=blob)["Plaintext"] == b"under a key file"

        migrated = operator(data, "migrate-root", "--root-of-trust", "shamir", "--shares", "3", "--threshold", "2",
                            "--json")
        assert migrated.returncode == 0, migrated.stderr
        shares = json.loads(migrated.stdout)["shares"]
        assert control(data, "status")["record"]["root"] == "shamir"
        node.stop()
        node.extra_args = ["--root-of-trust", "shamir"]
        info = node.start()
        assert_sealed_everywhere([info.client()])
        unseal(data, shares[1:])
        assert info.client().decrypt(CiphertextBlob=blob)["Plaintext"] == b"under a key file"
    finally:
        node.stop()


def test_a_database_copied_without_its_key_file_reveals_nothing(tmp_path: Path) -> None:
    node = ServerProcess(tmp_path / "data")
    try:
        info = node.start()
        kms = info.client()
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.rotate_key_on_demand(KeyId=key_id)
        plaintext = b"the plaintext this server handled"
        blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
        data_key = kms.generate_data_key(KeyId=key_id, NumberOfBytes=32)["Plaintext"]
    finally:
        node.stop()
    data = info.data_dir
    root_key = base64.b64decode((data / "root.key").read_bytes())
    store = SqliteStore(data / "strongroom.db")
    kek = bytes(open_kek(store, FileRootOfTrust(data / "root.key")))
    store.close()
    assert_nothing_in_the_clear(data, {"root key": root_key, "plaintext": plaintext, "data key": data_key,
                                       "secret access key": info.secret_access_key.encode(),
                                       **secrets_at_rest(data, kek)})

    stolen = tmp_path / "stolen" / "data"
    stolen.mkdir(parents=True)
    for path in data.glob("strongroom.db*"):
        shutil.copy(path, stolen / path.name)
    before = logical_dump(stolen)
    # --dev makes itself a new root key file, which does not unwrap the copy's KEK: a clear refusal to start
    started = subprocess.run(
        [sys.executable, "-m", "strongroom", "server", "--dev", "--data-dir", str(stolen), "--port", str(free_port()),
         "--tls-port", "0", "--kmip-port", "0"], capture_output=True, text=True, timeout=60, env=clean_env())
    assert started.returncode == 2 and "does not unwrap this data store's key-encryption key" in started.stderr
    assert logical_dump(stolen) == before, "a failed unseal wrote to the database"
    assert not (stolen / "control.sock").exists()
    assert blob  # made under the original root, never readable from the copy
