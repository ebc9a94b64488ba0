"""The composition of the core: one object that every front end is handed."""

from __future__ import annotations

from strongroom.crypto.keygen import forget_keys_made_ahead, make_rsa_ahead
from strongroom.domain.clock import Clock, SystemClock
from strongroom.domain.key_specs import FAMILY, Family
from strongroom.domain.limits import Limits
from strongroom.service.admin import AdminService
from strongroom.service.aliases import AliasService
from strongroom.service.asymmetric import AsymmetricService
from strongroom.service.audit import AuditTrail
from strongroom.service.authorization import Authorizer
from strongroom.service.caches import Clearable, StoreCaches
from strongroom.service.client_certificates import ClientCertificates
from strongroom.service.credentials import Credentials
from strongroom.service.crypto import CryptoService
from strongroom.service.front_door import FrontDoor
from strongroom.service.grants import GrantService
from strongroom.service.key_hierarchy import KeyHierarchy
from strongroom.service.key_import import KeyImportService
from strongroom.service.keyring import KeyRing
from strongroom.service.keys import KeyService
from strongroom.service.mac import MacService
from strongroom.service.managed_objects import ManagedObjects
from strongroom.service.mounts import Mounts
from strongroom.service.named_keys import NamedKeyService
from strongroom.service.object_use import ObjectUse
from strongroom.service.path_policies import PathPolicies
from strongroom.service.principals import Principals
from strongroom.service.quotas import Quotas
from strongroom.service.rotation import RotationService
from strongroom.service.sealed_backups import SealedBackups
from strongroom.service.seeding import Seeding
from strongroom.service.tokens import Tokens
from strongroom.service.version_crypto import VersionCrypto
from strongroom.service.workload_identities import WorkloadIdentities
from strongroom.storage.base import Store
from strongroom.trust.base import RootOfTrust


class Core:
    """Keys, crypto, aliases, rotation, grants, principals and credentials over one store, unlocked by one
    root of trust.

    Built without a root, the core starts sealed: everything that needs a secret raises ``SealedError``
    until ``unseal`` is called. Front ends see services, never the store, the key ring or the caches.
    """

    def __init__(self, store: Store, root: RootOfTrust | None = None, clock: Clock | None = None, *,
                 operator_account: str | None = None, limits: Limits | None = None,
                 quotas: Quotas | None = None) -> None:
        self._store = store
        self.clock = clock or SystemClock()
        self.limits = limits or Limits()
        self.quotas = quotas or Quotas(enabled=False)
        self._secrets = KeyHierarchy(store)
        self._caches = StoreCaches(store)
        self._ring = KeyRing(store, self._secrets, self._caches, self.clock)
        self.credentials = Credentials(store, self._secrets, self.clock, self._caches)
        self.principals = Principals(store, self.clock, self._caches)
        self.authz = Authorizer(store, self.principals, self.clock, self._caches)
        self.audit = AuditTrail(store, self.clock)
        self.keys = KeyService(store, self._ring, self._secrets, self.authz, self.clock, self.audit,
                               self.limits)
        self.crypto = CryptoService(self._ring, self.authz)
        self.asymmetric = AsymmetricService(self._ring, self.authz)
        self.mac = MacService(self._ring, self.authz)
        self.key_import = KeyImportService(store, self._ring, self._secrets, self.keys, self.clock)
        self.aliases = AliasService(store, self._ring, self.authz, self.clock, self.limits)
        self.grants = GrantService(store, self._ring, self.authz, self.clock, self.limits)
        self.admin = AdminService(self.principals, self.credentials, self.authz, operator_account)
        self.front_door = FrontDoor(self._secrets, self.quotas, self.audit)
        self.named_keys = NamedKeyService(store, self._ring, self._secrets, self.authz, self.clock, self.limits)
        self.version_crypto = VersionCrypto(self.named_keys, self._caches.register)
        self.sealed_backups = SealedBackups(self.named_keys)
        self.managed_objects = ManagedObjects(store, self._ring, self._secrets, self.authz, self.clock, self.limits)
        self.object_use = ObjectUse(self.managed_objects, self._ring, self._secrets, self.authz)
        self.rotation = RotationService(store, self._ring, self.keys, self.clock, self.limits, self.named_keys)
        self.tokens = Tokens(store, self.clock, self._caches)
        self.client_certificates = ClientCertificates(store, self.clock, self._caches)
        self.workload_identities = WorkloadIdentities(store, self._secrets, self.clock, self._caches)
        self.path_policies = PathPolicies(store, self.authz, self._caches)
        self.mounts = Mounts(store, self.authz, self.named_keys, self.clock, self._caches)
        self.seeding = Seeding(store, self._ring, self._secrets, self.authz, self._caches, self.clock, self.limits)
        if root is not None:
            self.unseal(root)

    @property
    def sealed(self) -> bool:
        return self._secrets.sealed

    def unseal(self, root: RootOfTrust) -> None:
        self._secrets.unseal(root)

    def unseal_with_kek(self, kek: bytes | bytearray) -> None:
        """Unseal with a KEK the node's supervisor unwrapped (see ``server/unsealer.py``)."""
        self._secrets.adopt(kek)

    def register_cache(self, cache: Clearable) -> None:
        """A front end's own cache of core state (credentials it verified, callers it resolved): dropped whenever
        the core's caches are, when another process changed the store or the core sealed."""
        self._caches.register(cache)

    def check_store_per_turn(self) -> None:
        """Ask the store whether others changed it at most once per ``new_turn`` (see ``service/caches.py``)."""
        self._caches.check_per_turn()

    def new_turn(self) -> None:
        self._caches.new_turn()

    def check_store(self) -> None:
        """Raise if the store does not answer (for health checks)."""
        self._store.last_audit_link()

    def key_counts(self) -> dict[str, int]:
        """Keys by state, across every account (for metrics)."""
        return self._store.count_keys()

    def rotation_counts(self) -> dict[str, int]:
        """Rotations performed, by type, across every account (for metrics)."""
        return self._store.count_rotations()

    @staticmethod
    def make_key_ahead(key_spec: str) -> None:
        """Make the RSA key (``RSA_2048``/``3072``/``4096``) that a request about to run will generate, on the
        calling thread: servers call this from a worker thread so that the slow generation stays off their event
        loop. Any other spec is ignored."""
        if FAMILY.get(key_spec) is Family.RSA:
            make_rsa_ahead(key_spec)

    def seal(self) -> None:
        """Forget the KEK, every unwrapped secret derived from it and the private keys made ahead."""
        self._secrets.seal()
        self._caches.clear_all()
        forget_keys_made_ahead()

    def close(self) -> None:
        self._store.close()
