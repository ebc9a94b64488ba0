"""``sys/`` (health, seal status, mounts, ACL policies) and ``auth/token/`` of the Vault API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from strongroom import __version__
from strongroom.domain.engines import BearerToken, Mount
from strongroom.domain.path_policy import ROOT_POLICY, Capability
from strongroom.errors import AccessDeniedError, InvalidRequestError, NotFoundError, StrongroomError
from strongroom.protocols.vault.errors import VaultError
from strongroom.protocols.vault.request import NO_CONTENT, Call, Reply, boolean, rfc3339, seconds, string_list, text
from strongroom.service.core import Core

ENGINES = ("transit",)
Handler = Callable[[Call], Reply]


# Vault's cluster_id names the cluster its storage belongs to; every node of a Strongroom deployment answers this
# one (no core state names a deployment yet).
CLUSTER_NAME = "strongroom"
CLUSTER_ID = str(uuid.uuid5(uuid.NAMESPACE_DNS, "cluster.strongroom"))


def unauthenticated(core: Core, path: str) -> Reply:
    sealed = core.sealed
    if path == "sys/seal-status":
        return Reply(raw={"type": "strongroom", "initialized": True, "sealed": sealed, "t": 1, "n": 1, "progress": 0,
                          "nonce": "", "version": __version__, "migration": False, "recovery_seal": False,
                          "storage_type": "strongroom", "cluster_name": CLUSTER_NAME, "cluster_id": CLUSTER_ID})
    if path == "sys/leader":
        return Reply(raw={"ha_enabled": False, "is_self": True, "leader_address": "", "leader_cluster_address": ""})
    return Reply(status=503 if sealed else 200, raw={
        "initialized": True, "sealed": sealed, "standby": False,
        "replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
        "server_time_utc": int(time.time()), "version": __version__, "cluster_name": CLUSTER_NAME,
        "cluster_id": CLUSTER_ID})


def route(call: Call) -> tuple[Handler, str]:
    path, method = call.path, call.method
    if path == "sys/mounts" and method in ("GET", "LIST"):
        return _list_mounts, "ListMounts"
    if path.startswith("sys/mounts/"):
        if path.endswith("/tune"):
            return (_read_tune if method == "GET" else _tune), "TuneMount"
        return {"POST": _enable, "PUT": _enable, "DELETE": _disable, "GET": _read_mount}.get(
            method, _unsupported), "EnableMount" if method in ("POST", "PUT") else "DisableMount"
    for prefix, field in (("sys/policies/acl", "policy"), ("sys/policy", "rules")):
        if path == prefix and method in ("GET", "LIST"):
            return (lambda c, f=field: _list_policies(c, f)), "ListPolicies"
        if path.startswith(prefix + "/"):
            name = path[len(prefix) + 1:]
            handlers: dict[str, Handler] = {
                "GET": lambda c, n=name, f=field: _read_policy(c, n, f),
                "POST": lambda c, n=name: _write_policy(c, n), "PUT": lambda c, n=name: _write_policy(c, n),
                "DELETE": lambda c, n=name: _delete_policy(c, n)}
            return handlers.get(method, _unsupported), "PutPolicy" if method in ("POST", "PUT") else "Policy"
    if path == "sys/capabilities-self":
        return _capabilities_self, "CapabilitiesSelf"
    if path.startswith("auth/token/"):
        operation = path[len("auth/token/"):]
        handler = _TOKEN_OPERATIONS.get(operation)
        if handler is not None:
            return handler, "Token" + "".join(p.capitalize() for p in operation.replace("/", "-").split("-"))
    raise VaultError(404, "unsupported path")


def _unsupported(call: Call) -> Reply:
    raise VaultError(405, "unsupported operation")


# --- mounts ---------------------------------------------------------------------------------------

_OPTIONS = "options"  # the mount's options as given (JSON text), kept among its config; shown apart, as Vault does


def _mount_view(mount: Mount) -> dict[str, Any]:
    config = dict(mount.config)
    options = orjson.loads(config.pop(_OPTIONS)) if _OPTIONS in config else {}
    return {"type": mount.engine_type, "description": mount.description,
            "accessor": f"{mount.engine_type}_{mount.uuid[:8]}", "uuid": mount.uuid, "local": False,
            "seal_wrap": False, "external_entropy_access": False, "options": options, "plugin_version": "",
            "running_plugin_version": "", "running_sha256": "", "deprecation_status": "supported",
            "config": {"default_lease_ttl": 0, "max_lease_ttl": 0, "force_no_cache": False, **config}}


def _builtin(engine: str, description: str) -> dict[str, Any]:
    return {"type": engine, "description": description, "accessor": engine, "uuid": engine, "local": False,
            "seal_wrap": False, "options": None, "config": {"default_lease_ttl": 0, "max_lease_ttl": 0}}


def _list_mounts(call: Call) -> Reply:
    call.authorize(Capability.READ)
    data = {m.path: _mount_view(m) for m in call.core.mounts.all(call.ctx.caller.account_id)}
    data["sys/"] = _builtin("system", "system endpoints used for control, policy and debugging")
    return Reply(data, legacy=True)


def _mount_name(call: Call) -> str:
    return call.path[len("sys/mounts/"):].removesuffix("/tune")


def _enable(call: Call) -> Reply:
    call.authorize()
    engine = text(call.param("type"), "type") or ""
    if engine not in ENGINES:
        raise InvalidRequestError(f"plugin not found in the catalog: {engine}" if engine else
                                  "backend type must be specified as a string")
    config = call.param("config") or {}
    if not isinstance(config, dict):
        raise InvalidRequestError("error converting input for field \"config\": not an object")
    kept = _mount_config(config)
    if _OPTIONS in call.body:
        options = call.body[_OPTIONS]
        if options is not None and (not isinstance(options, dict) or
                                    not all(isinstance(v, str) for v in options.values())):
            raise InvalidRequestError("error converting input for field \"options\": not a map of strings")
        kept[_OPTIONS] = orjson.dumps(options).decode()
    call.core.mounts.enable(call.ctx, _mount_name(call), engine, text(call.param("description"), "description") or
                            "", kept)
    return NO_CONTENT


_DURATIONS = ("default_lease_ttl", "max_lease_ttl")


def _mount_config(config: dict[str, Any]) -> dict[str, Any]:
    """What is kept of a mount's config: scalars, with its lease TTLs as whole seconds (Vault's form)."""
    kept = {k: v for k, v in config.items() if isinstance(v, str | int | bool) and k not in ("description", _OPTIONS)}
    for name in _DURATIONS:
        if name in kept:
            kept[name] = int(seconds(kept[name], name) or 0)
    return kept


def _disable(call: Call) -> Reply:
    call.authorize()
    call.core.mounts.disable(call.ctx, _mount_name(call))
    return NO_CONTENT


def _read_mount(call: Call) -> Reply:
    call.authorize(Capability.READ)
    found = call.core.mounts.find(call.ctx.caller.account_id, _mount_name(call))
    if found is None:
        raise VaultError(400, f"No secret engine mount at {_mount_name(call).strip('/')}/")
    return Reply(_mount_view(found[0]), legacy=True)


def _read_tune(call: Call) -> Reply:
    data = _read_mount(call).data or {}
    return Reply({"description": data["description"], **data["config"]}, legacy=True)


def _tune(call: Call) -> Reply:
    call.authorize()
    call.core.mounts.tune(call.ctx, _mount_name(call), text(call.param("description"), "description"),
                          _mount_config(call.body))
    return NO_CONTENT


# --- ACL policies ---------------------------------------------------------------------------------

def _list_policies(call: Call, field: str) -> Reply:
    call.authorize(Capability.LIST if call.method == "LIST" else Capability.READ)
    names = call.core.path_policies.names(call.ctx)
    if field == "policy":
        return Reply({"keys": names})
    return Reply({"keys": names, "policies": names}, legacy=True)


def _read_policy(call: Call, name: str, field: str) -> Reply:
    """``field``: "policy" (sys/policies/acl) or "rules" (the legacy sys/policy, in the legacy shape)."""
    call.authorize(Capability.READ)
    legacy = field == "rules"
    if name == ROOT_POLICY:
        return Reply({"name": name, field: ""}, legacy=legacy)
    try:
        document = call.core.path_policies.get(call.ctx, name)
    except NotFoundError:
        raise VaultError(404, "") from None  # Vault's empty {"errors": []}
    return Reply({"name": name.lower(), field: document}, legacy=legacy)


def _write_policy(call: Call, name: str) -> Reply:
    call.authorize()
    document = text(call.param("policy") or call.param("rules"), "policy")
    if not document:
        raise InvalidRequestError("'policy' parameter not supplied or empty")
    call.core.path_policies.put(call.ctx, name, document)
    return NO_CONTENT


def _delete_policy(call: Call, name: str) -> Reply:
    call.authorize()
    if name.lower() == "default":
        raise InvalidRequestError("cannot delete default policy")
    call.core.path_policies.delete(call.ctx, name)
    return NO_CONTENT


def _capabilities_self(call: Call) -> Reply:
    call.authorize()
    paths = string_list(call.param("paths") or call.param("path"), "paths")
    acl = call.core.path_policies.acl(call.token)
    found = {p: sorted(acl.capabilities(p)) or ["deny"] for p in paths}
    if acl.root:
        found = {p: ["root"] for p in paths}
    return Reply({**found, "capabilities": next(iter(found.values()), [])}, legacy=True)


# --- tokens ---------------------------------------------------------------------------------------

def _token_view(token: BearerToken, now: float, token_text: str | None = None) -> dict[str, Any]:
    ttl = 0 if token.expires_at is None else max(0, int(token.expires_at - now))
    expire = None if token.expires_at is None else rfc3339(token.expires_at)
    return {"accessor": token.accessor, "creation_time": int(token.created_at), "creation_ttl": int(token.ttl),
            "display_name": token.display_name, "entity_id": "", "expire_time": expire,
            "explicit_max_ttl": int(token.explicit_max_ttl), "id": token_text or "",
            "issue_time": rfc3339(token.created_at), "meta": token.meta or None, "num_uses": 0,
            "orphan": token.parent is None, "path": "auth/token/create", "policies": list(token.policies),
            "renewable": token.renewable, "ttl": ttl, "type": "service"}


def _auth(token_text: str, token: BearerToken) -> dict[str, Any]:
    return {"client_token": token_text, "accessor": token.accessor, "policies": list(token.policies),
            "token_policies": list(token.policies), "metadata": token.meta or None,
            "lease_duration": int(token.ttl), "renewable": token.renewable, "entity_id": "",
            "token_type": "service", "orphan": token.parent is None, "mfa_requirement": None, "num_uses": 0}


def _create_token(call: Call) -> Reply:
    call.authorize()
    policies = string_list(call.param("policies"), "policies") or list(call.token.policies)
    parent_root = ROOT_POLICY in call.token.policies
    if not parent_root and not set(policies) <= set(call.token.policies) | {"default"}:
        raise AccessDeniedError("child policies must be subset of parent")
    if ROOT_POLICY not in policies and not boolean(call.param("no_default_policy"), "no_default_policy"):
        policies = sorted(set(policies) | {"default"})
    meta = call.param("meta") or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise InvalidRequestError("error converting input for field \"meta\": not a map of strings")
    ttl = seconds(call.param("ttl"), "ttl") or None  # 0 asks for the default, as in Vault
    if ttl is None and call.token.expires_at is not None:
        ttl = call.token.ttl
    chosen = text(call.param("id"), "id")
    if chosen and not parent_root:
        raise AccessDeniedError("root or sudo privileges required to specify token id")
    issued = call.core.tokens.issue(
        call.token.account_id, call.token.user_name, policies=tuple(policies), ttl=ttl,
        explicit_max_ttl=seconds(call.param("explicit_max_ttl"), "explicit_max_ttl") or 0.0,
        renewable=boolean(call.param("renewable"), "renewable", True),
        display_name="token-" + (text(call.param("display_name"), "display_name") or "").strip() if
        call.param("display_name") else "token", meta=meta,
        parent=None if (boolean(call.param("no_parent"), "no_parent") or call.path.endswith("create-orphan"))
        and parent_root else call.token.accessor,
        token=chosen)
    return Reply(auth=_auth(issued.token, issued.record))


def _token_text(call: Call) -> str:
    value = text(call.param("token"), "token")
    if not value:
        raise InvalidRequestError("missing token ID")
    return value


def _named_token(call: Call, value: str, bad: VaultError) -> BearerToken:
    """The token ``value`` names, or ``bad`` (what Vault answers for an unknown token differs by operation)."""
    try:
        return call.core.tokens.authenticate(value)
    except StrongroomError:
        raise bad from None


def _by_accessor(call: Call) -> BearerToken | None:
    accessor = text(call.param("accessor"), "accessor")
    if not accessor:
        raise InvalidRequestError("missing accessor")
    try:
        return call.core.tokens.by_accessor(accessor)
    except NotFoundError:
        return None


def _lookup_self(call: Call) -> Reply:
    call.authorize()
    return Reply(_token_view(call.token, call.core.clock.now(), call.token_text))


def _lookup(call: Call) -> Reply:
    """Of the token given, or of the caller's own when none is (as Vault does)."""
    call.authorize()
    value = text(call.param("token"), "token")
    if not value:
        return Reply(_token_view(call.token, call.core.clock.now(), call.token_text))
    return Reply(_token_view(_named_token(call, value, VaultError(403, "bad token")), call.core.clock.now(), value))


def _lookup_accessor(call: Call) -> Reply:
    call.authorize()
    found = _by_accessor(call)
    if found is None:
        raise InvalidRequestError("invalid accessor")
    return Reply(_token_view(found, call.core.clock.now()))


def _renew(call: Call, token: BearerToken, token_text: str) -> Reply:
    renewed = call.core.tokens.renew(token, seconds(call.param("increment"), "increment"))
    auth = _auth(token_text, renewed)
    granted = seconds(call.param("increment"), "increment") or renewed.ttl
    auth["lease_duration"] = 0 if renewed.expires_at is None else int(granted)
    return Reply(auth=auth)


def _renew_self(call: Call) -> Reply:
    call.authorize()
    return _renew(call, call.token, call.token_text)


def _renew_other(call: Call) -> Reply:
    call.authorize()
    value = _token_text(call)
    return _renew(call, _named_token(call, value, VaultError(400, "token not found")), value)


def _revoke_self(call: Call) -> Reply:
    call.authorize()
    call.core.tokens.revoke(call.token.accessor)
    return NO_CONTENT


def _revoke(call: Call) -> Reply:
    """Revoking a token that does not exist (any more) succeeds, as in Vault: the outcome is the same."""
    call.authorize()
    value = _token_text(call)
    try:
        token = call.core.tokens.authenticate(value)
    except StrongroomError:
        return NO_CONTENT
    call.core.tokens.revoke(token.accessor)
    return NO_CONTENT


def _revoke_accessor(call: Call) -> Reply:
    call.authorize()
    found = _by_accessor(call)
    if found is None:
        return Reply(warnings=["No token found with this accessor"])
    call.core.tokens.revoke(found.accessor)
    return NO_CONTENT


_TOKEN_OPERATIONS: dict[str, Handler] = {
    "create": _create_token, "create-orphan": _create_token, "lookup-self": _lookup_self, "lookup": _lookup,
    "lookup-accessor": _lookup_accessor, "renew-self": _renew_self, "renew": _renew_other,
    "revoke-self": _revoke_self, "revoke": _revoke, "revoke-accessor": _revoke_accessor,
}
