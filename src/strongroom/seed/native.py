"""Strongroom's own seed format (see docs/seeds.md): a mapping of ``accounts``, ``keys``, ``transit`` and ``kmip``.

Each entry is checked here as far as the file alone allows (names, ids, specs, usages, policies, tags, aliases,
grants), so a mistake is reported with its line before anything is written; every problem of the file is
reported at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from strongroom.domain import key_specs as specs
from strongroom.domain.aliases import check_alias_name
from strongroom.domain.grants import check_grant_request
from strongroom.domain.keys import (
    MAX_PENDING_WINDOW_DAYS,
    MAX_ROTATION_PERIOD_DAYS,
    MIN_PENDING_WINDOW_DAYS,
    MIN_ROTATION_PERIOD_DAYS,
)
from strongroom.domain.policy import parse_policy
from strongroom.domain.tags import merged_tags
from strongroom.seed.errors import Problem, SeedError
from strongroom.seed.fields import Fields, scalar_text
from strongroom.seed.material import MaterialError, from_base64, from_hex, private_key_from_pem
from strongroom.seed.model import (
    NATIVE,
    OBJECT_KINDS,
    OBJECT_STATES,
    SECRET_TYPES,
    SeedAccessKey,
    SeedAccount,
    SeedFile,
    SeedGrant,
    SeedKey,
    SeedObject,
    SeedTransitKey,
    SeedUser,
    SeedVersion,
)
from strongroom.seed.transit_settings import VAULT_SETTINGS, check_settings
from strongroom.seed.yaml_tree import Node
from strongroom.service.credentials import check_account_id
from strongroom.service.grants import check_principal
from strongroom.service.seeding import check_key_id

FORMAT_MARKER = "strongroom_seed"
FORMAT_VERSION = 1
TOP_LEVEL = (FORMAT_MARKER, "account", "region", "accounts", "keys", "transit", "kmip")
KEY_STATES = ("Enabled", "Disabled", "PendingDeletion", "PendingImport")
ORIGINS = ("AWS_KMS", "EXTERNAL")
OBJECT_SPECS = {"AES_128": "AES_128", "AES_192": "AES_192", "AES_256": "SYMMETRIC_DEFAULT",
                "SYMMETRIC_DEFAULT": "SYMMETRIC_DEFAULT", **{f"HMAC_{n}": f"HMAC_{n}" for n in (224, 256, 384, 512)}}
T = TypeVar("T")


def read_native(root: Node) -> SeedFile:
    top = Fields(root, "the seed file")
    version = top.integer(FORMAT_MARKER)
    if version is not None and version != FORMAT_VERSION:
        raise top.error(f"this is seed format {version}; this Strongroom reads format {FORMAT_VERSION}",
                        FORMAT_MARKER)
    account = top.text("account")
    if account is not None:
        top.checked("account", lambda: check_account_id(account))
    region = top.text("region")
    problems: list[Problem] = []
    accounts = _each(top, "accounts", _account, problems)
    keys = _each(top, "keys", _key, problems)
    transit = _each(top, "transit", _transit_key, problems)
    objects = _each(top, "kmip", _object, problems)
    top.done()
    if problems:
        raise SeedError(problems)
    _check_unique(root, [(k.key_id, k.line) for k in keys] + [(t.key_id, t.line) for t in transit if t.key_id]
                  + [(o.object_id, o.line) for o in objects], "key id")
    return SeedFile(root.source, NATIVE, account, region, tuple(accounts), tuple(keys), tuple(transit),
                    tuple(objects))


def _each(top: Fields, name: str, read: Callable[[Node], T], problems: list[Problem]) -> list[T]:
    out = []
    for item in top.items(name):
        try:
            out.append(read(item))
        except SeedError as exc:
            problems.extend(exc.problems)
    return out


def _check_unique(root: Node, ids: list[tuple[str, int]], what: str) -> None:
    seen: dict[str, int] = {}
    for value, line in ids:
        if value in seen:
            raise SeedError.at(f"{what} {value} is given twice (also on line {seen[value]})", line, root.source)
        seen[value] = line


# --- accounts -------------------------------------------------------------------------------------------------


def _account(node: Node) -> SeedAccount:
    f = Fields(node, "account")
    account_id = f.required_text("id")
    f.checked("id", lambda: check_account_id(account_id))
    users = tuple(_user(item) for item in f.items("users"))
    keys = tuple(_access_key(item) for item in f.items("access_keys"))
    f.done()
    return SeedAccount(f.line, account_id, users, keys)


def _user(node: Node) -> SeedUser:
    f = Fields(node, "user")
    name = f.required_text("name")
    policies: dict[str, str] = {}
    found = f.get("policies")
    if found is not None:
        documents = Fields(found, f"user {name}: policies")
        for policy_name in list(found.value):
            text = documents.json_document(policy_name)
            assert text is not None
            documents.checked(policy_name, lambda text=text: parse_policy(text, key_policy=False))
            policies[policy_name] = text
        documents.done()
    f.done()
    return SeedUser(f.line, name, policies)


def _access_key(node: Node) -> SeedAccessKey:
    f = Fields(node, "access key")
    key = SeedAccessKey(f.line, f.required_text("id"), f.text("secret"), f.text("user") or "root")
    f.done()
    return key


# --- keys -----------------------------------------------------------------------------------------------------


def _key(node: Node) -> SeedKey:
    f = Fields(node, "key")
    key_id = f.required_text("id")
    f.checked("id", lambda: check_key_id(key_id))
    f.what = f"key {key_id}"
    spec = f.required_text("spec", choices=specs.FAMILY)
    usage = f.text("usage") or specs.USAGES[specs.family(spec)][0]
    f.checked("usage", lambda: specs.check_usage_for_spec(spec, usage))
    origin = f.text("origin", choices=ORIGINS) or "AWS_KMS"
    state = f.text("state", choices=KEY_STATES)
    window = f.integer("pending_window_days", low=MIN_PENDING_WINDOW_DAYS, high=MAX_PENDING_WINDOW_DAYS)
    if window is not None and state != "PendingDeletion":
        raise f.error("'pending_window_days' applies only to a key whose state is PendingDeletion",
                      "pending_window_days")
    policy = f.json_document("policy")
    if policy is not None:
        f.checked("policy", lambda: parse_policy(policy))
    tags = f.text_map("tags") or {}
    f.checked("tags", lambda: merged_tags({}, tags.items()))
    aliases = tuple(f.texts("aliases"))
    for alias in aliases:
        f.checked("aliases", lambda alias=alias: check_alias_name(alias))
    grants = tuple(_grant(item, spec, usage, key_id) for item in f.items("grants"))
    key = SeedKey(
        f.line, key_id, account=_account_of(f), region=f.text("region"), spec=spec, usage=usage, origin=origin,
        description=f.text("description") or "", policy=policy, tags=tags, state=state,
        pending_window_days=window,
        rotation_period_days=f.integer("rotation_period_days", low=MIN_ROTATION_PERIOD_DAYS,
                                       high=MAX_ROTATION_PERIOD_DAYS),
        versions=read_versions(f), aliases=aliases, grants=grants)
    f.done()
    return key


def _account_of(f: Fields) -> str | None:
    account = f.text("account")
    if account is not None:
        f.checked("account", lambda: check_account_id(account))
    return account


def _grant(node: Node, spec: str, usage: str, key_id: str) -> SeedGrant:
    f = Fields(node, f"key {key_id}: grant")
    grant = SeedGrant(f.line, f.required_text("grantee"), tuple(f.texts("operations")), f.text("id"), f.text("name"),
                      f.text("retiring"), f.text_map("encryption_context_equals"),
                      f.text_map("encryption_context_subset"))
    f.checked("grantee", lambda: check_principal("GranteePrincipal", grant.grantee))
    f.checked("retiring", lambda: check_principal("RetiringPrincipal", grant.retiring))
    if not grant.operations:
        raise f.error("'operations' must list at least one operation", "operations")
    f.checked("operations", lambda: check_grant_request(
        list(grant.operations), specs.grant_operations(spec, usage), grant.context_equals, grant.context_subset,
        symmetric=spec == specs.SYMMETRIC_DEFAULT))
    f.done()
    return grant


def read_versions(f: Fields) -> tuple[SeedVersion, ...] | None:
    """``versions``: a count of fresh versions, or a list, oldest first, of ``{material: hex}``,
    ``{material_base64: …}``, ``{private_key_pem: …}`` or ``{}`` (fresh), or bare hex strings."""
    found = f.get("versions")
    if found is None:
        return None
    if isinstance(found.value, int) and not isinstance(found.value, bool):
        if not 1 <= found.value <= 1000:
            raise f.error("'versions' must be between 1 and 1000", "versions")
        return tuple(SeedVersion(found.line) for _ in range(found.value))
    if not found.is_sequence or not found.value:
        raise f.error("'versions' must be a number of versions or a list of them, oldest first", "versions")
    return tuple(_version(item, f.what) for item in found.value)


def _version(node: Node, what: str) -> SeedVersion:
    if not node.is_mapping:
        return SeedVersion(node.line, _decoded(node, lambda: from_hex(scalar_text(node, f"{what}: a version"))))
    f = Fields(node, f"{what}: version")
    given = [name for name in ("material", "material_base64", "private_key_pem") if f.has(name)]
    if len(given) > 1:
        raise f.error(f"give one of {', '.join(given)}, not several")
    material = None
    if given:
        text = f.required_text(given[0])
        decode = {"material": from_hex, "material_base64": from_base64, "private_key_pem": private_key_from_pem}
        material = _decoded(node, lambda: decode[given[0]](text))
    f.done()
    return SeedVersion(node.line, material)


def _decoded(node: Node, decode: Callable[[], bytes]) -> bytes:
    try:
        return decode()
    except MaterialError as exc:
        raise node.error(str(exc)) from None


# --- Transit keys ---------------------------------------------------------------------------------------------


def _transit_key(node: Node) -> SeedTransitKey:
    f = Fields(node, "transit key")
    name = f.required_text("name")
    f.what = f"transit key {name}"
    key_id = f.text("id")
    if key_id is not None:
        f.checked("id", lambda: check_key_id(key_id))
    settings = {}
    for setting in VAULT_SETTINGS:
        found = f.get(setting)
        if found is not None:
            settings[setting] = found.value
    f.checked("type", lambda: check_settings(settings))
    key = SeedTransitKey(
        f.line, name, mount=f.text("mount") or "transit", account=_account_of(f), key_id=key_id, settings=settings,
        deletion_allowed=f.boolean("deletion_allowed"),
        min_decryption_version=f.integer("min_decryption_version", low=1),
        min_encryption_version=f.integer("min_encryption_version", low=0), versions=read_versions(f))
    f.done()
    return key


# --- KMIP objects ---------------------------------------------------------------------------------------------


def _object(node: Node) -> SeedObject:
    f = Fields(node, "KMIP object")
    object_id = f.required_text("id")
    f.checked("id", lambda: check_key_id(object_id))
    f.what = f"KMIP object {object_id}"
    kind = f.required_text("type", choices=OBJECT_KINDS)
    spec_name = f.text("spec", choices=OBJECT_SPECS)
    if kind == "symmetric-key" and spec_name is None:
        raise f.error(f"'spec' is required for a symmetric key ({', '.join(OBJECT_SPECS)})")
    if kind != "symmetric-key" and spec_name is not None:
        raise f.error("'spec' applies only to symmetric keys", "spec")
    secret_type = f.text("secret_type", choices=SECRET_TYPES)
    if secret_type is not None and kind != "secret":
        raise f.error("'secret_type' applies only to secret data", "secret_type")
    material, material_line = None, None
    given = [name for name in ("material", "material_base64") if f.has(name)]
    if len(given) > 1:
        raise f.error("give 'material' or 'material_base64', not both")
    if given:
        text = f.required_text(given[0])
        material_line = node.value[given[0]].line
        material = _decoded(node, lambda: (from_hex if given[0] == "material" else from_base64)(text))
    item = SeedObject(f.line, object_id, kind, account=_account_of(f), region=f.text("region"),
                      spec=OBJECT_SPECS[spec_name] if spec_name else None, name=f.text("name"),
                      state=f.text("state", choices=OBJECT_STATES) or "active",
                      extractable=f.boolean("extractable", default=True), secret_type=secret_type, material=material,
                      material_line=material_line)
    f.done()
    return item
