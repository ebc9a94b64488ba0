"""Who is asking, and from where: what every core call is given by the adapter that authenticated it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class AccessKey:
    """A stored access key pair. ``secret_access_key`` only lives in memory, unwrapped on demand."""

    access_key_id: str
    account_id: str
    user_name: str
    secret_access_key: str
    status: str = "Active"
    session_token_digest: bytes | None = None  # temporary credentials only
    expires_at: float | None = None

    def __repr__(self) -> str:  # never print the secret
        return f"AccessKey({self.access_key_id!r}, account={self.account_id!r}, user={self.user_name!r})"

    @property
    def principal_arn(self) -> str:
        return principal_arn(self.account_id, self.user_name)


ROOT_USER = "root"


def principal_arn(account_id: str, user_name: str) -> str:
    if user_name == ROOT_USER:
        return f"arn:aws:iam::{account_id}:root"
    return f"arn:aws:iam::{account_id}:user/{user_name}"


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    access_key_id: str
    principal_arn: str
    user_name: str = ROOT_USER

    @property
    def is_root(self) -> bool:
        return self.user_name == ROOT_USER


@dataclass(frozen=True, slots=True)
class RequestContext:
    caller: Caller
    region: str
    source_ip: str = ""
    secure_transport: bool = False
    request_id: str = ""
    protocol: str = "aws"
    note: AuditNote = field(default_factory=lambda: AuditNote(), compare=False)


class AuditNote:
    """What the core used for a request, noted as it goes, for its one audit event: the key (the first one
    resolved, i.e. the one the request is about) and the key version. A key is noted as given (a key or its ARN)
    and its ARN made only when the event is."""

    __slots__ = ("_key", "key_version")

    def __init__(self) -> None:
        self._key: Any = None  # a Key (anything with ``.arn``) or an ARN
        self.key_version: int | None = None

    def key(self, key: Any) -> None:
        if self._key is None:
            self._key = key

    @property
    def key_arn(self) -> str | None:
        key = self._key
        return key if key is None or isinstance(key, str) else key.arn

    def version(self, version: int | None) -> None:
        if self.key_version is None:
            self.key_version = version
