"""The administration API: ``X-Amz-Target: StrongroomAdmin.<Operation>``, JSON 1.1, SigV4-signed.

Same wire conventions as the KMS API (errors as ``{"__type", "message"}``), so any SigV4 client can call it.
There is no botocore model for it; each handler checks its few members itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strongroom.domain.context import RequestContext, principal_arn
from strongroom.errors import InvalidRequestError
from strongroom.service.core import Core

TARGET_PREFIX = "StrongroomAdmin."


def _text(p: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = p.get(name)
    if value is None:
        if required:
            raise InvalidRequestError(f"1 validation error detected: Value null at '{name}' failed to satisfy "
                                      "constraint: Member must not be null")
        return None
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"{name} must be a non-empty string.")
    return value


def _account(p: dict[str, Any]) -> str | None:
    return _text(p, "AccountId", required=False)


def create_account(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"AccountId": core.admin.create_account(ctx, _account(p))}


def list_accounts(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"Accounts": core.admin.list_accounts(ctx)}


def create_user(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    user = core.admin.create_user(ctx, _account(p), _text(p, "UserName"))  # type: ignore[arg-type]
    return {"Arn": principal_arn(user.account_id, user.user_name), "CreateDate": user.created_at}


def list_users(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"Users": [{"UserName": u.user_name, "Arn": principal_arn(u.account_id, u.user_name),
                       "CreateDate": u.created_at} for u in core.admin.list_users(ctx, _account(p))]}


def delete_user(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.admin.delete_user(ctx, _account(p), _text(p, "UserName"))  # type: ignore[arg-type]


def put_user_policy(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.admin.put_user_policy(ctx, _account(p), _text(p, "UserName"), _text(p, "PolicyName"),  # type: ignore[arg-type]
                               _text(p, "PolicyDocument"))  # type: ignore[arg-type]


def delete_user_policy(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.admin.delete_user_policy(ctx, _account(p), _text(p, "UserName"), _text(p, "PolicyName"))  # type: ignore[arg-type]


def list_user_policies(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"Policies": core.admin.list_user_policies(ctx, _account(p), _text(p, "UserName"))}  # type: ignore[arg-type]


def create_access_key(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    seconds = p.get("SessionDurationSeconds")
    if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool)):
        raise InvalidRequestError("SessionDurationSeconds must be an integer.")
    created = core.admin.create_access_key(ctx, _account(p), _text(p, "UserName", required=False), seconds)
    key = created.key
    out: dict[str, Any] = {"AccountId": key.account_id, "UserName": key.user_name,
                           "AccessKeyId": key.access_key_id, "SecretAccessKey": key.secret_access_key}
    if created.session_token is not None:
        out["SessionToken"] = created.session_token
        out["Expiration"] = key.expires_at
    return out


def list_access_keys(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"AccessKeys": [{"AccessKeyId": k.access_key_id, "AccountId": k.account_id, "UserName": k.user_name,
                            "Status": k.status, "CreateDate": k.created_at, "Expiration": k.expires_at}
                           for k in core.admin.list_access_keys(ctx, _account(p))]}


def delete_access_key(core: Core, ctx: RequestContext, p: dict[str, Any]) -> None:
    core.admin.delete_access_key(ctx, _text(p, "AccessKeyId"))  # type: ignore[arg-type]


ADMIN_OPERATIONS: dict[str, Callable[[Core, RequestContext, dict[str, Any]], dict[str, Any] | None]] = {
    "CreateAccount": create_account,
    "ListAccounts": list_accounts,
    "CreateUser": create_user,
    "ListUsers": list_users,
    "DeleteUser": delete_user,
    "PutUserPolicy": put_user_policy,
    "DeleteUserPolicy": delete_user_policy,
    "ListUserPolicies": list_user_policies,
    "CreateAccessKey": create_access_key,
    "ListAccessKeys": list_access_keys,
    "DeleteAccessKey": delete_access_key,
}
