"""Administration over the API: accounts, users, identity policies and access keys.

An account's root manages its own account, and so does a user whose identity policies allow
``strongroom:<Action>``; only the root of the operator account manages other accounts and creates new ones.
"""

from __future__ import annotations

from strongroom.domain.context import ROOT_USER, RequestContext
from strongroom.errors import AccessDeniedError, NotFoundError
from strongroom.service.authorization import Authorizer
from strongroom.service.credentials import AccessKeySummary, Credentials, NewCredentials
from strongroom.service.principals import Principals
from strongroom.storage.records import StoredUser


class AdminService:
    def __init__(self, principals: Principals, credentials: Credentials, authz: Authorizer,
                 operator_account: str | None) -> None:
        self._principals = principals
        self._credentials = credentials
        self._authz = authz
        self.operator_account = operator_account

    def _is_operator(self, ctx: RequestContext) -> bool:
        return ctx.caller.is_root and ctx.caller.account_id == self.operator_account

    def _account(self, ctx: RequestContext, action: str, account_id: str | None) -> str:
        """The account an action applies to, once the caller is allowed to act on it."""
        account_id = account_id or ctx.caller.account_id
        if account_id != ctx.caller.account_id:
            if not self._is_operator(ctx):
                raise AccessDeniedError(f"User: {ctx.caller.principal_arn} is not authorized to perform: "
                                        f"strongroom:{action} on account {account_id}")
            return account_id
        self._authz.check_account(ctx, f"strongroom:{action}")
        return account_id

    def create_account(self, ctx: RequestContext, account_id: str | None) -> str:
        if not self._is_operator(ctx):
            raise AccessDeniedError(f"User: {ctx.caller.principal_arn} is not authorized to perform: "
                                    "strongroom:CreateAccount (only the operator account's root is)")
        return self._principals.create_account(account_id)

    def list_accounts(self, ctx: RequestContext) -> list[str]:
        if not self._is_operator(ctx):
            return [ctx.caller.account_id]
        return self._principals.list_accounts()

    def create_user(self, ctx: RequestContext, account_id: str | None, user_name: str) -> StoredUser:
        return self._principals.create_user(self._account(ctx, "CreateUser", account_id), user_name)

    def list_users(self, ctx: RequestContext, account_id: str | None) -> list[StoredUser]:
        return self._principals.list_users(self._account(ctx, "ListUsers", account_id))

    def delete_user(self, ctx: RequestContext, account_id: str | None, user_name: str) -> None:
        self._principals.delete_user(self._account(ctx, "DeleteUser", account_id), user_name)

    def put_user_policy(self, ctx: RequestContext, account_id: str | None, user_name: str, policy_name: str,
                        document: str) -> None:
        account = self._account(ctx, "PutUserPolicy", account_id)
        self._principals.put_user_policy(account, user_name, policy_name, document)

    def delete_user_policy(self, ctx: RequestContext, account_id: str | None, user_name: str,
                           policy_name: str) -> None:
        account = self._account(ctx, "DeleteUserPolicy", account_id)
        self._principals.delete_user_policy(account, user_name, policy_name)

    def list_user_policies(self, ctx: RequestContext, account_id: str | None, user_name: str) -> dict[str, str]:
        return self._principals.list_user_policies(self._account(ctx, "ListUserPolicies", account_id), user_name)

    def create_access_key(self, ctx: RequestContext, account_id: str | None, user_name: str | None,
                          session_seconds: int | None) -> NewCredentials:
        account = self._account(ctx, "CreateAccessKey", account_id)
        return self._credentials.create(account, user_name=user_name or ROOT_USER, session_seconds=session_seconds)

    def list_access_keys(self, ctx: RequestContext, account_id: str | None) -> list[AccessKeySummary]:
        return self._credentials.list(self._account(ctx, "ListAccessKeys", account_id))

    def delete_access_key(self, ctx: RequestContext, access_key_id: str) -> None:
        found = [k for k in self._credentials.list(None) if k.access_key_id == access_key_id]
        if not found:
            raise NotFoundError(f"Access key {access_key_id} does not exist")
        self._account(ctx, "DeleteAccessKey", found[0].account_id)
        self._credentials.delete(access_key_id)
