"""Managed objects: keys and secrets addressed by id, with a lifecycle, for protocols that manage objects (KMIP).

A managed object is a key of the store (one row of ``keys``, its material one wrapped version, exactly like any
key's), so there is one key store whatever made it (``object_model.py`` says which key specs objects have). This
service makes objects (create, create a key pair, register, rekey), finds them, and changes them: their lifecycle
(``object_lifecycle.py``), dates, one-way flags and protocol attributes (``kmip.*``, the adapter's). Using their
material is ``object_use.py``'s.

Objects made here are extractable unless the caller says otherwise. Keys made through other protocols are seen
here too, but their state is never changed here. Every call authorizes with the neutral actions, as every protocol
does, and notes the key and version it used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from strongroom.crypto import keygen
from strongroom.crypto.block_ciphers import random_key
from strongroom.crypto.certificates import certificate_identity
from strongroom.crypto.key_objects import private_key_at_rest, public_key_at_rest
from strongroom.domain.actions import Action
from strongroom.domain.clock import Clock
from strongroom.domain.context import RequestContext
from strongroom.domain.key_specs import FAMILY, Family
from strongroom.domain.keys import Key, KeyState, KeyUsage, Origin
from strongroom.domain.limits import Limits
from strongroom.domain.references import KeyRef, new_key_id
from strongroom.errors import (
    InvalidRequestError,
    KeyStateError,
    LimitExceededError,
    NotFoundError,
    UnsupportedError,
)
from strongroom.service import object_lifecycle as lifecycle
from strongroom.service.authorization import Authorizer
from strongroom.service.key_hierarchy import KeyHierarchy, material_label
from strongroom.service.keyring import KeyRing
from strongroom.service.keys import new_material_id
from strongroom.service.named_keys import WRAPPING_KEY_NAME
from strongroom.service.object_lifecycle import Lifecycle, ObjectDates
from strongroom.service.object_model import (
    ALGORITHM,
    ENCODING,
    HMAC_SPECS,
    KIND,
    LENGTH,
    NO_USAGE,
    OWN_PREFIXES,
    SENSITIVE,
    STORED_PRIVATE,
    STORED_SPEC,
    STORED_SYMMETRIC,
    SYMMETRIC_SPECS,
    ManagedObject,
    NewObject,
    ObjectKind,
    check_protocol_attributes,
    kind_of,
    spec_length,
)
from strongroom.service.seeding import check_key_id
from strongroom.storage.base import Store
from strongroom.storage.records import StoredVersion

__all__ = ["STORED_SYMMETRIC", "ManagedObject", "ManagedObjects", "NewObject", "ObjectKind"]
_PAGE = 1000


class ManagedObjects:
    def __init__(self, store: Store, ring: KeyRing, secrets: KeyHierarchy, authz: Authorizer, clock: Clock,
                 limits: Limits) -> None:
        self._store = store
        self._ring = ring
        self._secrets = secrets
        self._authz = authz
        self._clock = clock
        self._limits = limits

    # --- reading ------------------------------------------------------------------------------

    def _view(self, key: Key) -> ManagedObject:
        dates = ObjectDates.from_attributes(key.attributes)
        state = lifecycle.effective_state(key, dates, self._clock.now())
        return ManagedObject(key, kind_of(key), state, dates, lifecycle.stored_state(key.attributes) is not None)

    def current(self, key: Key) -> ManagedObject:
        """The object, with a state its dates have moved on written first (once, whoever finds it due)."""
        found = self._view(key)
        if not found.managed or found.state is lifecycle.stored_state(key.attributes):
            return found
        with self._store.transaction():
            fresh = self._store.get_key(key.key_id)
            if fresh is None:
                raise NotFoundError(f"object {key.key_id} does not exist")
            view = self._view(fresh)
            updated = self._with_state(fresh, view.state, view.dates)
            if updated != fresh:
                self._store.update_key(updated)
        self._ring.remember(updated)
        return self._view(updated)

    def _with_state(self, key: Key, state: Lifecycle, dates: ObjectDates) -> Key:
        attributes = {**{k: v for k, v in key.attributes.items() if not k.startswith("object.") or k in (
            KIND, ALGORITHM, LENGTH, SENSITIVE, ENCODING)}, **dates.to_attributes(), lifecycle.STATE: state.value}
        target = lifecycle.key_state_for(state)
        if key.state is KeyState.PENDING_DELETION:
            target = key.state
        return key.evolve(attributes=attributes, state=target)

    def resolve(self, ctx: RequestContext, object_id: str, action: Action) -> Key:
        if not object_id:
            raise NotFoundError("no object named")
        key = self._ring.resolve(ctx, KeyRef(key_id=object_id, text=object_id))
        if key.name == WRAPPING_KEY_NAME:
            raise NotFoundError(f"Key '{object_id}' does not exist")
        self._authz.check_key(ctx, action, key)
        return key

    def get(self, ctx: RequestContext, object_id: str, action: Action = Action.DESCRIBE_KEY) -> ManagedObject:
        return self.current(self.resolve(ctx, object_id, action))

    def objects(self, ctx: RequestContext) -> Iterator[ManagedObject]:
        """Every object of the caller's account and region that the caller may describe, oldest key id first."""
        self._authz.check_account(ctx, Action.LIST_KEYS)
        after: str | None = None
        while True:
            page = self._store.list_keys(ctx.caller.account_id, ctx.region, after, _PAGE)
            for key in page:
                if key.name == WRAPPING_KEY_NAME:
                    continue
                if self._authz.allows(ctx, Action.DESCRIBE_KEY, key, self._authz.facts(ctx, key))[0]:
                    yield self._view(key)
            if len(page) < _PAGE:
                return
            after = page[-1].key_id

    # --- making -------------------------------------------------------------------------------

    def _insert(self, ctx: RequestContext, kind: ObjectKind, algorithm: str, length: int | None, material: bytes,
                new: NewObject, *, origin: str, key_usage: str | None = None,
                encoding: str | None = None, object_id: str | None = None) -> ManagedObject:
        if object_id is not None:
            check_key_id(object_id)
        now = self._clock.now()
        dates = ObjectDates(activation_date=new.activation_date, deactivation_date=new.deactivation_date,
                            last_change_date=now)
        state = lifecycle.initial_state(dates, now)
        stored_spec = STORED_SPEC.get(kind, algorithm)
        if kind is ObjectKind.PRIVATE_KEY and algorithm not in FAMILY:
            stored_spec, key_usage = STORED_PRIVATE, NO_USAGE
        if key_usage is None:
            key_usage = KeyUsage.ENCRYPT_DECRYPT if algorithm in SYMMETRIC_SPECS else \
                KeyUsage.GENERATE_VERIFY_MAC if algorithm in HMAC_SPECS else NO_USAGE
        own = {KIND: kind.value, ALGORITHM: algorithm, **({LENGTH: str(length)} if length else {}),
               **({SENSITIVE: "true"} if new.sensitive else {}), **({ENCODING: encoding} if encoding else {})}
        key = Key(key_id=object_id or new_key_id(), account_id=ctx.caller.account_id, region=ctx.region,
                  created_at=now, description=new.description, key_spec=stored_spec, key_usage=key_usage, origin=origin,
                  exportable=new.extractable, attributes={**new.attributes, **own})
        key = self._with_state(key, state, dates)
        ctx.note.key(key.arn)
        ctx.note.version(1)
        wrapped = self._secrets.wrap(material, material_label(key.key_id, 1))
        with self._store.transaction():
            if self._store.count_region_keys(key.account_id, key.region) >= self._limits.keys_per_region:
                raise LimitExceededError(f"The account already has {self._limits.keys_per_region} keys.")
            self._store.insert_key(key, StoredVersion(1, new_material_id(), now, None, wrapped))
        self._ring.remember(key)
        return self._view(key)

    def create_symmetric(self, ctx: RequestContext, key_spec: str, new: NewObject, length: int | None = None, *,
                         object_id: str | None = None) -> ManagedObject:
        """A new symmetric key: ``key_spec`` one of ``SYMMETRIC_SPECS``, ``HMAC_SPECS`` or ``STORED_SYMMETRIC``
        (``length`` in bits: an HMAC key's size, its spec's digest size by default; a stored key's size).
        ``object_id``: a fixed id instead of a new one (for seeding; AlreadyExistsError if it is taken)."""
        self._authz.check_account(ctx, Action.CREATE_KEY, extra={"kms:KeySpec": key_spec})
        if key_spec in SYMMETRIC_SPECS:
            size = SYMMETRIC_SPECS[key_spec]
        elif key_spec in HMAC_SPECS or key_spec == STORED_SYMMETRIC:
            bits = length or (int(key_spec.removeprefix("HMAC_")) if key_spec in HMAC_SPECS else 0)
            size = bits // 8
            if bits % 8 or not 1 <= size <= 1024:
                raise InvalidRequestError("a symmetric key is a whole number of bytes, 8 to 8192 bits")
        else:
            raise UnsupportedError(f"symmetric keys of spec {key_spec} cannot be made; use one of "
                                   f"{', '.join((*SYMMETRIC_SPECS, *HMAC_SPECS, STORED_SYMMETRIC))}")
        return self._insert(ctx, ObjectKind.SYMMETRIC_KEY, key_spec, size * 8, random_key(size), new,
                            origin=Origin.AWS_KMS, object_id=object_id)

    def create_key_pair(self, ctx: RequestContext, key_spec: str, private: NewObject, public: NewObject, *,
                        key_usage: str = KeyUsage.SIGN_VERIFY) -> tuple[ManagedObject, ManagedObject]:
        """A new asymmetric key pair: the private key (usable through the AWS API with ``key_usage``) and its
        public key, each its own object."""
        self._authz.check_account(ctx, Action.CREATE_KEY, extra={"kms:KeySpec": key_spec})
        if FAMILY.get(key_spec) not in (Family.RSA, Family.ECC_NIST, Family.ECC_SECG, Family.EDWARDS):
            raise UnsupportedError(f"key pairs of spec {key_spec} cannot be made here")
        private_der, public_der = keygen.new_key_pair(key_spec)
        length = spec_length(key_spec)
        made = self._insert(ctx, ObjectKind.PRIVATE_KEY, key_spec, length, private_der, private, origin=Origin.AWS_KMS,
                            key_usage=key_usage)
        return made, self._insert(ctx, ObjectKind.PUBLIC_KEY, key_spec, length, public_der, public,
                                  origin=Origin.AWS_KMS)

    def register(self, ctx: RequestContext, kind: ObjectKind, material: bytes, new: NewObject, *,
                 key_spec: str | None = None, object_id: str | None = None) -> ManagedObject:
        """An object holding the caller's material: a symmetric key of ``key_spec`` (its length must fit), a DER
        private key (PKCS#8, PKCS#1 or SEC 1) or public key (SubjectPublicKeyInfo or PKCS#1), a DER certificate,
        secret data or an opaque object. ``object_id``: a fixed id instead of a new one (for seeding;
        AlreadyExistsError if it is taken)."""
        self._authz.check_account(ctx, Action.CREATE_KEY, extra={"kms:KeySpec": key_spec or kind.value})
        self._authz.check_account(ctx, Action.IMPORT_KEY_MATERIAL)
        if not material:
            raise InvalidRequestError("the object has no material")
        algorithm, length = key_spec or kind.value.upper(), len(material) * 8
        usage: str | None = None
        encoding: str | None = None
        if kind is ObjectKind.SYMMETRIC_KEY:
            if key_spec in SYMMETRIC_SPECS and len(material) != SYMMETRIC_SPECS[key_spec]:
                raise InvalidRequestError(f"a {key_spec} key is {SYMMETRIC_SPECS[key_spec] * 8} bits, not {length}")
            if key_spec not in SYMMETRIC_SPECS and key_spec not in HMAC_SPECS and key_spec != STORED_SYMMETRIC:
                raise UnsupportedError(f"symmetric keys of spec {key_spec} are not supported")
        elif kind is ObjectKind.PRIVATE_KEY:
            algorithm, material, encoding = private_key_at_rest(material)
            length, usage = spec_length(algorithm), KeyUsage.SIGN_VERIFY
        elif kind is ObjectKind.PUBLIC_KEY:
            algorithm, material, encoding = public_key_at_rest(material)
            length = spec_length(algorithm)
        elif kind is ObjectKind.CERTIFICATE:
            certificate_identity(material)  # refuses what is not an X.509 certificate
            algorithm, length = "CERTIFICATE", None
        return self._insert(ctx, kind, algorithm, length, material, new, origin=Origin.EXTERNAL, key_usage=usage,
                            encoding=encoding, object_id=object_id)

    def rekey(self, ctx: RequestContext, object_id: str, new: NewObject) -> ManagedObject:
        """A new symmetric key of the same spec and length to replace ``object_id`` (whose protocol links them)."""
        old = self.current(self.resolve(ctx, object_id, Action.ROTATE_KEY_ON_DEMAND))
        if old.kind is not ObjectKind.SYMMETRIC_KEY or not old.managed:
            raise UnsupportedError("only symmetric keys made or registered here can be rekeyed")
        if old.state.destroyed:
            raise KeyStateError(f"the object is {old.state.value}")
        self._authz.check_account(ctx, Action.CREATE_KEY, extra={"kms:KeySpec": old.algorithm})
        size = (old.length or 256) // 8
        return self._insert(ctx, ObjectKind.SYMMETRIC_KEY, old.algorithm, size * 8, random_key(size), new,
                            origin=Origin.AWS_KMS)

    # --- changing -----------------------------------------------------------------------------

    def _change(self, ctx: RequestContext, object_id: str, action: Action,
                change: Callable[[ManagedObject], Key]) -> ManagedObject:
        """Authorize, then read-modify-write the object from fresh state in one transaction."""
        found = self.resolve(ctx, object_id, action)
        with self._store.transaction():
            key = self._store.get_key(found.key_id)
            if key is None:
                raise NotFoundError(f"object {object_id} does not exist")
            updated = change(self._view(key))
            if updated != key:
                self._store.update_key(updated)
        self._ring.remember(updated)
        return self._view(updated)

    def _lifecycle(self, ctx: RequestContext, object_id: str, action: Action,
                   step: Callable[[ManagedObject], tuple[Lifecycle, ObjectDates]],
                   attributes: dict[str, str] | None = None) -> ManagedObject:
        def change(current: ManagedObject) -> Key:
            if not current.managed:
                raise KeyStateError("this key was made through another protocol; change its state there")
            state, dates = step(current)
            key = current.key
            if attributes:
                check_protocol_attributes(attributes)
                key = key.evolve(attributes={**key.attributes, **attributes})
            return self._with_state(key, state, dates.evolve(last_change_date=self._clock.now()))
        return self._change(ctx, object_id, action, change)

    def activate(self, ctx: RequestContext, object_id: str) -> ManagedObject:
        now = self._clock.now()
        return self._lifecycle(ctx, object_id, Action.ENABLE_KEY, lambda o: (
            lifecycle.activated(o.state), o.dates.evolve(activation_date=now)))

    def revoke(self, ctx: RequestContext, object_id: str, *, compromised: bool, occurred_at: float | None = None,
               attributes: dict[str, str] | None = None) -> ManagedObject:
        """Deactivate the object, or mark it compromised; ``attributes``: protocol attributes set in the same write
        (the protocol's record of why)."""
        now = self._clock.now()

        def step(o: ManagedObject) -> tuple[Lifecycle, ObjectDates]:
            state = lifecycle.revoked(o.state, compromised)
            if compromised:
                return state, o.dates.evolve(compromise_date=o.dates.compromise_date or now,
                                             compromise_occurrence_date=occurred_at or now)
            return state, o.dates.evolve(deactivation_date=o.dates.deactivation_date or now)
        return self._lifecycle(ctx, object_id, Action.DISABLE_KEY, step, attributes)

    def destroy(self, ctx: RequestContext, object_id: str) -> ManagedObject:
        """Delete the object's material at once; the object stays, destroyed, with its attributes (destroying it
        again finds nothing to destroy)."""
        now = self._clock.now()
        done = self._lifecycle(ctx, object_id, Action.DELETE_KEY, lambda o: (
            lifecycle.destroyed(o.state), o.dates.evolve(destroy_date=now)))
        with self._store.transaction():
            for stored in self._store.get_versions(done.object_id):
                if stored.has_material:
                    self._store.update_version(done.object_id, replace(stored, wrapped_material=b"", enabled=False))
        self._ring.forget_material(done.object_id)
        return done

    def discard(self, ctx: RequestContext, object_id: str) -> None:
        """Delete an object made here, with its material, at once (a protocol undoing what it just made)."""
        key = self.resolve(ctx, object_id, Action.DELETE_KEY)
        if lifecycle.stored_state(key.attributes) is None:
            raise KeyStateError("this key was made through another protocol; delete it there")
        self._store.delete_key(key.key_id)
        self._ring.forget_key(key.key_id)

    def set_dates(self, ctx: RequestContext, object_id: str, *, activation_date: float | None = None,
                  deactivation_date: float | None = None) -> ManagedObject:
        """Set the date an object becomes active (while it is pre-active) or deactivated (until it is)."""
        def step(o: ManagedObject) -> tuple[Lifecycle, ObjectDates]:
            dates = o.dates
            if activation_date is not None:
                if o.state is not Lifecycle.PRE_ACTIVE:
                    raise KeyStateError(f"the object is {o.state.value}; its activation date is fixed")
                dates = dates.evolve(activation_date=activation_date)
            if deactivation_date is not None:
                if o.state not in (Lifecycle.PRE_ACTIVE, Lifecycle.ACTIVE):
                    raise KeyStateError(f"the object is {o.state.value}; its deactivation date is fixed")
                dates = dates.evolve(deactivation_date=deactivation_date)
            probe = o.key.evolve(attributes={**o.key.attributes, lifecycle.STATE: o.state.value})
            return lifecycle.effective_state(probe, dates, self._clock.now()), dates
        return self._lifecycle(ctx, object_id, Action.UPDATE_KEY_CONFIGURATION, step)

    def set_protection(self, ctx: RequestContext, object_id: str, *, extractable: bool | None = None,
                       sensitive: bool | None = None) -> ManagedObject:
        """Make an object unextractable or sensitive; neither can be undone."""
        def change(current: ManagedObject) -> Key:
            key = current.key
            if extractable is True and not key.exportable:
                raise InvalidRequestError("an unextractable object cannot be made extractable")
            if sensitive is False and current.sensitive:
                raise InvalidRequestError("a sensitive object cannot be made insensitive")
            attributes = {**key.attributes, **({SENSITIVE: "true"} if sensitive else {})}
            return key.evolve(exportable=key.exportable and extractable is not False, attributes=attributes)
        return self._change(ctx, object_id, Action.UPDATE_KEY_CONFIGURATION, change)

    def update_attributes(self, ctx: RequestContext, object_id: str,
                          change: Callable[[ManagedObject], dict[str, str]]) -> ManagedObject:
        """Replace the object's attributes with what ``change`` makes of them (given the object); the service's own
        (``object.*``, ``core.*``) must come back unchanged."""
        def apply(current: ManagedObject) -> Key:
            own = {k: v for k, v in current.key.attributes.items() if k.startswith(OWN_PREFIXES)}
            wanted = change(current)
            if {k: v for k, v in wanted.items() if k.startswith(OWN_PREFIXES)} != own:
                raise InvalidRequestError("the object's own attributes are read-only")
            wanted = {k: v for k, v in wanted.items() if not k.startswith(OWN_PREFIXES)}
            attributes = {**wanted, **own}
            if current.managed:
                attributes.update(ObjectDates.from_attributes(own).evolve(
                    last_change_date=self._clock.now()).to_attributes())
            return current.key.evolve(attributes=attributes)
        return self._change(ctx, object_id, Action.UPDATE_KEY_CONFIGURATION, apply)
