"""RSA keys made ahead (off the event loop) are used once each, and only RSA specs are made ahead."""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from strongroom.crypto import keygen
from strongroom.service.core import Core
from strongroom.trust.key_file import FileRootOfTrust


def test_a_key_made_ahead_is_used_by_the_next_request_of_its_size_and_only_once(core, ctx) -> None:
    Core.make_key_ahead("RSA_2048")
    made = keygen._RSA_MADE_AHEAD[2048][-1]
    first = core.keys.create_key(ctx, key_usage="SIGN_VERIFY", key_spec="RSA_2048")
    second = core.keys.create_key(ctx, key_usage="SIGN_VERIFY", key_spec="RSA_2048")
    public = [core.asymmetric.get_public_key(ctx, k.key_id).der for k in (first, second)]
    ahead = made.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert public[0] == ahead and public[1] != ahead  # made ahead, then made on the spot


def test_other_specs_are_not_made_ahead() -> None:
    before = {bits: len(keys) for bits, keys in keygen._RSA_MADE_AHEAD.items()}
    for spec in ("RSA_1024", "RSA_999999", "ECC_NIST_P256", "SYMMETRIC_DEFAULT"):
        Core.make_key_ahead(spec)
    assert {bits: len(keys) for bits, keys in keygen._RSA_MADE_AHEAD.items()} == before


def test_keys_nobody_uses_stop_being_made(monkeypatch) -> None:
    monkeypatch.setattr(keygen, "_MAX_AHEAD", 2)
    monkeypatch.setattr(keygen, "_RSA_MADE_AHEAD", {})
    for _ in range(5):  # as if five requests were refused after their keys were made
        Core.make_key_ahead("RSA_2048")
    assert len(keygen._RSA_MADE_AHEAD[2048]) == 2


def test_sealing_drops_the_keys_made_ahead(core, ctx, data_dir, monkeypatch) -> None:
    monkeypatch.setattr(keygen, "_RSA_MADE_AHEAD", {})
    Core.make_key_ahead("RSA_2048")
    made = keygen._RSA_MADE_AHEAD[2048][-1]
    core.seal()
    assert keygen._RSA_MADE_AHEAD == {}
    core.unseal(FileRootOfTrust(data_dir / "root.key"))
    key = core.keys.create_key(ctx, key_usage="SIGN_VERIFY", key_spec="RSA_2048")
    ahead = made.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert core.asymmetric.get_public_key(ctx, key.key_id).der != ahead
