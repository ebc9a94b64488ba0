"""List paging: ``pageSize`` (default and maximum 1000) and ``pageToken`` (the last name of the previous page)."""

from __future__ import annotations

import base64
import binascii

from strongroom.protocols.gcp.errors import invalid
from strongroom.protocols.gcp.request import Call

MAX_PAGE = 1000


def page(call: Call, names: list[str]) -> tuple[list[str], str | None]:
    """The page of sorted ``names`` the request asks for, and the token of the next page (None: last page)."""
    size_text = call.param("pageSize")
    if size_text is not None and (not size_text.isdigit() or int(size_text) < 0):
        raise invalid(f"Invalid value for page_size: {size_text!r}")
    size = min(int(size_text or 0) or MAX_PAGE, MAX_PAGE)
    token = call.param("pageToken")
    after = ""
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (binascii.Error, ValueError):
            raise invalid("Invalid page_token.") from None
    remaining = [n for n in names if n > after]
    items = remaining[:size]
    more = len(remaining) > size
    return items, base64.urlsafe_b64encode(items[-1].encode()).decode() if more and items else None
