"""The store written back as a seed file in Strongroom's format, which ``seed apply`` takes and reproduces.

Without material, each key is written with its number of versions: applied to an empty store that makes keys with
the same ids, states and settings and fresh material; applied to the store it came from it changes nothing. With
material (``--include-material``, dev only), every version's material and every access key's secret is written in
the clear, so the file reproduces the keys exactly. What the format cannot hold is left out, each with a note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from strongroom.domain import key_specs as specs
from strongroom.domain.keys import Key, KeyState, Origin
from strongroom.protocols.kmip import stored
from strongroom.protocols.kmip.tags import Tag
from strongroom.seed.material import private_key_to_pem
from strongroom.seed.native import FORMAT_MARKER, FORMAT_VERSION
from strongroom.seed.put_objects import NAME, SECRET_TYPES
from strongroom.seed.run import SeedRun
from strongroom.service.core import Core
from strongroom.service.named_keys import AUTO_ROTATE_PERIOD, WRAPPING_KEY_NAME
from strongroom.service.object_model import KIND

_OBJECT_KINDS = {"symmetric-key": "symmetric-key", "secret": "secret", "opaque": "opaque"}
_OBJECT_STATES = ("active", "pre-active", "deactivated")
_ASYMMETRIC_TRANSIT = ("RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
                       "ECC_NIST_EDWARDS25519")


@dataclass
class Export:
    text: str
    notes: list[str] = field(default_factory=list)  # what was left out, and why


def export_seed(core: Core, *, include_material: bool = False) -> Export:
    writer = _Writer(core, include_material)
    document: dict[str, Any] = {FORMAT_MARKER: FORMAT_VERSION, "accounts": [], "keys": [], "transit": [], "kmip": []}
    for account_id in core.principals.list_accounts():
        document["accounts"].append(writer.account(account_id))
        mounts = {m.uuid: m.path for m in core.mounts.all(account_id) if m.engine_type == "transit"}
        for region in core.seeding.regions(account_id):
            for key in core.seeding.keys(account_id, region):
                writer.key(key, mounts, document)
    document = {name: value for name, value in document.items() if value != []}
    header = ["# A Strongroom seed file, written by `strongroom seed export`; apply it with `strongroom seed apply`.",
              "# See docs/seeds.md."]
    if include_material:
        header.append("# It holds key material and secrets in the clear: guard it as the keys themselves.")
    header += [f"# Left out: {note}" for note in writer.notes]
    return Export("\n".join(header) + "\n" + _dump(document), writer.notes)


class _Writer:
    def __init__(self, core: Core, include_material: bool) -> None:
        self.core = core
        self.include_material = include_material
        self.notes: list[str] = []

    def account(self, account_id: str) -> dict[str, Any]:
        principals = self.core.principals
        entry: dict[str, Any] = {"id": account_id}
        users = []
        for user in principals.list_users(account_id):
            documents = principals.list_user_policies(account_id, user.user_name)
            users.append({"name": user.user_name, **({"policies": {name: json.loads(text) for name, text
                                                                     in documents.items()}} if documents else {})})
        keys = []
        for summary in self.core.credentials.list(account_id):
            if summary.expires_at is not None or summary.status != "Active":
                self.notes.append(f"access key {summary.access_key_id}: temporary or inactive keys are not seeded")
                continue
            item: dict[str, Any] = {"id": summary.access_key_id}
            if summary.user_name != "root":
                item["user"] = summary.user_name
            found = self.core.credentials.lookup(summary.access_key_id) if self.include_material else None
            if found is not None:
                item["secret"] = found.secret_access_key
            keys.append(item)
        if users:
            entry["users"] = users
        if keys:
            entry["access_keys"] = keys
        return entry

    def key(self, key: Key, transit_mounts: dict[str, str], document: dict[str, Any]) -> None:
        if key.name_space is not None:
            if key.name != WRAPPING_KEY_NAME and key.name_space in transit_mounts:
                document["transit"].append(self.transit_key(key, transit_mounts[key.name_space]))
            return  # an import wrapping key, made again on first use
        if KIND in key.attributes:
            found = self.managed_object(key)
            if found is not None:
                document["kmip"].append(found)
            return
        document["keys"].append(self.aws_key(key))

    # --- keys of the AWS API ------------------------------------------------------------------

    def aws_key(self, key: Key) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": key.key_id, "account": key.account_id, "region": key.region,
                                 "spec": key.key_spec}
        if key.key_usage != specs.USAGES[specs.family(key.key_spec)][0]:
            entry["usage"] = key.key_usage
        if key.origin != Origin.AWS_KMS:
            entry["origin"] = key.origin
        if key.description:
            entry["description"] = key.description
        if key.state is not KeyState.ENABLED:
            entry["state"] = key.state.value
        if key.state is KeyState.PENDING_DELETION:
            entry["pending_window_days"] = key.pending_window_days
        if key.rotation_period_days:
            entry["rotation_period_days"] = key.rotation_period_days
        if key.tags:
            entry["tags"] = dict(key.tags)
        if key.policy:
            entry["policy"] = json.loads(key.policy)
        versions = self._aws_versions(key)
        if versions is not None:
            entry["versions"] = versions
        aliases = [alias.name for alias in self.core.seeding.aliases(key)]
        if aliases:
            entry["aliases"] = aliases
        grants = [self._grant(grant) for grant in self.core.seeding.grants(key)]
        if grants:
            entry["grants"] = grants
        return entry

    def _aws_versions(self, key: Key) -> int | list[dict[str, str]] | None:
        present = {v.version for v in self.core.seeding.versions(key) if v.has_material}
        if not self.include_material:
            if key.origin == Origin.EXTERNAL:
                if key.current_version:
                    self.notes.append(f"key {key.key_id}: imported material is written only with --include-material")
                return None
            return key.current_version
        out = []
        for number in range(1, key.current_version + 1):
            if number not in present:
                self.notes.append(f"key {key.key_id}: version {number} and later have no material left")
                break
            out.append(self._material(key, number, specs.is_asymmetric(key.key_spec)))
        return out or None

    def _material(self, key: Key, number: int, pem: bool) -> dict[str, str]:
        material = self.core.seeding.material(key, number)
        return {"private_key_pem": private_key_to_pem(material)} if pem else {"material": material.hex()}

    @staticmethod
    def _grant(grant: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": grant.grant_id}
        if grant.name:
            entry["name"] = grant.name
        entry["grantee"] = grant.grantee_principal
        entry["operations"] = list(grant.operations)
        if grant.retiring_principal:
            entry["retiring"] = grant.retiring_principal
        if grant.context_equals is not None:
            entry["encryption_context_equals"] = dict(grant.context_equals)
        if grant.context_subset is not None:
            entry["encryption_context_subset"] = dict(grant.context_subset)
        return entry

    # --- Transit keys -------------------------------------------------------------------------

    def transit_key(self, key: Key, mount_path: str) -> dict[str, Any]:
        attributes = key.attributes
        key_type = attributes.get("vault.type", "aes256-gcm96")
        entry: dict[str, Any] = {"name": key.name, "mount": mount_path.rstrip("/"), "account": key.account_id,
                                 "id": key.key_id, "type": key_type}
        for setting, attribute in (("derived", "vault.derived"), ("convergent_encryption", "vault.convergent"),
                                   ("allow_plaintext_backup", "vault.allow_plaintext_backup"),
                                   ("deletion_allowed", "vault.deletion_allowed")):
            if attributes.get(attribute) == "true":
                entry[setting] = True
        if key.exportable:
            entry["exportable"] = True
        period = int(float(attributes.get(AUTO_ROTATE_PERIOD) or 0))
        if period:
            entry["auto_rotate_period"] = period
        if key_type == "hmac" and attributes.get("core.key_size"):
            entry["key_size"] = int(attributes["core.key_size"])
        if key.min_decryption_version != 1:
            entry["min_decryption_version"] = key.min_decryption_version
        if key.min_encryption_version:
            entry["min_encryption_version"] = key.min_encryption_version
        if attributes.get("vault.imported") == "true" or attributes.get("core.kdf"):
            self.notes.append(f"transit key {mount_path}{key.name}: its imported-key settings are not seeded")
        if self.include_material:
            present = {v.version for v in self.core.seeding.versions(key) if v.has_material}
            entry["versions"] = [self._material(key, n, key.key_spec in _ASYMMETRIC_TRANSIT) if n in present else {}
                                 for n in range(1, key.current_version + 1)]
        else:
            entry["versions"] = key.current_version
        return entry

    # --- KMIP objects -------------------------------------------------------------------------

    def managed_object(self, key: Key) -> dict[str, Any] | None:
        ctx = SeedRun.operator(key.account_id, key.region)
        found = self.core.managed_objects.get(ctx, key.key_id)
        kind = _OBJECT_KINDS.get(found.kind.value)
        if kind is None or found.state.value not in _OBJECT_STATES:
            self.notes.append(f"KMIP object {key.key_id}: a {found.state.value} {found.kind.value} is not seeded "
                              "(seeds hold active, pre-active or deactivated symmetric keys, secret data and opaque "
                              "objects)")
            return None
        entry: dict[str, Any] = {"id": key.key_id, "account": key.account_id, "region": key.region, "type": kind}
        if kind == "symmetric-key":
            entry["spec"] = "AES_256" if found.algorithm == specs.SYMMETRIC_DEFAULT else found.algorithm
        names = [item.value for value in stored.values(found.attributes, NAME) for item in value.value  # type: ignore[union-attr]
                 if item.tag == Tag.NAME_VALUE]
        if names:
            entry["name"] = names[0]
        if found.state.value != "active":
            entry["state"] = found.state.value
        if not found.key.exportable:
            entry["extractable"] = False
        secret_type = found.attributes.get(stored.SECRET_DATA_TYPE)
        by_number = {str(int(number)): name for name, number in SECRET_TYPES.items()}
        if secret_type in by_number:
            entry["secret_type"] = by_number[secret_type]
        if self.include_material:
            entry["material"] = self.core.seeding.material(key, 1).hex()
        return entry


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _dump(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=120)
