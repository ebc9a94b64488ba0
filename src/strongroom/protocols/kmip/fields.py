"""Reading the children of one structure by tag, with the faults a server answers with.

Children are taken by tag, not by position: the spec fixes an order, but libmongocrypt and other clients
are read the same way, and order carries no meaning. What a reader does not take is an error, so a typo'd
or unsupported field is refused rather than silently ignored. A missing, repeated or unexpected field is an
Invalid Message; a field of the wrong type or with a value out of range is an Invalid Field.
"""

from __future__ import annotations

from typing import Any, TypeVar

from strongroom.protocols.kmip.enums import known
from strongroom.protocols.kmip.errors import MessageError
from strongroom.protocols.kmip.tags import tag_name
from strongroom.protocols.kmip.ttlv import Item, ItemType

E = TypeVar("E")


class Fields:
    def __init__(self, item: Item, where: str | None = None) -> None:
        self.where = where or tag_name(item.tag)
        if item.type is not ItemType.STRUCTURE:
            raise MessageError.invalid_field(f"{self.where} must be a Structure, not a {item.type.name}")
        self._rest: list[Item] = list(item.children)

    def has(self, tag: int) -> bool:
        return any(child.tag == tag for child in self._rest)

    def take(self, tag: int) -> list[Item]:
        """Every remaining child with this tag, of any type, in order."""
        taken = [child for child in self._rest if child.tag == tag]
        if taken:
            self._rest = [child for child in self._rest if child.tag != tag]
        return taken

    def maybe_item(self, tag: int, item_type: ItemType | None = None) -> Item | None:
        taken = self.take(tag)
        if len(taken) > 1:
            raise MessageError.invalid_message(f"{tag_name(tag)} appears {len(taken)} times in {self.where}")
        if not taken:
            return None
        if item_type is not None:
            self._check_type(taken[0], item_type)
        return taken[0]

    def item(self, tag: int, item_type: ItemType | None = None) -> Item:
        found = self.maybe_item(tag, item_type)
        if found is None:
            raise MessageError.invalid_message(f"{self.where} lacks the required {tag_name(tag)}")
        return found

    def maybe(self, tag: int, item_type: ItemType) -> Any:
        found = self.maybe_item(tag, item_type)
        return None if found is None else found.value

    def one(self, tag: int, item_type: ItemType) -> Any:
        return self.item(tag, item_type).value

    def many(self, tag: int, item_type: ItemType) -> list[Any]:
        taken = self.take(tag)
        for child in taken:
            self._check_type(child, item_type)
        return [child.value for child in taken]

    def maybe_enum(self, tag: int, cls: type[E]) -> E | int | None:
        value = self.maybe(tag, ItemType.ENUMERATION)
        return None if value is None else known(cls, value)  # type: ignore[type-var]

    def done(self) -> None:
        if self._rest:
            names = ", ".join(tag_name(child.tag) for child in self._rest)
            raise MessageError.invalid_message(f"unexpected {names} in {self.where}")

    def _check_type(self, child: Item, item_type: ItemType) -> None:
        if child.type is not item_type:
            raise MessageError.invalid_field(
                f"{tag_name(child.tag)} in {self.where} must be a {item_type.name}, not a {child.type.name}"
            )
