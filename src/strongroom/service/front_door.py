"""The one front door every request of every protocol passes, whatever adapter parsed it.

An adapter authenticates the caller into a ``RequestContext`` (its principal, protocol and source), then
``admit``s the request (refused while sealed; one charge to the caller's quota for the operation), calls core
services (which authorize against policies and grants, and note the key and version they used in
``ctx.note``), and ``record``s exactly one audit event whatever the outcome, built from that note. Answers wait
for their event's batch to be written (see ``service/audit.py`` and ``server/http.py``).
"""

from __future__ import annotations

from strongroom.domain.context import RequestContext
from strongroom.errors import SealedError
from strongroom.service.audit import AuditTrail, PendingEvent
from strongroom.service.key_hierarchy import SEALED_MESSAGE, KeyHierarchy
from strongroom.service.quotas import Quotas


class FrontDoor:
    def __init__(self, secrets: KeyHierarchy, quotas: Quotas, audit: AuditTrail) -> None:
        self._secrets = secrets
        self._quotas = quotas
        self._audit = audit

    def check_unsealed(self) -> None:
        """Refused before anything else is read: a sealed node cannot read credentials."""
        if self._secrets.sealed:
            raise SealedError(SEALED_MESSAGE)

    def admit(self, ctx: RequestContext, operation: str) -> None:
        self.check_unsealed()
        self._quotas.charge(ctx, operation)

    def record(self, event: PendingEvent) -> None:
        self._audit.record(event)
