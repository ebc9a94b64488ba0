"""Attributes of an object: Get Attributes, Get Attribute List, Add, Modify, Delete and (2.x) Set Attribute.

The server's attributes are read-only, except the lifecycle dates (Activation Date while pre-active, Deactivation
Date until deactivated) and the one-way flags (Sensitive may become true, Extractable false), which change the
object in the core. Every other attribute is kept as given (``stored.py``); multi-valued ones by index in 1.x.
"""

from __future__ import annotations

from collections.abc import Callable

from strongroom.protocols.kmip import report, stored
from strongroom.protocols.kmip.attributes import Attribute, AttributeReference
from strongroom.protocols.kmip.call import Call
from strongroom.protocols.kmip.enums import ResultReason
from strongroom.protocols.kmip.request_payloads import (
    AddAttributeRequest,
    DeleteAttributeRequest,
    GetAttributesRequest,
    IdentifierRequest,
    ModifyAttributeRequest,
    SetAttributeRequest,
)
from strongroom.protocols.kmip.response_payloads import (
    AttributeResponse,
    GetAttributeListResponse,
    GetAttributesResponse,
    IdentifierResponse,
)
from strongroom.protocols.kmip.results import Refusal
from strongroom.protocols.kmip.templates import multi_valued
from strongroom.service.managed_objects import ManagedObject

_DATES = ("Activation Date", "Deactivation Date")
_FLAGS = ("Sensitive", "Extractable")


def get_attributes(call: Call, payload: GetAttributesRequest) -> GetAttributesResponse:
    uid = call.uid(payload.unique_identifier)
    managed = call.core.managed_objects.get(call.ctx, uid)
    found = report.attributes_of(managed, call.version)
    if payload.references:
        wanted = {(r.name, r.vendor) for r in payload.references}
        found = [a for a in found if (a.name, a.vendor) in wanted]
    return GetAttributesResponse(uid, tuple(found))


def get_attribute_list(call: Call, payload: IdentifierRequest) -> GetAttributeListResponse:
    uid = call.uid(payload.unique_identifier)
    managed = call.core.managed_objects.get(call.ctx, uid)
    names = dict.fromkeys((a.name, a.vendor) for a in report.attributes_of(managed, call.version))
    return GetAttributeListResponse(uid, tuple(AttributeReference(name, vendor) for name, vendor in names))


def _read_only(call: Call, name: str) -> Refusal:
    reason = ResultReason.ATTRIBUTE_READ_ONLY if call.version.major >= 2 else ResultReason.PERMISSION_DENIED
    return Refusal(reason, f"the attribute {name!r} is set by the server")


def _not_found(call: Call, name: str) -> Refusal:
    reason = ResultReason.ATTRIBUTE_NOT_FOUND if call.version.major >= 2 else ResultReason.ITEM_NOT_FOUND
    return Refusal(reason, f"the object has no attribute {name!r} there")


def _server_change(call: Call, uid: str, attribute: Attribute, *, adding: bool) -> bool:
    """Apply a change of a date or flag in the core; False when the attribute is not one of those."""
    if attribute.vendor is not None or attribute.name not in (*_DATES, *_FLAGS):
        if attribute.vendor is None and attribute.name in report.SERVER_ATTRIBUTES:
            raise _read_only(call, attribute.name)
        return False
    objects = call.core.managed_objects
    if attribute.name in _DATES:
        if adding:
            current = objects.get(call.ctx, uid).dates
            present = current.activation_date if attribute.name == "Activation Date" else current.deactivation_date
            if present is not None:
                raise Refusal(ResultReason.INVALID_FIELD, f"the object already has an {attribute.name!r}")
        key = "activation_date" if attribute.name == "Activation Date" else "deactivation_date"
        objects.set_dates(call.ctx, uid, **{key: float(attribute.value)})  # type: ignore[arg-type]
    else:
        key = attribute.name.lower()
        objects.set_protection(call.ctx, uid, **{key: bool(attribute.value)})
    return True


def _change(call: Call, uid: str, name: str, vendor: str | None,
            change: Callable[[list[Attribute]], list[Attribute]]) -> None:
    def apply(current: ManagedObject) -> dict[str, str]:
        return stored.with_values(current.attributes, name, vendor, change(stored.values(current.attributes, name,
                                                                                      vendor)))
    call.core.managed_objects.update_attributes(call.ctx, uid, apply)


def _kept(attribute: Attribute, index: int = 0) -> Attribute:
    return Attribute(attribute.name, attribute.type, attribute.value, index, attribute.vendor)


def add_attribute(call: Call, payload: AddAttributeRequest) -> AttributeResponse:
    uid = call.uid(payload.unique_identifier)
    attribute = payload.attribute
    call.params["attributeName"] = attribute.name
    if _server_change(call, uid, attribute, adding=True):
        return AttributeResponse(uid, attribute)
    added: list[Attribute] = []

    def add(values: list[Attribute]) -> list[Attribute]:
        if values and not multi_valued(attribute):
            raise Refusal(ResultReason.INVALID_FIELD, f"the object already has a {attribute.name!r}; modify it")
        added.append(_kept(attribute, len(values)))
        return [*values, attribute]
    _change(call, uid, attribute.name, attribute.vendor, add)
    return AttributeResponse(uid, added[0])


def set_attribute(call: Call, payload: SetAttributeRequest) -> IdentifierResponse:
    uid = call.uid(payload.unique_identifier)
    attribute = payload.attribute
    call.params["attributeName"] = attribute.name
    if _server_change(call, uid, attribute, adding=False):
        return IdentifierResponse(uid)
    if multi_valued(attribute):
        raise Refusal(ResultReason.MULTI_VALUED_ATTRIBUTE, f"{attribute.name!r} takes several values; add one")
    _change(call, uid, attribute.name, attribute.vendor, lambda values: [attribute])
    return IdentifierResponse(uid)


def modify_attribute(call: Call, payload: ModifyAttributeRequest) -> AttributeResponse:
    uid = call.uid(payload.unique_identifier)
    attribute = payload.attribute
    call.params["attributeName"] = attribute.name
    if _server_change(call, uid, attribute, adding=False):
        return AttributeResponse(uid, attribute)
    index = attribute.index or 0

    def modify(values: list[Attribute]) -> list[Attribute]:
        at = index
        if payload.current is not None:
            matches = [i for i, v in enumerate(values) if stored.same_value(v, payload.current)]
            if not matches:
                raise _not_found(call, attribute.name)
            at = matches[0]
        if at >= len(values):
            raise _not_found(call, attribute.name)
        return [*values[:at], attribute, *values[at + 1:]]
    _change(call, uid, attribute.name, attribute.vendor, modify)
    return AttributeResponse(uid, _kept(attribute, index))


def delete_attribute(call: Call, payload: DeleteAttributeRequest) -> AttributeResponse | IdentifierResponse:
    uid = call.uid(payload.unique_identifier)
    reference = payload.reference or AttributeReference(payload.current.name, payload.current.vendor)  # type: ignore[union-attr]
    call.params["attributeName"] = reference.name
    if reference.vendor is None and (reference.name in report.SERVER_ATTRIBUTES or reference.name in _DATES
                                     or reference.name in _FLAGS):
        raise _read_only(call, reference.name)
    deleted: list[Attribute] = []

    def delete(values: list[Attribute]) -> list[Attribute]:
        if payload.current is not None:
            keep = [v for v in values if not stored.same_value(v, payload.current)]
            deleted.extend(v for v in values if v not in keep)
        elif call.version.uses_attributes_structure:
            keep, deleted[:] = [], values
        else:
            at = payload.index or 0
            if at >= len(values):
                raise _not_found(call, reference.name)
            keep, deleted[:] = [*values[:at], *values[at + 1:]], [_kept(values[at], at)]
        if not deleted:
            raise _not_found(call, reference.name)
        return keep
    _change(call, uid, reference.name, reference.vendor, delete)
    if call.version.uses_attributes_structure:
        return IdentifierResponse(uid)
    return AttributeResponse(uid, deleted[0])
