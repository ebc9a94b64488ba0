"""``sys/`` (health, seal status, mounts, ACL policies) and ``auth/token/`` of the Vault API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from strongroom import __version__
from strongroom.domain.engines import BearerToken, Mount
from strongroom.domain.path_policy import ROOT_POLICY, Capability
from strongroom.errors import AccessDeniedError, InvalidRequestError
from strongroom.protocols.vault.errors import VaultError
from strongroom.protocols.vault.request import NO_CONTENT, Call, Reply, boolean, rfc3339, seconds, string_list, text
from strongroom.service.core import Core

ENGINES = ("transit",)
Handler = Callable[[Call], Reply]


def unauthenticated(core: Core, path: str) -> Reply:
    sealed = core.sealed
    if path == "sys/seal-status":
        return Reply(raw={"type": "strongroom", "initialized": True, "sealed": sealed, "t": 1, "n": 1, "progress": 0,
                          "nonce": "", "version": __version__, "migration": False, "recovery_seal": False,
                          "storage_type": "strongroom", "cluster_name": "strongroom"})
    if path == "sys/leader":
        return Reply(raw={"ha_enabled": False, "is_self": True, "leader_address": "", "leader_cluster_address": ""})
    return Reply(status=503 if sealed else 200, raw={
        "initialized": True, "sealed": sealed, "standby": False, "performance_standby": False,
        "replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
        "server_time_utc": int(time.time()), "version": __version__, "cluster_name": "strongroom"})


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
    raise VaultError(404, f"unsupported path: {path}")


def _unsupported(call: Call) -> Reply:
    raise VaultError(405, "unsupported operation")


# --- mounts ---------------------------------------------------------------------------------------

def _mount_view(mount: Mount) -> dict[str, Any]:
    return {"type": mount.engine_type, "description": mount.description, "accessor": f"{mount.engine_type}_"
            f"{mount.uuid[:8]}", "uuid": mount.uuid, "local": False, "seal_wrap": False, "external_entropy_access":
            False, "options": None, "plugin_version": "", "running_plugin_version": "", "running_sha256": "",
            "config": {"default_lease_ttl": 0, "max_lease_ttl": 0, "force_no_cache": False, **mount.config}}


def _builtin(engine: str, description: str) -> dict[str, Any]:
    return {"type": engine, "description": description, "accessor": engine, "uuid": engine, "local": False,
            "seal_wrap": False, "options": None, "config": {"default_lease_ttl": 0, "max_lease_ttl": 0}}


def _list_mounts(call: Call) -> Reply:
    call.authorize(Capability.READ)
    data = {m.path: _mount_view(m) for m in call.core.mounts.all(call.ctx.caller.account_id)}
    data["sys/"] = _builtin("system", "system endpoints used for control, policy and debugging")
    return Reply(data)


def _mount_name(call: Call) -> str:
    return call.path[len("sys/mounts/"):].removesuffix("/tune")


def _enable(call: Call) -> Reply:
    call.authorize()
    engine = text(call.param("type"), "type") or ""
    if engine not in ENGINES:
        raise InvalidRequestError(f"plugin not found in the catalog: {engine}" if engine else
                                  "plugin type must be provided")
    config = call.param("config") or {}
    if not isinstance(config, dict):
        raise InvalidRequestError("error converting input for field \"config\": not an object")
    call.core.mounts.enable(call.ctx, _mount_name(call), engine, text(call.param("description"), "description") or
                            "", _mount_config(config))
    return NO_CONTENT


_DURATIONS = ("default_lease_ttl", "max_lease_ttl")


def _mount_config(config: dict[str, Any]) -> dict[str, Any]:
    """What is kept of a mount's config: scalars, with its lease TTLs as whole seconds (Vault's form)."""
    kept = {k: v for k, v in config.items() if isinstance(v, str | int | bool) and k != "description"}
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
        raise VaultError(400, f"no mount at {_mount_name(call)}")
    return Reply(_mount_view(found[0]))


def _read_tune(call: Call) -> Reply:
    data = _read_mount(call).data or {}
    return Reply({"description": data["description"], **data["config"]})


def _tune(call: Call) -> Reply:
    call.authorize()
    call.core.mounts.tune(call.ctx, _mount_name(call), text(call.param("description"), "description"),
                          _mount_config(call.body))
    return NO_CONTENT


# --- ACL policies ---------------------------------------------------------------------------------

def _list_policies(call: Call, field: str) -> Reply:
    call.authorize(Capability.LIST if call.method == "LIST" else Capability.READ)
    names = call.core.path_policies.names(call.ctx)
    return Reply({"keys": names} if field == "policy" else {"keys": names, "policies": names})


def _read_policy(call: Call, name: str, field: str) -> Reply:
    call.authorize(Capability.READ)
    if name == ROOT_POLICY:
        return Reply({"name": name, field: ""})
    return Reply({"name": name.lower(), field: call.core.path_policies.get(call.ctx, name)})


def _write_policy(call: Call, name: str) -> Reply:
    call.authorize()
    document = text(call.param("policy") or call.param("rules"), "policy")
    if not document:
        raise InvalidRequestError("'policy' parameter not supplied or empty")
    call.core.path_policies.put(call.ctx, name, document)
    return NO_CONTENT


def _delete_policy(call: Call, name: str) -> Reply:
    call.authorize()
    call.core.path_policies.delete(call.ctx, name)
    return NO_CONTENT


def _capabilities_self(call: Call) -> Reply:
    call.authorize()
    paths = string_list(call.param("paths") or call.param("path"), "paths")
    acl = call.core.path_policies.acl(call.token)
    found = {p: sorted(acl.capabilities(p)) or ["deny"] for p in paths}
    if acl.root:
        found = {p: ["root"] for p in paths}
    return Reply({**found, "capabilities": next(iter(found.values()), [])})


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


def _named_token(call: Call) -> BearerToken:
    value = text(call.param("token"), "token")
    if not value:
        raise InvalidRequestError("missing token")
    try:
        return call.core.tokens.authenticate(value)
    except Exception:
        raise InvalidRequestError("bad token") from None


def _lookup_self(call: Call) -> Reply:
    call.authorize()
    return Reply(_token_view(call.token, call.core.clock.now(), call.token_text))


def _lookup(call: Call) -> Reply:
    call.authorize()
    return Reply(_token_view(_named_token(call), call.core.clock.now(), text(call.param("token"), "token")))


def _lookup_accessor(call: Call) -> Reply:
    call.authorize()
    accessor = text(call.param("accessor"), "accessor") or ""
    return Reply(_token_view(call.core.tokens.by_accessor(accessor), call.core.clock.now()))


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
    return _renew(call, _named_token(call), text(call.param("token"), "token") or "")


def _revoke_self(call: Call) -> Reply:
    call.authorize()
    call.core.tokens.revoke(call.token.accessor)
    return NO_CONTENT


def _revoke(call: Call) -> Reply:
    call.authorize()
    call.core.tokens.revoke(_named_token(call).accessor)
    return NO_CONTENT


def _revoke_accessor(call: Call) -> Reply:
    call.authorize()
    call.core.tokens.revoke(call.core.tokens.by_accessor(text(call.param("accessor"), "accessor") or "").accessor)
    return NO_CONTENT


_TOKEN_OPERATIONS: dict[str, Handler] = {
    "create": _create_token, "create-orphan": _create_token, "lookup-self": _lookup_self, "lookup": _lookup,
    "lookup-accessor": _lookup_accessor, "renew-self": _renew_self, "renew": _renew_other,
    "revoke-self": _revoke_self, "revoke": _revoke, "revoke-accessor": _revoke_accessor,
}
