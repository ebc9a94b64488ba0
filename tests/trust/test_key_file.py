import os

import pytest

from strongroom.errors import SealedError
from strongroom.trust.key_file import FileRootOfTrust, RootKeyFileError, create_root_key_file


def test_created_with_owner_only_mode(tmp_path):
    path = tmp_path / "root.key"
    create_root_key_file(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    root = FileRootOfTrust(path)
    assert root.unwrap_kek(root.wrap_kek(b"k" * 32)) == b"k" * 32


def test_never_overwritten(tmp_path):
    path = tmp_path / "root.key"
    create_root_key_file(path)
    with pytest.raises(FileExistsError):
        create_root_key_file(path)


def test_refused_when_others_can_read(tmp_path):
    path = tmp_path / "root.key"
    create_root_key_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(RootKeyFileError, match="chmod 600"):
        FileRootOfTrust(path)


def test_missing_or_garbage(tmp_path):
    with pytest.raises(RootKeyFileError, match="does not exist"):
        FileRootOfTrust(tmp_path / "nope")
    path = tmp_path / "bad.key"
    path.write_text("not a key")
    os.chmod(path, 0o600)
    with pytest.raises(RootKeyFileError, match="32-byte"):
        FileRootOfTrust(path)


def test_another_root_cannot_unwrap(tmp_path):
    create_root_key_file(tmp_path / "a")
    create_root_key_file(tmp_path / "b")
    wrapped = FileRootOfTrust(tmp_path / "a").wrap_kek(b"k" * 32)
    with pytest.raises(SealedError):
        FileRootOfTrust(tmp_path / "b").unwrap_kek(wrapped)
