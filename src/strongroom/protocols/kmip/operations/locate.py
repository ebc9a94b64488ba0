"""Locate: the objects whose attributes match every attribute of the request, newest first.

An attribute matches when the object has that value (a Name: the same name, and type when given). A usage mask
matches an object allowing at least those uses. A date given twice is a range (the first value to the second).
Destroyed objects are found only when the Storage Status Mask asks for destroyed storage; nothing is archived.
"""

from __future__ import annotations

from collections import defaultdict

from strongroom.protocols.kmip import report, stored
from strongroom.protocols.kmip.attributes import Attribute
from strongroom.protocols.kmip.call import Call
from strongroom.protocols.kmip.enums import StorageStatusMask
from strongroom.protocols.kmip.request_payloads import LocateRequest
from strongroom.protocols.kmip.response_payloads import LocateResponse
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import ItemType
from strongroom.service.managed_objects import ManagedObject


def _matches_value(wanted: Attribute, have: list[Attribute]) -> bool:
    if wanted.tag == Tag.CRYPTOGRAPHIC_USAGE_MASK:
        return any(isinstance(h.value, int) and h.value & wanted.value == wanted.value for h in have)  # type: ignore[operator]
    if wanted.tag == Tag.NAME and isinstance(wanted.value, tuple):
        value = {c.tag: c.value for c in wanted.value}
        for h in have:
            if isinstance(h.value, tuple):
                theirs = {c.tag: c.value for c in h.value}
                if all(theirs.get(tag) == v for tag, v in value.items()):
                    return True
        return False
    return any(stored.same_value(wanted, h) for h in have)


def _matches(managed: ManagedObject, filters: dict[tuple[str, str | None], list[Attribute]], call: Call) -> bool:
    present = report.attributes_of(managed, call.version)
    for (name, vendor), wanted in filters.items():
        have = report.named(present, name, vendor)
        if len(wanted) == 2 and wanted[0].type is ItemType.DATE_TIME:
            low, high = sorted((wanted[0].value, wanted[1].value))  # type: ignore[type-var]
            if not any(low <= h.value <= high for h in have):  # type: ignore[operator]
                return False
        elif not all(_matches_value(w, have) for w in wanted):
            return False
    return True


def locate(call: Call, payload: LocateRequest) -> LocateResponse:
    filters: dict[tuple[str, str | None], list[Attribute]] = defaultdict(list)
    for attribute in payload.attributes:
        filters[(attribute.name, attribute.vendor)].append(attribute)
    call.params["attributeNames"] = sorted({name for name, _ in filters})
    mask = payload.storage_status_mask or StorageStatusMask.ONLINE_STORAGE
    found = []
    for managed in call.core.managed_objects.objects(call.ctx):
        destroyed = managed.state.destroyed
        if (destroyed and not mask & StorageStatusMask.DESTROYED_STORAGE) or (
                not destroyed and not mask & StorageStatusMask.ONLINE_STORAGE):
            continue
        if _matches(managed, filters, call):
            found.append(managed)
    found.sort(key=lambda m: (m.key.created_at, m.object_id), reverse=True)
    total = len(found)
    start = payload.offset_items or 0
    end = None if payload.maximum_items is None else start + payload.maximum_items
    chosen = tuple(m.object_id for m in found[start:end])
    if chosen:
        call.produced(chosen[0], new=False)
    return LocateResponse(chosen, total)
