import pytest

from strongroom.domain.keys import DAY_SECONDS
from strongroom.errors import InvalidRequestError, LimitExceededError


def test_automatic_rotation_makes_new_material_when_due(core, ctx, clock):
    key = core.keys.create_key(ctx)
    old_blob = core.crypto.encrypt(ctx, key.key_id, b"old").ciphertext
    with pytest.raises(InvalidRequestError):
        core.rotation.enable_key_rotation(ctx, key.key_id, 89)
    core.rotation.enable_key_rotation(ctx, key.key_id, 90)
    clock.advance(89 * DAY_SECONDS)
    assert core.rotation.run_due().rotated == []
    clock.advance(DAY_SECONDS)
    assert core.rotation.run_due().rotated == [key.key_id]
    rotated = core.keys.describe_key(ctx, key.key_id)
    assert rotated.current_version == 2
    assert rotated.next_rotation_at == clock.now() + 90 * DAY_SECONDS
    new = core.crypto.encrypt(ctx, key.key_id, b"new")
    assert new.material_id != core.crypto.decrypt(ctx, old_blob).material_id
    assert core.crypto.decrypt(ctx, old_blob).plaintext == b"old"
    rotations = core.rotation.list_key_rotations(ctx, key.key_id, False, None, None).items
    assert [(r.version, r.rotation_type) for r in rotations] == [(2, "AUTOMATIC")]


def test_on_demand_rotation_limit_and_old_ciphertexts(core, ctx):
    key = core.keys.create_key(ctx)
    blobs = []
    for i in range(25):
        blobs.append(core.crypto.encrypt(ctx, key.key_id, bytes([i])).ciphertext)
        core.rotation.rotate_key_on_demand(ctx, key.key_id)
    with pytest.raises(LimitExceededError):
        core.rotation.rotate_key_on_demand(ctx, key.key_id)
    assert [core.crypto.decrypt(ctx, b).plaintext for b in blobs] == [bytes([i]) for i in range(25)]
    assert len({core.crypto.decrypt(ctx, b).material_id for b in blobs}) == 25
    everything = core.rotation.list_key_rotations(ctx, key.key_id, True, 10, None)
    assert everything.truncated and len(everything.items) == 10
    assert everything.items[0].rotation_type is None


def test_rotation_does_not_touch_disabled_keys(core, ctx, clock):
    key = core.keys.create_key(ctx)
    core.rotation.enable_key_rotation(ctx, key.key_id, 90)
    core.keys.disable_key(ctx, key.key_id)
    clock.advance(100 * DAY_SECONDS)
    assert core.rotation.run_due().rotated == []
