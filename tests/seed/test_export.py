"""``seed export`` writes a file that ``seed apply`` takes and reproduces: the same ids, states and settings (and,
with material, the same keys, so ciphertexts of the first store open in the second)."""

from __future__ import annotations

from pathlib import Path

from strongroom.seed import ApplyOptions, apply_seed, export_seed, parse_seed
from strongroom.trust.key_file import create_root_key_file
from tests.conftest import open_core
from tests.seed.outside import KEY_ID, NEW_MATERIAL, OLD_MATERIAL, outside_ciphertext
from tests.seed.sample import AES_OBJECT, SEED

OPTIONS = ApplyOptions(default_account="111122223333", allow_material=True)


def fresh_core(tmp_path: Path, name: str, clock):  # type: ignore[no-untyped-def]
    directory = tmp_path / name
    directory.mkdir()
    create_root_key_file(directory / "root.key")
    return open_core(directory, clock)


def test_an_export_applies_to_its_own_store_with_no_change(core, ctx) -> None:  # type: ignore[no-untyped-def]
    apply_seed(core, parse_seed(SEED, "keys.yaml"), OPTIONS)
    core.rotation.rotate_key_on_demand(ctx, KEY_ID)
    for include_material in (False, True):
        exported = export_seed(core, include_material=include_material)
        assert apply_seed(core, parse_seed(exported.text, "export.yaml"), OPTIONS).changes == []


def test_an_export_without_material_reproduces_the_store_but_its_material(core, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    apply_seed(core, parse_seed(SEED, "keys.yaml"), OPTIONS)
    exported = export_seed(core)
    assert OLD_MATERIAL.hex() not in exported.text and "seeded/secret/of/ci" not in exported.text
    other = fresh_core(tmp_path, "other", clock)
    try:
        report = apply_seed(other, parse_seed(exported.text, "export.yaml"), ApplyOptions())
        assert set(report.generated_secrets) == {"AKIASEEDEDCI0000001"}
        assert export_seed(other).text == exported.text
        assert other.seeding.key(KEY_ID).current_version == 2  # type: ignore[union-attr]
        assert not other.seeding.same_material(other.seeding.key(KEY_ID), 1, OLD_MATERIAL)  # type: ignore[arg-type]
    finally:
        other.close()


def test_an_export_with_material_reproduces_the_keys_themselves(core, ctx, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    apply_seed(core, parse_seed(SEED, "keys.yaml"), OPTIONS)
    kept = core.crypto.encrypt(ctx, KEY_ID, b"made in the first store").ciphertext
    exported = export_seed(core, include_material=True)
    assert "It holds key material and secrets in the clear" in exported.text
    other = fresh_core(tmp_path, "other", clock)
    try:
        apply_seed(other, parse_seed(exported.text, "export.yaml"), OPTIONS)
        assert other.crypto.decrypt(ctx, kept).plaintext == b"made in the first store"
        old = outside_ciphertext(KEY_ID, 1, OLD_MATERIAL, b"old")
        assert other.crypto.decrypt(ctx, old).plaintext == b"old"
        assert other.object_use.export(ctx, AES_OBJECT).material == OLD_MATERIAL
        access = other.credentials.lookup("AKIASEEDEDCI0000001")
        assert access is not None and access.secret_access_key == "seeded/secret/of/ci/000000000000000000"
        assert export_seed(other, include_material=True).text == exported.text
        assert other.seeding.same_material(other.seeding.key(KEY_ID), 2, NEW_MATERIAL)  # type: ignore[arg-type]
    finally:
        other.close()


def test_what_a_seed_cannot_hold_is_left_out_with_a_note(core) -> None:  # type: ignore[no-untyped-def]
    core.credentials.create("111122223333", session_seconds=900)
    exported = export_seed(core)
    assert len(exported.notes) == 1 and "temporary or inactive keys are not seeded" in exported.notes[0]
    assert "# Left out: access key ASIA" in exported.text
