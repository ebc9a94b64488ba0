"""The data key cache: max age and max uses, counted in KMS Decrypt calls, with a manual clock."""

from __future__ import annotations

from typing import Any

import pytest
from fake_aws_kms import CMK, REGION, FakeAwsKms

from strongroom_client import Algorithm, ClientEncryption, DekCache

MASTER_KEY = {"region": REGION, "key": CMK, "endpoint": "kms.strongroom.test"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _decrypts(fake_kms: FakeAwsKms) -> int:
    return sum(1 for s in fake_kms.seen if s.target == "TrentService.Decrypt")


def _setup(make_client: Any, cache: DekCache) -> tuple[ClientEncryption, Any]:
    client = make_client(dek_cache=cache)
    return client, client.create_data_key("aws", master_key=MASTER_KEY)


def test_entries_expire_after_max_age(make_client: Any, fake_kms: FakeAwsKms) -> None:
    clock = Clock()
    client, key_id = _setup(make_client, DekCache(max_age=60, clock=clock))
    for _ in range(5):
        client.encrypt("x", Algorithm.RANDOM, key_id=key_id)
    assert _decrypts(fake_kms) == 1
    clock.now += 59.9
    client.encrypt("x", Algorithm.RANDOM, key_id=key_id)
    assert _decrypts(fake_kms) == 1
    clock.now += 0.2
    client.encrypt("x", Algorithm.RANDOM, key_id=key_id)
    assert _decrypts(fake_kms) == 2


def test_entries_serve_at_most_max_uses(make_client: Any, fake_kms: FakeAwsKms) -> None:
    client, key_id = _setup(make_client, DekCache(max_age=3600, max_uses=3, clock=Clock()))
    for _ in range(7):
        client.encrypt("x", Algorithm.RANDOM, key_id=key_id)
    assert _decrypts(fake_kms) == 3  # uses 1-3, 4-6, 7


def test_zero_max_age_disables_the_cache(make_client: Any, fake_kms: FakeAwsKms) -> None:
    client, key_id = _setup(make_client, DekCache(max_age=0))
    for _ in range(3):
        client.encrypt("x", Algorithm.RANDOM, key_id=key_id)
    assert _decrypts(fake_kms) == 3


def test_a_rewrapped_key_is_not_served_from_a_stale_entry(make_client: Any, fake_kms: FakeAwsKms) -> None:
    cache = DekCache(max_age=3600, clock=Clock())
    client, key_id = _setup(make_client, cache)
    client.encrypt("x", Algorithm.RANDOM, key_id=key_id)
    client.rewrap_many_data_key({"_id": key_id})
    before = _decrypts(fake_kms)
    client.encrypt("x", Algorithm.RANDOM, key_id=key_id)
    assert _decrypts(fake_kms) == before + 1, "new keyMaterial means a new unwrap"


def test_a_deleted_key_leaves_the_cache(make_client: Any) -> None:
    cache = DekCache(max_age=3600, clock=Clock())
    client, key_id = _setup(make_client, cache)
    client.encrypt("x", Algorithm.RANDOM, key_id=key_id)
    assert len(cache) == 1
    client.delete_key(key_id)
    assert len(cache) == 0


def test_the_cache_never_prints_keys(make_client: Any) -> None:
    cache = DekCache(max_age=3600, clock=Clock())
    client, key_id = _setup(make_client, cache)
    client.encrypt("x", Algorithm.RANDOM, key_id=key_id)
    assert repr(cache) == "DekCache(max_age=3600, max_uses=None, entries=1)"
    assert "data_key" not in repr(cache._entries)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        DekCache(max_age=-1)
    with pytest.raises(ValueError):
        DekCache(max_uses=0)
