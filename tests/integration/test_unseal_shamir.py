"""The shamir root through a real two-worker server and boto3: sealed at start, one unseal per node reaches
every worker, seal wipes every worker, a restarted worker follows, wrong shares write nothing, restart and
rotation keep every ciphertext, and the database alone reveals nothing."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from shamir_mnemonic import Share, combine_mnemonics

from strongroom.service.core import Core
from strongroom.service.key_hierarchy import open_kek
from strongroom.storage.sqlite import SqliteStore
from strongroom.trust.base import RootOfTrustError
from strongroom.trust.local_key import LocalKeyRoot
from strongroom.trust.shamir import new_share_set
from tests.conformance.kms_harness import ServerProcess
from tests.integration.unseal_support import (
    assert_nothing_in_the_clear,
    assert_sealed_everywhere,
    audit_records,
    control,
    logical_dump,
    operator,
    probe,
    secrets_at_rest,
    unseal,
    wait_for,
)


@pytest.fixture
def node(tmp_path: Path):  # type: ignore[no-untyped-def]
    process = ServerProcess(tmp_path / "data", extra_args=["--workers", "2", "--root-of-trust", "shamir"])
    yield process
    process.stop()


def test_shamir_init_unseal_seal_restart_rotate(node: ServerProcess, tmp_path: Path) -> None:
    info = node.start()
    data = info.data_dir
    assert probe(info, "/health")[0] == 200 and json.loads(probe(info, "/health")[1])["status"] == "sealed"
    assert probe(info, "/ready")[0] == 503
    clients = [info.client() for _ in range(6)]  # separate connections, spread over both workers
    assert_sealed_everywhere(clients)
    refused = audit_records(data, "--event", "ListKeys")  # a sealed node still records every refusal
    assert len(refused) >= len(clients)  # botocore retries a 503, and each try is one event
    assert all(r["errorCode"] == "KMSInternalException" and "sealed" in r["errorMessage"]
               and r["userIdentity"]["accessKeyId"] == info.access_key_id for r in refused)
    assert control(data, "status")["initialized"] is False

    done = operator(data, "init", "--shares", "5", "--threshold", "3", "--json")
    assert done.returncode == 0, done.stderr
    shares = json.loads(done.stdout)["shares"]
    assert len(shares) == 5 and control(data, "status")["progress"] == {"entered": 0, "threshold": 3}
    assert operator(data, "init").returncode == 1  # once only

    # one share at a time, from stdin, with progress; a duplicate, a foreign and a mistyped share are refused
    before = logical_dump(data)
    first = operator(data, "unseal", stdin=shares[0] + "\n")
    assert first.returncode == 0 and "1 of 3" in first.stdout, first.stderr
    duplicate = operator(data, "unseal", stdin=shares[0] + "\n")
    assert duplicate.returncode == 1 and "already entered" in duplicate.stderr and "1 of 3" in duplicate.stdout
    foreign = operator(data, "unseal", stdin=new_share_set(5, 3).shares[1] + "\n")
    assert foreign.returncode == 1 and "another share set" in foreign.stderr
    assert "not a valid share" in operator(data, "unseal", stdin=shares[1][:-3] + "\n").stderr
    # a forged share passes its own checksum; the combination is refused and the progress reset
    genuine = Share.from_mnemonic(shares[1])
    forged = dataclasses.replace(genuine, value=bytes(b ^ 0x5A for b in genuine.value)).mnemonic()
    control(data, "unseal", share=forged)
    wrong = control(data, "unseal", share=shares[2])
    assert not wrong["ok"] and "do not combine" in wrong["error"] and wrong["progress"]["entered"] == 0
    control(data, "unseal", share=shares[3])
    assert operator(data, "unseal", "--reset").returncode == 0
    assert control(data, "status")["progress"]["entered"] == 0
    assert logical_dump(data) == before, "a failed unseal wrote to the database"
    assert_sealed_everywhere(clients)

    assert unseal(data, shares[2:5])["sealed"] is False
    assert probe(info, "/ready") == (200, '{"status":"ok"}')
    key_id = clients[0].create_key(Description="behind shamir")["KeyMetadata"]["KeyId"]
    blobs = {f"p{i}".encode(): c.encrypt(KeyId=key_id, Plaintext=f"p{i}".encode())["CiphertextBlob"]
             for i, c in enumerate(clients)}
    data_key = clients[0].generate_data_key(KeyId=key_id, KeySpec="AES_256")
    for client in clients:
        for plaintext, blob in blobs.items():
            assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext

    # seal: every worker refuses at once; unseal again with another quorum
    sealed = operator(data, "seal")
    assert sealed.returncode == 0 and "Sealed" in sealed.stdout
    assert_sealed_everywhere(clients)
    assert probe(info, "/ready")[0] == 503
    unseal(data, [shares[4], shares[0], shares[2]])

    # a worker that dies comes back unsealed, told by the supervisor
    workers = control(data, "status")["workers"]
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    wait_for(lambda: workers[0] not in control(data, "status")["workers"]
             and len(control(data, "status")["workers"]) == 2, "the worker to be restarted")
    for client in [info.client() for _ in range(6)]:
        assert client.decrypt(CiphertextBlob=blobs[b"p0"])["Plaintext"] == b"p0"

    # restart: sealed again until a quorum is entered; every ciphertext still decrypts
    info = node.restart()
    assert_sealed_everywhere([info.client()])
    unseal(data, shares[:3])
    assert info.client().decrypt(CiphertextBlob=blobs[b"p3"])["Plaintext"] == b"p3"

    # rotate online: new shares; the old ones stop working, the new ones unseal, the ciphertexts stay
    rotated = operator(data, "rotate-root", "--json")
    assert rotated.returncode == 0, rotated.stderr
    new_shares = json.loads(rotated.stdout)["shares"]
    assert len(new_shares) == 5 and not set(new_shares) & set(shares)
    assert info.client().decrypt(CiphertextBlob=blobs[b"p1"])["Plaintext"] == b"p1"  # still unsealed
    control(data, "seal")
    before = logical_dump(data)
    stale = control(data, "unseal", share=shares[0])
    assert not stale["ok"] and "another share set" in stale["error"]
    assert logical_dump(data) == before
    unseal(data, new_shares[1:4])
    for plaintext, blob in blobs.items():
        assert info.client().decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
    status = operator(data, "status")
    assert "shamir" in status.stdout and "Unsealed" in status.stdout and "1 Enabled" in status.stdout
    node.stop()

    # the database alone reveals nothing: no root key, KEK, key material, data key, secret or plaintext in it
    root_key = combine_mnemonics(new_shares[:3])
    store = SqliteStore(data / "strongroom.db")
    kek = bytes(open_kek(store, LocalKeyRoot("shamir", root_key)))
    store.close()
    needles = {"root key": root_key, "data key": data_key["Plaintext"], **secrets_at_rest(data, kek),
               "secret access key": info.secret_access_key.encode(),
               **{f"plaintext {p!r}": p * 4 for p in blobs}}
    assert_nothing_in_the_clear(data, needles)
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in data.glob("strongroom.db*"):
        shutil.copy(path, copy / path.name)
    core = Core(SqliteStore(copy / "strongroom.db"))
    with pytest.raises(RootOfTrustError):
        core.unseal(new_share_set(5, 3).root)  # any other root: nothing unwraps
    core.close()


def test_shares_encrypted_to_age_recipients(tmp_path: Path) -> None:
    pyrage = pytest.importorskip("pyrage")
    identities = [pyrage.x25519.Identity.generate() for _ in range(3)]
    node = ServerProcess(tmp_path / "data", extra_args=["--workers", "1", "--root-of-trust", "shamir"])
    try:
        data = node.start().data_dir
        recipients = [arg for i in identities for arg in ("--age-recipient", str(i.to_public()))]
        done = operator(data, "init", "--shares", "3", "--threshold", "2", *recipients)
        assert done.returncode == 0, done.stderr
        armored = [block + "-----END AGE ENCRYPTED FILE-----\n"
                   for block in done.stdout.split("-----END AGE ENCRYPTED FILE-----")[:-1]]
        assert len(armored) == 3 and "BEGIN AGE ENCRYPTED FILE" in armored[2]
        block = armored[2][armored[2].index("-----BEGIN"):]
        share = pyrage.decrypt(block.encode(), [identities[2]]).decode()
        with pytest.raises(pyrage.DecryptError):
            pyrage.decrypt(block.encode(), [identities[0]])  # only its operator can read a share
        first = armored[0][armored[0].index("-----BEGIN"):]
        unseal(data, [share, pyrage.decrypt(first.encode(), [identities[0]]).decode()])
        assert control(data, "status")["sealed"] is False
        share_set = control(data, "status")["record"]["set"]
        short = operator(data, "rotate-root", "--shares", "3", "--age-recipient", str(identities[0].to_public()))
        assert short.returncode == 1 and "one --age-recipient per share" in short.stderr
        bogus = operator(data, "rotate-root", "--age-recipient", "age1bogus")
        assert bogus.returncode == 1 and "not an age public key" in bogus.stderr
        assert control(data, "status")["record"]["set"] == share_set  # neither refusal rotated anything
    finally:
        node.stop()
