"""One version of a key can be disabled: every use of that version is refused, the key's other versions keep
working, and enabling it again restores it."""

import pytest

from strongroom.domain.actions import Action
from strongroom.domain.context import Caller, RequestContext
from strongroom.domain.keys import KeyState
from strongroom.errors import AccessDeniedError, KeyStateError, NotFoundError
from tests.conftest import REGION


def test_a_disabled_version_is_refused_and_the_others_are_not(core, ctx):
    key = core.keys.create_key(ctx)
    old = core.crypto.encrypt(ctx, key.key_id, b"old").ciphertext
    core.rotation.rotate_key_on_demand(ctx, key.key_id)
    new = core.crypto.encrypt(ctx, key.key_id, b"new").ciphertext
    assert core.crypto.decrypt(ctx, old).plaintext == b"old"  # version 1 unwrapped and cached

    shown = core.keys.set_version_enabled(ctx, key.key_id, 1, False)
    assert shown.version == 1 and not shown.enabled
    with pytest.raises(KeyStateError):
        core.crypto.decrypt(ctx, old)
    assert core.crypto.decrypt(ctx, new).plaintext == b"new"
    assert core.keys.describe_key(ctx, key.key_id).state is KeyState.ENABLED

    core.keys.set_version_enabled(ctx, key.key_id, 1, True)
    assert core.crypto.decrypt(ctx, old).plaintext == b"old"


def test_disabling_the_current_version_stops_encryption(core, ctx):
    key = core.keys.create_key(ctx)
    core.keys.set_version_enabled(ctx, key.key_id, 1, False)
    with pytest.raises(KeyStateError):
        core.crypto.encrypt(ctx, key.key_id, b"x")


def test_unknown_versions_and_callers_without_permission_are_refused(core, ctx):
    key = core.keys.create_key(ctx)
    with pytest.raises(NotFoundError):
        core.keys.set_version_enabled(ctx, key.key_id, 7, False)
    account = ctx.caller.account_id
    core.principals.create_user(account, "mallory")
    mallory = RequestContext(Caller(account, "AKIAX", f"arn:aws:iam::{account}:user/mallory", "mallory"), REGION)
    with pytest.raises(AccessDeniedError):  # the default key policy leaves users to identity policies: none
        core.keys.set_version_enabled(mallory, key.key_id, 1, False)


def test_a_disabled_version_of_a_named_key_is_refused_too(core, ctx):
    created = core.named_keys.create(ctx, "ns", "orders", "SYMMETRIC_DEFAULT")
    first = core.named_keys.use(ctx, "ns", "orders", Action.ENCRYPT)
    sealed = first.material.encrypt(b"secret")
    core.keys.set_version_enabled(ctx, created.key.key_id, 1, False)
    with pytest.raises(KeyStateError):
        core.named_keys.use(ctx, "ns", "orders", Action.DECRYPT, 1, opening=True)
    core.keys.set_version_enabled(ctx, created.key.key_id, 1, True)
    again = core.named_keys.use(ctx, "ns", "orders", Action.DECRYPT, 1, opening=True)
    assert again.material.decrypt(sealed) == b"secret"
