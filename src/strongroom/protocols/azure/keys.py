"""Key management: create (a new version when the name exists), get, update, list keys and versions, rotate and
the rotation policy, soft delete (the core's pending deletion), get deleted, recover, purge; random bytes."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from strongroom.domain.keys import Key, KeyState
from strongroom.domain.references import KeyRef
from strongroom.errors import AlreadyExistsError, InvalidCiphertextError, NotFoundError
from strongroom.protocols.azure import bundle, model
from strongroom.protocols.azure.errors import AzureError, bad_parameter, key_not_found
from strongroom.protocols.azure.request import Call, b64url, b64url_decode, boolean, integer, string
from strongroom.protocols.azure.rotation_policy import auto_rotate_seconds, policy_body, stored_policy
from strongroom.service.named_keys import AUTO_ROTATE_PERIOD, NamedKey

DEFAULT_PAGE = 25
MAX_PAGE = 25
MAX_RANDOM = 128


def _named(call: Call, name: str) -> NamedKey:
    """The key, once the caller may describe it (404 for a key soft-deleted or never made)."""
    if call.core.named_keys.peek(call.ctx, call.name_space, name) is None:
        raise key_not_found(name)
    return call.core.named_keys.describe(call.ctx, call.name_space, name)


def _number(named: NamedKey, version: str, name: str) -> int:
    if not version:
        return named.latest_version
    return model.version_number(named.key, named.versions, version, name)


def _bundle(call: Call, named: NamedKey, number: int) -> dict[str, Any]:
    return bundle.key_bundle(call, named.key, number, named.versions[number])


def version_attributes_of(call: Call, body: dict[str, Any], kty: str) -> model.VersionAttributes:
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise bad_parameter("Property 'attributes' must be an object.")
    if boolean(attributes.get("exportable"), "attributes.exportable"):
        raise bad_parameter("Exportable keys need a release policy, which this server does not offer.")
    enabled = boolean(attributes.get("enabled"), "attributes.enabled")
    return model.VersionAttributes(model.key_ops(body.get("key_ops"), kty), model.tags(body.get("tags")),
                                   True if enabled is None else enabled, integer(attributes.get("exp"),
                                                                                 "attributes.exp"),
                                   integer(attributes.get("nbf"), "attributes.nbf"), int(call.core.clock.now()))


def conflict_if_deleted(call: Call, name: str) -> NamedKey:
    """The existing key of that name, or 409 Conflict when it is soft-deleted."""
    existing = call.core.named_keys.peek(call.ctx, call.name_space, name)
    if existing is None:
        raise AzureError(409, "Conflict", f"Key {name} is currently in a deleted but recoverable state, and its "
                                          "name cannot be reused; in this state, the key can only be recovered or "
                                          "purged.")
    return existing


def create(call: Call, name: str) -> dict[str, Any]:
    body = call.body
    kty = string(body.get("kty"), "kty", required=True) or ""
    spec = model.key_spec(kty, integer(body.get("key_size"), "key_size"), string(body.get("crv"), "crv"),
                          integer(body.get("public_exponent"), "public_exponent"))
    if body.get("release_policy") is not None:
        raise bad_parameter("Release policies are not supported by this server.")
    version = version_attributes_of(call, body, kty)
    template = model.VersionAttributes(version.key_ops, version.tags).stored()
    named_keys, ns = call.core.named_keys, call.name_space
    if named_keys.exists(call.ctx, ns, name):
        existing = conflict_if_deleted(call, name)
        if existing.key.key_spec != spec:
            raise bad_parameter(f"Key {name} exists with another type or size; a new version must keep them.")
        number = existing.latest_version + 1
        named = named_keys.rotate(call.ctx, ns, name, attributes={
            model.TEMPLATE: template, f"{model.VERSION_PREFIX}{number}": version.stored()})
    else:
        number = 1
        named = named_keys.create(call.ctx, ns, name, spec, attributes={
            model.KTY: kty, model.IDENTITY: uuid.uuid4().hex, model.TEMPLATE: template,
            f"{model.VERSION_PREFIX}1": version.stored()})
    if not version.enabled:
        call.core.keys.set_version_enabled(call.ctx, named.key.key_id, number, False)
    return _bundle(call, named, number)


def get(call: Call, name: str, version: str) -> dict[str, Any]:
    named = _named(call, name)
    number = _number(named, version, name)
    call.ctx.note.version(number)
    return _bundle(call, named, number)


def update(call: Call, name: str, version: str) -> dict[str, Any]:
    named = _named(call, name)
    number = _number(named, version, name)
    call.ctx.note.version(number)
    found = model.version_attributes(named.key, number)
    body = call.body
    attributes = body.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise bad_parameter("Property 'attributes' must be an object.")
    if "key_ops" in body:
        found.key_ops = model.key_ops(body["key_ops"], model.kty_of(named.key))
    if "tags" in body:
        found.tags = model.tags(body["tags"])
    enabled = boolean(attributes.get("enabled"), "attributes.enabled")
    for member in ("exp", "nbf"):
        if member in attributes:
            setattr(found, member, integer(attributes[member], f"attributes.{member}"))
    if enabled is not None:
        found.enabled = enabled
    found.updated = int(call.core.clock.now())
    changed = call.core.named_keys.configure(call.ctx, call.name_space, name,
                                             attributes={f"{model.VERSION_PREFIX}{number}": found.stored()})
    if enabled is not None:
        call.core.keys.set_version_enabled(call.ctx, named.key.key_id, number, enabled)
    return _bundle(call, changed, number)


def _page(call: Call, items: list[dict[str, Any]], path: str) -> dict[str, Any]:
    size = integer(_int(call.param("maxresults")), "maxresults") or DEFAULT_PAGE
    if not 1 <= size <= MAX_PAGE:
        raise bad_parameter(f"maxresults must be between 1 and {MAX_PAGE}.")
    start = _int(call.param("$skiptoken")) or 0
    page = items[start:start + size]
    after = start + size
    link = (f"https://{call.host}{path}?api-version={call.param('api-version')}&$skiptoken={after}"
            f"&maxresults={size}") if after < len(items) else None
    return {"value": page, "nextLink": link}


def _int(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not text.isdigit():
        raise bad_parameter(f"'{text}' is not a number.")
    return int(text)


def list_keys(call: Call) -> dict[str, Any]:
    items = []
    for name in sorted(call.core.named_keys.names(call.ctx, call.name_space)):
        named = call.core.named_keys.peek(call.ctx, call.name_space, name)
        if named is not None:
            items.append(bundle.key_item(call, named.key, named.latest_version,
                                         named.versions.get(named.latest_version, named.key.created_at),
                                         versioned=False))
    return _page(call, items, "/keys")


def list_versions(call: Call, name: str) -> dict[str, Any]:
    named = _named(call, name)
    items = [bundle.key_item(call, named.key, number, created, versioned=True)
             for number, created in sorted(named.versions.items())]
    return _page(call, items, f"/keys/{name}/versions")


def rotate(call: Call, name: str) -> dict[str, Any]:
    existing = _named(call, name)
    number = existing.latest_version + 1
    base = model.template(existing.key)
    version = model.VersionAttributes(list(base.get("key_ops") or model.DEFAULT_OPS[model.family(
        model.kty_of(existing.key))]), dict(base.get("tags") or {}), updated=int(call.core.clock.now()))
    named = call.core.named_keys.rotate(call.ctx, call.name_space, name,
                                        attributes={f"{model.VERSION_PREFIX}{number}": version.stored()})
    call.ctx.note.version(named.latest_version)
    return _bundle(call, named, named.latest_version)


def get_rotation_policy(call: Call, name: str) -> dict[str, Any]:
    named = _named(call, name)
    return policy_body(call.host, name, stored_policy(named.key.attributes.get(model.ROTATION_POLICY)))


def put_rotation_policy(call: Call, name: str) -> dict[str, Any]:
    _named(call, name)
    policy = stored_policy(None, call.body, now=int(call.core.clock.now()))
    seconds = auto_rotate_seconds(policy)
    named = call.core.named_keys.configure(call.ctx, call.name_space, name, attributes={
        model.ROTATION_POLICY: orjson.dumps(policy).decode(), AUTO_ROTATE_PERIOD: str(seconds or "")})
    return policy_body(call.host, name, stored_policy(named.key.attributes.get(model.ROTATION_POLICY)))


# --- soft delete ---------------------------------------------------------------------------------------------


def delete(call: Call, name: str) -> dict[str, Any]:
    named = _named(call, name)
    body = _bundle(call, named, named.latest_version)
    key = call.core.keys.schedule_key_deletion(call.ctx, named.key.key_id, bundle.RECOVERABLE_DAYS)
    return bundle.deleted(call, key, body)


def _deleted(call: Call, name: str) -> Key:
    try:
        key = call.core.keys.describe_key(call.ctx, KeyRef(name_space=call.name_space, name=name, text=name))
    except NotFoundError:
        raise AzureError(404, "KeyNotFound", f"Deleted Key not found: {name}") from None
    if key.state is not KeyState.PENDING_DELETION:
        raise AzureError(404, "KeyNotFound", f"Deleted Key not found: {name}")
    return key


def _deleted_body(call: Call, key: Key) -> dict[str, Any]:
    number = key.current_version
    found = model.version_attributes(key, number)
    jwk = {"kid": bundle.kid(call, key, number), "kty": model.kty_of(key), "key_ops": found.key_ops}
    return bundle.deleted(call, key, {"key": jwk, "attributes": bundle.attributes(key, number, key.created_at),
                                      "tags": found.tags})


def get_deleted(call: Call, name: str) -> dict[str, Any]:
    return _deleted_body(call, _deleted(call, name))


def list_deleted(call: Call) -> dict[str, Any]:
    items = []
    for name in sorted(call.core.named_keys.names(call.ctx, call.name_space)):
        try:
            key = _deleted(call, name)
        except AzureError:
            continue
        body = _deleted_body(call, key)
        body["kid"] = bundle.key_url(call, name)
        del body["key"]
        items.append(body)
    return _page(call, items, "/deletedkeys")


def recover(call: Call, name: str) -> dict[str, Any]:
    key = _deleted(call, name)
    call.core.keys.cancel_key_deletion(call.ctx, key.key_id)
    call.core.keys.enable_key(call.ctx, key.key_id)
    named = call.core.named_keys.describe(call.ctx, call.name_space, name)
    return _bundle(call, named, named.latest_version)


def purge(call: Call, name: str) -> None:
    key = _deleted(call, name)
    call.core.keys.cancel_key_deletion(call.ctx, key.key_id)
    call.core.named_keys.delete(call.ctx, call.name_space, name)


def backup(call: Call, name: str) -> dict[str, Any]:
    _named(call, name)
    return {"value": b64url(call.backups.backup(call.ctx, call.name_space, name))}


def restore(call: Call) -> dict[str, Any]:
    blob = b64url_decode(call.body.get("value"), "value") or b""
    try:
        named = call.backups.restore(call.ctx, call.name_space, blob)
    except InvalidCiphertextError:
        raise bad_parameter("The backup blob is invalid or was not made by this service for this "
                            "account.") from None
    except AlreadyExistsError:
        raise AzureError(409, "Conflict", "A key with the backup's name already exists in this vault.") from None
    return _bundle(call, named, named.latest_version)


def random_bytes(call: Call) -> dict[str, Any]:
    count = integer(call.body.get("count"), "count")
    if count is None or not 1 <= count <= MAX_RANDOM:
        raise bad_parameter(f"Property 'count' must be between 1 and {MAX_RANDOM}.")
    return {"value": b64url(call.core.crypto.generate_random(call.ctx, count))}
