"""Applying a seed file through the core: everything it describes is in place, a second application changes
nothing, drift is put back, stored material is never replaced, and a refused file leaves the store as it was."""

from __future__ import annotations

import base64
import json

import pytest

from strongroom.domain.context import Caller, RequestContext
from strongroom.domain.keys import KeyState
from strongroom.domain.references import KeyRef
from strongroom.errors import AccessDeniedError, DisabledError
from strongroom.seed import ApplyOptions, SeedError, apply_seed, parse_seed
from strongroom.service.managed_objects import ObjectKind
from strongroom.service.object_lifecycle import Lifecycle
from tests.seed.outside import ACCOUNT, KEY_ID, NEW_MATERIAL, OLD_MATERIAL, outside_ciphertext
from tests.seed.sample import (
    AES_OBJECT,
    CI_ARN,
    EXTERNAL_ID,
    HMAC_ID,
    POLICY,
    SECRET_OBJECT,
    SEED,
    SIGNING_ID,
)

OPTIONS = ApplyOptions(default_account=ACCOUNT, allow_material=True)


def edited(old: str, new: str) -> str:
    assert old in SEED, old
    return SEED.replace(old, new)


def seeded(core, text: str = SEED, options: ApplyOptions = OPTIONS) -> list[str]:  # type: ignore[no-untyped-def]
    return apply_seed(core, parse_seed(text, "keys.yaml"), options).changes


def as_user(user: str) -> RequestContext:
    return RequestContext(Caller(ACCOUNT, "AKIASEEDEDCI0000001", f"arn:aws:iam::{ACCOUNT}:user/{user}", user),
                          "us-east-1")


def test_everything_described_is_in_place(core, ctx) -> None:  # type: ignore[no-untyped-def]
    changes = seeded(core)
    assert len(changes) == 13, changes
    key = core.keys.describe_key(ctx, KEY_ID)
    assert (key.description, key.tags, key.current_version, key.state) == ("orders", {"team": "payments"}, 2,
                                                                          KeyState.ENABLED)
    assert json.loads(core.keys.get_key_policy(ctx, KEY_ID, None)) == POLICY
    assert core.keys.describe_key(ctx, KeyRef(alias="alias/orders")).key_id == KEY_ID
    old = outside_ciphertext(KEY_ID, 1, OLD_MATERIAL, b"old secret")
    assert core.crypto.decrypt(ctx, old).plaintext == b"old secret"
    assert core.keys.describe_key(ctx, HMAC_ID).state is KeyState.DISABLED
    signing = core.keys.describe_key(ctx, SIGNING_ID)
    assert signing.state is KeyState.PENDING_DELETION and signing.pending_window_days == 7
    assert signing.deletion_date == core.clock.now() + 7 * 86400
    assert core.keys.describe_key(ctx, EXTERNAL_ID).state is KeyState.PENDING_IMPORT
    # the user, its access key and what the policy and the grant give it
    access = core.credentials.lookup("AKIASEEDEDCI0000001")
    assert access is not None and access.secret_access_key == "seeded/secret/of/ci/000000000000000000"
    ci = as_user("ci")
    blob = core.crypto.encrypt(ci, KEY_ID, b"by ci").ciphertext  # the key policy
    assert core.crypto.decrypt(ci, blob).plaintext == b"by ci"  # the grant
    with pytest.raises(AccessDeniedError):
        core.keys.disable_key(ci, KEY_ID)


def test_a_second_application_changes_nothing(core) -> None:  # type: ignore[no-untyped-def]
    seeded(core)
    assert seeded(core) == []


def test_drift_is_put_back_and_rotated_versions_are_kept(core, ctx) -> None:  # type: ignore[no-untyped-def]
    seeded(core)
    core.keys.disable_key(ctx, KEY_ID)
    core.keys.tag_resource(ctx, KEY_ID, [("extra", "1")])
    core.keys.update_key_description(ctx, KEY_ID, "changed")
    core.keys.enable_key(ctx, HMAC_ID)
    core.keys.cancel_key_deletion(ctx, SIGNING_ID)
    core.keys.enable_key(ctx, KEY_ID)
    core.rotation.rotate_key_on_demand(ctx, KEY_ID)
    core.keys.disable_key(ctx, KEY_ID)
    changes = seeded(core)
    assert sorted(changes) == sorted([
        f"key {KEY_ID}: description, tags, state set",
        f"key {HMAC_ID}: state set",
        f"key {SIGNING_ID}: state, pending_window_days set",
    ])
    key = core.keys.describe_key(ctx, KEY_ID)
    assert (key.state, key.description, key.tags) == (KeyState.ENABLED, "orders", {"team": "payments"})
    assert key.current_version == 3  # the rotation made since is kept
    assert core.keys.describe_key(ctx, HMAC_ID).state is KeyState.DISABLED
    assert core.keys.describe_key(ctx, SIGNING_ID).state is KeyState.PENDING_DELETION
    assert seeded(core) == []


def test_versions_added_to_the_file_are_added_and_old_ciphertexts_still_open(core, ctx) -> None:  # type: ignore[no-untyped-def]
    seeded(core)
    kept = core.crypto.encrypt(ctx, KEY_ID, b"made before").ciphertext
    third = bytes(range(64, 96))
    longer = edited(f"      - material: {NEW_MATERIAL.hex()}\n",
                    f"      - material: {NEW_MATERIAL.hex()}\n      - material: {third.hex()}\n")
    assert seeded(core, longer)[0] == f"key {KEY_ID}: 1 version added"
    assert core.keys.describe_key(ctx, KEY_ID).current_version == 3
    assert core.crypto.decrypt(ctx, kept).plaintext == b"made before"
    made_outside = outside_ciphertext(KEY_ID, 3, third, b"with the third")
    assert core.crypto.decrypt(ctx, made_outside).plaintext == b"with the third"


def test_other_material_for_a_stored_version_is_refused_with_its_line(core) -> None:  # type: ignore[no-untyped-def]
    seeded(core)
    other = edited(f"material: {NEW_MATERIAL.hex()}", f"material: {bytes(32).hex()}")
    with pytest.raises(SeedError) as caught:
        seeded(core, other)
    (problem,) = caught.value.problems
    assert problem.line == 16
    assert f"version 2 of key {KEY_ID} holds other material" in problem.message


def test_a_refused_file_changes_nothing_at_all(core, ctx) -> None:  # type: ignore[no-untyped-def]
    broken = edited("    spec: HMAC_256\n    state: Disabled\n",
                    "    spec: HMAC_256\n    state: Disabled\n    versions: 2\n")
    with pytest.raises(SeedError, match="keys.yaml:21: key .*: HMAC_256 keys have one key material for life"):
        seeded(core, broken)
    assert core.principals.list_accounts() == []
    assert core.seeding.key(KEY_ID) is None
    assert core.credentials.lookup("AKIASEEDEDCI0000001") is None
    assert seeded(core) != []  # and the store is usable afterwards


def test_a_key_that_exists_with_another_spec_is_refused(core, ctx) -> None:  # type: ignore[no-untyped-def]
    seeded(core)
    with pytest.raises(SeedError, match=f"key {HMAC_ID} exists with spec HMAC_256, not HMAC_512"):
        seeded(core, edited("spec: HMAC_256", "spec: HMAC_512"))


def test_access_keys_are_replaced_when_their_secret_or_owner_differs(core) -> None:  # type: ignore[no-untyped-def]
    seeded(core)
    other = edited("seeded/secret/of/ci/000000000000000000", "another/secret/of/ci/00000000000000000")
    assert seeded(core, other) == [f"access key AKIASEEDEDCI0000001 replaced for {CI_ARN}"]
    found = core.credentials.lookup("AKIASEEDEDCI0000001")
    assert found is not None and found.secret_access_key == "another/secret/of/ci/00000000000000000"


def test_an_access_key_without_a_secret_gets_one_reported_once(core) -> None:  # type: ignore[no-untyped-def]
    text = f"accounts:\n  - id: '{ACCOUNT}'\n    access_keys: [{{id: AKIASEEDEDROOT00001}}]\n"
    report = apply_seed(core, parse_seed(text, "keys.yaml"), OPTIONS)
    secret = report.generated_secrets["AKIASEEDEDROOT00001"]
    found = core.credentials.lookup("AKIASEEDEDROOT00001")
    assert found is not None and found.secret_access_key == secret
    assert secret not in repr(report)
    assert apply_seed(core, parse_seed(text, "keys.yaml"), OPTIONS).changes == []  # the secret made is kept


def test_material_is_refused_unless_allowed(core) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SeedError, match="--allow-seeded-material"):
        seeded(core, options=ApplyOptions(default_account=ACCOUNT))
    assert core.seeding.key(KEY_ID) is None


def test_an_entry_with_no_account_is_refused_when_there_is_no_default(core) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SeedError, match="keys.yaml:2: no account for this entry"):
        seeded(core, f"keys:\n  - id: {KEY_ID}\n    spec: SYMMETRIC_DEFAULT\n", ApplyOptions())


def test_transit_keys_get_their_mount_versions_and_settings(core) -> None:  # type: ignore[no-untyped-def]
    seeded(core)
    mount = next(m for m in core.mounts.all(ACCOUNT) if m.path == "transit/")
    root = RequestContext(Caller(ACCOUNT, "seed", f"arn:aws:iam::{ACCOUNT}:root"), "us-east-1")
    named = core.named_keys.describe(root, mount.uuid, "orders")
    assert named.key.key_id == "6b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a57" and named.latest_version == 2
    assert named.key.exportable and named.key.attributes["vault.type"] == "aes256-gcm96"
    assert core.named_keys.export(root, mount.uuid, "orders", "encryption-key", 1)[1] == \
        base64.b64encode(OLD_MATERIAL).decode()
    changed = seeded(core, edited("    exportable: true\n", "    exportable: true\n    deletion_allowed: true\n"
                                  "    min_decryption_version: 2\n"))
    assert changed == ["transit key transit/orders: deletion_allowed set",
                       "transit key transit/orders: version window set (decryption from 2, encryption from any)"]
    with pytest.raises(SeedError, match="is exportable, which cannot be undone"):
        seeded(core, edited("    exportable: true\n", ""))


def test_kmip_objects_keep_their_id_name_and_lifecycle(core, ctx) -> None:  # type: ignore[no-untyped-def]
    seeded(core)
    aes = core.managed_objects.get(ctx, AES_OBJECT)
    assert aes.kind is ObjectKind.SYMMETRIC_KEY and aes.state is Lifecycle.ACTIVE
    assert core.object_use.export(ctx, AES_OBJECT).material == OLD_MATERIAL
    assert core.crypto.decrypt(ctx, outside_ciphertext(AES_OBJECT, 1, OLD_MATERIAL, b"csfle")).plaintext == b"csfle"
    secret = core.managed_objects.get(ctx, SECRET_OBJECT)
    assert secret.state is Lifecycle.PRE_ACTIVE
    assert secret.attributes["kmip.obj:secret_data_type"] == "1"  # PASSWORD
    assert any(k.startswith("kmip.attr:Name") for k in aes.attributes)
    activated = edited("    state: pre-active\n", "")
    assert seeded(core, activated) == [f"KMIP object {SECRET_OBJECT}: pre-active → active"]
    with pytest.raises(SeedError, match="a lifecycle only moves forward"):
        seeded(core)
    renamed = activated.replace("name: mongo-master", "name: other")
    assert seeded(core, renamed) == [f"KMIP object {AES_OBJECT}: name and secret type set"]


def test_a_disabled_seeded_key_refuses_use(core, ctx) -> None:  # type: ignore[no-untyped-def]
    seeded(core)
    with pytest.raises(DisabledError):
        core.mac.generate_mac(ctx, HMAC_ID, b"m", "HMAC_SHA_256")


def test_seeded_material_is_wrapped_at_rest_and_never_logged(core, data_dir, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level("DEBUG")
    changes = seeded(core)
    core.close()
    stored = b"".join(path.read_bytes() for path in data_dir.iterdir() if path.name.startswith("strongroom.db"))
    assert b"p4ssw0rd" not in stored
    for material in (OLD_MATERIAL, NEW_MATERIAL):
        assert material not in stored and material.hex().encode() not in stored
        assert material.hex() not in caplog.text and material.hex() not in "".join(changes)


def test_every_entry_advances_the_progress_once(core) -> None:  # type: ignore[no-untyped-def]
    from strongroom.seed import entry_count

    seed = parse_seed(SEED, "keys.yaml")
    ticks: list[None] = []
    apply_seed(core, seed, OPTIONS, lambda: ticks.append(None))
    assert len(ticks) == entry_count(seed) > 3
