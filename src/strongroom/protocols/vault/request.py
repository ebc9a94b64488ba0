"""One Vault request as the handlers see it, their reply, and Vault's lenient parameter parsing."""

from __future__ import annotations

import binascii
import re
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
    legacy: bool = False  # Vault's older sys answers: ``data``'s members repeated at the top level of the body

    def render(self, request_id: str, facts: dict[str, Any]) -> HttpResponse:
        if self.raw is not None:
            return HttpResponse(self.status, orjson.dumps(self.raw), CONTENT_TYPE, [], facts)
        if self.data is None and self.auth is None and not self.warnings:
            return HttpResponse(204, b"", CONTENT_TYPE, [], facts)
        body = {"request_id": request_id, "lease_id": "", "renewable": False, "lease_duration": 0,
                "data": self.data, "wrap_info": None, "warnings": self.warnings, "auth": self.auth}
        if self.legacy and self.data:
            body = {**self.data, **body}
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


def b64(value: Any, name: str, *, missing: str | None = None, prefix: str = "") -> bytes | None:
    """A base64 parameter decoded as Go's ``base64.StdEncoding`` decodes it (Vault's texts: ``prefix`` + Go's
    error). Absent or empty: None, or InvalidRequestError(``missing``) when given."""
    if value is None or value == "":
        if missing is not None:
            raise InvalidRequestError(missing)
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # Vault's parameter parsing turns numbers into their text
    if not isinstance(value, str):
        raise InvalidRequestError(f"error converting input for field \"{name}\": not a string")
    try:
        return go_b64decode(value)
    except ValueError as exc:
        raise InvalidRequestError(f"{prefix}{exc}") from None


_B64_ALPHABET = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
# Padded standard base64 with nothing else in it: what Go accepts without question, decoded by binascii (in C).
_CANONICAL_B64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def go_b64decode(text: str) -> bytes:
    """Standard padded base64 as Go decodes it: CR and LF are skipped anywhere; any other fault is ValueError
    ``illegal base64 data at input byte N``, N being the offset Go reports (the texts Vault answers)."""
    if _CANONICAL_B64.fullmatch(text):  # the usual case; the walk below finds the offset of a fault
        return binascii.a2b_base64(text)
    src = text.encode("utf-8", "surrogatepass")

    def corrupt(offset: int) -> ValueError:
        return ValueError(f"illegal base64 data at input byte {offset}")

    out, si = bytearray(), 0
    while si < len(src):
        quantum, j, dlen = [0, 0, 0, 0], 0, 4
        while j < 4:
            if si == len(src):
                if j == 0:
                    return bytes(out)
                raise corrupt(si - j)
            char = src[si]
            si += 1
            if char in _B64_ALPHABET:
                quantum[j] = _B64_ALPHABET[char]
                j += 1
                continue
            if char in b"\r\n":
                continue
            if char != ord("=") or j < 2:
                raise corrupt(si - 1)
            if j == 2:  # "==" expected, the first already read
                while si < len(src) and src[si] in b"\r\n":
                    si += 1
                if si == len(src):
                    raise corrupt(len(src))
                if src[si] != ord("="):
                    raise corrupt(si - 1)
                si += 1
            while si < len(src) and src[si] in b"\r\n":
                si += 1
            if si < len(src):
                raise corrupt(si)  # trailing garbage after the padding
            dlen = j
            break
        value = quantum[0] << 18 | quantum[1] << 12 | quantum[2] << 6 | quantum[3]
        out += value.to_bytes(3, "big")[:dlen - 1]
    return bytes(out)


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
