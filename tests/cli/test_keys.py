"""``strongroom keys …``: an operator's view of the keys of an account, offline, on a dev data directory. Each call
goes through the core as the account's root and is audited with protocol ``cli``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from strongroom.cli import keys as keys_command
from strongroom.cli.output import timestamp
from strongroom.domain.audit import AuditFilter
from strongroom.domain.context import Caller, RequestContext
from tests.cli.dev_data import DEV_ACCOUNT, Strongroom, make_dev_data_dir, open_data

KEY_FIELDS = {"key_id", "arn", "aliases", "state", "key_spec", "key_usage", "origin", "description", "created",
              "current_version", "rotation_period_days", "next_rotation", "deletion_date", "pending_window_days",
              "tags"}


@pytest.fixture
def strongroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Strongroom:
    return Strongroom(make_dev_data_dir(tmp_path / "data", monkeypatch), capsys)


def create(strongroom: Strongroom, *args: str) -> dict:
    return strongroom.ok("keys", "create", *args, "--output", "json").json()


def column_starts(line: str, headers: tuple[str, ...]) -> list[int]:
    return [line.index(header) for header in headers]


def test_create_shows_the_new_key_and_describe_finds_it_by_id_arn_or_alias(strongroom: Strongroom) -> None:
    made = strongroom.ok("keys", "create", "--description", "orders", "--alias", "orders", "--tag", "env=dev",
                         "--tag", "team=payments")
    fields = dict(line.split(":", 1) for line in made.out.splitlines())
    key_id = fields["Key ID"].strip()
    assert fields["Aliases"].strip() == "alias/orders"
    assert fields["State"].strip() == "Enabled" and fields["Key spec"].strip() == "SYMMETRIC_DEFAULT"
    assert fields["Tags"].strip() == "env=dev, team=payments"
    assert len({line.index(value.strip()) for line, value in
                ((f"{label}:{value}", value) for label, value in fields.items())}) == 1  # values aligned

    for name in (key_id, f"arn:aws:kms:us-east-1:{DEV_ACCOUNT}:key/{key_id}", "alias/orders"):
        described = strongroom.ok("keys", "describe", name, "--output", "json").json()
        assert set(described) == KEY_FIELDS
        assert described["key_id"] == key_id and described["aliases"] == ["alias/orders"]
        assert described["tags"] == {"env": "dev", "team": "payments"} and described["description"] == "orders"


def test_list_is_an_aligned_table_and_one_json_document(strongroom: Strongroom) -> None:
    first = create(strongroom, "--description", "a key with a\nnewline", "--alias", "alias/first")
    second = create(strongroom, "--key-spec", "HMAC_256")
    assert second["key_usage"] == "GENERATE_VERIFY_MAC"  # the spec's only usage
    table = strongroom.ok("keys", "list").out.splitlines()
    header, rows = table[0], table[1:]
    assert header.split() == ["KEY", "ID", "ALIASES", "STATE", "SPEC", "USAGE", "CREATED", "DESCRIPTION"]
    assert len(rows) == 2
    starts = column_starts(header, keys_command.KEY_COLUMNS)
    by_id = {row.split()[0]: row for row in rows}
    for row in rows:
        assert [row[start - 2:start] for start in starts[1:]] == ["  "] * (len(starts) - 1)
        assert row[starts[1]] != " "  # every cell starts at its column
    assert by_id[first["key_id"]][starts[1]:].split()[0] == "alias/first"
    assert by_id[first["key_id"]].endswith("a key with a newline")
    assert by_id[second["key_id"]][starts[1]:].split()[0] == "-"

    listed = strongroom.ok("keys", "list", "--output", "json").json()
    assert set(listed) == {"keys"}
    assert {k["key_id"] for k in listed["keys"]} == {first["key_id"], second["key_id"]}
    assert all(set(k) == KEY_FIELDS for k in listed["keys"])


def test_list_filters_by_state_spec_and_alias_prefix_and_limits(strongroom: Strongroom) -> None:
    orders = create(strongroom, "--alias", "orders/eu")
    billing = create(strongroom, "--alias", "billing")
    hmac = create(strongroom, "--key-spec", "HMAC_512", "--key-usage", "GENERATE_VERIFY_MAC", "--alias", "orders/mac")
    strongroom.ok("keys", "disable", billing["key_id"])

    def ids(*args: str) -> set[str]:
        return {k["key_id"] for k in strongroom.ok("keys", "list", *args, "--output", "json").json()["keys"]}

    assert ids("--state", "disabled") == {billing["key_id"]}
    assert ids("--state", "Enabled", "--state", "pending-deletion") == {orders["key_id"], hmac["key_id"]}
    assert ids("--spec", "hmac_512") == {hmac["key_id"]}
    assert ids("--alias-prefix", "orders") == {orders["key_id"], hmac["key_id"]}
    assert ids("--alias-prefix", "alias/orders/e") == {orders["key_id"]}
    assert ids("--alias-prefix", "orders", "--spec", "SYMMETRIC_DEFAULT") == {orders["key_id"]}
    assert len(ids("--limit", "2")) == 2
    empty = strongroom.ok("keys", "list", "--alias-prefix", "nothing", "--output", "json")
    assert empty.json() == {"keys": []}
    assert strongroom.ok("keys", "list", "--alias-prefix", "nothing").out.splitlines()[0].startswith("KEY ID")


def test_list_reads_the_keys_a_page_at_a_time(strongroom: Strongroom, monkeypatch: pytest.MonkeyPatch) -> None:
    core = open_data(strongroom.data_dir)
    try:
        ctx = RequestContext(Caller(DEV_ACCOUNT, "test", f"arn:aws:iam::{DEV_ACCOUNT}:root"), "us-east-1")
        made = {core.keys.create_key(ctx).key_id for _ in range(5)}
    finally:
        core.close()
    monkeypatch.setattr(keys_command, "PAGE_SIZE", 2)
    listed = strongroom.ok("keys", "list", "--output", "json").json()["keys"]
    assert {k["key_id"] for k in listed} == made and len(listed) == 5
    core = open_data(strongroom.data_dir)
    try:
        pages = core.audit.query(AuditFilter(event_name="ListKeys"))
    finally:
        core.close()
    assert len(pages) == 3
    assert [e.event.record["requestParameters"].get("limit") for e in pages] == [2, 2, 2]


def test_rotate_disable_enable_and_deletion(strongroom: Strongroom) -> None:
    key = create(strongroom, "--alias", "orders")
    key_id = key["key_id"]
    rotated = strongroom.ok("keys", "rotate", "alias/orders")
    assert rotated.out.startswith(f"{key_id}: rotated; version 2 is current")
    assert strongroom.ok("keys", "describe", key_id, "-o", "json").json()["current_version"] == 2

    assert strongroom.ok("keys", "disable", key_id).out.strip() == f"{key_id}: Disabled"
    assert strongroom.ok("keys", "enable", "alias/orders", "-o", "json").json()["state"] == "Enabled"

    scheduled = strongroom.ok("keys", "schedule-deletion", key_id, "--pending-window-in-days", "7")
    described = strongroom.ok("keys", "describe", key_id, "-o", "json").json()
    assert described["state"] == "PendingDeletion" and described["pending_window_days"] == 7
    assert scheduled.out.startswith(f"{key_id} will be deleted on {described['deletion_date']} (7 days from now)")
    core = open_data(strongroom.data_dir)
    try:
        stored = core.audit.query(AuditFilter(event_name="ScheduleKeyDeletion"))[0].event.record
    finally:
        core.close()
    assert stored["responseElements"]["deletionDate"] == described["deletion_date"]

    cancelled = strongroom.ok("keys", "cancel-deletion", key_id)
    assert cancelled.out.strip() == f"{key_id}: deletion cancelled; the key is Disabled"
    default_window = strongroom.ok("keys", "schedule-deletion", key_id, "-o", "json").json()
    assert default_window["pending_window_days"] == 30 and default_window["aliases"] == ["alias/orders"]


def test_every_call_is_audited_as_the_account_root_over_the_cli(strongroom: Strongroom) -> None:
    key = create(strongroom, "--alias", "audited")
    strongroom.ok("keys", "disable", "alias/audited")
    assert strongroom("keys", "describe", "alias/missing").code == 1
    core = open_data(strongroom.data_dir)
    try:
        events = list(core.audit.all())
    finally:
        core.close()
    cli_events = [e.event for e in events if e.event.record.get("eventSource") == "cli.strongroom"]
    names = [e.event_name for e in cli_events]
    assert names == ["CreateKey", "CreateAlias", "DisableKey", "DescribeKey"]
    arn = key["arn"]
    for event in cli_events:
        record = event.record
        assert record["additionalEventData"]["protocol"] == "cli"
        assert record["userIdentity"]["arn"] == f"arn:aws:iam::{DEV_ACCOUNT}:root"
        assert record["userIdentity"]["type"] == "Root"
        assert record["userAgent"].startswith("strongroom-cli/")
    assert [e.key_arn for e in cli_events[:3]] == [arn, arn, arn]
    assert cli_events[2].record["requestParameters"] == {"keyId": "alias/audited"}
    assert cli_events[3].error_code == "NotFoundError"
    assert "alias/missing" in cli_events[3].record["errorMessage"]


def test_the_account_is_the_dev_account_unless_given(strongroom: Strongroom, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    create(strongroom, "--alias", "dev-key")
    other = strongroom.ok("accounts", "create", "--account", "444455556666").out.strip()
    assert other == "444455556666"
    assert strongroom.ok("keys", "list", "--account", other, "-o", "json").json() == {"keys": []}
    theirs = strongroom.ok("keys", "create", "--account", other, "-o", "json").json()
    assert theirs["arn"].startswith("arn:aws:kms:us-east-1:444455556666:key/")
    assert [k["aliases"] for k in strongroom.ok("keys", "list", "-o", "json").json()["keys"]] == [["alias/dev-key"]]
    assert strongroom("keys", "describe", theirs["key_id"]).code == 1  # another account's key is not the dev's

    (strongroom.data_dir / "dev-credentials").unlink()
    refused = strongroom("keys", "list")
    assert refused.code == 1 and refused.err.strip().endswith("--account is required: "
                                                             f"{strongroom.data_dir} has no dev account")
    assert strongroom.ok("keys", "list", "--account", DEV_ACCOUNT).out.count("alias/dev-key") == 1


@pytest.mark.parametrize(("args", "says"), [
    (("keys", "describe", "00000000-0000-0000-0000-000000000000"), "does not exist"),
    (("keys", "describe", "alias/none"), "alias/none is not found"),
    (("keys", "describe", "arn:aws:kms:nope"), "Invalid arn"),
    (("keys", "create", "--key-spec", "AES_999"), "KeySpec AES_999 is not a valid key spec"),
    (("keys", "create", "--key-spec", "ECC_NIST_P256"), "KeyUsage ENCRYPT_DECRYPT is not compatible"),
    (("keys", "create", "--tag", "no-value"), "--tag 'no-value': expected KEY=VALUE"),
    (("keys", "create", "--alias", "aws/reserved"), "must not begin with 'alias/aws/'"),
    (("keys", "list", "--state", "Sleeping"), "--state 'Sleeping': use one of"),
    (("keys", "list", "--spec", "NOPE"), "--spec 'NOPE' is not a key spec"),
    (("keys", "list", "--account", "123"), "must be 12 digits"),
    (("keys", "list", "--account", "999999999999"), "account 999999999999 does not exist"),
    (("keys", "schedule-deletion", "alias/k", "--pending-window-in-days", "6"),
     "--pending-window-in-days must be 7 to 30"),
    (("keys", "schedule-deletion", "alias/k", "--pending-window-in-days", "31"),
     "--pending-window-in-days must be 7 to 30"),
    (("keys", "cancel-deletion", "alias/k"), "is not pending deletion"),
])
def test_bad_input_is_one_line_and_exit_1(strongroom: Strongroom, args: tuple[str, ...], says: str) -> None:
    create(strongroom, "--alias", "k")
    refused = strongroom(*args)
    assert refused.code == 1
    assert refused.out == ""
    assert len(refused.err.splitlines()) == 1 and refused.err.startswith("strongroom: ")
    assert says in refused.err


def test_a_key_whose_alias_fails_is_reported_with_its_id(strongroom: Strongroom) -> None:
    create(strongroom, "--alias", "taken")
    refused = strongroom("keys", "create", "--alias", "taken")
    assert refused.code == 1 and len(refused.err.splitlines()) == 1
    assert refused.err.startswith("strongroom: created key ") and "but not its alias alias/taken" in refused.err
    assert len(strongroom.ok("keys", "list", "-o", "json").json()["keys"]) == 2


def test_the_installed_command_fails_without_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    done = subprocess.run([sys.executable, "-m", "strongroom", "keys", "list", "--data-dir", str(missing)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert done.stderr == f"strongroom: no data directory {missing} (pass --data-dir, or start " \
                          "`strongroom server --dev`)\n"
    assert not missing.exists()  # nothing was created in its place


def test_a_directory_that_is_not_a_data_directory_is_left_alone(strongroom: Strongroom, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refused = Strongroom(elsewhere, strongroom.capsys)("keys", "list")
    assert refused.code == 1
    assert refused.err == f"strongroom: no root key file {elsewhere / 'root.key'} (pass --root-key-file, or " \
                          "--data-dir of a Strongroom)\n"
    assert list(elsewhere.iterdir()) == []


def test_timestamps_are_utc_to_the_second() -> None:
    assert timestamp(0) == "1970-01-01T00:00:00Z" and timestamp(None) is None
