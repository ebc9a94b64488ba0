"""Managed objects in the core: one key store whatever made the key, material wrapped at rest, a lifecycle that
the other protocols see, extractability, and what another protocol's keys may and may not do here."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from strongroom.domain.keys import KeyState
from strongroom.errors import InvalidRequestError, KeyStateError, KeyUsageError, NotFoundError
from strongroom.service import object_lifecycle as lifecycle
from strongroom.service.managed_objects import NewObject, ObjectKind
from strongroom.service.object_lifecycle import Lifecycle, ObjectDates


def test_material_is_wrapped_at_rest_and_wiped_on_destroy(core, ctx) -> None:
    secret = b"a secret of thirty-two bytes!!!!"
    made = core.managed_objects.register(ctx, ObjectKind.SECRET, secret, NewObject())
    store = core._store  # the test looks below the services, at what is really stored
    (version,) = store.get_versions(made.object_id)
    assert secret not in version.wrapped_material and version.has_material
    assert core.object_use.export(ctx, made.object_id).material == secret
    core.managed_objects.destroy(ctx, made.object_id)  # pre-active: destroyable
    (version,) = store.get_versions(made.object_id)
    assert not version.has_material
    assert core.managed_objects.get(ctx, made.object_id).state is Lifecycle.DESTROYED
    with pytest.raises(NotFoundError):  # its material, that is: the object itself is still described
        core.object_use.export(ctx, made.object_id)
    with pytest.raises(NotFoundError):
        core.managed_objects.destroy(ctx, made.object_id)


def test_the_key_state_follows_the_lifecycle(core, ctx) -> None:
    made = core.managed_objects.create_symmetric(ctx, "SYMMETRIC_DEFAULT", NewObject())
    assert core.keys.describe_key(ctx, made.object_id).state is KeyState.DISABLED  # pre-active
    core.managed_objects.activate(ctx, made.object_id)
    assert core.keys.describe_key(ctx, made.object_id).state is KeyState.ENABLED
    core.managed_objects.revoke(ctx, made.object_id, compromised=True)
    found = core.managed_objects.get(ctx, made.object_id)
    assert found.state is Lifecycle.COMPROMISED and found.dates.compromise_date is not None
    assert core.keys.describe_key(ctx, made.object_id).state is KeyState.DISABLED


def test_asymmetric_keys_come_back_in_the_encoding_they_came_in(core, ctx) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pkcs1 = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption())
    made = core.managed_objects.register(ctx, ObjectKind.PRIVATE_KEY, pkcs1, NewObject())
    assert made.algorithm == "RSA_2048" and made.length == 2048
    assert core.object_use.export(ctx, made.object_id, "PKCS1").material == pkcs1
    pkcs8 = core.object_use.export(ctx, made.object_id).material
    assert serialization.load_der_private_key(pkcs8, None).private_numbers() == private.private_numbers()
    public = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    registered = core.managed_objects.register(ctx, ObjectKind.PUBLIC_KEY, public, NewObject())
    assert core.object_use.export(ctx, registered.object_id, "PKCS1").material == public
    assert registered.key.key_spec == "PUBLIC_KEY"  # no other protocol takes it for a private key
    with pytest.raises(InvalidRequestError):
        core.managed_objects.register(ctx, ObjectKind.PRIVATE_KEY, b"not a key", NewObject())


def test_an_ec_pair_signs_through_the_core(core, ctx) -> None:
    private, public = core.managed_objects.create_key_pair(ctx, "ECC_NIST_P256", NewObject(activation_date=0),
                                                           NewObject(activation_date=0))
    signature = core.object_use.sign(ctx, private.object_id, "ECDSA_SHA_256", b"message")
    assert core.object_use.verify(ctx, public.object_id, "ECDSA_SHA_256", b"message", signature)
    assert not core.object_use.verify(ctx, public.object_id, "ECDSA_SHA_256", b"other", signature)
    exported = core.object_use.export(ctx, public.object_id).material
    assert isinstance(serialization.load_der_public_key(exported), ec.EllipticCurvePublicKey)


def test_keys_of_another_protocol_keep_their_own_state_and_are_not_extractable(core, ctx) -> None:
    key = core.keys.create_key(ctx)
    found = core.managed_objects.get(ctx, key.key_id)
    assert (found.managed, found.state, found.extractable) == (False, Lifecycle.ACTIVE, False)
    with pytest.raises(KeyUsageError):
        core.object_use.export(ctx, key.key_id)
    for change in (core.managed_objects.activate, core.managed_objects.destroy, core.managed_objects.discard):
        with pytest.raises(KeyStateError):
            change(ctx, key.key_id)
    sealed = core.object_use.encrypt(ctx, key.key_id, "GCM", b"usable")
    assert core.object_use.decrypt(ctx, key.key_id, "GCM", sealed.data, iv=sealed.iv, tag=sealed.tag) == b"usable"


def test_own_attributes_cannot_be_changed_through_protocol_attributes(core, ctx) -> None:
    made = core.managed_objects.create_symmetric(ctx, "AES_128", NewObject())
    with pytest.raises(InvalidRequestError):
        core.managed_objects.update_attributes(ctx, made.object_id, lambda o: {**o.attributes,
                                                                                lifecycle.STATE: "active"})
    changed = core.managed_objects.update_attributes(ctx, made.object_id, lambda o: {**o.attributes, "kmip.x": "1"})
    assert changed.attributes["kmip.x"] == "1" and changed.state is Lifecycle.PRE_ACTIVE


def test_discard_deletes_what_was_just_made(core, ctx) -> None:
    made = core.managed_objects.create_symmetric(ctx, "AES_192", NewObject())
    core.managed_objects.discard(ctx, made.object_id)
    with pytest.raises(NotFoundError):
        core.managed_objects.get(ctx, made.object_id)


@pytest.mark.parametrize("stored, dates, expected", [
    (Lifecycle.PRE_ACTIVE, ObjectDates(activation_date=10), Lifecycle.ACTIVE),
    (Lifecycle.PRE_ACTIVE, ObjectDates(activation_date=30), Lifecycle.PRE_ACTIVE),
    (Lifecycle.ACTIVE, ObjectDates(deactivation_date=20), Lifecycle.DEACTIVATED),
    (Lifecycle.COMPROMISED, ObjectDates(deactivation_date=20), Lifecycle.COMPROMISED),
])
def test_dates_move_the_state_on(core, ctx, stored, dates, expected) -> None:
    key = core.keys.create_key(ctx).evolve(attributes={lifecycle.STATE: stored.value}, state=KeyState.DISABLED)
    assert lifecycle.effective_state(key, dates, now=25) is expected


def test_lifecycle_transitions() -> None:
    assert lifecycle.revoked(Lifecycle.ACTIVE, compromised=False) is Lifecycle.DEACTIVATED
    assert lifecycle.revoked(Lifecycle.DEACTIVATED, compromised=True) is Lifecycle.COMPROMISED
    assert lifecycle.destroyed(Lifecycle.COMPROMISED) is Lifecycle.DESTROYED_COMPROMISED
    for refused in (lambda: lifecycle.activated(Lifecycle.ACTIVE), lambda: lifecycle.destroyed(Lifecycle.ACTIVE),
                    lambda: lifecycle.check_protect(Lifecycle.DEACTIVATED),
                    lambda: lifecycle.check_process(Lifecycle.PRE_ACTIVE)):
        with pytest.raises(KeyStateError):
            refused()
    lifecycle.check_process(Lifecycle.COMPROMISED)  # what it protected can still be read
