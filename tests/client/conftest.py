"""Fixtures of the client library tests: a local master key, a vault, our client and libmongocrypt's."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Helpers here are imported as plain modules (``from mongocrypt_oracle import Oracle``) under any import mode.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from fake_aws_kms import ACCESS_KEY_ID, SECRET_ACCESS_KEY, FakeAwsKms  # noqa: E402
from mongocrypt_oracle import Oracle  # noqa: E402

from strongroom_client import ClientEncryption, DekCache, MemoryKeyVault  # noqa: E402
from strongroom_client.providers.http import RetryPolicy  # noqa: E402


@pytest.fixture
def local_key() -> bytes:
    return os.urandom(96)


@pytest.fixture
def fake_kms() -> FakeAwsKms:
    return FakeAwsKms()


@pytest.fixture
def kms_providers(local_key: bytes) -> dict[str, Any]:
    return {
        "local": {"key": local_key},
        "aws": {"accessKeyId": ACCESS_KEY_ID, "secretAccessKey": SECRET_ACCESS_KEY},
    }


@pytest.fixture
def vault() -> MemoryKeyVault:
    return MemoryKeyVault()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(
    kms_providers: dict[str, Any], vault: MemoryKeyVault, fake_kms: FakeAwsKms, sleeps: list[float]
) -> Iterator[Callable[..., ClientEncryption]]:
    """``make_client(**overrides)``: a ClientEncryption on the shared vault, KMS calls to the fake."""
    made: list[ClientEncryption] = []

    def make(**kw: Any) -> ClientEncryption:
        args: dict[str, Any] = {
            "kms_transport": fake_kms.transport,
            "kms_retry": RetryPolicy(sleep=sleeps.append),
            "dek_cache": DekCache(max_age=0),
        }
        args.update(kw)
        client = ClientEncryption(args.pop("kms_providers", kms_providers), args.pop("key_vault", vault), **args)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., ClientEncryption]) -> ClientEncryption:
    return make_client()


@pytest.fixture
def oracle(kms_providers: dict[str, Any], vault: MemoryKeyVault, fake_kms: FakeAwsKms) -> Iterator[Oracle]:
    with Oracle(kms_providers, vault, respond=fake_kms.respond_raw) as o:
        yield o
