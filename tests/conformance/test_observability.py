"""Metrics, health and access logs of a real server."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import urllib.request

import pytest
from botocore.exceptions import ClientError
from kms_harness import ServerProcess, clean_env


def scrape(info) -> dict[str, float]:
    with urllib.request.urlopen(f"{info.endpoint}/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


@pytest.fixture
def two_workers(tmp_path):
    process = ServerProcess(tmp_path / "data", extra_args=["--workers", "2", "--access-log"])
    info = process.start()
    yield info
    process.stop()


def test_metrics_count_requests_across_workers_and_report_keys(two_workers) -> None:
    kms = two_workers.client()
    before = scrape(two_workers)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    clients = [two_workers.client() for _ in range(6)]  # several connections, spread over both workers
    for client in clients:
        client.encrypt(KeyId=key_id, Plaintext=b"x")
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError):
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    after = scrape(two_workers)
    ok = 'strongroom_requests_total{frontend="aws",operation="Encrypt",status="200"}'
    refused = 'strongroom_requests_total{frontend="aws",operation="Encrypt",status="400"}'
    assert after[ok] - before.get(ok, 0) == 6
    assert after[refused] - before.get(refused, 0) == 1
    assert after['strongroom_keys{state="Disabled"}'] == 1
    assert after["strongroom_sealed"] == 0
    assert after['strongroom_request_duration_seconds_count{frontend="aws",operation="Encrypt"}'] >= 7
    assert after.get("strongroom_audit_write_failures_total", 0) == 0


def test_ready_and_health(two_workers) -> None:
    for path in ("/health", "/ready"):
        with urllib.request.urlopen(f"{two_workers.endpoint}{path}", timeout=10) as response:
            assert response.status == 200 and json.loads(response.read())["status"] == "ok"


def test_access_log_is_one_json_line_per_request_without_secrets(two_workers) -> None:
    kms = two_workers.client()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = b"access-log-must-not-see-this"
    response = kms.encrypt(KeyId=key_id, Plaintext=plaintext)
    request_id = response["ResponseMetadata"]["RequestId"]
    lines = [json.loads(line) for line in two_workers.log_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "strongroom.access"]
    mine = [line for line in access if line.get("request_id") == request_id]
    assert len(mine) == 1
    assert mine[0]["operation"] == "Encrypt" and mine[0]["status"] == 200 and mine[0]["key"] == key_id
    assert mine[0]["principal"] == f"arn:aws:iam::{two_workers.account_id}:root"
    assert isinstance(mine[0]["duration_ms"], float)
    log = two_workers.log_text()
    for secret in (plaintext, base64.b64encode(plaintext), base64.b64encode(response["CiphertextBlob"])):
        assert secret.decode() not in log
    assert not re.search(two_workers.secret_access_key, log.replace("secret key:", ""))


def test_without_access_log_requests_are_only_in_the_audit_trail(tmp_path) -> None:
    process = ServerProcess(tmp_path / "data")
    info = process.start()
    try:
        kms = info.client()
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        request_id = kms.encrypt(KeyId=key_id, Plaintext=b"x")["ResponseMetadata"]["RequestId"]
        kms.describe_key(KeyId=key_id)  # a later request: the Encrypt's turn and its log flush are done
    finally:
        process.stop()
    lines = [json.loads(line) for line in info.log_text().splitlines() if line.startswith("{")]
    assert lines, "the server logs its start at INFO"
    assert not [line for line in lines if line.get("logger") == "strongroom.access"]
    exported = subprocess.run([sys.executable, "-m", "strongroom", "audit", "export", "-", "--data-dir",
                               str(info.data_dir)], capture_output=True, text=True, timeout=60, env=clean_env())
    assert exported.returncode == 0, exported.stderr
    assert request_id in [json.loads(line)["requestID"] for line in exported.stdout.splitlines()]
