"""The attributes an object has, as KMIP reports them: those the server keeps (from the core's view of the object)
followed by those clients set (kept as given, ``stored.py``), each only in the protocol versions that have it."""

from __future__ import annotations

from collections.abc import Iterable

from strongroom.protocols.kmip import conversions, stored
from strongroom.protocols.kmip.attributes import Attribute
from strongroom.protocols.kmip.enums import CertificateType
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.version import KMIP_1_4, KMIP_2_0, ProtocolVersion
from strongroom.service.managed_objects import ManagedObject, ObjectKind

_NEVER = ProtocolVersion(99, 0)

USAGE_MASK = "Cryptographic Usage Mask"
SERVER_ATTRIBUTES = frozenset({
    "Unique Identifier", "Object Type", "Cryptographic Algorithm", "Cryptographic Length", "State", "Initial Date",
    "Activation Date", "Deactivation Date", "Compromise Date", "Compromise Occurrence Date", "Destroy Date",
    "Last Change Date", "Original Creation Date", "Sensitive", "Always Sensitive", "Extractable",
    "Never Extractable", "Key Value Present", "Revocation Reason", "Digest", "Fresh", "Lease Time", "Usage Limits",
    "Certificate Type", "Certificate Length", "Certificate Identifier", "Certificate Subject", "Certificate Issuer",
    "X.509 Certificate Identifier", "X.509 Certificate Subject", "X.509 Certificate Issuer", "Key Value Location",
    "Archive Date", "Key Format Type", "Short Unique Identifier", "Random Number Generator",
})
"""What clients may not set as a plain stored attribute (the server keeps it, or derives it)."""
_SINCE: dict[Tag, ProtocolVersion] = {Tag.SENSITIVE: KMIP_1_4, Tag.EXTRACTABLE: KMIP_1_4}
_UNTIL: dict[Tag, ProtocolVersion] = {Tag.OPERATION_POLICY_NAME: KMIP_2_0}  # first version without it
_KEYS = (ObjectKind.SYMMETRIC_KEY, ObjectKind.PRIVATE_KEY, ObjectKind.PUBLIC_KEY)


def usage_mask(managed: ManagedObject) -> int:
    found = stored.values(managed.attributes, USAGE_MASK)
    return int(found[0].value) if found else conversions.default_usage_mask(managed)  # type: ignore[arg-type]


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(value)


def server_attributes(managed: ManagedObject) -> list[Attribute]:
    key, dates = managed.key, managed.dates
    out = [Attribute.of(Tag.UNIQUE_IDENTIFIER, managed.object_id),
           Attribute.of(Tag.OBJECT_TYPE, conversions.OBJECT_TYPE_OF[managed.kind])]
    if managed.kind in _KEYS:
        algorithm = conversions.algorithm_of(managed)
        if algorithm is not None:
            out.append(Attribute.of(Tag.CRYPTOGRAPHIC_ALGORITHM, algorithm))
        if managed.length is not None:
            out.append(Attribute.of(Tag.CRYPTOGRAPHIC_LENGTH, managed.length))
    if managed.kind is ObjectKind.CERTIFICATE:
        found = managed.attributes.get(stored.CERTIFICATE_TYPE)
        out.append(Attribute.of(Tag.CERTIFICATE_TYPE, int(found) if found else CertificateType.X_509))
    out.append(Attribute.of(Tag.OPERATION_POLICY_NAME, "default"))  # its key policy (KMIP 1.x; gone in 2.0)
    out.append(Attribute.of(Tag.CRYPTOGRAPHIC_USAGE_MASK, usage_mask(managed)))
    out.append(Attribute.of(Tag.STATE, conversions.STATE_OF[managed.state]))
    out.append(Attribute.of(Tag.INITIAL_DATE, int(key.created_at)))
    for tag, value in ((Tag.ACTIVATION_DATE, dates.activation_date), (Tag.DEACTIVATION_DATE, dates.deactivation_date),
                       (Tag.COMPROMISE_OCCURRENCE_DATE, dates.compromise_occurrence_date),
                       (Tag.COMPROMISE_DATE, dates.compromise_date), (Tag.DESTROY_DATE, dates.destroy_date)):
        if value is not None:
            out.append(Attribute.of(tag, int(value)))
    out.append(Attribute.of(Tag.LAST_CHANGE_DATE, int(dates.last_change_date or key.created_at)))
    if managed.kind not in (ObjectKind.PUBLIC_KEY, ObjectKind.CERTIFICATE):
        # Each is said only when it is not its default (not sensitive, extractable): clients that know neither
        # (PyKMIP's 2.0 reader) can still read the attributes of most objects.
        if managed.sensitive:
            out.append(Attribute.of(Tag.SENSITIVE, True))
        if not managed.extractable:
            out.append(Attribute.of(Tag.EXTRACTABLE, False))
    return out


def attributes_of(managed: ManagedObject, version: ProtocolVersion) -> list[Attribute]:
    """Every attribute of the object that exists in ``version``."""
    found = [a for a in server_attributes(managed) if version >= _SINCE.get(a.tag, version)  # type: ignore[arg-type]
             and version < _UNTIL.get(a.tag, _NEVER)]  # type: ignore[arg-type]
    found += [a for a in stored.all_values(managed.attributes) if a.name != USAGE_MASK and _expressible(a, version)]
    if version.uses_attributes_structure:  # 2.x carries no index: every value stands for itself
        found = [Attribute(a.name, a.type, a.value, None, a.vendor) for a in found]
    return found


def _expressible(attribute: Attribute, version: ProtocolVersion) -> bool:
    """1.x names any attribute but a vendor's; 2.x names standard attributes by tag and the rest by vendor."""
    if version.uses_attributes_structure:
        return attribute.tag is not None or attribute.vendor is not None
    return attribute.vendor is None


def named(attributes: Iterable[Attribute], name: str, vendor: str | None = None) -> list[Attribute]:
    return [a for a in attributes if a.name == name and a.vendor == vendor]
