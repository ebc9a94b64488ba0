"""What a seed file says, whichever format it came in: accounts, keys, Transit keys and KMIP objects.

Every entry keeps the line it was written on. Material is plaintext here: it never appears in a ``repr`` and is
handed only to the core, which checks and wraps it. ``None`` means "not said": the apply step chooses the default
(for material: fresh material made by the core).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_REGION = "us-east-1"
NATIVE = "strongroom"
LOCAL_KMS = "local-kms"


@dataclass(frozen=True)
class SeedVersion:
    """One version of a key: its material, or None for material the core makes."""

    line: int
    material: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SeedGrant:
    line: int
    grantee: str
    operations: tuple[str, ...]
    grant_id: str | None = None
    name: str | None = None
    retiring: str | None = None
    context_equals: dict[str, str] | None = None
    context_subset: dict[str, str] | None = None


@dataclass(frozen=True)
class SeedKey:
    """A key of the AWS API. ``spec`` None: the spec of the private key given (local-kms files do not name it).
    ``versions`` None: as stored, or one fresh version for a new key (none for an EXTERNAL one)."""

    line: int
    key_id: str
    account: str | None = None
    region: str | None = None
    spec: str | None = None
    usage: str | None = None
    origin: str = "AWS_KMS"
    description: str = ""
    policy: str | None = None  # JSON; None: the default key policy
    tags: dict[str, str] = field(default_factory=dict)
    state: str | None = None  # Enabled (the default), Disabled, PendingDeletion, PendingImport
    pending_window_days: int | None = None
    rotation_period_days: int | None = None  # automatic rotation on, with this period
    versions: tuple[SeedVersion, ...] | None = None
    aliases: tuple[str, ...] = ()
    grants: tuple[SeedGrant, ...] = ()


@dataclass(frozen=True)
class SeedUser:
    line: int
    name: str
    policies: dict[str, str] = field(default_factory=dict)  # identity policy name → JSON


@dataclass(frozen=True)
class SeedAccessKey:
    line: int
    access_key_id: str
    secret: str | None = field(default=None, repr=False)  # None: a secret is made (and reported once)
    user: str = "root"


@dataclass(frozen=True)
class SeedAccount:
    line: int
    account_id: str
    users: tuple[SeedUser, ...] = ()
    access_keys: tuple[SeedAccessKey, ...] = ()


@dataclass(frozen=True)
class SeedTransitKey:
    """A Vault Transit key: ``settings`` are Vault's own create parameters (``type``, ``exportable``, ``derived``,
    ``convergent_encryption``, ``allow_plaintext_backup``, ``auto_rotate_period``, ``key_size``)."""

    line: int
    name: str
    mount: str = "transit"
    account: str | None = None
    key_id: str | None = None
    settings: dict[str, object] = field(default_factory=dict)
    deletion_allowed: bool = False
    min_decryption_version: int | None = None
    min_encryption_version: int | None = None
    versions: tuple[SeedVersion, ...] | None = None


OBJECT_KINDS = ("symmetric-key", "secret", "opaque")
OBJECT_STATES = ("active", "pre-active", "deactivated")
SECRET_TYPES = ("password", "seed")


@dataclass(frozen=True)
class SeedObject:
    """A KMIP managed object with a fixed Unique Identifier."""

    line: int
    object_id: str
    kind: str  # one of OBJECT_KINDS
    account: str | None = None
    region: str | None = None
    spec: str | None = None  # symmetric keys: SYMMETRIC_DEFAULT (AES-256), AES_128, AES_192, HMAC_224..512
    name: str | None = None  # the KMIP Name attribute
    state: str = "active"
    extractable: bool = True
    secret_type: str | None = None  # secret data: password or seed
    material: bytes | None = field(default=None, repr=False)
    material_line: int | None = None


@dataclass(frozen=True)
class SeedFile:
    source: str
    format: str  # NATIVE or LOCAL_KMS
    account: str | None = None  # the account of entries that name none
    region: str | None = None  # the region of entries that name none
    accounts: tuple[SeedAccount, ...] = ()
    keys: tuple[SeedKey, ...] = ()
    transit: tuple[SeedTransitKey, ...] = ()
    objects: tuple[SeedObject, ...] = ()
    notes: tuple[str, ...] = ()  # what was read but ignored (members of local-kms files it ignores itself)

    def material_lines(self) -> list[int]:
        """The lines that give key material."""
        lines = [v.line for k in (*self.keys, *self.transit) for v in (k.versions or ()) if v.material is not None]
        lines += [o.material_line or o.line for o in self.objects if o.material is not None]
        return sorted(lines)
