"""The core's key semantics, in process, over a real SQLite file and a manual clock."""

import pytest

from strongroom.domain.keys import DAY_SECONDS, KeyState
from strongroom.domain.references import KeyRef
from strongroom.errors import (
    DisabledError,
    InvalidCiphertextError,
    InvalidRequestError,
    KeyStateError,
    NotFoundError,
    UnsupportedError,
)
from strongroom.protocols.aws.key_ids import key_ref
from tests.conftest import make_ctx


def test_create_and_describe(core, ctx):
    key = core.keys.create_key(ctx, description="orders", tags=[("team", "a")])
    found = core.keys.describe_key(ctx, key_ref(key.arn))
    assert found.state is KeyState.ENABLED and found.description == "orders" and found.tags == {"team": "a"}
    assert found.arn == f"arn:aws:kms:us-east-1:111122223333:key/{key.key_id}"


def test_unsupported_specs_say_why(core, ctx):
    with pytest.raises(UnsupportedError, match="SM2 is an AWS China Regions key spec"):
        core.keys.create_key(ctx, key_spec="SM2", key_usage="SIGN_VERIFY")
    with pytest.raises(UnsupportedError, match="ML_KEM_512 is not provided by the installed pyca/cryptography"):
        core.keys.create_key(ctx, key_spec="ML_KEM_512", key_usage="ENCAPSULATE_DECAPSULATE")
    with pytest.raises(InvalidRequestError, match="KeyUsage SIGN_VERIFY is not compatible with KeySpec HMAC_256"):
        core.keys.create_key(ctx, key_spec="HMAC_256", key_usage="SIGN_VERIFY")


def test_keys_are_scoped_to_account_and_region(core, ctx):
    from strongroom.errors import AccessDeniedError

    key = core.keys.create_key(ctx)
    blob = core.crypto.encrypt(ctx, key.key_id, b"x").ciphertext
    other_region, other_account = make_ctx(region="eu-west-1"), make_ctx(account="999988887777")
    for other in (other_region, other_account):
        with pytest.raises(NotFoundError):
            core.keys.describe_key(other, key.key_id)  # a bare key id means a key of the caller's account
    with pytest.raises(InvalidCiphertextError):
        core.crypto.decrypt(other_region, blob)
    with pytest.raises(AccessDeniedError):  # the default key policy trusts only its own account
        core.crypto.decrypt(other_account, blob)
    with pytest.raises(AccessDeniedError):
        core.keys.describe_key(other_account, key_ref(key.arn))


def test_disabled_key_refuses_crypto_and_comes_back(core, ctx):
    key = core.keys.create_key(ctx)
    blob = core.crypto.encrypt(ctx, key.key_id, b"x").ciphertext
    core.keys.disable_key(ctx, key.key_id)
    with pytest.raises(DisabledError):
        core.crypto.encrypt(ctx, key.key_id, b"x")
    with pytest.raises(DisabledError):
        core.crypto.decrypt(ctx, blob)
    core.keys.enable_key(ctx, key.key_id)
    assert core.crypto.decrypt(ctx, blob).plaintext == b"x"


def test_deletion_window_is_enforced_and_keys_really_go(core, ctx, clock):
    key = core.keys.create_key(ctx)
    core.aliases.create_alias(ctx, "alias/doomed", key.key_id)
    for days in (6, 31):
        with pytest.raises(InvalidRequestError):
            core.keys.schedule_key_deletion(ctx, key.key_id, days)
    scheduled = core.keys.schedule_key_deletion(ctx, key.key_id, 7)
    assert scheduled.deletion_date == clock.now() + 7 * DAY_SECONDS
    with pytest.raises(KeyStateError):
        core.crypto.encrypt(ctx, key.key_id, b"x")
    with pytest.raises(KeyStateError):
        core.keys.enable_key(ctx, key.key_id)
    clock.advance(7 * DAY_SECONDS - 1)
    assert core.rotation.run_due().deleted == []
    clock.advance(1)
    assert core.rotation.run_due().deleted == [key.key_id]
    with pytest.raises(NotFoundError):
        core.keys.describe_key(ctx, key.key_id)
    with pytest.raises(NotFoundError):
        core.keys.describe_key(ctx, KeyRef(alias="alias/doomed"))


def test_cancel_deletion_leaves_key_disabled(core, ctx, clock):
    key = core.keys.create_key(ctx)
    core.keys.schedule_key_deletion(ctx, key.key_id, None)
    assert core.keys.describe_key(ctx, key.key_id).pending_window_days == 30
    cancelled = core.keys.cancel_key_deletion(ctx, key.key_id)
    assert cancelled.state is KeyState.DISABLED and cancelled.deletion_date is None
    clock.advance(31 * DAY_SECONDS)
    assert core.rotation.run_due().deleted == []
    with pytest.raises(KeyStateError):
        core.keys.cancel_key_deletion(ctx, key.key_id)


def test_list_keys_pages_cover_every_key_once(core, ctx):
    made = {core.keys.create_key(ctx).key_id for _ in range(7)}
    seen, marker = [], None
    while True:
        page = core.keys.list_keys(ctx, 3, marker)
        seen += [k.key_id for k in page.items]
        if not page.truncated:
            break
        marker = page.next_marker
    assert sorted(seen) == sorted(made)


def test_tags_rules(core, ctx):
    from strongroom.errors import TagError

    key = core.keys.create_key(ctx)
    with pytest.raises(TagError):
        core.keys.tag_resource(ctx, key.key_id, [("aws:owner", "x")])
    core.keys.tag_resource(ctx, key.key_id, [("a", "1"), ("b", "2")])
    core.keys.untag_resource(ctx, key.key_id, ["a"])
    assert list(core.keys.list_resource_tags(ctx, key.key_id, None, None).items) == [("b", "2")]
    with pytest.raises(TagError):
        core.keys.tag_resource(ctx, key.key_id, [(f"t{i}", "v") for i in range(50)])


def test_dry_run_checks_but_does_nothing(core, ctx):
    from strongroom.errors import WouldSucceed

    key = core.keys.create_key(ctx)
    blob = core.crypto.encrypt(ctx, key.key_id, b"x").ciphertext
    with pytest.raises(WouldSucceed):
        core.crypto.encrypt(ctx, key.key_id, b"x", check_only=True)
    with pytest.raises(WouldSucceed):
        core.crypto.decrypt(ctx, blob, check_only=True)
    with pytest.raises(InvalidCiphertextError):  # a dry run still checks the ciphertext
        core.crypto.decrypt(ctx, blob[:-1] + bytes([blob[-1] ^ 1]), check_only=True)
    with pytest.raises(WouldSucceed):
        core.crypto.decrypt(ctx, b"junk", key_ref=key.key_id, check_only=True, ignore_ciphertext=True)
    core.keys.disable_key(ctx, key.key_id)
    with pytest.raises(DisabledError):  # a dry run that would fail says why
        core.crypto.generate_data_key(ctx, key.key_id, key_spec="AES_256", check_only=True)
