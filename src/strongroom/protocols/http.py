"""The HTTP request and response every HTTP-speaking adapter sees, independent of the server stack."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lower-cased; values exactly as received
    body: bytes
    client_ip: str = ""
    secure: bool = False


@dataclass(slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/x-amz-json-1.1"
    headers: list[tuple[str, str]] = field(default_factory=list)
    # what the adapter tells the server about the request, for logs and metrics (never secrets)
    facts: dict[str, Any] | None = None
