"""What an operation handler is given: the core, the request's context and version, and the batch it is part of
(its ID Placeholder, and the objects its items made, for Undo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.protocols.kmip import report, stored
from strongroom.protocols.kmip.enums import CryptographicUsageMask, ResultReason
from strongroom.protocols.kmip.results import Refusal
from strongroom.protocols.kmip.version import ProtocolVersion
from strongroom.service.core import Core
from strongroom.service.managed_objects import ManagedObject


@dataclass(slots=True)
class BatchState:
    """Shared by the items of one message: the ID Placeholder, and every object an item made."""

    placeholder: str | None = None
    made: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Call:
    core: Core
    ctx: RequestContext
    version: ProtocolVersion
    batch: BatchState
    params: dict[str, Any] = field(default_factory=dict)
    """What the item's audit event records of its request (never material, plaintext or ciphertext)."""
    made: list[str] = field(default_factory=list)

    def uid(self, given: str | None) -> str:
        """The object an item names: its own Unique Identifier, else the ID Placeholder."""
        uid = given if given is not None else self.batch.placeholder
        if not uid:
            raise Refusal(ResultReason.ITEM_NOT_FOUND, "no Unique Identifier was given and no ID placeholder is set")
        self.params["uniqueIdentifier"] = uid
        return uid

    def produced(self, uid: str, *, new: bool = True) -> None:
        """The item's result names ``uid``: the ID Placeholder for the items after it (and, if ``new``, an object
        made by this item)."""
        self.batch.placeholder = uid
        if new:
            self.made.append(uid)
            self.batch.made.append(uid)

    def require_usage(self, managed: ManagedObject, bit: CryptographicUsageMask) -> None:
        """Refuse an operation the object's Cryptographic Usage Mask does not allow."""
        if not report.usage_mask(managed) & bit:
            reason = (ResultReason.INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK if self.version.major >= 2
                      else ResultReason.PERMISSION_DENIED)
            raise Refusal(reason, f"the object's Cryptographic Usage Mask does not allow {bit.name}")

    def object_field(self, managed: ManagedObject, name: str, default: int) -> int:
        """A field of the managed object's own structure as registered (Secret Data Type, Key Format Type...)."""
        text = managed.attributes.get(name)
        return int(text) if text else default

    @staticmethod
    def object_fields(**values: int | None) -> dict[str, str]:
        return {getattr(stored, name.upper()): str(int(v)) for name, v in values.items() if v is not None}
