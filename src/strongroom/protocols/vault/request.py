"""One Vault request as the handlers see it, their reply, and Vault's lenient parameter parsing."""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from strongroom.domain.context import RequestContext
from strongroom.domain.engines import BearerToken
from strongroom.domain.path_policy import Capability
from strongroom.errors import InvalidRequestError
from strongroom.protocols.http import HttpResponse
from strongroom.service.core import Core

CONTENT_TYPE = "application/json"


@dataclass(slots=True)
class Call:
    core: Core
    ctx: RequestContext
    token: BearerToken
    token_text: str
    method: str
    path: str
    body: dict[str, Any]
    query: dict[str, list[str]]
    capability: Capability

    def authorize(self, capability: Capability | None = None) -> None:
        """The token's path policies must grant ``capability`` (default: what the method asks) on the path."""
        self.core.path_policies.check(self.ctx, self.token, self.path, capability or self.capability,
                                      self.body or None)

    def param(self, name: str, default: Any = None) -> Any:
        if name in self.body:
            return self.body[name]
        values = self.query.get(name)
        return values[0] if values else default


@dataclass(slots=True)
class Reply:
    data: dict[str, Any] | None = None
    status: int = 200
    auth: dict[str, Any] | None = None
    warnings: list[str] | None = None
    raw: dict[str, Any] | None = field(default=None)  # an answer that is not in the envelope (sys/health)

    def render(self, request_id: str, facts: dict[str, Any]) -> HttpResponse:
        if self.raw is not None:
            return HttpResponse(self.status, orjson.dumps(self.raw), CONTENT_TYPE, [], facts)
        if self.data is None and self.auth is None:
            return HttpResponse(204, b"", CONTENT_TYPE, [], facts)
        body = {"request_id": request_id, "lease_id": "", "renewable": False, "lease_duration": 0,
                "data": self.data, "wrap_info": None, "warnings": self.warnings, "auth": self.auth}
        return HttpResponse(self.status, orjson.dumps(body), CONTENT_TYPE, [], facts)


NO_CONTENT = Reply()


def boolean(value: Any, name: str, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "t"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "f"):
        return False
    if isinstance(value, int):
        return bool(value)
    raise InvalidRequestError(f"error converting input {value!r} for field \"{name}\": not a boolean")


def integer(value: Any, name: str, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise InvalidRequestError(f"error converting input for field \"{name}\": not an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidRequestError(f"error converting input {value!r} for field \"{name}\": not an integer") from None


def seconds(value: Any, name: str, default: float | None = None) -> float | None:
    """A duration: a number of seconds or Go's form (``1h30m``, ``10s``, ``7d`` as Vault accepts)."""
    if value is None or value == "":
        return default
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text, total, number = value.strip(), 0.0, ""
        if text.isdigit():
            return float(text)
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        for char in text:
            if char.isdigit() or char == ".":
                number += char
            elif char in units and number:
                total, number = total + float(number) * units[char], ""
            else:
                number = "x"
                break
        if not number:
            return total
    raise InvalidRequestError(f"error converting input {value!r} for field \"{name}\": not a duration")


def text(value: Any, name: str, default: str | None = None) -> str | None:
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidRequestError(f"error converting input for field \"{name}\": not a string")


def b64(value: Any, name: str, *, required: bool = False) -> bytes | None:
    if value is None or value == "":
        if required:
            raise InvalidRequestError(f"missing {name} to process")
        return None if not required else b""
    if not isinstance(value, str):
        raise InvalidRequestError(f"error converting input for field \"{name}\": not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError(f"failed to base64-decode {name}") from None


def string_list(value: Any, name: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise InvalidRequestError(f"error converting input for field \"{name}\": not a list of strings")


def rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
