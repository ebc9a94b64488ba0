"""The ``aws`` provider against an in-process fake AWS KMS, with libmongocrypt as the oracle.

The fake checks SigV4 over the headers exactly as received, as a real KMS does. The same checks run against
a real Strongroom server over TLS in tests/conformance/test_client_library_aws.py.
"""

from __future__ import annotations

import pytest
from fake_aws_kms import CMK, OTHER_CMK, REGION, FakeAwsKms
from mongocrypt_oracle import Oracle

from strongroom_client import Algorithm, ClientEncryption, ConfigurationError, KmsError

ENDPOINT = "kms.strongroom.test:8443"


def _mk(key: str = CMK, **extra: str) -> dict[str, str]:
    return {"region": REGION, "key": key, "endpoint": ENDPOINT, **extra}


def test_keys_and_ciphertexts_cross_over(client: ClientEncryption, oracle: Oracle, fake_kms: FakeAwsKms) -> None:
    ours = client.create_data_key("aws", master_key=_mk(), key_alt_names=["ours"])
    theirs = oracle.create_data_key("aws", master_key=_mk(), key_alt_names=["theirs"])
    assert [s.target for s in fake_kms.seen] == ["TrentService.Encrypt"] * 2

    doc_ours, doc_theirs = client.get_key(ours), client.get_key(theirs)
    assert list(doc_ours) == list(doc_theirs)
    expected_master_key = {"provider": "aws", "region": REGION, "key": CMK, "endpoint": ENDPOINT}
    assert doc_ours["masterKey"] == doc_theirs["masterKey"] == expected_master_key
    assert list(doc_ours["masterKey"]) == list(doc_theirs["masterKey"])

    for key_id in (ours, theirs):
        assert bytes(client.encrypt("v", Algorithm.DETERMINISTIC, key_id=key_id)) == bytes(
            oracle.encrypt("v", Algorithm.DETERMINISTIC.value, key_id=key_id)
        )
        assert oracle.decrypt(client.encrypt(7, Algorithm.RANDOM, key_id=key_id)) == 7
        assert client.decrypt(oracle.encrypt(8, Algorithm.RANDOM.value, key_id=key_id)) == 8


def test_requests_look_like_libmongocrypts(client: ClientEncryption, oracle: Oracle, fake_kms: FakeAwsKms) -> None:
    key_id = oracle.create_data_key("aws", master_key=_mk())
    client.encrypt("x", Algorithm.RANDOM, key_id=key_id)  # our unwrap
    theirs_encrypt, ours_decrypt = fake_kms.seen
    assert set(theirs_encrypt.body) == {"KeyId", "Plaintext"}
    assert set(ours_decrypt.body) == {"CiphertextBlob"}, "Decrypt carries no KeyId, as libmongocrypt sends it"
    assert ours_decrypt.host == ENDPOINT
    assert oracle.callback.endpoints == [ENDPOINT]


def test_endpoint_is_stored_as_host_and_port_like_libmongocrypt(client: ClientEncryption, oracle: Oracle) -> None:
    raw = "https://kms.strongroom.test:8443/some/path?x=1"
    ours = client.get_key(client.create_data_key("aws", master_key=_mk(endpoint=raw)))
    theirs = client.get_key(oracle.create_data_key("aws", master_key=_mk(endpoint=raw)))
    assert ours["masterKey"]["endpoint"] == theirs["masterKey"]["endpoint"] == ENDPOINT


def test_default_endpoint_is_regional(client: ClientEncryption, fake_kms: FakeAwsKms) -> None:
    key_id = client.create_data_key("aws", master_key={"region": "eu-west-3", "key": CMK})
    assert "endpoint" not in client.get_key(key_id)["masterKey"]
    assert fake_kms.seen[-1].host == "kms.eu-west-3.amazonaws.com"


def test_rewrap_to_another_cmk_by_either_side(client: ClientEncryption, oracle: Oracle, fake_kms: FakeAwsKms) -> None:
    key_id = client.create_data_key("aws", master_key=_mk())
    blob = client.encrypt("rotate me", Algorithm.RANDOM, key_id=key_id)
    assert client.rewrap_many_data_key({}, provider="aws", master_key=_mk(OTHER_CMK)).count == 1
    assert client.get_key(key_id)["masterKey"]["key"] == OTHER_CMK
    fake_kms.disabled.add(CMK)  # the old CMK is no longer needed
    assert oracle.decrypt(blob) == "rotate me"
    assert oracle.rewrap({}, provider="aws", master_key=_mk(CMK)) == 1
    fake_kms.disabled = {OTHER_CMK}
    assert client.decrypt(blob) == "rotate me"


def test_a_disabled_cmk_is_a_clear_kms_error(client: ClientEncryption, fake_kms: FakeAwsKms) -> None:
    key_id = client.create_data_key("aws", master_key=_mk())
    blob = client.encrypt("x", Algorithm.RANDOM, key_id=key_id)
    fake_kms.disabled.add(CMK)
    with pytest.raises(KmsError) as info:
        client.decrypt(blob)
    assert info.value.status == 400 and info.value.error_type == "DisabledException"
    assert "'aws'" in str(info.value) and "Decrypt" in str(info.value)


def test_unknown_cmk_fails_create_and_stores_nothing(client: ClientEncryption) -> None:
    with pytest.raises(KmsError, match="NotFoundException"):
        client.create_data_key("aws", master_key=_mk("arn:aws:kms:us-east-1:111122223333:key/nope"))
    assert client.get_keys() == []


def test_wrong_secret_is_refused_by_the_kms(make_client, kms_providers) -> None:
    bad = dict(kms_providers, aws={"accessKeyId": kms_providers["aws"]["accessKeyId"], "secretAccessKey": "x" * 40})
    with pytest.raises(KmsError) as info:
        make_client(kms_providers=bad).create_data_key("aws", master_key=_mk())
    assert info.value.error_type == "InvalidSignatureException"


def test_session_token_is_signed(make_client, kms_providers, fake_kms: FakeAwsKms) -> None:
    creds = dict(kms_providers["aws"], sessionToken="token-123")
    make_client(kms_providers={"aws": creds}).create_data_key("aws", master_key=_mk())
    assert fake_kms.seen, "the fake accepted the signature, which covers X-Amz-Security-Token"


def test_retryable_statuses_are_retried_with_backoff(client: ClientEncryption, fake_kms, sleeps) -> None:
    fake_kms.fail_next = [503, 500]
    client.create_data_key("aws", master_key=_mk())
    assert len(sleeps) == 2 and all(0 <= s <= 0.4 for s in sleeps)
    fake_kms.fail_next = [503, 503, 503, 503]
    with pytest.raises(KmsError) as info:
        client.create_data_key("aws", master_key=_mk())
    assert info.value.status == 503 and len(sleeps) == 5


@pytest.mark.parametrize(
    ("master_key", "message"),
    [
        ({"key": CMK}, "'region' is required"),
        ({"region": REGION}, "'key' is required"),
        ({"region": REGION, "key": CMK, "keyName": "x"}, "unexpected field 'keyName'"),
        ({"region": REGION, "key": CMK, "endpoint": "localhost:8443"}, "dot separator"),
        ({"region": REGION, "key": CMK, "endpoint": "[::1]:8443"}, "dot separator"),
        ({"region": REGION, "key": CMK, "endpoint": "kms.example.test:0"}, "bad port"),
    ],
)
def test_master_key_fields_are_checked_like_libmongocrypt(
    client: ClientEncryption, oracle: Oracle, master_key: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        client.create_data_key("aws", master_key=master_key)
    if "port" not in message:
        with pytest.raises(Exception):  # noqa: B017 - libmongocrypt refuses it too, with its own error type
            oracle.create_data_key("aws", master_key=master_key)
