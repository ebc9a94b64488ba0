"""The AWS Encryption SDK (Python), unchanged, with its KMS master key provider pointed at the server.

The SDK builds its own KMS clients (``boto3.session.Session(botocore_session=...).client("kms", ...)``)
and offers no ``endpoint_url`` argument. Two standard botocore mechanisms redirect those clients:

* ``env``: the ``AWS_ENDPOINT_URL_KMS`` environment variable (service-specific endpoint, botocore >= 1.31);
* ``config``: a shared config file whose profile has a ``services`` section with ``kms = endpoint_url = ...``,
  handed to the botocore session through its ``config_file`` variable (no process environment change).

Credentials come from ``botocore_session.set_credentials``. Each test asserts the SDK's client really
points at the server, so a silent fallback to real AWS cannot make a test pass.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aws_encryption_sdk
import botocore.session
import pytest
from aws_encryption_sdk.exceptions import DecryptKeyError
from aws_encryption_sdk.identifiers import CommitmentPolicy
from aws_encryption_sdk.key_providers.kms import (
    DiscoveryAwsKmsMasterKeyProvider,
    DiscoveryFilter,
    KMSMasterKey,
    StrictAwsKmsMasterKeyProvider,
)
from aws_encryption_sdk.structures import EncryptedDataKey, MasterKeyInfo
from botocore.exceptions import ClientError
from kms_harness import REGION, ServerInfo

SDK = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
CONTEXT = {"purpose": "conformance", "tenant": "acme"}


@pytest.fixture(params=["env", "config"])
def botocore_session(
    request: pytest.FixtureRequest, server: ServerInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> botocore.session.Session:
    session = botocore.session.Session()
    if request.param == "env":
        monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", server.endpoint)
    else:
        config = tmp_path / "aws-config"
        config.write_text(
            "[default]\n"
            f"region = {REGION}\n"
            "services = strongroom\n"
            "\n"
            "[services strongroom]\n"
            "kms =\n"
            f"  endpoint_url = {server.endpoint}\n"
        )
        session.set_config_variable("config_file", str(config))
    session.set_credentials(server.access_key_id, server.secret_access_key)
    return session


def _provider(session: botocore.session.Session, *arns: str) -> StrictAwsKmsMasterKeyProvider:
    return StrictAwsKmsMasterKeyProvider(key_ids=list(arns), botocore_session=session)


def _assert_wired(provider: Any, server: ServerInfo) -> None:
    clients = provider._regional_clients  # the SDK's own per-region boto3 clients
    assert clients, "the provider made no KMS client"
    for client in clients.values():
        assert client.meta.endpoint_url == server.endpoint


def test_esdk_encrypt_decrypt_round_trip(
    botocore_session: botocore.session.Session, server: ServerInfo, new_key: Any
) -> None:
    arn = new_key(Description="esdk")
    provider = _provider(botocore_session, arn)
    plaintext = os.urandom(3000) + b"end of message"
    ciphertext, enc_header = SDK.encrypt(source=plaintext, key_provider=provider, encryption_context=CONTEXT)
    _assert_wired(provider, server)
    assert plaintext not in ciphertext
    edks = list(enc_header.encrypted_data_keys)
    assert len(edks) == 1 and edks[0].key_provider.key_info == arn.encode()

    fresh = _provider(botocore_session, arn)  # no cached data key: decrypt must call KMS Decrypt
    decrypted, dec_header = SDK.decrypt(source=ciphertext, key_provider=fresh)
    _assert_wired(fresh, server)
    assert decrypted == plaintext
    for k, v in CONTEXT.items():
        assert dec_header.encryption_context[k] == v


def test_esdk_message_for_two_keys_decrypts_with_the_second(
    botocore_session: botocore.session.Session, new_key: Any
) -> None:
    a, b = new_key(Description="esdk a"), new_key(Description="esdk b")
    ciphertext, header = SDK.encrypt(source=b"two recipients", key_provider=_provider(botocore_session, a, b))
    assert {e.key_provider.key_info for e in header.encrypted_data_keys} == {a.encode(), b.encode()}
    decrypted, _ = SDK.decrypt(source=ciphertext, key_provider=_provider(botocore_session, b))
    assert decrypted == b"two recipients"


def test_esdk_decrypt_with_a_different_key_fails(botocore_session: botocore.session.Session, new_key: Any) -> None:
    a, b = new_key(Description="esdk a"), new_key(Description="esdk b")
    ciphertext, _ = SDK.encrypt(source=b"for a only", key_provider=_provider(botocore_session, a))
    with pytest.raises(DecryptKeyError):
        SDK.decrypt(source=ciphertext, key_provider=_provider(botocore_session, b))


def test_kms_refuses_a_data_key_of_another_key(
    botocore_session: botocore.session.Session, server: ServerInfo, new_key: Any
) -> None:
    """A's encrypted data key relabelled as B's: the SDK asks KMS to unwrap it with B -> IncorrectKeyException.

    (The SDK itself never sends an EDK to a key it does not name, so the relabelling is what makes the
    server, not the SDK, refuse.)
    """
    a, b = new_key(Description="esdk a"), new_key(Description="esdk b")
    _, header = SDK.encrypt(
        source=b"wrapped under a", key_provider=_provider(botocore_session, a), encryption_context=CONTEXT
    )
    (edk,) = header.encrypted_data_keys
    relabelled = EncryptedDataKey(
        key_provider=MasterKeyInfo(provider_id=edk.key_provider.provider_id, key_info=b.encode()),
        encrypted_data_key=edk.encrypted_data_key,
    )
    master_b = _provider(botocore_session, b).master_key(b)
    assert isinstance(master_b, KMSMasterKey)
    assert master_b.config.client.meta.endpoint_url == server.endpoint
    with pytest.raises(DecryptKeyError) as ei:
        master_b.decrypt_data_key(relabelled, header.algorithm, header.encryption_context)
    cause = ei.value.__cause__
    assert isinstance(cause, ClientError), repr(cause)
    assert cause.response["Error"]["Code"] == "IncorrectKeyException"


def test_esdk_decrypt_fails_while_the_key_is_disabled(
    botocore_session: botocore.session.Session, kms: Any, new_key: Any
) -> None:
    arn = new_key(Description="esdk disabled")
    ciphertext, _ = SDK.encrypt(source=b"locked", key_provider=_provider(botocore_session, arn))
    kms.disable_key(KeyId=arn)
    try:
        with pytest.raises(DecryptKeyError):
            SDK.decrypt(source=ciphertext, key_provider=_provider(botocore_session, arn))
    finally:
        kms.enable_key(KeyId=arn)
    decrypted, _ = SDK.decrypt(source=ciphertext, key_provider=_provider(botocore_session, arn))
    assert decrypted == b"locked"


def test_esdk_discovery_provider_decrypts(
    botocore_session: botocore.session.Session, server: ServerInfo, new_key: Any
) -> None:
    arn = new_key(Description="esdk discovery")
    ciphertext, _ = SDK.encrypt(source=b"discover me", key_provider=_provider(botocore_session, arn))
    discovery = DiscoveryAwsKmsMasterKeyProvider(
        botocore_session=botocore_session,
        discovery_filter=DiscoveryFilter(account_ids=[server.account_id], partition="aws"),
    )
    decrypted, _ = SDK.decrypt(source=ciphertext, key_provider=discovery)
    assert decrypted == b"discover me"
    _assert_wired(discovery, server)
