"""The pkcs11 root against a real SoftHSM2 token: the root key is generated inside the token, cannot leave it,
and every misconfiguration is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.trust import envelope
from strongroom.trust.base import RootOfTrustError
from strongroom.trust.factory import fresh_root, load_settings, open_auto_root
from strongroom.trust.pkcs11 import Pkcs11Settings, only_key_id
from tests.trust.softhsm import SoftHsm, make_token

KEK = bytes(range(32))


@pytest.fixture
def hsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsm:
    token = make_token(tmp_path / "hsm")
    monkeypatch.setenv("SOFTHSM2_CONF", str(token.conf))
    monkeypatch.delenv("STRONGROOM_PKCS11_PIN", raising=False)
    return token


def settings(hsm: SoftHsm, **overrides: str) -> Pkcs11Settings:
    table = {"library": str(hsm.library), "token_label": hsm.token_label, "pin": hsm.pin, **overrides}
    result = load_settings("pkcs11", table)
    assert isinstance(result, Pkcs11Settings)
    return result


def test_first_start_generates_a_non_extractable_key_and_wraps_inside_the_token(hsm: SoftHsm) -> None:
    import pkcs11
    from pkcs11 import Attribute

    root = open_auto_root(settings(hsm), None)
    record = root.wrap_kek(KEK)
    meta = envelope.unpack(record).meta
    assert meta["key_label"] == "strongroom-root" and KEK not in record
    assert open_auto_root(settings(hsm), meta).unwrap_kek(record) == KEK
    lib = pkcs11.lib(str(hsm.library))
    try:
        with lib.get_token(token_label=hsm.token_label).open(user_pin=hsm.pin) as session:
            key = session.get_key(label="strongroom-root")
            assert key[Attribute.EXTRACTABLE] is False and key[Attribute.SENSITIVE] is True
            assert key[Attribute.TOKEN] is True and key.id.hex() == meta["key_id"]
            with pytest.raises(pkcs11.exceptions.PKCS11Error):
                key[Attribute.VALUE]
    finally:
        lib.finalize()


def test_a_rotation_adds_a_key_and_the_record_says_which(hsm: SoftHsm) -> None:
    first = open_auto_root(settings(hsm), None)
    old = first.wrap_kek(KEK)
    fresh = fresh_root(settings(hsm), rotation=True, current=envelope.unpack(old).meta)
    new = fresh.root.wrap_kek(KEK)
    old_meta, new_meta = envelope.unpack(old).meta, envelope.unpack(new).meta
    assert old_meta["key_id"] != new_meta["key_id"] and old_meta["key_id"] in fresh.note
    assert open_auto_root(settings(hsm), new_meta).unwrap_kek(new) == KEK
    with pytest.raises(RootOfTrustError, match="does not unwrap"):  # a record swapped onto the other key
        open_auto_root(settings(hsm), new_meta).unwrap_kek(old)
    with pytest.raises(RootOfTrustError, match="2 keys labelled"):
        only_key_id(settings(hsm))


def test_wrong_pin_missing_token_and_missing_key_are_clear_errors(hsm: SoftHsm) -> None:
    record = open_auto_root(settings(hsm), None).wrap_kek(KEK)
    meta = envelope.unpack(record).meta
    with pytest.raises(RootOfTrustError, match="PIN for token 'strongroom' is wrong"):
        open_auto_root(settings(hsm, pin="000000"), meta).unwrap_kek(record)
    with pytest.raises(RootOfTrustError, match="token 'elsewhere' was not found"):
        open_auto_root(settings(hsm, token_label="elsewhere"), meta).unwrap_kek(record)
    with pytest.raises(RootOfTrustError, match="no key labelled 'strongroom-root' with id 00"):
        open_auto_root(settings(hsm), {**meta, "key_id": "00"}).unwrap_kek(record)
    with pytest.raises(RootOfTrustError, match="labelled 'strongroom-root', but key_label is 'other'"):
        open_auto_root(settings(hsm, key_label="other"), meta)
    assert open_auto_root(settings(hsm), meta).unwrap_kek(record) == KEK  # and the right settings still work
