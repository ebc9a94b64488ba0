"""Imported key material (BYOK) through the core with a manual clock: import tokens and their 24 hours,
ValidTo expiry (lazily on use and by the scheduler), deletion and re-import, IncorrectKeyMaterial, and
on-demand rotation of imported symmetric keys."""

import hmac
import os

import pytest
from cryptography.hazmat.primitives import serialization

from strongroom.crypto import keygen
from strongroom.crypto.import_wrapping import new_wrapping_key
from strongroom.domain.keys import DAY_SECONDS, KeyState
from strongroom.errors import (
    ExpiredImportTokenError,
    IncorrectKeyMaterialError,
    InvalidCiphertextError,
    InvalidImportTokenError,
    InvalidRequestError,
    KeyStateError,
    UnsupportedError,
)
from tests.byok import aws_wrap

_WRAPPING_KEYS: dict[str, tuple[bytes, bytes]] = {}


@pytest.fixture(autouse=True)
def reused_wrapping_keys(monkeypatch):
    """RSA key generation dominates these tests; one wrapping key per spec serves them all (tokens still differ)."""
    def cached(spec: str) -> tuple[bytes, bytes]:
        if spec not in _WRAPPING_KEYS:
            _WRAPPING_KEYS[spec] = new_wrapping_key(spec)
        return _WRAPPING_KEYS[spec]
    monkeypatch.setattr("strongroom.service.key_import.new_wrapping_key", cached)


def import_material(core, ctx, key_id, material, algorithm="RSAES_OAEP_SHA_256", **kw):
    params = core.key_import.get_parameters_for_import(ctx, key_id, algorithm, "RSA_2048")
    kw.setdefault("expiration_model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return core.key_import.import_key_material(ctx, key_id, params.import_token,
                                               aws_wrap(params.public_key, algorithm, material), **kw)


def test_external_key_waits_for_material(core, ctx):
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    assert key.state is KeyState.PENDING_IMPORT and core.keys.current_material(key) is None
    with pytest.raises(KeyStateError, match="PendingImport"):
        core.crypto.encrypt(ctx, key.key_id, b"x")
    with pytest.raises(KeyStateError):
        core.keys.enable_key(ctx, key.key_id)
    generated = core.keys.create_key(ctx)
    with pytest.raises(UnsupportedError, match="Origin EXTERNAL"):
        core.key_import.get_parameters_for_import(ctx, generated.key_id, "RSAES_OAEP_SHA_256", "RSA_2048")
    with pytest.raises(UnsupportedError, match="October 10, 2023"):
        core.key_import.get_parameters_for_import(ctx, key.key_id, "RSAES_PKCS1_V1_5", "RSA_2048")


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
                                       "RSA_AES_KEY_WRAP_SHA_256"])
def test_import_symmetric_material_with_each_wrapping(core, ctx, algorithm):
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    material = os.urandom(32)
    imported, material_id = import_material(core, ctx, key.key_id, material, algorithm)
    assert imported.state is KeyState.ENABLED and imported.current_version == 1
    current = core.keys.current_material(imported)
    assert current.material_id == material_id and current.expiration_model == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    sealed = core.crypto.encrypt(ctx, key.key_id, b"byok")
    assert sealed.material_id == material_id
    assert core.crypto.decrypt(ctx, sealed.ciphertext).plaintext == b"byok"


def test_import_token_expires_after_24_hours_and_belongs_to_one_key(core, ctx, clock):
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    other = core.keys.create_key(ctx, origin="EXTERNAL")
    params = core.key_import.get_parameters_for_import(ctx, key.key_id, "RSAES_OAEP_SHA_256", "RSA_2048")
    assert params.valid_to == int(clock.now()) + 24 * 3600
    wrapped = aws_wrap(params.public_key, "RSAES_OAEP_SHA_256", os.urandom(32))
    model = {"expiration_model": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
    with pytest.raises(InvalidImportTokenError, match="different KMS key"):
        core.key_import.import_key_material(ctx, other.key_id, params.import_token, wrapped, **model)
    forged = params.import_token[:-1] + bytes([params.import_token[-1] ^ 1])
    with pytest.raises(InvalidImportTokenError):
        core.key_import.import_key_material(ctx, key.key_id, forged, wrapped, **model)
    later = params.import_token[:17] + (int(clock.now()) + 10 * 86400).to_bytes(8, "big") + params.import_token[25:]
    with pytest.raises(InvalidImportTokenError):  # the header is authenticated: no extending the deadline
        core.key_import.import_key_material(ctx, key.key_id, later, wrapped, **model)
    clock.advance(24 * 3600)
    with pytest.raises(ExpiredImportTokenError):
        core.key_import.import_key_material(ctx, key.key_id, params.import_token, wrapped, **model)
    fresh = core.key_import.get_parameters_for_import(ctx, key.key_id, "RSAES_OAEP_SHA_1", "RSA_2048")
    with pytest.raises(InvalidCiphertextError):  # wrapped with another algorithm than this token's
        core.key_import.import_key_material(ctx, key.key_id, fresh.import_token, wrapped, **model)


def test_valid_to_rules(core, ctx, clock):
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    material = os.urandom(32)
    for kw in ({"expiration_model": "KEY_MATERIAL_EXPIRES"},
               {"expiration_model": "KEY_MATERIAL_EXPIRES", "valid_to": clock.now() - 1},
               {"expiration_model": "KEY_MATERIAL_EXPIRES", "valid_to": clock.now() + 366 * DAY_SECONDS},
               {"expiration_model": "KEY_MATERIAL_DOES_NOT_EXPIRE", "valid_to": clock.now() + 60}):
        with pytest.raises(InvalidRequestError):
            import_material(core, ctx, key.key_id, material, **kw)


def test_expired_material_makes_the_key_unusable_until_reimported(core, ctx, clock):
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    material = os.urandom(32)
    _, material_id = import_material(core, ctx, key.key_id, material, expiration_model="KEY_MATERIAL_EXPIRES",
                                     valid_to=clock.now() + 3600)
    assert core.keys.current_material(core.keys.describe_key(ctx, key.key_id)).valid_to == clock.now() + 3600
    blob = core.crypto.encrypt(ctx, key.key_id, b"short-lived").ciphertext
    clock.advance(3600)
    with pytest.raises(KeyStateError, match="PendingImport"):  # lazily, on the first use after ValidTo
        core.crypto.decrypt(ctx, blob)
    assert core.keys.describe_key(ctx, key.key_id).state is KeyState.PENDING_IMPORT
    with pytest.raises(IncorrectKeyMaterialError):
        import_material(core, ctx, key.key_id, os.urandom(32))
    reimported, again = import_material(core, ctx, key.key_id, material)
    assert again == material_id and reimported.state is KeyState.ENABLED
    assert core.crypto.decrypt(ctx, blob).plaintext == b"short-lived"


def test_the_scheduler_expires_material_nobody_uses(core, ctx, clock, data_dir):
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    import_material(core, ctx, key.key_id, os.urandom(32), expiration_model="KEY_MATERIAL_EXPIRES",
                    valid_to=clock.now() + DAY_SECONDS)
    assert core.rotation.run_due().expired == []
    clock.advance(DAY_SECONDS)
    assert core.rotation.run_due().expired == [key.key_id]
    assert core._store.get_key(key.key_id).state is KeyState.PENDING_IMPORT
    assert core._store.get_versions(key.key_id)[0].wrapped_material == b""  # the material is really gone
    assert core.rotation.run_due().expired == []


def test_delete_imported_material_and_reimport(core, ctx):
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    material = os.urandom(32)
    _, material_id = import_material(core, ctx, key.key_id, material)
    blob = core.crypto.encrypt(ctx, key.key_id, b"kill switch").ciphertext
    deleted, deleted_id = core.key_import.delete_imported_key_material(ctx, key.key_id)
    assert deleted.state is KeyState.PENDING_IMPORT and deleted_id == material_id
    with pytest.raises(KeyStateError):
        core.crypto.decrypt(ctx, blob)
    import_material(core, ctx, key.key_id, material, import_type="EXISTING_KEY_MATERIAL", material_id=material_id)
    assert core.crypto.decrypt(ctx, blob).plaintext == b"kill switch"
    with pytest.raises(IncorrectKeyMaterialError, match="does not identify"):
        import_material(core, ctx, key.key_id, material, material_id="0" * 64)


def test_imported_symmetric_keys_rotate_on_demand_to_new_material(core, ctx):
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    first = os.urandom(32)
    _, first_id = import_material(core, ctx, key.key_id, first)
    with pytest.raises(UnsupportedError):
        core.rotation.enable_key_rotation(ctx, key.key_id, 90)
    with pytest.raises(KeyStateError, match="pending rotation"):
        core.rotation.rotate_key_on_demand(ctx, key.key_id)
    old_blob = core.crypto.encrypt(ctx, key.key_id, b"old").ciphertext
    with pytest.raises(IncorrectKeyMaterialError, match="already associated"):
        import_material(core, ctx, key.key_id, first, import_type="NEW_KEY_MATERIAL")
    _, second_id = import_material(core, ctx, key.key_id, os.urandom(32), import_type="NEW_KEY_MATERIAL",
                                   description="2027")
    with pytest.raises(KeyStateError, match="already has key material pending rotation"):
        import_material(core, ctx, key.key_id, os.urandom(32), import_type="NEW_KEY_MATERIAL")
    listed = core.rotation.list_key_rotations(ctx, key.key_id, True, None, None).items
    assert [(r.material_id, r.state) for r in listed] == [(first_id, "CURRENT"), (second_id, "PENDING_ROTATION")]
    assert core.crypto.encrypt(ctx, key.key_id, b"x").material_id == first_id  # pending is not used yet
    rotated = core.rotation.rotate_key_on_demand(ctx, key.key_id)
    assert rotated.current_version == 2 and rotated.on_demand_rotations == 1
    assert core.crypto.encrypt(ctx, key.key_id, b"new").material_id == second_id
    assert core.crypto.decrypt(ctx, old_blob).plaintext == b"old"
    rotations = core.rotation.list_key_rotations(ctx, key.key_id, False, None, None).items
    assert [(r.material_id, r.rotation_type, r.material.description) for r in rotations] == [
        (second_id, "ON_DEMAND", "2027")]
    core.key_import.delete_imported_key_material(ctx, key.key_id, first_id)  # an older material
    assert core.keys.describe_key(ctx, key.key_id).state is KeyState.PENDING_IMPORT


def test_pending_rotation_material_can_be_withdrawn(core, ctx):
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    import_material(core, ctx, key.key_id, os.urandom(32))
    _, pending_id = import_material(core, ctx, key.key_id, os.urandom(32), import_type="NEW_KEY_MATERIAL")
    withdrawn, withdrawn_id = core.key_import.delete_imported_key_material(ctx, key.key_id, pending_id)
    assert withdrawn_id == pending_id and withdrawn.state is KeyState.ENABLED
    assert len(core.rotation.list_key_rotations(ctx, key.key_id, True, None, None).items) == 1


@pytest.mark.parametrize(("spec", "usage"), [("HMAC_256", "GENERATE_VERIFY_MAC"), ("ECC_NIST_P256", "SIGN_VERIFY")])
def test_imported_hmac_and_asymmetric_material_is_for_life(core, ctx, spec, usage):
    key = core.keys.create_key(ctx, key_spec=spec, key_usage=usage, origin="EXTERNAL")
    material = os.urandom(48) if spec.startswith("HMAC") else keygen.new_material(spec)
    import_material(core, ctx, key.key_id, material, "RSA_AES_KEY_WRAP_SHA_256")
    if spec.startswith("HMAC"):
        _, mac = core.mac.generate_mac(ctx, key.key_id, b"m", "HMAC_SHA_256")
        assert mac == hmac.new(material, b"m", "sha256").digest()
    else:
        der = core.asymmetric.get_public_key(ctx, key.key_id).der
        private = serialization.load_der_private_key(material, None)
        assert der == keygen.spki(private.public_key())
    other = os.urandom(48) if spec.startswith("HMAC") else keygen.new_material(spec)
    with pytest.raises(IncorrectKeyMaterialError):
        import_material(core, ctx, key.key_id, other, "RSA_AES_KEY_WRAP_SHA_256")
    with pytest.raises(UnsupportedError, match="cannot change after the first import"):
        import_material(core, ctx, key.key_id, other, "RSA_AES_KEY_WRAP_SHA_256", import_type="NEW_KEY_MATERIAL")
    with pytest.raises(InvalidRequestError, match="symmetric encryption keys"):
        import_material(core, ctx, key.key_id, material, "RSA_AES_KEY_WRAP_SHA_256", description="x")
    with pytest.raises(IncorrectKeyMaterialError):
        import_material(core, ctx, key.key_id, b"short", "RSA_AES_KEY_WRAP_SHA_256")


def test_cancelling_deletion_of_a_key_without_material_leaves_it_pending_import(core, ctx):
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    core.keys.schedule_key_deletion(ctx, key.key_id, 7)
    assert core.keys.cancel_key_deletion(ctx, key.key_id).state is KeyState.PENDING_IMPORT
    import_material(core, ctx, key.key_id, os.urandom(32))
    core.keys.schedule_key_deletion(ctx, key.key_id, 7)
    core.key_import.delete_imported_key_material(ctx, key.key_id)
    assert core.keys.describe_key(ctx, key.key_id).state is KeyState.PENDING_DELETION
    assert core.keys.cancel_key_deletion(ctx, key.key_id).state is KeyState.PENDING_IMPORT
