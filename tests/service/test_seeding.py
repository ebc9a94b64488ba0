"""The core's seeding primitives: keys made with a given id and material (wrapped, checked for their spec), a
material check that accepts any encoding of the same key, and fixed ids for Transit keys and KMIP objects."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom.domain.keys import Key, KeyState
from strongroom.errors import (
    AlreadyExistsError,
    IncorrectKeyMaterialError,
    InvalidRequestError,
    MalformedPolicyError,
    UnsupportedError,
)
from strongroom.service.managed_objects import NewObject, ObjectKind

KEY_ID = "0b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a51"
OTHER_ID = "1b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a52"


def key(key_id: str = KEY_ID, **kw: object) -> Key:
    return Key(key_id=key_id, account_id="111122223333", region="us-east-1", created_at=0.0, **kw)  # type: ignore[arg-type]


def test_a_key_is_made_with_its_id_and_material_wrapped(core, ctx) -> None:  # type: ignore[no-untyped-def]
    made = core.seeding.create_key(key(), [bytes(32), None])
    assert made.current_version == 2 and core.keys.describe_key(ctx, KEY_ID).state is KeyState.ENABLED
    (first, second) = core._store.get_versions(KEY_ID)  # the test looks below the services, at what is stored
    assert bytes(32) not in first.wrapped_material
    assert core.seeding.same_material(made, 1, bytes(32))
    assert not core.seeding.same_material(made, 2, bytes(32))  # made fresh
    assert not core.seeding.same_material(made, 3, bytes(32))  # no such version
    with pytest.raises(InvalidRequestError, match="already exists"):
        core.seeding.create_key(key(), [None])


@pytest.mark.parametrize(("made", "materials", "error"), [
    (key("not-a-uuid"), [None], InvalidRequestError),
    (key(KEY_ID.upper()), [None], InvalidRequestError),
    (key(), [bytes(16)], IncorrectKeyMaterialError),
    (key(key_spec="HMAC_256", key_usage="GENERATE_VERIFY_MAC"), [None, None], UnsupportedError),
    (key(key_spec="HMAC_256", key_usage="GENERATE_VERIFY_MAC", rotation_period_days=365), [None], UnsupportedError),
    (key(origin="EXTERNAL"), [None], InvalidRequestError),
    (key(state=KeyState.PENDING_DELETION), [None], InvalidRequestError),
    (key(state=KeyState.ENABLED), [], InvalidRequestError),
    (key(policy='{"Statement": []}'), [None], MalformedPolicyError),
])
def test_what_the_api_would_refuse_is_refused(core, made: Key, materials: list[bytes | None],  # type: ignore[no-untyped-def]
                                              error: type[Exception]) -> None:
    with pytest.raises(error):
        core.seeding.create_key(made, materials)
    assert core.seeding.key(made.key_id) is None


def test_stored_material_is_compared_in_any_encoding_of_the_key(core) -> None:  # type: ignore[no-untyped-def]
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pkcs1 = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption())
    pkcs8 = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    made = core.seeding.create_key(key(key_spec="RSA_2048", key_usage="SIGN_VERIFY"), [pkcs1])
    assert core.seeding.same_material(made, 1, pkcs8)
    assert core.seeding.private_key_spec(pkcs1) == "RSA_2048"
    assert core.seeding.material(made, 1) == pkcs8


def test_an_update_cannot_change_what_a_key_is(core) -> None:  # type: ignore[no-untyped-def]
    made = core.seeding.create_key(key(), [None])
    assert core.seeding.update_key(made.evolve(description="d", state=KeyState.DISABLED)).state is KeyState.DISABLED
    with pytest.raises(InvalidRequestError, match="key_usage"):
        core.seeding.update_key(made.evolve(key_usage="SIGN_VERIFY"))


def test_aliases_and_grants_are_put_once(core) -> None:  # type: ignore[no-untyped-def]
    made = core.seeding.create_key(key(), [None])
    other = core.seeding.create_key(key(OTHER_ID), [None])
    assert core.seeding.put_alias("111122223333", "us-east-1", "alias/a", KEY_ID) is not None
    assert core.seeding.put_alias("111122223333", "us-east-1", "alias/a", KEY_ID) is None
    assert "moved" in core.seeding.put_alias("111122223333", "us-east-1", "alias/a", OTHER_ID)
    terms = {"grant_id": None, "name": "g", "grantee": "arn:aws:iam::111122223333:user/u", "operations": ["Encrypt"]}
    assert core.seeding.put_grant(made, **terms).endswith("created")
    assert core.seeding.put_grant(made, **terms) is None
    assert core.seeding.put_grant(made, **{**terms, "operations": ["Decrypt"]}).endswith("replaced")
    (grant,) = core.seeding.grants(made)
    assert grant.operations == ("Decrypt",)
    with pytest.raises(InvalidRequestError, match="belongs to another key"):
        core.seeding.put_grant(other, **{**terms, "grant_id": grant.grant_id})


def test_transit_keys_and_kmip_objects_take_a_fixed_id(core, ctx) -> None:  # type: ignore[no-untyped-def]
    named = core.named_keys.seed(ctx, "space", "orders", "AES_128", [bytes(16), None], key_id=KEY_ID)
    assert named.key.key_id == KEY_ID and named.latest_version == 2
    with pytest.raises(AlreadyExistsError):
        core.named_keys.seed(ctx, "space", "other", "AES_128", [None], key_id=KEY_ID)
    with pytest.raises(InvalidRequestError):
        core.named_keys.seed(ctx, "space", "other", "AES_128", [None], key_id="nope")
    made = core.managed_objects.register(ctx, ObjectKind.SECRET, b"s", NewObject(), object_id=OTHER_ID)
    assert made.object_id == OTHER_ID
    with pytest.raises(AlreadyExistsError):
        core.managed_objects.create_symmetric(ctx, "AES_128", NewObject(), object_id=OTHER_ID)
    with pytest.raises(InvalidRequestError):
        core.managed_objects.create_symmetric(ctx, "AES_128", NewObject(), object_id="nope")
