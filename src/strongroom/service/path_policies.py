"""Named path policies (Vault's ACL policies) per account, and the check of a bearer token's path access.

A token's request passes two decisions, both made in the core: its path policies must grant the capability the
request needs on its path (this module), and the token's owner must be allowed the core action on the key by
key policies, identity policies and grants (``Authorizer``). ``root`` grants every path; ``default`` exists in
every account and may be changed, not deleted.
"""

from __future__ import annotations

import logging

from strongroom.domain.actions import Action
from strongroom.domain.context import RequestContext
from strongroom.domain.engines import BearerToken
from strongroom.domain.path_policy import DEFAULT_POLICY, ROOT_POLICY, Acl, Capability, PathPolicy, parse_path_policy
from strongroom.errors import AccessDeniedError, InvalidRequestError, NotFoundError
from strongroom.service.authorization import Authorizer
from strongroom.service.caches import BoundedCache, StoreCaches
from strongroom.storage.base import Store

log = logging.getLogger("strongroom.authz")

# What every token may do on itself (Vault's built-in default policy, in short).
DEFAULT_POLICY_TEXT = """
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
path "sys/capabilities-self" { capabilities = ["update"] }
"""
_MAX_CACHED = 1024


class PathPolicies:
    def __init__(self, store: Store, authz: Authorizer, caches: StoreCaches) -> None:
        self._store = store
        self._authz = authz
        self._caches = caches
        self._acls: BoundedCache[tuple[str, tuple[str, ...]], Acl] = BoundedCache(_MAX_CACHED)
        caches.register(self._acls)

    def _document(self, account_id: str, name: str) -> str | None:
        text = self._store.engines.get_path_policy(account_id, name)
        if text is None and name == DEFAULT_POLICY:
            return DEFAULT_POLICY_TEXT
        return text

    def acl(self, token: BearerToken) -> Acl:
        self._caches.sync()
        cache_key = (token.account_id, token.policies)
        acl = self._acls.get(cache_key)
        if acl is None:
            policies: list[PathPolicy] = []
            for name in token.policies:
                if name == ROOT_POLICY:
                    policies.append(PathPolicy(ROOT_POLICY, ()))
                    continue
                text = self._document(token.account_id, name)
                if text is not None:  # a policy deleted since the token was made grants nothing
                    policies.append(parse_path_policy(name, text))
            acl = Acl(policies)
            self._acls.put(cache_key, acl)
        return acl

    def check(self, ctx: RequestContext, token: BearerToken, path: str, capability: Capability,
              parameters: dict | None = None) -> None:  # type: ignore[type-arg]
        """Refuse unless the token's policies grant ``capability`` on ``path``."""
        if not self.acl(token).allows(path, capability, parameters):
            log.warning("access denied (request %s): token %s may not %s %s", ctx.request_id, token.accessor,
                        capability, path)
            raise AccessDeniedError("permission denied")

    # --- managing policies (sys/policy) -------------------------------------------------------

    def _manage(self, ctx: RequestContext) -> str:
        self._authz.check_account(ctx, Action.MANAGE_PATH_POLICIES)
        return ctx.caller.account_id

    def put(self, ctx: RequestContext, name: str, text: str) -> None:
        account = self._manage(ctx)
        name = name.lower()
        if name == ROOT_POLICY:
            raise InvalidRequestError('cannot update "root" policy')
        parse_path_policy(name, text)  # refuse what would not parse
        self._store.engines.put_path_policy(account, name, text)

    def get(self, ctx: RequestContext, name: str) -> str:
        text = self._document(self._manage(ctx), name.lower())
        if text is None:
            raise NotFoundError(f"no policy named: {name}")
        return text

    def names(self, ctx: RequestContext) -> list[str]:
        found = set(self._store.engines.list_path_policies(self._manage(ctx)))
        return sorted(found | {DEFAULT_POLICY, ROOT_POLICY})

    def delete(self, ctx: RequestContext, name: str) -> None:
        account = self._manage(ctx)
        if name.lower() in (ROOT_POLICY, DEFAULT_POLICY):
            raise InvalidRequestError(f'cannot delete "{name.lower()}" policy')
        self._store.engines.delete_path_policy(account, name.lower())
