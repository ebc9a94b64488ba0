"""The KEK record names its root; settings come from flags and TOML; the store is rewrapped by compare-and-swap
and a failed unseal writes nothing."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest

from strongroom.crypto.wrapping import KeyEncryptionKey
from strongroom.errors import SealedError
from strongroom.service.key_hierarchy import create_kek, open_kek, rewrap_kek
from strongroom.storage.sqlite import SqliteStore
from strongroom.trust import envelope
from strongroom.trust.base import RootConfigError, RootOfTrustError
from strongroom.trust.factory import FileSettings, fresh_root, load_settings, open_auto_root, read_config_file
from strongroom.trust.key_file import FileRootOfTrust, create_root_key_file
from strongroom.trust.kms import KmsSettings
from strongroom.trust.local_key import KEK_LABEL
from strongroom.trust.shamir import ShamirSettings, new_share_set

KEK = b"\x42" * 32


def test_envelope_round_trip_and_legacy_records() -> None:
    record = envelope.pack("pkcs11", b"body", key_id="ab", key_label="root")
    assert envelope.unpack(record) == envelope.WrappedKek("pkcs11", b"body", {"key_id": "ab", "key_label": "root"})
    legacy = b"\x01" + b"x" * 60  # what the file root stored before roots were pluggable
    assert envelope.unpack(legacy).root == "file" and envelope.unpack(legacy).body == legacy
    with pytest.raises(RootOfTrustError, match="wrapped by the 'pkcs11' root of trust.*migrate-root"):
        envelope.unpack_for(record, "shamir")
    with pytest.raises(RootOfTrustError, match="format"):
        envelope.unpack(b"\x07junk")


def test_a_legacy_file_record_still_unwraps(tmp_path: Path) -> None:
    create_root_key_file(tmp_path / "root.key")
    root_key = base64.b64decode((tmp_path / "root.key").read_bytes())
    legacy = KeyEncryptionKey(root_key).wrap(KEK, KEK_LABEL)  # a record from before this change
    assert FileRootOfTrust(tmp_path / "root.key").unwrap_kek(legacy) == KEK


def test_settings_from_flags_and_toml(tmp_path: Path) -> None:
    config = tmp_path / "strongroom.toml"
    (tmp_path / "creds").write_text("[unsealer]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr3t\n")
    config.write_text('[root_of_trust]\nkind = "kms"\nregion = "eu-west-1"\nkey_id = "alias/unseal"\n'
                      'endpoint_url = "https://127.0.0.1:9"\ncredentials_file = "creds"\nprofile = "unsealer"\n')
    settings = load_settings(None, read_config_file(config), base_dir=tmp_path)
    assert isinstance(settings, KmsSettings)
    assert (settings.access_key_id, settings.secret_access_key, settings.key_id) == ("AKIAEXAMPLE", "s3cr3t",
                                                                                    "alias/unseal")
    assert "s3cr3t" not in repr(settings)
    assert load_settings("shamir", {}) == ShamirSettings(5, 3)
    assert load_settings(None, {}, key_file=tmp_path / "k") == FileSettings(tmp_path / "k")


@pytest.mark.parametrize(("kind", "table", "message"), [
    ("vault", {}, "unknown root of trust"),
    ("file", {}, "needs a root key"),
    ("shamir", {"shares": 2, "threshold": 3}, "threshold <= shares"),
    ("pkcs11", {"token_label": "t", "pin": "1"}, "library"),
    ("pkcs11", {"library": "/nonexistent/libp11.so", "token_label": "t", "pin": "1"}, "does not exist"),
    ("pkcs11", {"library": "/bin/sh", "token_label": "t"}, "PIN"),
    ("kms", {"region": "us-east-1", "key_id": "k"}, "credentials"),
    ("kms", {"key_id": "k", "access_key_id": "a", "secret_access_key": "b"}, "region"),
])
def test_incomplete_settings_name_what_is_missing(kind: str, table: dict, message: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STRONGROOM_PKCS11_PIN", "STRONGROOM_KMS_ACCESS_KEY_ID", "STRONGROOM_KMS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RootConfigError, match=message):
        load_settings(kind, table)


def test_bad_toml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[root_of_trust\n")
    with pytest.raises(RootConfigError, match="not valid TOML"):
        read_config_file(tmp_path / "bad.toml")
    with pytest.raises(RootConfigError, match="cannot read"):
        read_config_file(tmp_path / "missing.toml")


def _dump(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


def test_create_open_and_rewrap_through_roots(tmp_path: Path) -> None:
    create_root_key_file(tmp_path / "root.key")
    store = SqliteStore(tmp_path / "db.sqlite")
    file_root = open_auto_root(FileSettings(tmp_path / "root.key"), None)
    kek = create_kek(store, file_root)
    with pytest.raises(Exception, match="already has"):
        create_kek(store, file_root)
    assert open_kek(store, file_root) == kek

    shamir = new_share_set(3, 2)
    before = _dump(tmp_path / "db.sqlite")
    with pytest.raises(RootOfTrustError, match="wrapped by the 'file' root"):
        open_kek(store, shamir.root)  # the wrong root: refused, and nothing written
    assert _dump(tmp_path / "db.sqlite") == before

    rewrap_kek(store, kek, shamir.root)  # migrate file -> shamir
    assert open_kek(store, shamir.root) == kek
    with pytest.raises(RootOfTrustError):
        open_kek(store, FileRootOfTrust(tmp_path / "root.key"))
    assert envelope.unpack(store.get_wrapped_kek()).meta["threshold"] == 2
    store.close()


def test_rewrap_is_a_compare_and_swap(tmp_path: Path) -> None:
    create_root_key_file(tmp_path / "root.key")
    store = SqliteStore(tmp_path / "db.sqlite")
    root = FileRootOfTrust(tmp_path / "root.key")
    record = envelope.pack("file", b"x")
    assert not store.replace_wrapped_kek(record, b"y")  # nothing to replace yet
    kek = create_kek(store, root)
    current = store.get_wrapped_kek()
    assert not store.replace_wrapped_kek(b"stale", b"y") and store.get_wrapped_kek() == current
    rewrap_kek(store, kek, root)
    assert store.get_wrapped_kek() != current and open_kek(store, root) == kek
    store.close()
    with pytest.raises(SealedError, match="not initialized"):
        open_kek(SqliteStore(tmp_path / "empty.sqlite"), root)


def test_file_rotation_writes_the_new_key_aside_until_committed(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    create_root_key_file(path)
    old = path.read_bytes()
    fresh = fresh_root(FileSettings(path), rotation=True)
    assert path.read_bytes() == old and (tmp_path / "root.key.new").exists()
    record = fresh.root.wrap_kek(KEK)
    with pytest.raises(RootOfTrustError, match="interrupted"):  # the old key, with the new one pending
        FileRootOfTrust(path).unwrap_kek(record)
    fresh.commit()
    assert path.read_bytes() != old and not (tmp_path / "root.key.new").exists()
    assert FileRootOfTrust(path).unwrap_kek(record) == KEK
    with pytest.raises(RootConfigError, match="exists"):
        fresh_root(FileSettings(path), rotation=False)  # a migration never overwrites a key file
