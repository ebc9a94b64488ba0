"""A CryptoKey as Cloud KMS shows it, read from the core's named key and its protocol attributes (``gcp.*``).

* Versions: Google's version ``g`` is the core's version ``g + offset``. A key created with
  ``skipInitialVersionCreation`` has offset 1: the core's first version exists, disabled, and is never shown.
* Primary (ENCRYPT_DECRYPT only): ``gcp.primary`` = ``N@L``, version N chosen while the latest version was L.
  Once the core adds versions on its own (automatic rotation), the latest version is primary again.
* States: no material → DESTROYED; ``gcp.destroy.N`` (when the material goes) → DESTROY_SCHEDULED; else ENABLED or
  DISABLED as the core's version is. A scheduled destruction whose time has passed is carried out when the key
  is next read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from strongroom.domain.actions import Action
from strongroom.domain.keys import Key, KeyVersion
from strongroom.errors import AccessDeniedError
from strongroom.protocols.gcp.algorithms import ALGORITHMS, Algorithm
from strongroom.protocols.gcp.enums import ALGORITHM, PROTECTION_LEVEL, PURPOSE, STATE
from strongroom.protocols.gcp.errors import failed_precondition, not_found
from strongroom.protocols.gcp.key_rings import name_space
from strongroom.protocols.gcp.names import ResourceName
from strongroom.protocols.gcp.request import Call, render_duration, rfc3339, version_number
from strongroom.service.named_keys import AUTO_ROTATE_PERIOD

PURPOSE_ATTR = "gcp.purpose"
ALGORITHM_ATTR = "gcp.algorithm"
PROTECTION_ATTR = "gcp.protection_level"
PRIMARY_ATTR = "gcp.primary"
OFFSET_ATTR = "gcp.offset"
IMPORT_ONLY_ATTR = "gcp.import_only"
DESTROY_DURATION_ATTR = "gcp.destroy_scheduled_duration"
LABELS_ATTR = "gcp.labels"
DESTROY_PREFIX = "gcp.destroy."
DEFAULT_DESTROY_SECONDS = 30 * 86400


@dataclass(frozen=True, slots=True)
class KeyView:
    name: ResourceName
    space: str
    key: Key
    versions: tuple[KeyVersion, ...]
    now: float

    @property
    def attributes(self) -> dict[str, str]:
        return self.key.attributes

    @property
    def purpose(self) -> str:
        return self.attributes.get(PURPOSE_ATTR, "ENCRYPT_DECRYPT")

    @property
    def algorithm(self) -> Algorithm:
        return ALGORITHMS[self.attributes.get(ALGORITHM_ATTR, "GOOGLE_SYMMETRIC_ENCRYPTION")]

    @property
    def offset(self) -> int:
        return int(self.attributes.get(OFFSET_ATTR) or 0)

    @property
    def destroy_seconds(self) -> float:
        return float(self.attributes.get(DESTROY_DURATION_ATTR) or DEFAULT_DESTROY_SECONDS)

    def core_number(self, google: int) -> int:
        return google + self.offset

    def shown(self) -> list[KeyVersion]:
        return [v for v in self.versions if v.version > self.offset]

    def version(self, google: int) -> KeyVersion:
        number = self.core_number(google)
        for found in self.versions:
            if found.version == number and number > self.offset:
                return found
        raise not_found(f"CryptoKeyVersion {self.name.version_path(google)} not found.")

    def primary(self) -> int | None:
        """The core number of the primary version (ENCRYPT_DECRYPT keys only), None when there is none."""
        if self.purpose != "ENCRYPT_DECRYPT":
            return None
        pin = self.attributes.get(PRIMARY_ATTR)
        if pin:
            chosen, latest = (int(x) for x in pin.split("@"))
            if latest == self.key.current_version:
                return chosen or None
        return self.key.current_version if self.key.current_version > self.offset else None

    def scheduled_destruction(self, core_number: int) -> float | None:
        value = self.attributes.get(f"{DESTROY_PREFIX}{core_number}")
        return float(value) if value else None

    def state(self, version: KeyVersion) -> str:
        due = self.scheduled_destruction(version.version)
        if not version.has_material or (due is not None and due <= self.now):
            return "DESTROYED"
        if due is not None:
            return "DESTROY_SCHEDULED"
        return "ENABLED" if version.enabled else "DISABLED"

    def render_version(self, call: Call, version: KeyVersion) -> dict[str, Any]:
        google = version.version - self.offset
        state = self.state(version)
        out: dict[str, Any] = {
            "name": self.name.version_path(google), "state": call.enum(STATE, state),
            "protectionLevel": call.enum(PROTECTION_LEVEL, self.attributes.get(PROTECTION_ATTR, "SOFTWARE")),
            "algorithm": call.enum(ALGORITHM, self.algorithm.name), "createTime": rfc3339(version.created_at),
            "generateTime": rfc3339(version.created_at)}
        due = self.scheduled_destruction(version.version)
        if due is not None:
            out["destroyTime"] = rfc3339(due)
        return out

    def render(self, call: Call) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name.crypto_key_path}
        primary = self.primary()
        if primary is not None:
            found = next((v for v in self.versions if v.version == primary), None)
            if found is not None:
                out["primary"] = self.render_version(call, found)
        out["purpose"] = call.enum(PURPOSE, self.purpose)
        out["createTime"] = rfc3339(self.key.created_at)
        period = float(self.attributes.get(AUTO_ROTATE_PERIOD) or 0)
        if period and self.key.next_rotation_at:
            out["nextRotationTime"] = rfc3339(self.key.next_rotation_at)
            out["rotationPeriod"] = render_duration(period)
        out["versionTemplate"] = {
            "protectionLevel": call.enum(PROTECTION_LEVEL, self.attributes.get(PROTECTION_ATTR, "SOFTWARE")),
            "algorithm": call.enum(ALGORITHM, self.algorithm.name)}
        if self.attributes.get(IMPORT_ONLY_ATTR):
            out["importOnly"] = True
        out["destroyScheduledDuration"] = render_duration(self.destroy_seconds)
        labels = self.attributes.get(LABELS_ATTR)
        if labels:
            out["labels"] = orjson.loads(labels)
        return out


def load(call: Call, name: ResourceName, action: Action = Action.DESCRIBE_KEY) -> KeyView:
    """The key ``name`` names, with its versions, once the caller may do ``action`` with it. A version whose
    scheduled destruction is due is DESTROYED from then on; its material is wiped here when the caller may delete
    (else on a later read by one who may: until then the version stays disabled in the core)."""
    space = name_space(call, name)
    service = call.core.named_keys
    if name.crypto_key is None or not service.exists(call.ctx, space, name.crypto_key):
        raise not_found(f"CryptoKey {name.crypto_key_path} not found.")
    key, versions = service.version_details(call.ctx, space, name.crypto_key, action)
    now = call.core.clock.now()
    view = KeyView(name, space, key, tuple(versions), now)
    due = [v.version for v in versions if v.has_material and (view.scheduled_destruction(v.version) or now + 1) <= now]
    if due:
        try:
            for number in due:
                service.destroy_version(call.ctx, space, name.crypto_key, number)
            service.configure(call.ctx, space, name.crypto_key, attributes={f"{DESTROY_PREFIX}{n}": "" for n in due})
        except AccessDeniedError:
            return view
        key, versions = service.version_details(call.ctx, space, name.crypto_key, action)
        view = KeyView(name, space, key, tuple(versions), now)
    return view


def usable_version(view: KeyView, call: Call, *, purpose: str) -> int:
    """The core version a crypto request names (a version name, or the key's primary), checked for purpose."""
    if view.purpose != purpose:
        raise failed_precondition(f"{view.name.crypto_key_path} has purpose {view.purpose}, not {purpose}.")
    if view.name.version is not None:
        version = view.version(version_number(view.name.version, "crypto key version"))
        return version.version
    primary = view.primary()
    if primary is None:
        raise failed_precondition(f"{view.name.crypto_key_path} has no primary version.")
    return primary


def check_enabled(view: KeyView, core_number: int) -> None:
    version = next((v for v in view.versions if v.version == core_number), None)
    if version is None:
        raise not_found("CryptoKeyVersion not found.")
    state = view.state(version)
    if state != "ENABLED":
        raise failed_precondition(f"{view.name.version_path(core_number - view.offset)} is not enabled, current "
                                  f"state is: {state}.")
