"""KMS endpoints as libmongocrypt reads them: ``[scheme://]host[:port][/path][?query]``.

The scheme, path and query are dropped; the port defaults to 443. For the HTTP providers (aws, azure, gcp)
the host must contain a dot, so ``127.0.0.1:8443`` and ``kms.example.test`` are accepted while ``localhost``
and IPv6 literals are not (KMIP allows a dot-less host). What a key document stores is ``host_and_port``:
the host, plus ``:port`` only if a port was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom_client.errors import ConfigurationError

_HOST = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    host_and_port: str

    @property
    def host_header(self) -> str:
        """The HTTP ``Host`` value: the host, with the port unless it is 443."""
        return self.host if self.port == 443 else f"{self.host}:{self.port}"


def parse_endpoint(raw: str, *, default_port: int = 443, require_dot: bool = True) -> Endpoint:
    if not isinstance(raw, str) or not raw:
        raise ConfigurationError("an endpoint is a non-empty string")
    rest = raw.split("://", 1)[1] if "://" in raw else raw
    cut = min((i for i in (rest.find(c) for c in ":/?") if i >= 0), default=len(rest))
    host, after = rest[:cut], rest[cut:]
    if require_dot and "." not in host:
        raise ConfigurationError(f"invalid endpoint {raw!r}: expected a dot separator in the host")
    if not host or not _HOST.match(host):
        raise ConfigurationError(f"invalid endpoint {raw!r}: bad host")
    port_text = ""
    if after.startswith(":"):
        port_text = re.split(r"[/?]", after[1:], maxsplit=1)[0]
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ConfigurationError(f"invalid endpoint {raw!r}: bad port")
    port = int(port_text) if port_text else default_port
    return Endpoint(host, port, f"{host}:{port_text}" if port_text else host)
