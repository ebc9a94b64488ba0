"""Reading one mapping of a seed file member by member, with errors that name the member and its line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from strongroom.errors import StrongroomError
from strongroom.seed.errors import SeedError
from strongroom.seed.yaml_tree import Node

T = TypeVar("T")


class Fields:
    """The members of one mapping node. Each accessor marks its member read; ``done`` refuses the others."""

    def __init__(self, node: Node, what: str) -> None:
        if not node.is_mapping:
            raise node.error(f"{what}: expected a mapping")
        self.node = node
        self.what = what
        self._members: dict[str, Node] = node.value
        self._read: set[str] = set()

    @property
    def line(self) -> int:
        return self.node.line

    def error(self, message: str, name: str | None = None) -> SeedError:
        at = self._members.get(name) if name is not None else None
        return (at or self.node).error(f"{self.what}: {message}")

    def has(self, name: str) -> bool:
        return name in self._members

    def get(self, name: str) -> Node | None:
        self._read.add(name)
        found = self._members.get(name)
        return None if found is None or found.value is None else found

    def unread(self) -> list[str]:
        return [name for name in self._members if name not in self._read]

    def done(self, ignored: Iterable[str] = ()) -> list[str]:
        """Refuse members nobody read; the names in ``ignored`` are returned instead (for a note)."""
        unread = self.unread()
        skip = set(ignored)
        for name in unread:
            if name not in skip:
                known = ", ".join(sorted(self._read)) or "none"
                raise self.error(f"unknown member {name!r} (known here: {known})", name)
        return [name for name in unread if name in skip]

    # --- scalars ------------------------------------------------------------------------------

    def text(self, name: str, *, required: bool = False, choices: Iterable[str] | None = None) -> str | None:
        found = self.get(name)
        if found is None:
            if required:
                raise self.error(f"{name!r} is required")
            return None
        value = scalar_text(found, f"{self.what}: {name!r}")
        allowed = tuple(choices) if choices is not None else None
        if allowed is not None and value not in allowed:
            raise self.error(f"{name!r} is {value!r}, not one of {', '.join(allowed)}", name)
        return value

    def required_text(self, name: str, *, choices: Iterable[str] | None = None) -> str:
        value = self.text(name, required=True, choices=choices)
        assert value is not None
        return value

    def integer(self, name: str, *, low: int | None = None, high: int | None = None) -> int | None:
        found = self.get(name)
        if found is None:
            return None
        if isinstance(found.value, bool) or not isinstance(found.value, int):
            raise self.error(f"{name!r} must be a whole number", name)
        if (low is not None and found.value < low) or (high is not None and found.value > high):
            raise self.error(f"{name!r} must be between {low} and {high}", name)
        return int(found.value)

    def boolean(self, name: str, default: bool = False) -> bool:
        found = self.get(name)
        if found is None:
            return default
        if not isinstance(found.value, bool):
            raise self.error(f"{name!r} must be true or false", name)
        return found.value

    def timestamp(self, name: str) -> float | None:
        """An ISO 8601 date-time (YAML reads it as one) or POSIX seconds."""
        found = self.get(name)
        if found is None:
            return None
        value = found.value
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day).timestamp()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            return datetime.fromisoformat(str(value)).timestamp()
        except ValueError:
            raise self.error(f"{name!r} must be an ISO 8601 date and time", name) from None

    # --- collections --------------------------------------------------------------------------

    def items(self, name: str) -> list[Node]:
        found = self.get(name)
        if found is None:
            return []
        if not found.is_sequence:
            raise self.error(f"{name!r} must be a list", name)
        return list(found.value)

    def texts(self, name: str) -> list[str]:
        return [scalar_text(item, f"{self.what}: an item of {name!r}") for item in self.items(name)]

    def text_map(self, name: str) -> dict[str, str] | None:
        """A mapping of names to texts (tags, an encryption context)."""
        found = self.get(name)
        if found is None:
            return None
        if not found.is_mapping:
            raise self.error(f"{name!r} must be a mapping of names to values", name)
        return {key: scalar_text(value, f"{self.what}: {name}.{key}") for key, value in found.value.items()}

    def json_document(self, name: str) -> str | None:
        """A JSON document (a policy): written as YAML, or as a string holding JSON; returned as JSON text."""
        found = self.get(name)
        if found is None:
            return None
        if isinstance(found.value, str):
            try:
                json.loads(found.value)
            except ValueError as exc:
                raise self.error(f"{name!r} is not valid JSON: {exc}", name) from None
            return found.value
        if not found.is_mapping:
            raise self.error(f"{name!r} must be a mapping (or a string holding JSON)", name)
        return json.dumps(plain(found), separators=(",", ":"))

    def checked(self, name: str, check: Callable[[], T]) -> T:
        """``check()``, with a core refusal turned into this member's error."""
        try:
            return check()
        except StrongroomError as exc:
            raise self.error(exc.message, name) from None


def scalar_text(node: Node, what: str) -> str:
    if node.is_mapping or node.is_sequence or node.value is None:
        raise node.error(f"{what} must be a single value")
    if isinstance(node.value, str):
        return node.value
    if isinstance(node.value, bool | int | float) and node.text is not None:
        return node.text  # an account id, a number-looking hex string: the text as written
    raise node.error(f"{what} must be text")


def plain(node: Node) -> Any:
    """The node as plain Python values (for JSON documents)."""
    if node.is_mapping:
        return {key: plain(value) for key, value in node.value.items()}
    if node.is_sequence:
        return [plain(item) for item in node.value]
    if isinstance(node.value, datetime | date):
        return node.text
    if isinstance(node.value, bytes):
        raise node.error("binary values have no JSON form")
    return node.value
