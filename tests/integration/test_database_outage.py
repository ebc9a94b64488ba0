"""PostgreSQL goes away under a running node: every request fails fast with a retryable 5xx AWS error (never
hangs, never answers from caches it can no longer trust), and when the database returns the node recovers
by itself, without a restart."""

from __future__ import annotations

import time

import botocore.config
import pytest
from botocore.exceptions import ClientError
from kms_harness import error_code, http_status

from tests.storage.pg_cluster import PgCluster, with_database

RETRYABLE = {"DependencyTimeoutException", "KMSInternalException"}
# The client gives up after this long: a server that hangs on a dead database fails the test.
FAIL_FAST = botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5)


def test_requests_fail_fast_during_an_outage_and_the_node_recovers(node_factory, private_postgres: PgCluster) -> None:
    private_postgres_dsn = _database(private_postgres)
    node = node_factory("node", private_postgres_dsn, 1)
    kms = node.start().client(config=FAIL_FAST)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before the outage")["CiphertextBlob"]

    private_postgres.stop()
    calls = {
        "Encrypt": lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"),  # even a key this node has cached
        "Decrypt": lambda: kms.decrypt(CiphertextBlob=blob),
        "DescribeKey": lambda: kms.describe_key(KeyId=key_id),
        "CreateKey": lambda: kms.create_key(),
        "ListAliases": lambda: kms.list_aliases(),
    }
    for _ in range(2):  # the first failures, and those after the pool has given up its connections
        for name, call in calls.items():
            with pytest.raises(ClientError) as failed:
                call()
            assert error_code(failed.value) in RETRYABLE, f"{name}: {failed.value}"
            assert http_status(failed.value) >= 500, f"{name} answered {http_status(failed.value)}"

    private_postgres.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            kms.encrypt(KeyId=key_id, Plaintext=b"after the outage")
            break
        except ClientError as exc:
            assert error_code(exc) in RETRYABLE, exc
            if time.monotonic() > deadline:
                pytest.fail("the node did not recover within 30 s of the database coming back")
            time.sleep(0.2)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before the outage"
    created = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.describe_key(KeyId=created)["KeyMetadata"]["Enabled"] is True
    node.stop()


def _database(cluster: PgCluster) -> str:
    import psycopg

    with psycopg.connect(cluster.dsn, autocommit=True) as conn:
        conn.execute('CREATE DATABASE "outage"')
    return with_database(cluster.dsn, "outage")
