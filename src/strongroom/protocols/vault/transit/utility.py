"""The keyless routes: ``random[/:source][/:bytes]`` and ``hash[/:algorithm]``."""

from __future__ import annotations

import base64

from strongroom.domain.path_policy import Capability
from strongroom.errors import InvalidRequestError
from strongroom.protocols.vault.request import Reply, b64, integer, text
from strongroom.protocols.vault.transit.common import HASHES, Keys, output

MAX_RANDOM_BYTES = 128 * 1024  # Vault's limit
_SOURCES = ("platform", "seal", "all")


def random(keys: Keys, *parts: str) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    words = [p for p in parts if p not in _SOURCES]
    if words:
        if not words[0].isdigit() or not words[0].isascii():
            raise InvalidRequestError(f"error parsing url-set byte count: strconv.Atoi: parsing \"{words[0]}\": "
                                      f"invalid syntax")
        count = int(words[0])
    else:
        count = integer(keys.call.param("bytes"), "bytes", 32) or 0
    if count < 1:
        raise InvalidRequestError("'bytes' cannot be less than 1")
    if count > MAX_RANDOM_BYTES:
        raise InvalidRequestError(f"'bytes' should be less than {MAX_RANDOM_BYTES}")
    fmt = text(keys.call.param("format"), "format") or "base64"
    if fmt not in ("hex", "base64"):
        raise InvalidRequestError(f"unsupported encoding format \"{fmt}\"; must be \"hex\" or \"base64\"")
    data = keys.service.random(count)
    return Reply({"random_bytes": data.hex() if fmt == "hex" else base64.b64encode(data).decode()})


def hash_data(keys: Keys, algorithm: str | None = None) -> Reply:
    keys.call.authorize(Capability.UPDATE)
    algorithm = algorithm or text(keys.call.param("algorithm"), "algorithm") or "sha2-256"
    if algorithm not in HASHES[1:]:
        raise InvalidRequestError(f"unsupported algorithm {algorithm}")
    data = b64(keys.call.param("input"), "input", missing="input missing",
               prefix="unable to decode input as base64: ") or b""
    fmt = text(keys.call.param("format"), "format") or "hex"  # transit/hash answers hex by default
    return Reply({"sum": output(keys.service.digest(data, algorithm), fmt)})
