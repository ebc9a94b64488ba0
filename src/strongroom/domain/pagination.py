"""Opaque list markers: AWS's Marker/NextMarker/Truncated paging over any ordered listing."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from strongroom.errors import InvalidMarkerError

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_marker: str | None

    @property
    def truncated(self) -> bool:
        return self.next_marker is not None


def encode_marker(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode("utf-8")).decode("ascii")


def decode_marker(marker: str | None) -> str | None:
    """The position after which the next page starts; a marker we did not issue is refused."""
    if marker is None:
        return None
    try:
        return base64.urlsafe_b64decode(marker.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError) as exc:
        raise InvalidMarkerError("The request contains an invalid marker.") from exc


def page_of(items: Sequence[T], limit: int | None, position_of) -> Page[T]:  # type: ignore[no-untyped-def]
    """Cut ``items`` (already starting after the marker, fetched as limit + 1) into one page."""
    limit = limit or DEFAULT_LIMIT
    if len(items) > limit:
        shown = items[:limit]
        return Page(shown, encode_marker(position_of(shown[-1])))
    return Page(items, None)
