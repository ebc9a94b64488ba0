"""KeyId as AWS accepts it (key id, key ARN, alias name, alias ARN), parsed into the core's ``KeyRef``."""

from __future__ import annotations

from functools import lru_cache

from strongroom.domain.aliases import ALIAS_PREFIX
from strongroom.domain.references import KeyRef
from strongroom.errors import InvalidArnError, NotFoundError


@lru_cache(maxsize=4096)  # every request names its key: parse each name once
def key_ref(value: str, *, alias: bool = True) -> KeyRef:
    """Parse any KeyId form; ``alias=False`` where the operation takes only a key id or key ARN. A malformed ARN
    is InvalidArnException; an alias where none is accepted is reported as not found, as AWS does."""
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) != 6 or parts[2] != "kms" or not parts[3] or not parts[4]:
            raise InvalidArnError(f"Invalid arn {value}")
        _, _, _, region, account_id, resource = parts
        if resource.startswith("key/"):
            return KeyRef(key_id=resource[4:], account_id=account_id, region=region, text=value)
        if resource.startswith(ALIAS_PREFIX) and alias:
            return KeyRef(alias=resource, account_id=account_id, region=region, text=value)
        raise InvalidArnError(f"Invalid arn {value}")
    if value.startswith(ALIAS_PREFIX):
        if not alias:
            raise NotFoundError(f"Invalid keyId {value}")
        return KeyRef(alias=value, text=value)
    return KeyRef(key_id=value, text=value)


def optional_key_ref(value: str | None, *, alias: bool = True) -> KeyRef | None:
    return key_ref(value, alias=alias) if value is not None else None
