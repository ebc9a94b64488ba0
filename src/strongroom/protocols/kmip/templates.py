"""The attributes a client gives a new object (Create, Register, Create Key Pair, ReKey), split into what the core
decides (algorithm and length, dates, extractable, sensitive) and what is kept as given (``stored.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from strongroom.protocols.kmip import stored
from strongroom.protocols.kmip.attributes import Attribute
from strongroom.protocols.kmip.enums import ResultReason
from strongroom.protocols.kmip.report import SERVER_ATTRIBUTES
from strongroom.protocols.kmip.results import Refusal
from strongroom.service.managed_objects import NewObject

MULTI_VALUED = frozenset({
    "Name", "Object Group", "Link", "Application Specific Information", "Alternative Name",
    "Cryptographic Parameters", "Cryptographic Domain Parameters", "Key Value Location", "Digest",
})
_CONSUMED = frozenset({"Cryptographic Algorithm", "Cryptographic Length", "Activation Date", "Deactivation Date",
                       "Sensitive", "Extractable", "Object Type", "Operation Policy Name"})
POLICY_NAME = "default"
"""The one operation policy (KMIP 1.x): the key's key policy, whose name is ``default``."""


def multi_valued(attribute: Attribute) -> bool:
    return attribute.name in MULTI_VALUED or attribute.tag is None


@dataclass(slots=True)
class Template:
    algorithm: int | None = None
    length: int | None = None
    object_type: int | None = None
    activation_date: int | None = None
    deactivation_date: int | None = None
    sensitive: bool | None = None
    extractable: bool | None = None
    kept: dict[str, str] = field(default_factory=dict)

    def new_object(self, **overrides: object) -> NewObject:
        values: dict[str, object] = {
            "attributes": dict(self.kept), "extractable": True if self.extractable is None else self.extractable,
            "sensitive": bool(self.sensitive), "activation_date": self.activation_date,
            "deactivation_date": self.deactivation_date}
        values.update(overrides)
        return NewObject(**values)  # type: ignore[arg-type]


def read_template(attributes: Iterable[Attribute], base: Template | None = None) -> Template:
    """Check and split a new object's attributes (on top of ``base``: Create Key Pair's common attributes)."""
    template = Template() if base is None else Template(
        base.algorithm, base.length, base.object_type, base.activation_date, base.deactivation_date,
        base.sensitive, base.extractable, dict(base.kept))
    seen: set[tuple[str, str | None]] = set()
    for attribute in attributes:
        name = attribute.name
        if (name, attribute.vendor) in seen and not multi_valued(attribute):
            raise Refusal(ResultReason.INVALID_FIELD, f"the attribute {name!r} is given more than once")
        seen.add((name, attribute.vendor))
        if attribute.vendor is None and name in _CONSUMED:
            _consume(template, attribute)
        elif attribute.vendor is None and name in SERVER_ATTRIBUTES:
            raise Refusal(ResultReason.INVALID_FIELD, f"the attribute {name!r} is set by the server")
        else:
            previous = stored.values(template.kept, name, attribute.vendor) if multi_valued(attribute) else []
            template.kept = stored.with_values(template.kept, name, attribute.vendor, [*previous, attribute])
    return template


def _consume(template: Template, attribute: Attribute) -> None:
    value = attribute.value
    if attribute.name == "Cryptographic Algorithm":
        template.algorithm = value  # type: ignore[assignment]
    elif attribute.name == "Cryptographic Length":
        template.length = value  # type: ignore[assignment]
    elif attribute.name == "Object Type":
        template.object_type = value  # type: ignore[assignment]
    elif attribute.name == "Activation Date":
        template.activation_date = value  # type: ignore[assignment]
    elif attribute.name == "Deactivation Date":
        template.deactivation_date = value  # type: ignore[assignment]
    elif attribute.name == "Sensitive":
        template.sensitive = bool(value)
    elif attribute.name == "Extractable":
        template.extractable = bool(value)
    elif attribute.name == "Operation Policy Name" and value != POLICY_NAME:
        raise Refusal(ResultReason.INVALID_FIELD, f"the operation policy of an object is its key policy, "
                                                  f"{POLICY_NAME!r}; set it through the key policy")
