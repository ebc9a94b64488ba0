"""KMS keys: their specs, states, versions, and the rules that say what a key in a state may do."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from strongroom.domain import key_specs as specs
from strongroom.errors import DisabledError, KeyStateError, KeyUsageError, UnsupportedError


class KeyState(enum.StrEnum):
    CREATING = "Creating"
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"
    PENDING_IMPORT = "PendingImport"
    PENDING_REPLICA_DELETION = "PendingReplicaDeletion"
    UNAVAILABLE = "Unavailable"
    UPDATING = "Updating"


class KeyUsage(enum.StrEnum):
    ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
    SIGN_VERIFY = "SIGN_VERIFY"
    GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
    KEY_AGREEMENT = "KEY_AGREEMENT"
    ENCAPSULATE_DECAPSULATE = "ENCAPSULATE_DECAPSULATE"


class Origin(enum.StrEnum):
    AWS_KMS = "AWS_KMS"
    EXTERNAL = "EXTERNAL"
    AWS_CLOUDHSM = "AWS_CLOUDHSM"
    EXTERNAL_KEY_STORE = "EXTERNAL_KEY_STORE"


SYMMETRIC_DEFAULT = specs.SYMMETRIC_DEFAULT
SYMMETRIC_KEY_BYTES = 32

# AWS's documented limits for keys.
MIN_PENDING_WINDOW_DAYS = 7
MAX_PENDING_WINDOW_DAYS = 30
DEFAULT_PENDING_WINDOW_DAYS = 30
MIN_ROTATION_PERIOD_DAYS = 90
MAX_ROTATION_PERIOD_DAYS = 2560
DEFAULT_ROTATION_PERIOD_DAYS = 365
MAX_ON_DEMAND_ROTATIONS = 25
DAY_SECONDS = 86400.0


def check_creatable(key_spec: str, key_usage: str, origin: str) -> None:
    """Refuse a spec/usage pair AWS refuses, and origins this server does not offer (saying why)."""
    specs.check_usage_for_spec(key_spec, key_usage)
    if origin not in (Origin.AWS_KMS, Origin.EXTERNAL):
        raise UnsupportedError(f"Origin {origin} needs a custom key store, which this server does not offer.")


@dataclass(frozen=True, slots=True)
class KeyVersion:
    """One key material of a key, without the material; ``material_id`` is what AWS calls KeyMaterialId.

    Imported material (Origin EXTERNAL) can be deleted or expire (``has_material`` False, AWS's import state
    PENDING_IMPORT) and carries its expiration model, ValidTo and KeyMaterialDescription."""

    version: int
    material_id: str
    created_at: float
    rotation_type: str | None  # None for the original material, else "AUTOMATIC" or "ON_DEMAND"
    imported: bool = False
    has_material: bool = True
    valid_to: float | None = None
    expiration_model: str | None = None
    description: str | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Key:
    key_id: str
    account_id: str
    region: str
    created_at: float
    description: str = ""
    key_spec: str = SYMMETRIC_DEFAULT
    key_usage: str = KeyUsage.ENCRYPT_DECRYPT
    origin: str = Origin.AWS_KMS
    state: KeyState = KeyState.ENABLED
    deletion_date: float | None = None
    pending_window_days: int | None = None
    rotation_period_days: int | None = None  # None when automatic rotation is off
    next_rotation_at: float | None = None
    policy: str | None = None
    current_version: int = 1
    on_demand_rotations: int = 0
    multi_region: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    # A caller-chosen name, unique in its namespace of the account (e.g. a Transit key of one mount).
    name_space: str | None = None
    name: str | None = None
    # The oldest version that may still open a ciphertext or verify a signature, and the oldest that may make
    # one (0: any, the current version by default). Enforced in the core for every protocol.
    min_decryption_version: int = 1
    min_encryption_version: int = 0
    exportable: bool = False  # irreversible: once True, the material may leave through the audited export path
    # Protocol-only attributes, each name prefixed by its protocol ("vault.deletion_allowed", ...).
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return key_arn(self.region, self.account_id, self.key_id)

    def evolve(self, **changes: object) -> Key:
        return replace(self, **changes)  # type: ignore[arg-type]

    def check_usable_for_crypto(self) -> None:
        """Refuse cryptographic use unless the key is Enabled, with AWS's exception for each state."""
        if self.state is KeyState.ENABLED:
            return
        if self.state is KeyState.DISABLED:
            raise DisabledError(f"{self.arn} is disabled.")
        raise KeyStateError(f"{self.arn} is pending deletion." if self.state is KeyState.PENDING_DELETION
                            else f"{self.arn} is {self.state.value}.")

    def check_usage(self, usage: str) -> None:
        if self.key_usage != usage:
            raise KeyUsageError(f"{self.arn} key usage is {self.key_usage} which is not valid for this operation.")

    def check_encrypt_decrypt(self) -> None:
        self.check_usage(KeyUsage.ENCRYPT_DECRYPT)

    def check_not_pending_deletion(self) -> None:
        if self.state is KeyState.PENDING_DELETION:
            raise KeyStateError(f"{self.arn} is pending deletion.")

    def check_not_pending_import(self) -> None:
        if self.state is KeyState.PENDING_IMPORT:
            raise KeyStateError(f"{self.arn} is pending import.")

    def check_imported(self) -> None:
        if self.origin != Origin.EXTERNAL:
            raise UnsupportedError(f"{self.arn} has Origin {self.origin}; key material can be imported only into "
                                   "keys created with Origin EXTERNAL.")

    def check_rotatable(self) -> None:
        """Automatic rotation: symmetric keys whose material this server generates."""
        if self.key_spec != SYMMETRIC_DEFAULT or self.origin != Origin.AWS_KMS:
            raise UnsupportedError(f"{self.arn} does not support automatic key rotation.")

    def check_rotatable_on_demand(self) -> None:
        """On-demand rotation: symmetric keys, generated or imported (new material imported beforehand)."""
        if self.key_spec != SYMMETRIC_DEFAULT or self.origin not in (Origin.AWS_KMS, Origin.EXTERNAL):
            raise UnsupportedError(f"{self.arn} does not support on-demand rotation.")


def key_arn(region: str, account_id: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"
