"""KeyId references as AWS accepts them: key id, key ARN, alias name, alias ARN."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

from strongroom.domain.aliases import ALIAS_PREFIX
from strongroom.errors import InvalidArnError, NotFoundError


@dataclass(frozen=True, slots=True)
class KeyReference:
    """A parsed KeyId: either a key id or an alias name, optionally pinned to an account and region."""

    key_id: str | None = None
    alias_name: str | None = None
    account_id: str | None = None
    region: str | None = None


def new_key_id() -> str:
    return str(uuid.uuid4())


def is_key_id(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


@lru_cache(maxsize=4096)  # every request names its key: parse each name once
def parse_key_reference(value: str, *, allow_alias: bool = True) -> KeyReference:
    """Parse any KeyId form. An unknown shape is reported as not found, as AWS does."""
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) != 6 or parts[2] != "kms" or not parts[3] or not parts[4]:
            raise InvalidArnError(f"Invalid arn {value}")
        _, _, _, region, account_id, resource = parts
        if resource.startswith("key/"):
            return KeyReference(key_id=resource[4:], account_id=account_id, region=region)
        if resource.startswith(ALIAS_PREFIX) and allow_alias:
            return KeyReference(alias_name=resource, account_id=account_id, region=region)
        raise InvalidArnError(f"Invalid arn {value}")
    if value.startswith(ALIAS_PREFIX):
        if not allow_alias:
            raise NotFoundError(f"Invalid keyId {value}")
        return KeyReference(alias_name=value)
    return KeyReference(key_id=value)


def requested_alias(value: str) -> str | None:
    """The alias a KeyId names, if it names one (for the kms:RequestAlias condition key)."""
    if value.startswith(ALIAS_PREFIX):
        return value
    marker = value.find(":" + ALIAS_PREFIX)
    return value[marker + 1:] if value.startswith("arn:") and marker != -1 else None
