"""The dev account of a data directory is the same on every start, however the first start chose it."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.server.dev import ensure_dev_account
from tests.conftest import open_core


def test_a_dev_account_chosen_by_variable_is_kept_on_later_starts(data_dir: Path, clock,  # type: ignore[no-untyped-def]
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRONGROOM_DEV_ACCOUNT_ID", "444455556666")
    core = open_core(data_dir, clock)
    try:
        first = ensure_dev_account(core, data_dir)
    finally:
        core.close()
    monkeypatch.delenv("STRONGROOM_DEV_ACCOUNT_ID")
    core = open_core(data_dir, clock)
    try:
        again = ensure_dev_account(core, data_dir)
    finally:
        core.close()
    assert first.account_id == again.account_id == "444455556666"
    assert again.access_key_id == first.access_key_id
