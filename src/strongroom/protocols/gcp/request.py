"""One Cloud KMS request as the handlers see it, and the JSON conventions of Google's REST mapping: bytes as
standard base64, int64 as strings, durations as ``"86400s"``, timestamps as RFC 3339 in UTC."""

from __future__ import annotations

import base64
import binascii
import calendar
import re
import time
from dataclasses import dataclass
from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.domain.workload_identities import WorkloadIdentity
from strongroom.protocols.gcp.crc32c import crc32c
from strongroom.protocols.gcp.enums import GoogleEnum
from strongroom.protocols.gcp.errors import GoogleError, invalid
from strongroom.protocols.gcp.names import Target
from strongroom.service.core import Core

_DURATION = re.compile(r"^(\d{1,12})(?:\.(\d{1,9}))?s$")
_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


@dataclass(slots=True)
class Call:
    core: Core
    ctx: RequestContext
    identity: WorkloadIdentity
    method: str
    target: Target
    body: dict[str, Any]
    query: dict[str, list[str]]
    numeric_enums: bool  # the caller asked for ``enum-encoding=int``

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def enum(self, enum: GoogleEnum, name: str) -> str | int:
        return enum.render(name, self.numeric_enums)


def b64_field(body: dict[str, Any], field: str, *, required: bool = False) -> bytes:
    value = body.get(field)
    if value is None or value == "":
        if required:
            raise invalid(f"The request is missing a required field: {field}.")
        return b""
    if not isinstance(value, str):
        raise invalid(f"Invalid value at '{field}' (TYPE_BYTES): expected a base64 string.")
    try:
        return base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise invalid(f"Invalid value at '{field}' (TYPE_BYTES): {value[:16]!r}… is not base64.") from None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def int64_field(body: dict[str, Any], field: str) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise invalid(f"Invalid value at '{field}' (TYPE_INT64): {value!r}")
    number = int(value)
    if not -(2 ** 63) <= number < 2 ** 63:
        raise invalid(f"Invalid value at '{field}' (TYPE_INT64): {value!r}")
    return number


def checked(body: dict[str, Any], field: str, data: bytes) -> bool:
    """Whether ``field`` (the CRC32C of ``data``) was given; a given one that does not match is refused."""
    expected = int64_field(body, field)
    if expected is None:
        return False
    if expected != crc32c(data):
        raise invalid(f"The checksum in field {field} did not match the data in field "
                      f"{field.removesuffix('Crc32c')}.")
    return True


def crc(data: bytes) -> str:
    return str(crc32c(data))


def text_field(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid value at '{field}' (TYPE_STRING): {value!r}")
    return value


def object_field(body: dict[str, Any], field: str) -> dict[str, Any]:
    value = body.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid value at '{field}': expected an object.")
    return value


def bool_param(value: Any, field: str) -> bool:
    if value is None or value is False or value in ("false", "0", ""):
        return False
    if value is True or value in ("true", "1"):
        return True
    raise invalid(f"Invalid value for {field}: {value!r}")


def duration(value: Any, field: str) -> float | None:
    if value is None:
        return None
    found = _DURATION.match(value) if isinstance(value, str) else None
    if found is None:
        raise invalid(f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.Duration): {value!r}")
    return int(found.group(1)) + float(f"0.{found.group(2) or 0}")


def render_duration(seconds: float) -> str:
    return f"{int(seconds)}s"


def timestamp(value: Any, field: str) -> float | None:
    if value is None:
        return None
    found = _TIMESTAMP.match(value) if isinstance(value, str) else None
    if found is None:
        raise invalid(f"Invalid value at '{field}' (type.googleapis.com/google.protobuf.Timestamp): {value!r}")
    seconds = float(calendar.timegm(time.strptime(found.group(1), "%Y-%m-%dT%H:%M:%S")))
    if found.group(3) != "Z":
        sign = 1 if found.group(3)[0] == "+" else -1
        hours, minutes = found.group(3)[1:].split(":")
        seconds -= sign * (int(hours) * 3600 + int(minutes) * 60)
    return seconds + float(f"0.{found.group(2) or 0}")


def rfc3339(epoch: float) -> str:
    micros = int(round((epoch - int(epoch)) * 1_000_000))
    if micros >= 1_000_000:
        epoch, micros = epoch + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(epoch))) + f".{micros:06d}Z"


def version_number(text: str | None, field: str = "cryptoKeyVersionId") -> int:
    if text is None or not text.isdigit() or int(text) < 1 or int(text) >= 2 ** 31:
        raise GoogleError(400, "INVALID_ARGUMENT", f"Invalid {field}: {text!r} (a positive version number).")
    return int(text)
