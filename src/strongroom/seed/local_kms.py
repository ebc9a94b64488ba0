"""local-kms's seed files (nsmithuk/local-kms), read as they are, so its users bring their files unchanged.

Three shapes, as local-kms reads them::

    Keys:                                   # the documented format
      Symmetric: {Aes: [...], Hmac: [...]}
      Asymmetric: {Rsa: [...], Ecc: [...]}
    Aliases: [{AliasName: alias/x, TargetKeyId: <key id or ARN>}]

    Keys: [<Aes entries>]                   # its legacy format
    Aliases: [...]

    Version: 2                              # its newer format
    Keys: [{KeyId, Metadata: {KeySpec, KeyUsage, Description}, NextKeyRotation, Material: {BackingKeys, PrivateKeyPem}}]

An Aes or Hmac entry is ``{Metadata: {KeyId, Description, Origin, KeySpec}, BackingKeys: [hex, ...],
NextKeyRotation}``: the backing keys are the key's versions, oldest first (the last encrypts), and a
``NextKeyRotation`` turns on automatic rotation (yearly, as local-kms rotates; the date itself is not kept). An Rsa
or Ecc entry is ``{Metadata: {KeyId, KeyUsage, Description}, PrivateKeyPem}``, its key spec that of the key (PKCS#8,
PKCS#1 or SEC 1 PEM). local-kms ignores members it does not know; so does this reader, with a note for each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from strongroom.domain import key_specs as specs
from strongroom.seed.errors import Problem, SeedError
from strongroom.seed.fields import Fields
from strongroom.seed.material import MaterialError, from_hex, private_key_from_pem
from strongroom.seed.model import LOCAL_KMS, SeedFile, SeedKey, SeedVersion
from strongroom.seed.yaml_tree import Node
from strongroom.service.seeding import check_key_id

TOP_LEVEL = ("Keys", "Aliases", "Version")
YEARLY = 365


class _Reader:
    def __init__(self, root: Node) -> None:
        self.root = root
        self.notes: list[str] = []
        self.problems: list[Problem] = []

    def lenient_done(self, f: Fields) -> None:
        for name in f.done(ignored=f.unread()):
            self.notes.append(f"{f.node.source}:{f.node.value[name].line}: {f.what}: {name!r} is ignored, as "
                              "local-kms ignores it")

    def each(self, nodes: list[Node], read: Callable[[Node], SeedKey], out: list[SeedKey]) -> None:
        for node in nodes:
            try:
                out.append(read(node))
            except SeedError as exc:
                self.problems.extend(exc.problems)


def read_local_kms(root: Node) -> SeedFile:
    reader = _Reader(root)
    top = Fields(root, "the local-kms seed file")
    version = top.integer("Version")
    if version is not None and version != 2:
        raise top.error(f"local-kms seed files are of Version 2 or have none, not {version}", "Version")
    keys: list[SeedKey] = []
    found = top.get("Keys")
    if found is not None and found.is_sequence:  # Version 2, or the legacy list of Aes keys
        reader.each(found.value, (lambda n: _v2_key(reader, n)) if version == 2 else (lambda n: _aes(reader, n)),
                    keys)
    elif found is not None:
        groups = Fields(found, "Keys")
        for family, readers in (("Symmetric", {"Aes": _aes, "Hmac": _hmac}),
                                ("Asymmetric", {"Rsa": _asymmetric, "Ecc": _asymmetric})):
            group = groups.get(family)
            if group is None:
                continue
            kinds = Fields(group, f"Keys.{family}")
            for kind, read in readers.items():
                reader.each(kinds.items(kind), lambda n, read=read, kind=kind: read(reader, n, kind), keys)
            reader.lenient_done(kinds)
        reader.lenient_done(groups)
    aliases = _aliases(reader, top)
    reader.lenient_done(top)
    if reader.problems:
        raise SeedError(reader.problems)
    by_id = {key.key_id: key for key in keys}
    for name, target, line in aliases:
        key = by_id.get(target)
        if key is None:
            raise SeedError.at(f"alias {name}: its TargetKeyId {target} is not a key of this file", line, root.source)
        by_id[target] = replace(key, aliases=(*key.aliases, name))
    return SeedFile(root.source, LOCAL_KMS, keys=tuple(by_id.values()), notes=tuple(reader.notes))


def _metadata(reader: _Reader, entry: Fields, key_id: str | None = None) -> tuple[Fields, str]:
    found = entry.get("Metadata")
    if found is None:
        raise entry.error("'Metadata' is required")
    meta = Fields(found, "Metadata")
    key_id = key_id or meta.required_text("KeyId")
    meta.checked("KeyId", lambda: check_key_id(key_id))
    meta.what = entry.what = f"key {key_id}"
    return meta, key_id


def _backing_keys(entry: Fields, node: Node | None) -> tuple[SeedVersion, ...] | None:
    if node is None:
        return None
    if not node.is_sequence:
        raise entry.error("'BackingKeys' must be a list of hex keys")
    versions = []
    for item in node.value:
        try:
            versions.append(SeedVersion(item.line, from_hex(str(item.text if item.text is not None else item.value))))
        except MaterialError as exc:
            raise item.error(f"{entry.what}: a backing key: {exc}") from None
    return tuple(versions) or None


def _symmetric(reader: _Reader, node: Node, spec: str | None) -> SeedKey:
    entry = Fields(node, "an Aes key" if spec else "an Hmac key")
    meta, key_id = _metadata(reader, entry)
    spec = spec or meta.required_text("KeySpec", choices=[s for s in specs.FAMILY if s.startswith("HMAC_")])
    if spec == specs.SYMMETRIC_DEFAULT:
        meta.text("KeySpec", choices=(specs.SYMMETRIC_DEFAULT,))
    origin = meta.text("Origin", choices=("AWS_KMS", "EXTERNAL")) or "AWS_KMS"
    versions = _backing_keys(entry, entry.get("BackingKeys"))
    if origin == "EXTERNAL" and versions is not None and len(versions) > 1:
        raise entry.error("an EXTERNAL key has at most one backing key", "BackingKeys")
    if origin == "AWS_KMS" and versions is None:
        raise entry.error("at least one backing key must be supplied (as local-kms requires)")
    rotation = None
    if entry.get("NextKeyRotation") is not None:
        if spec == specs.SYMMETRIC_DEFAULT:
            rotation = YEARLY
        else:
            reader.notes.append(f"{node.source}:{node.line}: {entry.what}: NextKeyRotation is ignored: HMAC keys do "
                                "not rotate automatically in AWS KMS")
    meta.text("KeyUsage")  # Aes keys encrypt, Hmac keys make MACs, whatever it says
    key = SeedKey(node.line, key_id, spec=spec, usage=specs.USAGES[specs.family(spec)][0], origin=origin,
                  description=meta.text("Description") or "", rotation_period_days=rotation, versions=versions)
    reader.lenient_done(meta)
    reader.lenient_done(entry)
    return key


def _aes(reader: _Reader, node: Node, kind: str = "Aes") -> SeedKey:
    return _symmetric(reader, node, specs.SYMMETRIC_DEFAULT)


def _hmac(reader: _Reader, node: Node, kind: str = "Hmac") -> SeedKey:
    return _symmetric(reader, node, None)


def _asymmetric(reader: _Reader, node: Node, kind: str) -> SeedKey:
    entry = Fields(node, f"an {kind} key")
    meta, key_id = _metadata(reader, entry)
    usages = ("SIGN_VERIFY", "ENCRYPT_DECRYPT") if kind == "Rsa" else ("SIGN_VERIFY", "KEY_AGREEMENT")
    usage = meta.text("KeyUsage", choices=usages) or "SIGN_VERIFY"
    key = SeedKey(node.line, key_id, usage=usage, description=meta.text("Description") or "",
                  versions=(_pem_version(entry),))
    reader.lenient_done(meta)
    reader.lenient_done(entry)
    return key


def _pem_version(entry: Fields, name: str = "PrivateKeyPem") -> SeedVersion:
    text = entry.required_text(name)
    try:
        return SeedVersion(entry.line, private_key_from_pem(text))
    except MaterialError as exc:
        raise entry.error(str(exc), name) from None


def _v2_key(reader: _Reader, node: Node) -> SeedKey:
    entry = Fields(node, "a key")
    key_id = entry.required_text("KeyId")
    meta, key_id = _metadata(reader, entry, key_id)
    spec = meta.text("KeySpec", choices=specs.FAMILY) or specs.SYMMETRIC_DEFAULT
    usage = meta.text("KeyUsage") or specs.USAGES[specs.family(spec)][0]
    meta.checked("KeyUsage", lambda: specs.check_usage_for_spec(spec, usage))
    versions: tuple[SeedVersion, ...] | None = None
    found = entry.get("Material")
    if found is not None:
        material = Fields(found, f"key {key_id}: Material")
        if material.has("PrivateKeyPem"):
            versions = (_pem_version(material),)
        else:
            versions = _backing_keys(material, material.get("BackingKeys"))
        reader.lenient_done(material)
    rotation = YEARLY if entry.get("NextKeyRotation") is not None and spec == specs.SYMMETRIC_DEFAULT else None
    key = SeedKey(node.line, key_id, spec=spec, usage=usage, description=meta.text("Description") or "",
                  rotation_period_days=rotation, versions=versions)
    reader.lenient_done(meta)
    reader.lenient_done(entry)
    return key


def _aliases(reader: _Reader, top: Fields) -> list[tuple[str, str, int]]:
    out = []
    for node in top.items("Aliases"):
        try:
            f = Fields(node, "an alias")
            name = f.required_text("AliasName")
            target = f.required_text("TargetKeyId")
            reader.lenient_done(f)
        except SeedError as exc:
            reader.problems.extend(exc.problems)
            continue
        out.append(("alias/" + name.removeprefix("alias/"), target.rsplit("key/", 1)[-1], node.line))
    return out
