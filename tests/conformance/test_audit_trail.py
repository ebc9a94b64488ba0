"""The audit trail through a real server: one event per request, no secrets in it, tampering found."""

from __future__ import annotations

import base64
import json
import select
import sqlite3
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError
from kms_harness import ServerProcess, clean_env, signed_call

from tests.storage.audit_rows import audit_text, tamper


def audit_cli(data_dir, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "strongroom", "audit", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60, env=clean_env())


@pytest.fixture
def fresh(tmp_path):
    process = ServerProcess(tmp_path / "data")
    info = process.start()
    yield info
    process.stop()


def records(info) -> list[dict]:
    done = audit_cli(info.data_dir, "export", "-")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_every_request_is_one_event_with_the_right_fields_and_no_secrets(fresh) -> None:
    kms = fresh.client()
    plaintext = b"top secret payload 0123456789"
    key = kms.create_key(Description="audited")["KeyMetadata"]
    calls = [kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext, EncryptionContext={"app": "billing"})]
    data_key = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    calls.append(data_key)
    calls.append(kms.decrypt(CiphertextBlob=calls[0]["CiphertextBlob"], EncryptionContext={"app": "billing"}))
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as failed:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext)
    denied = fresh.client(aws_access_key_id="AKIAUNKNOWNUNKNOWN00", aws_secret_access_key="x" * 40)
    with pytest.raises(ClientError):
        denied.list_keys()
    assert signed_call(fresh, "TrentService.Nope").status == 400

    events = records(fresh)
    assert [e["eventName"] for e in events] == ["CreateKey", "Encrypt", "GenerateDataKey", "Decrypt", "DisableKey",
                                                "Encrypt", "ListKeys", "Nope"]
    by_request = {e["requestID"]: e for e in events}
    assert len(by_request) == len(events)
    encrypt = by_request[calls[0]["ResponseMetadata"]["RequestId"]]
    assert encrypt["userIdentity"]["arn"] == f"arn:aws:iam::{fresh.account_id}:root"
    assert encrypt["userIdentity"]["accessKeyId"] == fresh.access_key_id
    assert encrypt["requestParameters"] == {"keyId": key["KeyId"], "encryptionContext": {"app": "billing"}}
    assert encrypt["resources"] == [{"accountId": fresh.account_id, "type": "AWS::KMS::Key", "ARN": key["Arn"]}]
    assert encrypt["eventSource"] == "kms.amazonaws.com" and encrypt["awsRegion"] == "us-east-1"
    assert encrypt["readOnly"] is True and "errorCode" not in encrypt
    assert events[0]["responseElements"]["keyMetadata"]["arn"] == key["Arn"]
    assert events[5]["errorCode"] == "DisabledException"
    assert events[5]["requestID"] == failed.value.response["ResponseMetadata"]["RequestId"]
    assert events[6]["errorCode"] == "UnrecognizedClientException"
    assert events[6]["userIdentity"] == {"type": "Unknown", "accessKeyId": "AKIAUNKNOWNUNKNOWN00"}

    exported = audit_cli(fresh.data_dir, "export", "-").stdout
    raw = (fresh.data_dir / "strongroom.db").read_bytes() + audit_text(fresh.data_dir / "strongroom.db")
    for secret in (plaintext, data_key["Plaintext"], calls[0]["CiphertextBlob"]):
        for form in (secret, base64.b64encode(secret)):
            assert form not in exported.encode() and form not in raw

    usage = kms.get_key_last_usage(KeyId=key["Arn"])
    assert usage["KeyLastUsage"]["Operation"] == "Decrypt"
    assert usage["KeyLastUsage"]["KmsRequestId"] == calls[2]["ResponseMetadata"]["RequestId"]


def test_cli_filters_follow_free_listing_and_verify(fresh) -> None:
    kms = fresh.client()
    key = kms.create_key()["KeyMetadata"]
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    listed = audit_cli(fresh.data_dir, "list", "--event", "Encrypt").stdout.splitlines()
    assert len(listed) == 1 and "\tEncrypt\tOK\t" in listed[0]
    assert audit_cli(fresh.data_dir, "list", "--errors").stdout == ""
    assert len(audit_cli(fresh.data_dir, "list", "--key", key["Arn"], "--json").stdout.splitlines()) == 2
    done = audit_cli(fresh.data_dir, "verify")
    assert done.returncode == 0 and "intact: 2 events" in done.stdout

    tamper(fresh.data_dir / "strongroom.db", 2, '"eventName":"Encrypt"', '"eventName":"Decrypt"')
    done = audit_cli(fresh.data_dir, "verify")
    assert done.returncode == 1 and "broken at event 2" in done.stderr


def test_a_request_whose_event_cannot_be_written_fails(fresh) -> None:
    kms = fresh.client()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with sqlite3.connect(fresh.data_dir / "strongroom.db") as db:
        db.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_batches BEGIN SELECT RAISE(ABORT, 'full'); END")
    with pytest.raises(ClientError) as info:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert info.value.response["Error"]["Code"] == "KMSInternalException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    with sqlite3.connect(fresh.data_dir / "strongroom.db") as db:
        db.execute("DROP TRIGGER refuse_audit")
    kms.encrypt(KeyId=key_id, Plaintext=b"x")


def test_follow_prints_new_events(fresh) -> None:
    follower = subprocess.Popen([sys.executable, "-m", "strongroom", "audit", "list", "--follow", "--data-dir",
                                 str(fresh.data_dir)], stdout=subprocess.PIPE, text=True, env=clean_env())
    try:
        fresh.client().list_keys()
        ready, _, _ = select.select([follower.stdout], [], [], 30)
        assert ready, "no event printed within 30 s"
        assert "\tListKeys\tOK\t" in follower.stdout.readline()
    finally:
        follower.kill()
        follower.wait(10)


def test_audit_fsync_mode_records_the_same(tmp_path) -> None:
    process = ServerProcess(tmp_path / "data", extra_args=["--audit-fsync"])
    info = process.start()
    try:
        kms = info.client()
        kms.encrypt(KeyId=kms.create_key()["KeyMetadata"]["KeyId"], Plaintext=b"x")
        assert [e["eventName"] for e in records(info)] == ["CreateKey", "Encrypt"]
    finally:
        process.stop()


def test_one_event_per_request_for_every_operation_and_denials(fresh) -> None:
    import botocore.session

    operations = sorted(botocore.session.get_session().get_service_model("kms").operation_names)
    request_ids = []
    for operation in operations:
        response = signed_call(fresh, operation, {})
        request_ids.append(response.headers["x-amzn-RequestId"])
    subprocess.run([sys.executable, "-m", "strongroom", "users", "create", "--account", fresh.account_id,
                    "--user", "nobody", "--data-dir", str(fresh.data_dir)], check=True, env=clean_env(),
                   capture_output=True)
    created = subprocess.run([sys.executable, "-m", "strongroom", "credentials", "create", "--account",
                              fresh.account_id, "--user", "nobody", "--data-dir", str(fresh.data_dir)],
                             check=True, env=clean_env(), capture_output=True, text=True).stdout
    fields = dict(line.split(" = ") for line in created.strip().splitlines())
    nobody = fresh.client(aws_access_key_id=fields["aws_access_key_id"],
                          aws_secret_access_key=fields["aws_secret_access_key"])
    with pytest.raises(ClientError):
        nobody.list_keys()

    events = records(fresh)
    assert [e["eventName"] for e in events[: len(operations)]] == operations
    assert [e["requestID"] for e in events[: len(operations)]] == request_ids
    outcome = {e["eventName"]: e.get("errorCode") for e in events[: len(operations)]}
    assert outcome["ListKeys"] is None and outcome["Encrypt"] == "ValidationException"
    assert outcome["CreateCustomKeyStore"] == "UnsupportedOperationException"
    denied = events[-1]
    assert (denied["eventName"], denied["errorCode"]) == ("ListKeys", "AccessDeniedException")
    assert denied["userIdentity"]["arn"] == f"arn:aws:iam::{fresh.account_id}:user/nobody"
    assert "not authorized" in denied["errorMessage"]
