"""The dispatch table: every operation of the AWS KMS model, each mapped to its handler or refused.

A handler takes the core, the request context and the validated parameters (blobs as bytes) and returns
the response members; bytes in the result are base64-encoded when rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.protocols.aws.operations import (
    aliases,
    asymmetric,
    crypto,
    grants,
    key_import,
    keys,
    mac,
    rotation,
    tags,
)
from strongroom.service.core import Core

Handler = Callable[[Core, RequestContext, dict[str, Any]], dict[str, Any] | None]

OPERATIONS: dict[str, Handler] = {
    **keys.HANDLERS,
    **crypto.HANDLERS,
    **asymmetric.HANDLERS,
    **mac.HANDLERS,
    **key_import.HANDLERS,
    **aliases.HANDLERS,
    **grants.HANDLERS,
    **rotation.HANDLERS,
    **tags.HANDLERS,
}
