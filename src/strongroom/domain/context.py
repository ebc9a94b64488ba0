"""Who is asking, and from where: what every core call is given by the adapter that authenticated it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AccessKey:
    """A stored access key pair. ``secret_access_key`` only lives in memory, unwrapped on demand."""

    access_key_id: str
    account_id: str
    user_name: str
    secret_access_key: str
    status: str = "Active"

    def __repr__(self) -> str:  # never print the secret
        return f"AccessKey({self.access_key_id!r}, account={self.account_id!r}, user={self.user_name!r})"

    @property
    def principal_arn(self) -> str:
        if self.user_name == "root":
            return f"arn:aws:iam::{self.account_id}:root"
        return f"arn:aws:iam::{self.account_id}:user/{self.user_name}"


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    access_key_id: str
    principal_arn: str


@dataclass(frozen=True, slots=True)
class RequestContext:
    caller: Caller
    region: str
    source_ip: str = ""
    secure_transport: bool = False
    request_id: str = ""
