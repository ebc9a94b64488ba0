"""Aliases: friendly names that point at one key of the same account and region."""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.errors import InvalidAliasNameError

ALIAS_PREFIX = "alias/"
RESERVED_ALIAS_PREFIX = "alias/aws/"
MAX_ALIAS_NAME = 256
MAX_ALIASES_PER_KEY = 50
_ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]+$")


@dataclass(frozen=True, slots=True)
class Alias:
    account_id: str
    region: str
    name: str
    target_key_id: str
    created_at: float
    updated_at: float

    @property
    def arn(self) -> str:
        return alias_arn(self.region, self.account_id, self.name)


def alias_arn(region: str, account_id: str, alias_name: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:{alias_name}"


def check_alias_name(name: str) -> None:
    """AWS's alias-name rules; names under ``alias/aws/`` are reserved for AWS-managed keys."""
    if not name.startswith(ALIAS_PREFIX) or len(name) > MAX_ALIAS_NAME or not _ALIAS_NAME.match(name):
        raise InvalidAliasNameError(
            f"Alias {name} must begin with 'alias/' followed by letters, digits, '/', '_' or '-'.")
    if name.startswith(RESERVED_ALIAS_PREFIX):
        raise InvalidAliasNameError(f"Alias {name} must not begin with '{RESERVED_ALIAS_PREFIX}'.")
