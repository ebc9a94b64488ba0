"""``strongroom aliases list|create|update|delete`` on a dev data directory, as the dev account's root."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.cli import aliases as aliases_command
from strongroom.domain.audit import AuditFilter
from tests.cli.dev_data import DEV_ACCOUNT, Strongroom, make_dev_data_dir, open_data


@pytest.fixture
def strongroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Strongroom:
    return Strongroom(make_dev_data_dir(tmp_path / "data", monkeypatch), capsys)


def new_key(strongroom: Strongroom, *args: str) -> str:
    return strongroom.ok("keys", "create", *args, "-o", "json").json()["key_id"]


def test_create_list_update_and_delete(strongroom: Strongroom) -> None:
    first, second = new_key(strongroom), new_key(strongroom)
    assert strongroom.ok("aliases", "create", "orders", first).out == f"alias/orders -> {first}\n"
    made = strongroom.ok("aliases", "create", "alias/billing", "alias/orders", "-o", "json").json()
    assert made["name"] == "alias/billing" and made["target_key_id"] == first
    assert made["arn"] == f"arn:aws:kms:us-east-1:{DEV_ACCOUNT}:alias/billing"

    table = strongroom.ok("aliases", "list").out.splitlines()
    assert table[0].split() == ["ALIAS", "KEY", "ID", "CREATED", "UPDATED"]
    assert [row.split()[:2] for row in table[1:]] == [["alias/billing", first], ["alias/orders", first]]
    assert {row.index(first) for row in table[1:]} == {table[0].index("KEY ID")}

    assert strongroom.ok("aliases", "update", "orders", second).out == f"alias/orders -> {second}\n"
    of_second = strongroom.ok("aliases", "list", "--key", second, "-o", "json").json()
    assert [a["name"] for a in of_second["aliases"]] == ["alias/orders"]
    assert set(of_second["aliases"][0]) == {"name", "arn", "target_key_id", "created", "updated"}

    assert strongroom.ok("aliases", "delete", "billing").out == "deleted alias/billing\n"
    assert strongroom.ok("aliases", "delete", "orders", "-o", "json").json() == {"deleted": "alias/orders"}
    assert strongroom.ok("aliases", "list", "-o", "json").json() == {"aliases": []}


def test_listing_pages_through_every_alias(strongroom: Strongroom, monkeypatch: pytest.MonkeyPatch) -> None:
    key_id = new_key(strongroom)
    for n in range(5):
        strongroom.ok("aliases", "create", f"a{n}", key_id)
    monkeypatch.setattr(aliases_command, "PAGE_SIZE", 2)
    listed = strongroom.ok("aliases", "list", "-o", "json").json()["aliases"]
    assert [a["name"] for a in listed] == [f"alias/a{n}" for n in range(5)]
    core = open_data(strongroom.data_dir)
    try:
        assert len(core.audit.query(AuditFilter(event_name="ListAliases"))) == 3
    finally:
        core.close()


@pytest.mark.parametrize(("args", "says"), [
    (("aliases", "create", "aws/mine", "alias/k"), "must not begin with 'alias/aws/'"),
    (("aliases", "create", "bad name!", "alias/k"), "must begin with 'alias/' followed by"),
    (("aliases", "create", "k", "alias/k"), "already exists"),
    (("aliases", "create", "other", "alias/missing"), "alias/missing is not found"),
    (("aliases", "update", "missing", "alias/k"), "alias/missing is not found"),
    (("aliases", "update", "k", "alias/mac"), "same key spec and usage"),
    (("aliases", "delete", "missing"), "alias/missing is not found"),
])
def test_bad_input_is_one_line_and_exit_1(strongroom: Strongroom, args: tuple[str, ...], says: str) -> None:
    new_key(strongroom, "--alias", "k")
    new_key(strongroom, "--key-spec", "HMAC_256", "--alias", "mac")
    refused = strongroom(*args)
    assert refused.code == 1 and refused.out == ""
    assert len(refused.err.splitlines()) == 1 and refused.err.startswith("strongroom: ")
    assert says in refused.err
