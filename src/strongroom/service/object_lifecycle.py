"""The lifecycle of a managed object (NIST SP 800-57's key states, as KMIP uses them), as pure rules.

    pre-active ──activate──► active ──revoke──► deactivated ──destroy──► destroyed
         │                     │                    ▲
         │                     └─revoke (compromise)┴──► compromised ──destroy──► destroyed-compromised
         └── destroy ──► destroyed

Dates drive it too: a pre-active object whose activation date has come is active, an object whose deactivation
date has come is deactivated. An object is kept on a key of the store, whose own state (what the other protocols
see) follows: only an active object's key is Enabled. A key made through another protocol has no lifecycle of its
own: its state is read from the key's (Enabled is active, PendingImport pre-active, anything else deactivated).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields, replace

from strongroom.domain.keys import Key, KeyState
from strongroom.errors import KeyStateError, NotFoundError

STATE = "object.state"
_DATE_PREFIX = "object."


class Lifecycle(enum.StrEnum):
    PRE_ACTIVE = "pre-active"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    COMPROMISED = "compromised"
    DESTROYED = "destroyed"
    DESTROYED_COMPROMISED = "destroyed-compromised"

    @property
    def destroyed(self) -> bool:
        return self in (Lifecycle.DESTROYED, Lifecycle.DESTROYED_COMPROMISED)


@dataclass(frozen=True, slots=True)
class ObjectDates:
    """POSIX seconds; None where the date is not set."""

    activation_date: float | None = None
    deactivation_date: float | None = None
    compromise_date: float | None = None
    compromise_occurrence_date: float | None = None
    destroy_date: float | None = None
    last_change_date: float | None = None

    @classmethod
    def from_attributes(cls, attributes: dict[str, str]) -> ObjectDates:
        values = {}
        for f in fields(cls):
            text = attributes.get(_DATE_PREFIX + f.name)
            values[f.name] = float(text) if text else None
        return cls(**values)

    def to_attributes(self) -> dict[str, str]:
        return {_DATE_PREFIX + f.name: repr(getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) is not None}

    def evolve(self, **changes: float | None) -> ObjectDates:
        return replace(self, **changes)  # type: ignore[arg-type]


def stored_state(attributes: dict[str, str]) -> Lifecycle | None:
    text = attributes.get(STATE)
    return Lifecycle(text) if text else None


def effective_state(key: Key, dates: ObjectDates, now: float) -> Lifecycle:
    """The state an object is in at ``now``: its stored state moved on by its dates, or its key's state."""
    stored = stored_state(key.attributes)
    if stored is None:
        if key.state is KeyState.ENABLED:
            return Lifecycle.ACTIVE
        return Lifecycle.PRE_ACTIVE if key.state is KeyState.PENDING_IMPORT else Lifecycle.DEACTIVATED
    state = stored
    if state is Lifecycle.PRE_ACTIVE and dates.activation_date is not None and dates.activation_date <= now:
        state = Lifecycle.ACTIVE
    if state in (Lifecycle.PRE_ACTIVE, Lifecycle.ACTIVE) and dates.deactivation_date is not None \
            and dates.deactivation_date <= now:
        state = Lifecycle.DEACTIVATED
    if state in (Lifecycle.PRE_ACTIVE, Lifecycle.DEACTIVATED) and key.state is KeyState.ENABLED and stored is state:
        state = Lifecycle.ACTIVE  # enabled again through another protocol
    return state


def initial_state(dates: ObjectDates, now: float) -> Lifecycle:
    """A new object is pre-active, unless its activation date (or deactivation date) has already come."""
    state = Lifecycle.PRE_ACTIVE
    if dates.activation_date is not None and dates.activation_date <= now:
        state = Lifecycle.ACTIVE
    if dates.deactivation_date is not None and dates.deactivation_date <= now:
        state = Lifecycle.DEACTIVATED
    return state


def key_state_for(state: Lifecycle) -> KeyState:
    """What the other protocols see: only an active object's key may be used by them."""
    return KeyState.ENABLED if state is Lifecycle.ACTIVE else KeyState.DISABLED


def activated(state: Lifecycle) -> Lifecycle:
    if state is not Lifecycle.PRE_ACTIVE:
        raise KeyStateError(f"the object is {state.value}, not pre-active, so it cannot be activated")
    return Lifecycle.ACTIVE


def revoked(state: Lifecycle, compromised: bool) -> Lifecycle:
    if state.destroyed:
        raise KeyStateError(f"the object is {state.value}")
    if compromised:
        return Lifecycle.COMPROMISED
    if state is Lifecycle.COMPROMISED:
        return state
    return Lifecycle.DEACTIVATED


def destroyed(state: Lifecycle) -> Lifecycle:
    if state is Lifecycle.ACTIVE:
        raise KeyStateError("the object is active; revoke it before destroying it")
    if state.destroyed:
        raise NotFoundError(f"the object is already {state.value}: nothing is left to destroy")
    return Lifecycle.DESTROYED_COMPROMISED if state is Lifecycle.COMPROMISED else Lifecycle.DESTROYED


def check_protect(state: Lifecycle) -> None:
    """Encrypting, signing or making a MAC: only while active."""
    if state is not Lifecycle.ACTIVE:
        raise KeyStateError(f"the object is {state.value}; only an active object protects new data")


def check_process(state: Lifecycle) -> None:
    """Decrypting, verifying: while active, and after deactivation or compromise (to read what it protected)."""
    if state in (Lifecycle.PRE_ACTIVE,) or state.destroyed:
        raise KeyStateError(f"the object is {state.value}; it cannot be used")
