"""One contract for every store: each test runs against SQLite and against PostgreSQL (a real server).

What the service relies on: every method of the Store protocol, unique keys as ``AlreadyExistsError``,
transactions that roll back on error and join when nested, migrations that can run again, and
``changed_elsewhere`` telling one store instance about another's commits (and not about its own).
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from strongroom.domain.aliases import Alias
from strongroom.domain.audit import AuditEvent, AuditFilter, StoredAuditEvent, canonical
from strongroom.domain.grants import Grant
from strongroom.domain.keys import Key, KeyState
from strongroom.errors import AlreadyExistsError
from strongroom.storage.base import Store
from strongroom.storage.factory import open_store
from strongroom.storage.migrations import migrations_for
from strongroom.storage.records import StoredAccessKey, StoredUser, StoredVersion

ACCOUNT, OTHER, REGION = "111122223333", "444455556666", "us-east-1"
NOW = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgres"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Opens a new store instance on this test's (initially empty) database; all are closed afterwards."""
    database = request.getfixturevalue("postgres_dsn") if request.param == "postgres" else None
    opened: list[Store] = []

    def make() -> Store:
        store = open_store(database, tmp_path)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(opener: Callable[[], Store]) -> Store:
    return opener()


def key(key_id: str, account: str = ACCOUNT, **kw: object) -> Key:
    return Key(key_id=key_id, account_id=account, region=REGION, created_at=NOW, **kw)  # type: ignore[arg-type]


def version(n: int, rotation: str | None = None) -> StoredVersion:
    return StoredVersion(n, f"material-{n}", NOW + n, rotation, bytes([n]) * 60)


def alias(name: str, target: str) -> Alias:
    return Alias(ACCOUNT, REGION, name, target, NOW, NOW)


def poll(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


# --- the key-encryption key -------------------------------------------------------------------------------


def test_kek_is_stored_once_and_replaced_only_if_unchanged(store: Store) -> None:
    assert store.get_wrapped_kek() is None
    store.put_wrapped_kek(b"wrapped-1")
    assert store.get_wrapped_kek() == b"wrapped-1"
    with pytest.raises(AlreadyExistsError):
        store.put_wrapped_kek(b"wrapped-2")
    assert store.replace_wrapped_kek(b"not-current", b"wrapped-3") is False
    assert store.replace_wrapped_kek(b"wrapped-1", b"wrapped-3") is True
    assert store.get_wrapped_kek() == b"wrapped-3"


# --- accounts, access keys, users, identity policies ------------------------------------------------------


def access_key(access_key_id: str, account: str = ACCOUNT, user: str = "root", **kw: object) -> StoredAccessKey:
    return StoredAccessKey(access_key_id, account, user, b"\x00wrapped\xff", "Active", NOW, **kw)  # type: ignore[arg-type]


def test_accounts_and_access_keys(store: Store) -> None:
    store.ensure_account(OTHER, NOW)
    store.ensure_account(ACCOUNT, NOW)
    store.ensure_account(ACCOUNT, NOW + 1)  # idempotent
    assert store.list_accounts() == [ACCOUNT, OTHER]
    store.put_access_key(access_key("AKIAB"))
    store.put_access_key(access_key("AKIAA", session_token_digest=b"\x01" * 32, expires_at=NOW + 900))
    store.put_access_key(access_key("AKIAC", OTHER))
    with pytest.raises(AlreadyExistsError):
        store.put_access_key(access_key("AKIAA"))
    temporary = store.get_access_key("AKIAA")
    assert temporary == access_key("AKIAA", session_token_digest=b"\x01" * 32, expires_at=NOW + 900)
    assert store.get_access_key("AKIANONE") is None
    assert [k.access_key_id for k in store.list_access_keys(ACCOUNT)] == ["AKIAA", "AKIAB"]
    assert [k.access_key_id for k in store.list_access_keys(None)] == ["AKIAA", "AKIAB", "AKIAC"]
    assert store.delete_access_key("AKIAB") is True
    assert store.delete_access_key("AKIAB") is False
    assert store.get_access_key("AKIAB") is None


def test_users_and_identity_policies(store: Store) -> None:
    store.ensure_account(ACCOUNT, NOW)
    store.insert_user(StoredUser(ACCOUNT, "bob", NOW))
    store.insert_user(StoredUser(ACCOUNT, "alice", NOW))
    with pytest.raises(AlreadyExistsError):
        store.insert_user(StoredUser(ACCOUNT, "bob", NOW))
    assert store.get_user(ACCOUNT, "bob") == StoredUser(ACCOUNT, "bob", NOW)
    assert store.get_user(ACCOUNT, "carol") is None
    assert [u.user_name for u in store.list_users(ACCOUNT)] == ["alice", "bob"]
    store.put_identity_policy(ACCOUNT, "bob", "p2", '{"v": 1}')
    store.put_identity_policy(ACCOUNT, "bob", "p1", '{"v": 1}')
    store.put_identity_policy(ACCOUNT, "bob", "p2", '{"v": 2}')  # replaces
    assert store.list_identity_policies(ACCOUNT, "bob") == {"p1": '{"v": 1}', "p2": '{"v": 2}'}
    assert store.delete_identity_policy(ACCOUNT, "bob", "p1") is True
    assert store.delete_identity_policy(ACCOUNT, "bob", "p1") is False
    store.put_access_key(access_key("AKIABOB", user="bob"))
    assert store.delete_user(ACCOUNT, "bob") is True
    assert store.get_user(ACCOUNT, "bob") is None
    assert store.get_access_key("AKIABOB") is None  # a user's keys go with the user
    assert store.list_identity_policies(ACCOUNT, "bob") == {}
    assert store.delete_user(ACCOUNT, "bob") is False


# --- keys, versions, aliases, grants ----------------------------------------------------------------------


def test_keys_and_versions(store: Store) -> None:
    k = key("k-1", description="first", tags={"team": "a", "b": "c"}, policy='{"Statement": []}')
    store.insert_key(k, version(1))
    with pytest.raises(AlreadyExistsError):
        store.insert_key(k, version(1))
    assert store.get_key("k-1") == k
    assert store.get_key("k-none") is None
    updated = k.evolve(state=KeyState.PENDING_DELETION, deletion_date=NOW + 7 * 86400, pending_window_days=7,
                       rotation_period_days=90, next_rotation_at=NOW + 90 * 86400, current_version=2,
                       on_demand_rotations=1, description="", tags={}, policy=None)
    store.add_version("k-1", version(2, "ON_DEMAND"))
    with pytest.raises(AlreadyExistsError):
        store.add_version("k-1", version(2, "ON_DEMAND"))
    store.update_key(updated)
    assert store.get_key("k-1") == updated
    assert store.get_versions("k-1") == [version(1), version(2, "ON_DEMAND")]
    assert store.count_keys() == {"PendingDeletion": 1}
    assert store.count_rotations() == {"ON_DEMAND": 1}
    assert store.count_region_keys(ACCOUNT, REGION) == 1 and store.count_region_keys(OTHER, REGION) == 0


def test_versions_of_imported_material(store: Store) -> None:
    store.insert_key(key("ext", origin="EXTERNAL", current_version=0), None)  # no material until imported
    assert store.get_versions("ext") == []
    imported = StoredVersion(1, "m-1", NOW, None, b"w" * 40, valid_to=NOW + 10,
                             expiration_model="KEY_MATERIAL_EXPIRES", description="from the HSM")
    store.add_version("ext", imported)
    assert store.get_versions("ext") == [imported]
    assert list(store.keys_due(NOW + 10)) == ["ext"]  # its material expires
    expired = replace(imported, wrapped_material=b"")
    store.update_version("ext", expired)
    assert store.get_versions("ext") == [expired]
    assert list(store.keys_due(NOW + 10)) == []
    store.delete_version("ext", 1)
    assert store.get_versions("ext") == []


def test_list_keys_pages_in_byte_order_within_account_and_region(store: Store) -> None:
    ids = ["a-1", "B-2", "a_3", "a-2", "z"]
    for key_id in ids:
        store.insert_key(key(key_id), version(1))
    store.insert_key(key("other", OTHER), version(1))
    store.insert_key(Key(key_id="elsewhere", account_id=ACCOUNT, region="eu-west-1", created_at=NOW), version(1))
    everything = [k.key_id for k in store.list_keys(ACCOUNT, REGION, None, 100)]
    assert everything == sorted(ids)  # byte order, as SQLite compares: upper case first, '-' before '_'
    first = store.list_keys(ACCOUNT, REGION, None, 2)
    rest = store.list_keys(ACCOUNT, REGION, first[-1].key_id, 100)
    assert [k.key_id for k in first + rest] == everything


def test_list_key_regions_names_each_region_of_the_account_once(store: Store) -> None:
    assert store.list_key_regions(ACCOUNT) == []
    store.insert_key(key("k-1"), version(1))
    store.insert_key(key("k-2"), version(1))
    store.insert_key(Key(key_id="k-3", account_id=ACCOUNT, region="eu-west-1", created_at=NOW), version(1))
    store.insert_key(Key(key_id="k-4", account_id=OTHER, region="ap-south-1", created_at=NOW), version(1))
    assert store.list_key_regions(ACCOUNT) == ["eu-west-1", REGION]
    assert store.list_key_regions(OTHER) == ["ap-south-1"]


def test_keys_due_and_delete_cascades(store: Store) -> None:
    store.insert_key(key("due-deletion", state=KeyState.PENDING_DELETION, deletion_date=NOW - 1), version(1))
    store.insert_key(key("due-rotation", rotation_period_days=90, next_rotation_at=NOW), version(1))
    store.insert_key(key("later", rotation_period_days=90, next_rotation_at=NOW + 1), version(1))
    store.insert_key(key("never"), version(1))
    assert sorted(store.keys_due(NOW)) == ["due-deletion", "due-rotation"]
    store.insert_alias(alias("alias/gone", "due-deletion"))
    store.delete_key("due-deletion")
    assert store.get_key("due-deletion") is None
    assert store.get_versions("due-deletion") == []
    assert store.get_alias(ACCOUNT, REGION, "alias/gone") is None


def test_aliases(store: Store) -> None:
    store.insert_key(key("k-1"), version(1))
    store.insert_key(key("k-2"), version(1))
    store.insert_alias(alias("alias/b", "k-1"))
    store.insert_alias(alias("alias/a", "k-1"))
    store.insert_alias(alias("alias/c", "k-2"))
    with pytest.raises(AlreadyExistsError):
        store.insert_alias(alias("alias/a", "k-2"))
    assert store.get_alias(ACCOUNT, REGION, "alias/a") == alias("alias/a", "k-1")
    assert store.get_alias(OTHER, REGION, "alias/a") is None
    assert store.count_aliases("k-1") == 2
    store.update_alias(Alias(ACCOUNT, REGION, "alias/a", "k-2", NOW, NOW + 5))
    assert store.get_alias(ACCOUNT, REGION, "alias/a") == Alias(ACCOUNT, REGION, "alias/a", "k-2", NOW, NOW + 5)
    assert [a.name for a in store.list_aliases(ACCOUNT, REGION, None, None, 100)] == ["alias/a", "alias/b", "alias/c"]
    assert [a.name for a in store.list_aliases(ACCOUNT, REGION, "k-2", None, 100)] == ["alias/a", "alias/c"]
    assert [a.name for a in store.list_aliases(ACCOUNT, REGION, None, "alias/a", 1)] == ["alias/b"]
    store.delete_alias(ACCOUNT, REGION, "alias/a")
    assert store.get_alias(ACCOUNT, REGION, "alias/a") is None
    assert store.count_aliases("k-2") == 1


def grant(grant_id: str, key_id: str = "k-1", name: str | None = None, retiring: str | None = None,
          **kw: object) -> Grant:
    values: dict = {"context_equals": None, "context_subset": None, **kw}
    return Grant(grant_id, key_id, name, f"arn:aws:iam::{ACCOUNT}:user/bob", retiring, ACCOUNT,
                 ("Encrypt", "Decrypt"), created_at=NOW, **values)


def test_grants(store: Store) -> None:
    store.insert_key(key("k-1"), version(1))
    retiring = f"arn:aws:iam::{ACCOUNT}:user/ops"
    store.insert_grant(grant("g-2", name="nightly", context_subset={"Dept": "IT"}))
    store.insert_grant(grant("g-1", retiring=retiring, context_equals={"a": "b"}))
    store.insert_grant(grant("g-3", retiring=retiring))
    with pytest.raises(AlreadyExistsError):
        store.insert_grant(grant("g-1"))
    assert store.get_grant("g-1") == grant("g-1", retiring=retiring, context_equals={"a": "b"})
    assert store.get_grant("g-none") is None
    assert store.find_grant_by_name("k-1", "nightly") == grant("g-2", name="nightly", context_subset={"Dept": "IT"})
    assert [g.grant_id for g in store.list_grants("k-1", None, 2)] == ["g-1", "g-2"]
    assert [g.grant_id for g in store.list_grants("k-1", "g-2", 2)] == ["g-3"]
    assert [g.grant_id for g in store.list_retirable_grants(retiring, None, 10)] == ["g-1", "g-3"]
    assert store.count_grants("k-1") == 3
    assert store.delete_grant("g-1") is True
    assert store.delete_grant("g-1") is False
    store.delete_key("k-1")
    assert store.count_grants("k-1") == 0


# --- the audit trail --------------------------------------------------------------------------------------


def audit_rows(first_seq: int, count: int, key_arn: str = "arn:k1") -> list[StoredAuditEvent]:
    rows = []
    for seq in range(first_seq, first_seq + count):
        event = AuditEvent(NOW + seq, f"e-{seq}", "Encrypt" if seq % 2 else "Decrypt", "arn:p", key_arn,
                           None if seq % 3 else "DisabledException", {"eventID": f"e-{seq}", "n": seq})
        rows.append(StoredAuditEvent(seq, event, canonical(event.record), bytes([seq]) * 32, bytes([seq + 1]) * 32))
    return rows


def test_chained_audit_appends_link_to_the_last_batch_and_roll_back_on_failure(store: Store) -> None:
    seen: list[tuple[int, bytes] | None] = []

    def link(first_seq: int, count: int, key_arn: str = "arn:k1"):  # noqa: ANN202
        def chained(last: tuple[int, bytes] | None) -> list[StoredAuditEvent]:
            seen.append(last)
            return audit_rows(first_seq, count, key_arn)
        return chained

    store.chain_audit(link(1, 3), durable=False)
    store.chain_audit(link(4, 2, key_arn="arn:k2"), durable=True)
    assert seen == [None, (3, bytes([4]) * 32)]
    assert store.last_audit_link() == (5, bytes([6]) * 32)
    assert [r.seq for r in store.query_audit(AuditFilter(key_arn="arn:k2"))] == [4, 5]

    def failing(last: tuple[int, bytes] | None) -> list[StoredAuditEvent]:
        raise RuntimeError("no rows")
    with pytest.raises(RuntimeError):
        store.chain_audit(failing, durable=False)
    store.chain_audit(link(6, 1), durable=False)  # the failed one held no lock and wrote nothing
    assert [r.seq for r in store.query_audit(AuditFilter())] == [1, 2, 3, 4, 5, 6]


def test_audit_trail(store: Store) -> None:
    assert store.last_audit_link() is None and store.first_audit_time() is None
    written = audit_rows(1, 6) + audit_rows(7, 2, key_arn="arn:k2")
    store.chain_audit(lambda _last: written[:4], durable=True)  # two batches, as two event-loop turns write them
    store.chain_audit(lambda _last: written[4:], durable=True)
    assert store.last_audit_link() == (8, bytes([9]) * 32)
    assert store.first_audit_time() == NOW + 1
    assert store.query_audit(AuditFilter()) == written
    assert [r.seq for r in store.query_audit(AuditFilter(key_arn="arn:k2"))] == [7, 8]
    assert [r.seq for r in store.query_audit(AuditFilter(errors_only=True))] == [3, 6]
    assert [r.seq for r in store.query_audit(AuditFilter(since=NOW + 2, until=NOW + 5, event_name="Encrypt"))] == [3]
    assert [r.seq for r in store.query_audit(AuditFilter(after_seq=5, limit=2))] == [6, 7]
    used = store.last_key_usage("arn:k1", ("Encrypt", "GenerateDataKey"))  # type: ignore[attr-defined]
    assert used is not None and used.seq == 5  # the last successful Encrypt (6 failed, is a Decrypt anyway)
    assert store.purge_audit(NOW + 4) == 0  # events go by the written batch, once all of it is older
    assert store.purge_audit(NOW + 5) == 4
    assert store.first_audit_time() == NOW + 5
    assert [r.seq for r in store.query_audit(AuditFilter())] == [5, 6, 7, 8]
    assert [r.seq for r in store.query_audit(AuditFilter(key_arn="arn:k1"))] == [5, 6]


# --- transactions -----------------------------------------------------------------------------------------


def test_a_failing_transaction_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.insert_key(key("k-1"), version(1))
            store.insert_alias(alias("alias/a", "k-1"))
            with store.transaction():  # nested: the same transaction
                store.ensure_account(ACCOUNT, NOW)
            raise RuntimeError("boom")
    assert store.get_key("k-1") is None
    assert store.get_alias(ACCOUNT, REGION, "alias/a") is None
    assert store.list_accounts() == []


def test_an_error_in_a_nested_block_rolls_back_the_outer_one(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.ensure_account(ACCOUNT, NOW)
            with store.transaction():
                store.ensure_account(OTHER, NOW)
                raise RuntimeError("inner")
    assert store.list_accounts() == []


def test_a_conflict_inside_a_transaction_does_not_spoil_it(store: Store) -> None:
    store.insert_key(key("k-1"), version(1))
    with store.transaction():
        store.insert_alias(alias("alias/a", "k-1"))
        with pytest.raises(AlreadyExistsError):
            store.insert_alias(alias("alias/a", "k-1"))
        store.insert_alias(alias("alias/b", "k-1"))
    assert store.count_aliases("k-1") == 2


def test_a_committed_transaction_is_seen_by_another_instance(opener: Callable[[], Store]) -> None:
    a, b = opener(), opener()
    with a.transaction():
        a.insert_key(key("k-1"), version(1))
        a.update_key(key("k-1", description="changed"))
    assert b.get_key("k-1") == key("k-1", description="changed")


def test_read_modify_write_transactions_are_serialized(opener: Callable[[], Store]) -> None:
    """Two instances (two processes, or two nodes) incrementing one counter: no update is lost."""
    a, b = opener(), opener()
    a.insert_key(key("k-1"), version(1))
    rounds = 15

    def bump(store: Store) -> None:
        for _ in range(rounds):
            with store.transaction():
                current = store.get_key("k-1")
                assert current is not None
                time.sleep(0.001)  # widen the window a lost update would need
                store.update_key(current.evolve(on_demand_rotations=current.on_demand_rotations + 1))

    threads = [threading.Thread(target=bump, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert a.get_key("k-1").on_demand_rotations == 2 * rounds  # type: ignore[union-attr]


def test_count_then_insert_cannot_overshoot_a_limit(opener: Callable[[], Store]) -> None:
    """The alias-per-key check (count, then insert) holds when two instances race: no phantoms."""
    a, b = opener(), opener()
    a.insert_key(key("k-1"), version(1))
    limit = 6

    def add(store: Store, prefix: str) -> None:
        for i in range(limit):
            with store.transaction():
                if store.count_aliases("k-1") < limit:
                    time.sleep(0.001)
                    store.insert_alias(alias(f"alias/{prefix}-{i}", "k-1"))

    threads = [threading.Thread(target=add, args=(s, p)) for s, p in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert a.count_aliases("k-1") == limit


# --- migrations and change detection ----------------------------------------------------------------------


def test_migrations_are_idempotent_and_keep_data(opener: Callable[[], Store]) -> None:
    first = opener()
    first.insert_key(key("k-1"), version(1))
    expected = len(migrations_for(first.dialect))  # type: ignore[attr-defined]
    assert first.schema_version() == expected  # type: ignore[attr-defined]
    again = opener()  # runs the migrator over a current schema
    assert again.schema_version() == expected  # type: ignore[attr-defined]
    assert again.get_key("k-1") == key("k-1")


def test_every_store_implements_the_whole_protocol() -> None:
    """A method added to the Store protocol must be added to every backend (this fails until it is)."""
    from strongroom.storage.postgres import PostgresStore
    from strongroom.storage.sqlite import SqliteStore

    wanted = {name: inspect.signature(f) for name, f in vars(Store).items()
              if callable(f) and not name.startswith("_")}
    for cls in (SqliteStore, PostgresStore):
        for name, signature in wanted.items():
            implemented = getattr(cls, name, None)
            assert implemented is not None, f"{cls.__name__} lacks Store.{name}"
            assert list(inspect.signature(implemented).parameters) == list(signature.parameters), (cls, name)


def test_both_dialects_have_the_same_numbered_migrations() -> None:
    """A backup moves between backends only if their schemas advance in step."""
    assert [n for n, _ in migrations_for("sqlite")] == [n for n, _ in migrations_for("postgres")]


def test_changed_elsewhere_reports_each_commit_of_another_instance_once(opener: Callable[[], Store]) -> None:
    """(A store may also report its own commits: a needless cache drop, never a stale read.)"""
    a, b = opener(), opener()
    a.changed_elsewhere(), b.changed_elsewhere()  # a new instance may report "changed" once, to begin with
    a.ensure_account(ACCOUNT, NOW)
    assert poll(b.changed_elsewhere, 1.0), "a commit by another instance was not reported within 1 s"
    assert not b.changed_elsewhere()  # reported once
    b.insert_key(key("k-1"), version(1))
    assert poll(a.changed_elsewhere, 1.0)
    assert not a.changed_elsewhere()
    a.chain_audit(lambda _last: audit_rows(1, 1), durable=False)  # nothing cached (the audit trail): not announced
    time.sleep(0.05)
    assert not b.changed_elsewhere()
