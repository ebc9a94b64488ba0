"""What a key server asks of the operating system before it holds a secret: no core dumps.

A core file is a copy of the process's memory on disk: unwrapped key material, the KEK, request plaintexts. The
limit is set to zero in the supervisor before any worker forks, so every process of the server inherits it.
"""

from __future__ import annotations

import logging
import resource

log = logging.getLogger("strongroom.server")


def disable_core_dumps() -> None:
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError) as exc:  # a sandbox may forbid it: serve, and say so
        log.warning("could not turn core dumps off: %s", exc)
