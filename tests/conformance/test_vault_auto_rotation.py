"""Automatic rotation of Transit keys (``auto_rotate_period``), on the core's manual clock: a key is rotated, once,
before the first use or read after its period has passed since its latest version was made. (The hvac tests in
test_vault_transit.py show the same against a running server, with a backup whose latest version is old.)"""

from __future__ import annotations

from strongroom.domain.actions import Action
from strongroom.domain.clock import ManualClock
from strongroom.domain.context import RequestContext
from strongroom.service.core import Core
from strongroom.service.named_keys import AUTO_ROTATE_PERIOD

HOUR = 3600.0
SPACE = "mount-uuid"


def _versions(core: Core, ctx: RequestContext, name: str) -> list[int]:
    return sorted(core.named_keys.describe(ctx, SPACE, name).versions)


def test_a_key_rotates_once_its_period_has_passed(core: Core, ctx: RequestContext, clock: ManualClock) -> None:
    core.named_keys.create(ctx, SPACE, "k", "ECC_NIST_EDWARDS25519", attributes={AUTO_ROTATE_PERIOD: str(int(HOUR))})
    clock.advance(HOUR - 1)
    assert core.named_keys.use(ctx, SPACE, "k", Action.SIGN).version == 1
    clock.advance(1)
    use = core.named_keys.use(ctx, SPACE, "k", Action.SIGN)
    assert use.version == 2 and use.material.key_spec == "ECC_NIST_EDWARDS25519"
    assert use.material.sign(b"m") != core.named_keys.use(ctx, SPACE, "k", Action.SIGN, 1).material.sign(b"m")
    clock.advance(10 * HOUR)  # ten periods unused: one rotation, not ten
    assert _versions(core, ctx, "k") == [1, 2, 3]
    assert _versions(core, ctx, "k") == [1, 2, 3]
    assert core.rotation_counts().get("AUTOMATIC") == 2


def test_no_period_no_rotation(core: Core, ctx: RequestContext, clock: ManualClock) -> None:
    core.named_keys.create(ctx, SPACE, "plain", "HMAC", key_size=64)
    core.named_keys.create(ctx, SPACE, "off", "AES_128", attributes={AUTO_ROTATE_PERIOD: "0"})
    clock.advance(1000 * HOUR)
    assert _versions(core, ctx, "plain") == _versions(core, ctx, "off") == [1]


def test_a_rotated_key_keeps_its_spec_size_and_window(core: Core, ctx: RequestContext, clock: ManualClock) -> None:
    core.named_keys.create(ctx, SPACE, "h", "HMAC", key_size=48,
                           attributes={AUTO_ROTATE_PERIOD: str(int(HOUR)), "core.key_size": "48"})
    core.named_keys.configure(ctx, SPACE, "h", min_encryption_version=1)
    clock.advance(HOUR)
    key = core.named_keys.use(ctx, SPACE, "h", Action.GENERATE_MAC)
    assert key.version == 2 and key.key.min_encryption_version == 1
    assert len(key.material.export("hmac-key")) == len(core.named_keys.use(
        ctx, SPACE, "h", Action.GENERATE_MAC, 1).material.export("hmac-key"))


def test_the_scheduler_rotates_keys_nobody_uses(core: Core, ctx: RequestContext, clock: ManualClock) -> None:
    made = core.named_keys.create(ctx, SPACE, "idle", "AES_128", attributes={AUTO_ROTATE_PERIOD: str(int(HOUR))})
    aws_key = core.keys.create_key(ctx)
    clock.advance(HOUR - 1)
    assert made.key.key_id not in core.rotation.run_due().rotated
    clock.advance(1)
    assert core.rotation.run_due().rotated == [made.key.key_id]
    assert _versions(core, ctx, "idle") == [1, 2]
    assert core.named_keys.use(ctx, SPACE, "idle", Action.ENCRYPT).material.key_spec == "AES_128"
    assert core.rotation.run_due().rotated == []  # next one due a period after version 2
    clock.advance(HOUR)
    assert core.rotation.run_due().rotated == [made.key.key_id]
    assert core.keys.describe_key(ctx, aws_key.key_id).current_version == 1  # no period: untouched


def test_a_period_set_later_or_removed_is_scheduled(core: Core, ctx: RequestContext, clock: ManualClock) -> None:
    made = core.named_keys.create(ctx, SPACE, "late", "SYMMETRIC_DEFAULT")
    core.named_keys.configure(ctx, SPACE, "late", attributes={AUTO_ROTATE_PERIOD: str(int(HOUR))})
    clock.advance(HOUR)
    assert core.rotation.run_due().rotated == [made.key.key_id]
    core.named_keys.configure(ctx, SPACE, "late", attributes={AUTO_ROTATE_PERIOD: "0"})
    clock.advance(10 * HOUR)
    assert core.rotation.run_due().rotated == []
    assert _versions(core, ctx, "late") == [1, 2]
